"""``moose_lib.dmv2.registry`` as muskox provides it (see :mod:`muskox.declare.moose_compat`)."""

from muskox.declare.moose_compat import compat_module

compat_module(__name__, [
    "Api", "IngestApi", "MaterializedView", "OlapDictionary", "OlapTable", "SqlResource", "Stream", "View", "WebApp",
    "Workflow", "get_api", "get_apis", "get_consumption_api", "get_consumption_apis", "get_ingest_api",
    "get_ingest_apis", "get_materialized_view", "get_materialized_views", "get_olap_dictionaries",
    "get_olap_dictionary", "get_sql_resource", "get_sql_resources", "get_stream", "get_streams", "get_table",
    "get_tables", "get_view", "get_views", "get_web_app", "get_web_apps", "get_workflow", "get_workflows",
])
