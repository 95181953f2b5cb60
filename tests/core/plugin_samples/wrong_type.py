"""A sample plugin registering something that is not an OlapBackend."""

from muskox import hookimpl


@hookimpl
def muskox_register_olap_backends(register):
    register("bogus", object)
