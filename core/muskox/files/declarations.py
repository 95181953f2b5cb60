"""Python source declaring tables, views and materialized views exactly as a database holds them.

Two writers use it: ``generate migration --save`` for the old table a version bump keeps
(:mod:`muskox.files.retained`) and ``muskox db pull`` for a whole existing database (:mod:`muskox.files.pull`).
The module written collects back to the same resources: every column keeps its exact type through
:func:`muskox.clickhouse_type` (the type's text in the OLAP backend's dialect, which also reads it back), awkward
column names become plain fields with ``Field(alias=…)``, and names of tables and views are written as string
literals, so quotes, backticks, unicode and Python keywords all round-trip.

Schema classes with the same fields are written once and shared by their tables (a database of many tables of
few shapes imports quickly).
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable, Sequence

import attrs

from muskox.files.dictionary_source import DICTIONARY_API, dictionary_options
from muskox.files.integration_source import (
    INTEGRATION_CLASSES,
    RUNTIME_ENV_IMPORT,
    env_name,
    integration_source,
    settings_source,
)
from muskox.model import engines
from muskox.model.dictionary import Dictionary
from muskox.model.resources import MaterializedView, View
from muskox.model.table import Column, LifeCycle, Table
from muskox.plugin.dialect import Dialect

__all__ = ["DeclarationModule", "engine_source", "has_declaration_class", "slug"]

_RESERVED_FIELDS = frozenset({"model_config", "model_fields", "model_computed_fields", "dict", "json", "copy",
                              "parse_obj", "parse_raw", "parse_file", "schema", "schema_json", "construct",
                              "validate", "from_orm", "update_forward_refs", "fields"})

_ENGINE_CLASSES: dict[type, str] = {
    engines.MergeTree: "MergeTreeEngine", engines.ReplacingMergeTree: "ReplacingMergeTreeEngine",
    engines.SummingMergeTree: "SummingMergeTreeEngine", engines.AggregatingMergeTree: "AggregatingMergeTreeEngine",
    engines.CollapsingMergeTree: "CollapsingMergeTreeEngine",
    engines.VersionedCollapsingMergeTree: "VersionedCollapsingMergeTreeEngine",
}

#: Declaration API names the generated code may use (imported when it does).
_API = ("Key", "clickhouse_type", "clickhouse_default", "ClickHouseMaterialized", "ClickHouseAlias", "ClickHouseTTL",
        "clickhouse_codec", "TableIndex", "TableProjection", "View", "ViewConfig", "MaterializedView",
        "MaterializedViewOptions", "LifeCycle", "OlapConfig", "OlapTable",
        *(f"Replicated{n}" for n in _ENGINE_CLASSES.values()), *_ENGINE_CLASSES.values(),
        *INTEGRATION_CLASSES.values(), *DICTIONARY_API)

#: Names the module imports or Python defines, never used for a generated class or variable.
_TAKEN = frozenset({"Annotated", "Any", "Optional", "BaseModel", "Field", "moose_runtime_env", *_API,
                    *dir(builtins)})


def slug(text: str, default: str = "table") -> str:
    """``"Web Events"`` → ``"web_events"``: ASCII letters, digits and underscores (``default`` when none are left)."""
    value = re.sub(r"\W+", "_", text, flags=re.ASCII).strip("_").lower()
    return value or default


def has_declaration_class(engine: engines.Engine) -> bool:
    """Whether the declaration API can write ``engine``: the MergeTree family (replicated or not) and the
    integration engines the server reported in a shape muskox reads (Kafka, S3Queue, S3, Buffer, Distributed,
    IcebergS3, Merge)."""
    return type(engine) in _ENGINE_CLASSES or (isinstance(engine, engines.IntegrationEngine)
                                               and engine.name in INTEGRATION_CLASSES)


def engine_source(engine: engines.Engine, *, env_prefix: str = "MUSKOX") -> str:
    """The declaration API's constructor of ``engine`` (``ReplacingMergeTreeEngine(ver='v')``); an integration
    engine's hidden credentials become ``moose_runtime_env.get("<env_prefix>_<FIELD>")``.

    :raises ValueError: the engine has no declaration class (see :func:`has_declaration_class`).
    """
    if isinstance(engine, engines.IntegrationEngine) and has_declaration_class(engine):
        return integration_source(engine, env_prefix)
    if not has_declaration_class(engine) or isinstance(engine, (engines.OtherEngine, engines.IntegrationEngine)):
        raise ValueError(f"engine {engines.engine_name(engine)} has no declaration class")
    name = _ENGINE_CLASSES[type(engine)]
    arguments: list[str] = []
    if engine.replication is not None:
        name = "Replicated" + name
        if engine.replication.keeper_path is not None:
            arguments += [f"keeper_path={engine.replication.keeper_path!r}",
                          f"replica_name={engine.replication.replica_name!r}"]
    match engine:
        case engines.ReplacingMergeTree(ver=ver, is_deleted=is_deleted):
            arguments += [f"{k}={v!r}" for k, v in (("ver", ver), ("is_deleted", is_deleted)) if v is not None]
        case engines.SummingMergeTree(columns=columns) if columns:
            arguments.append(f"columns={list(columns)!r}")
        case engines.CollapsingMergeTree(sign=sign):
            arguments.append(f"sign={sign!r}")
        case engines.VersionedCollapsingMergeTree(sign=sign, ver=ver):
            arguments += [f"sign={sign!r}", f"ver={ver!r}"]
    return f"{name}({', '.join(arguments)})"


def _field_name(column: Column, index: int, taken: set[str]) -> str:
    name = column.name
    plain = (name.isidentifier() and name.isascii() and not keyword.iskeyword(name)
             and not name.startswith(("_", "model_")) and name not in _RESERVED_FIELDS)
    chosen = name if plain and name not in taken else f"column_{index}"
    taken.add(chosen)
    return chosen


def _column_line(column: Column, index: int, taken: set[str], dialect: Dialect) -> str:
    markers = [f"clickhouse_type({dialect.render_type(column.data_type)!r})"]
    for value, function in ((column.default, "clickhouse_default"), (column.materialized, "ClickHouseMaterialized"),
                            (column.alias, "ClickHouseAlias"), (column.ttl, "ClickHouseTTL"),
                            (column.codec, "clickhouse_codec")):
        if value is not None:
            markers.append(f"{function}({value!r})")
    annotation = f"Annotated[Any, {', '.join(markers)}]"
    if column.primary_key:
        annotation = f"Key[{annotation}]"
    if column.nullable:
        annotation = f"Optional[{annotation}]"
    field = _field_name(column, index, taken)
    options = []
    if field != column.name:
        options.append(f"alias={column.name!r}")
    if column.comment is not None:
        options.append(f"description={column.comment!r}")
    default = " = None" if column.nullable else ""
    if options:
        default = f" = Field({'None, ' if column.nullable else ''}{', '.join(options)})"
    return f"    {field}: {annotation}{default}"


def _life_cycle_option(life_cycle: LifeCycle) -> list[str]:
    return [] if life_cycle is LifeCycle.FULLY_MANAGED else [f"life_cycle=LifeCycle.{life_cycle.name}"]


def _table_options(table: Table, engine: str | None, life_cycle: LifeCycle, database: str | None,
                   env_prefix: str) -> list[str]:
    options = [f"version={table.version!r}"] if table.version else []
    options += _life_cycle_option(life_cycle)
    if database is not None:
        options.append(f"database={database!r}")
    if isinstance(table.order_by, str):
        options.append(f"order_by_expression={table.order_by!r}")
    elif table.order_by:
        options.append(f"order_by_fields={list(table.order_by)!r}")
    elif any(c.primary_key for c in table.columns):
        options.append("order_by_expression='tuple()'")
    for option, value in (("partition_by", table.partition_by),
                          ("primary_key_expression", table.primary_key_expression),
                          ("sample_by_expression", table.sample_by), ("ttl", table.ttl), ("cluster", table.cluster)):
        if value is not None:
            options.append(f"{option}={value!r}")
    if table.settings:
        options.append(f"settings={settings_source(dict(table.settings), env_prefix)}")
    if engine is not None:
        options.append(f"engine={engine}")
    if table.indexes:
        options.append("indexes=[" + ", ".join(
            f"TableIndex(name={i.name!r}, expression={i.expression!r}, type={i.type!r}, "
            f"arguments={list(i.arguments)!r}, granularity={i.granularity!r})" for i in table.indexes) + "]")
    if table.projections:
        options.append("projections=[" + ", ".join(
            f"TableProjection(name={p.name!r}, body={p.body!r})" for p in table.projections) + "]")
    return options


def _call(head: str, arguments: Sequence[str], indent: str = "    ") -> list[str]:
    """``head(`` one argument a line ``)``."""
    return [f"{head}(", *(f"{indent}{argument}," for argument in arguments), ")"]


@attrs.define
class DeclarationModule:
    """A Python module being written: add resources, then take its :meth:`source`.

    :param dialect: the OLAP backend's dialect (writes the exact column types).
    :param default_database: resources in this database are declared without ``database=`` (they follow the
        project's default); None keeps every resource's ``database`` as it is.
    :param life_cycle: the lifecycle every table and materialized view is declared with (views have none).
    :param model_prefix: put before every schema class's name (``Retained``).
    """

    dialect: Dialect
    default_database: str | None = None
    life_cycle: LifeCycle = LifeCycle.FULLY_MANAGED
    model_prefix: str = ""
    _names: set[str] = attrs.field(factory=lambda: set(_TAKEN))
    _models: dict[tuple[str, ...], str] = attrs.field(factory=dict)
    _model_lines: list[str] = attrs.field(factory=list)
    _lines: list[str] = attrs.field(factory=list)
    _variables: dict[tuple[str | None, str], tuple[str, str | None]] = attrs.field(factory=dict)
    """(database as declared, name) → (variable, schema class; None for views)."""

    def _name(self, wanted: str) -> str:
        name = wanted if wanted[:1].isalpha() or wanted[:1] == "_" else f"_{wanted}"
        if keyword.iskeyword(name) or name in self._names:
            number = 2
            while f"{name}_{number}" in self._names:
                number += 1
            name = f"{name}_{number}"
        self._names.add(name)
        return name

    def _database(self, database: str | None) -> str | None:
        return None if database is not None and database == self.default_database else database

    def _model(self, table: Table) -> str:
        taken: set[str] = set()
        fields = tuple(_column_line(column, index, taken, self.dialect)
                       for index, column in enumerate(table.columns)) or ("    pass",)
        model = self._models.get(fields)
        if model is None:
            camel = "".join(part.capitalize() for part in slug(table.name).split("_"))
            model = self._name(self.model_prefix + camel)
            self._models[fields] = model
            self._model_lines += ["", "", f"class {model}(BaseModel):", *fields]
        return model

    def variable(self, database: str | None, name: str) -> str | None:
        """The variable of the table or view ``name`` in ``database`` (as given to :meth:`add_table` or
        :meth:`add_view`), or None when it was not added."""
        found = self._variables.get((self._database(database), name))
        return None if found is None else found[0]

    def add_table(self, table: Table, *, logical_name: str | None = None, comment: str | None = None) -> str:
        """Declare ``table``; ``logical_name``: the name to declare (default: ``table.name``; a versioned table's
        name without its suffix). An engine without a declaration class is left out, with a comment saying so
        (the declaration then reads back with the default engine). Returns the table's variable."""
        model = self._model(table)
        engine: str | None = None
        notes = [comment] if comment else []
        env_prefix = env_name(table.database or self.default_database or "", table.name)
        if has_declaration_class(table.engine):
            engine = engine_source(table.engine, env_prefix=env_prefix)
        else:
            notes.append(f"engine {self.dialect.render_engine(table.engine)} has no declaration class: left as the "
                         "server has it")
        database = self._database(table.database)
        variable = self._name(slug(logical_name or table.name))
        options = _table_options(table, engine, self.life_cycle, database, env_prefix)
        self._lines += ["", *(f"# {note}" for note in notes),
                        f"{variable} = OlapTable[{model}](",
                        f"    {logical_name or table.name!r},",
                        *_call("    OlapConfig", options, indent="        ")[:-1], "    ),", ")"]
        self._variables[(database, table.name)] = (variable, model)
        return variable

    def _references(self, sql: str, own: tuple[str | None, str]) -> list[str]:
        """Variables of the tables and views added so far that ``sql`` names (as a whole word or quoted): the
        ``base_tables``/``select_tables`` that order creation."""
        found: list[str] = []
        for (database, name), (variable, _model) in self._variables.items():
            if (database, name) == own or name not in sql:
                continue
            quoted = self.dialect.quote_identifier(name)
            if quoted in sql or re.search(rf"(?<![\w.]){re.escape(name)}(?!\w)", sql):
                found.append(variable)
        return found

    def add_view(self, view: View) -> str:
        """Declare the plain view ``view``; returns its variable."""
        database = self._database(view.database)
        variable = self._name(slug(view.name, "view"))
        options = [f"select_statement={view.select_sql!r}"]
        references = self._references(view.select_sql, (database, view.name))
        if references:
            options.append(f"base_tables=[{', '.join(references)}]")
        if database is not None:
            options.append(f"database={database!r}")
        self._lines += ["", f"{variable} = View(", f"    {view.name!r},", *_call("    ViewConfig", options,
                                                                                  indent="        ")[:-1],
                        "    ),", ")"]
        self._variables[(database, view.name)] = (variable, None)
        return variable

    def add_materialized_view(self, view: MaterializedView) -> str:
        """Declare ``view``, which must live in the default database and write into a table added before.

        :raises ValueError: the view is in another database, or its target table was not added.
        """
        if self._database(view.database) is not None:
            raise ValueError(f"materialized view {view.name!r} is not in the default database")
        target = self._variables.get((self._database(view.target_database or view.database), view.target_table))
        if target is None or target[1] is None:
            raise ValueError(f"materialized view {view.name!r}: its target table {view.target_table!r} is not "
                             "declared")
        variable = self._name(slug(view.name, "view"))
        options = [f"select_statement={view.select_sql!r}"]
        references = self._references(view.select_sql, (None, view.target_table))
        if references:
            options.append(f"select_tables=[{', '.join(references)}]")
        options.append(f"materialized_view_name={view.name!r}")
        options += _life_cycle_option(self.life_cycle)
        self._lines += ["", f"{variable} = MaterializedView[{target[1]}](",
                        *_call("    MaterializedViewOptions", options, indent="        ")[:-1], "    ),",
                        f"    target_table={target[0]},", ")"]
        return variable

    def add_dictionary(self, dictionary: Dictionary) -> str:
        """Declare ``dictionary`` (Moose's encoding read from the database: columns, key, source, layout,
        lifetime); a table source must be a table added before. Returns its variable.

        :raises ValueError: the declaration API cannot say it (the reason).
        """
        encoding = dictionary.encoding
        nullable_columns = [str(c.get("name")) for c in encoding.get("columns") or []
                            if str(c.get("typeString", "")).startswith("Nullable(")]
        if nullable_columns:
            raise ValueError(f"its column {nullable_columns[0]} is Nullable, which an OlapDictionary row model "
                             "cannot declare (an Optional field is rendered without Nullable)")
        database = self._database(dictionary.database)
        life_cycle = _life_cycle_option(self.life_cycle)
        options = dictionary_options(
            encoding, database=database, life_cycle=life_cycle[0].split("=", 1)[1] if life_cycle else None,
            table_variable=self.variable, references=lambda sql: self._references(sql, (database, dictionary.name)),
            env_prefix=env_name(dictionary.database or self.default_database or "", dictionary.name))
        columns = []
        for column in encoding.get("columns") or []:
            columns.append(Column(name=str(column["name"]),
                                  data_type=self.dialect.parse_type(str(column["typeString"]))))
        model = self._model(Table(name=dictionary.name, columns=tuple(columns)))
        variable = self._name(slug(dictionary.name, "dictionary"))
        self._lines += ["", f"{variable} = OlapDictionary[{model}](", f"    {dictionary.name!r},",
                        *_call("    OlapDictionaryConfig", options, indent="        ")[:-1], "    ),", ")"]
        return variable

    def source(self, docstring: Iterable[str]) -> str:
        """The module's text: ``docstring`` (its lines), the imports it needs, the schema classes, the
        declarations."""
        body = "\n".join((*self._model_lines, *self._lines))
        runtime_env = [RUNTIME_ENV_IMPORT] if "moose_runtime_env.get(" in body else []
        used = sorted(name for name in _API if re.search(rf"\b{name}[(\[.]", body))
        pydantic = "BaseModel, Field" if re.search(r"\bField\(", body) else "BaseModel"
        lines = [line.replace("\\", "\\\\").replace('"""', '\\"\\"\\"') for line in docstring]
        header = ['"""' + lines[0], *lines[1:], '"""', ""] if lines else []
        return "\n".join([
            *header,
            "from typing import Annotated, Any, Optional",
            "",
            f"from pydantic import {pydantic}",
            "",
            f"from muskox import {', '.join(used)}",
            *runtime_env,
            *self._model_lines,
            "",
            *self._lines,
            "",
        ])
