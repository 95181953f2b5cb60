"""The plugin surface: the hook specifications, the interfaces plugins implement (``OlapBackend``,
``StreamBackend``, ``StateStore``, ``Lock``), entry-point discovery and the one typed facade the core calls
hooks through, and the built-in plugins that register the plan vocabulary."""
