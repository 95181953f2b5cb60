"""Planning: the inputs of a plan gathered and reconciled, the differ, the policies, lowering and ordering.

    workspace (gather) → reconcile → differ → policies → lowering → ordering   (planner.make_plan runs them)
"""
