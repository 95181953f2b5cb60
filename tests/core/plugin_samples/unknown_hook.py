"""A sample plugin implementing a hook muskox does not define (a typo)."""

from muskox import hookimpl


@hookimpl
def muskox_register_comands(register):
    register("never", None)
