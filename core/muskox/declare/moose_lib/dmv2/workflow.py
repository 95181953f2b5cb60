"""``moose_lib.dmv2.workflow`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "T_none", "Task", "TaskConfig", "TaskContext", "TaskRunFunc", "TypedMooseResource", "U_none", "Workflow",
    "WorkflowConfig",
])
