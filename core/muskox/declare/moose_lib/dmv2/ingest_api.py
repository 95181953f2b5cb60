"""``moose_lib.dmv2.ingest_api`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "DeadLetterQueue", "IngestApi", "IngestConfig", "IngestConfigWithDestination", "Stream", "T",
    "TypedMooseResource",
])
