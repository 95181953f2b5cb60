"""Parse the ``create_table_query`` of ``system.tables`` into its clauses.

ClickHouse stores a table's definition as one formatted ``CREATE`` statement. The system tables give columns,
keys and indexes cleanly, but not everything: engine parameters, the table and column TTLs, the SETTINGS
clause, the explicit PRIMARY KEY clause and a materialized view's ``TO`` target are read from this text.
Expressions are kept as the server wrote them (the source text of their tokens); names are decoded.

The parser is tolerant: a clause it does not recognise is skipped, never an error, because the statement
comes from a server that already accepted it.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import attrs

from muskox.model.engines import (
    INTEGRATION_SECRETS,
    AggregatingMergeTree,
    CollapsingMergeTree,
    Engine,
    MergeTree,
    OtherEngine,
    ReplacingMergeTree,
    Replication,
    SummingMergeTree,
    VersionedCollapsingMergeTree,
)
from muskox_clickhouse.dialect.sql_lexer import Token, matching_close, source_text, split_top_level, tokenize

__all__ = ["ParsedColumn", "ParsedCreate", "ParsedIndex", "TableClauses", "parse_create", "parse_engine",
           "parse_engine_full"]

_TABLE_CLAUSES = {
    ("ENGINE",): "engine", ("PARTITION", "BY"): "partition_by", ("PRIMARY", "KEY"): "primary_key",
    ("ORDER", "BY"): "order_by", ("SAMPLE", "BY"): "sample_by", ("TTL",): "ttl", ("SETTINGS",): "settings",
    ("COMMENT",): "comment", ("AS",): "as_select",
}
_CLAUSES_BY_FIRST_WORD: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _words, _clause in _TABLE_CLAUSES.items():
    _CLAUSES_BY_FIRST_WORD.setdefault(_words[0], []).append((_words, _clause))
_COLUMN_KEYWORDS = ("NULL", "NOT", "DEFAULT", "MATERIALIZED", "EPHEMERAL", "ALIAS", "COMMENT", "CODEC", "TTL",
                    "STATISTICS", "PRIMARY", "SETTINGS")


@attrs.frozen(kw_only=True)
class ParsedColumn:
    """One column definition as written in the statement."""

    name: str
    type: str
    default_kind: str | None = None
    default_expression: str | None = None
    comment: str | None = None
    codec: str | None = None
    ttl: str | None = None


@attrs.frozen(kw_only=True)
class ParsedIndex:
    """``INDEX name expression TYPE type GRANULARITY n``."""

    name: str
    expression: str
    type: str
    granularity: int


@attrs.frozen(kw_only=True)
class TableClauses:
    """What follows the column list: ``ENGINE = … PARTITION BY … SETTINGS … COMMENT … AS …`` (None: absent)."""

    engine: str | None = None
    """The engine's name (decoded: ``Null``, not ```Null```)."""
    engine_arguments: str | None = None
    """The text inside the engine's parentheses; None when it has none."""
    partition_by: str | None = None
    primary_key: str | None = None
    order_by: str | None = None
    sample_by: str | None = None
    ttl: str | None = None
    settings: dict[str, str] = attrs.field(factory=dict)
    """Values decoded: ``'x'`` gives ``x``, numbers and words as written."""
    comment: str | None = None
    as_select: str | None = None
    """A view's query (everything after ``AS``)."""


@attrs.frozen(kw_only=True)
class ParsedCreate:
    """The parts of one ``CREATE`` statement (missing parts are None or empty)."""

    kind: str
    """``TABLE``, ``VIEW``, ``MATERIALIZED VIEW``, ``DICTIONARY``, …"""
    database: str | None
    name: str
    columns: tuple[ParsedColumn, ...] = ()
    indexes: tuple[ParsedIndex, ...] = ()
    projections: tuple[tuple[str, str], ...] = ()
    """(name, body) pairs."""
    constraints: tuple[tuple[str, str, str], ...] = ()
    """(name, ``CHECK`` or ``ASSUME``, expression) triples."""
    to_database: str | None = None
    to_table: str | None = None
    """A materialized view's ``TO`` target."""
    clauses: TableClauses = attrs.field(factory=TableClauses)


def _qualified_name(tokens: list[Token], position: int) -> tuple[str | None, str, int]:
    """``db.name`` or ``name`` at ``position``: (database, name, position after it)."""
    first = tokens[position]
    if position + 2 < len(tokens) and tokens[position + 1].is_punct("."):
        return first.value, tokens[position + 2].value, position + 3
    return None, first.value, position + 1


class _Reader:
    def __init__(self, text: str, tokens: list[Token] | None = None) -> None:
        self.text = text
        self.tokens = tokenize(text) if tokens is None else tokens
        self.index = 0

    def peek(self, offset: int = 0) -> Token | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def accept(self, *words: str) -> bool:
        """Consume the words if the next tokens are exactly them."""
        for offset, word in enumerate(words):
            token = self.peek(offset)
            if token is None or not token.is_word(word):
                return False
        self.index += len(words)
        return True

    def text_of(self, tokens: list[Token]) -> str:
        return source_text(self.text, tokens)


def parse_create(text: str) -> ParsedCreate:
    """Parse a ``CREATE TABLE | VIEW | MATERIALIZED VIEW | DICTIONARY …`` statement as ClickHouse stores it."""
    reader = _Reader(text)
    reader.accept("CREATE")
    reader.accept("OR", "REPLACE")
    reader.accept("TEMPORARY")
    kind_words: list[str] = []
    while (token := reader.peek()) is not None and token.is_word(
            "TABLE", "VIEW", "MATERIALIZED", "LIVE", "WINDOW", "DICTIONARY", "DATABASE", "FUNCTION"):
        kind_words.append(token.text.upper())
        reader.index += 1
    reader.accept("IF", "NOT", "EXISTS")
    database, name, reader.index = _qualified_name(reader.tokens, reader.index)
    fields: dict[str, object] = {"kind": " ".join(kind_words) or "TABLE", "database": database, "name": name}

    rest = reader.tokens[reader.index:]
    # the elements list: the first top-level parenthesis before ENGINE / AS
    position = 0
    while position < len(rest):
        token = rest[position]
        if token.is_punct("("):
            close = matching_close(rest, position)
            _elements(reader, rest[position + 1:close], fields)
            position = close + 1
            break
        if token.is_word("ENGINE", "AS"):
            break
        if token.is_word("TO") and position + 1 < len(rest):
            fields["to_database"], fields["to_table"], position = _qualified_name(rest, position + 1)
            continue
        position += 1
    fields["clauses"] = _clauses(reader, rest[position:])
    return ParsedCreate(**fields)  # type: ignore[arg-type]


#: What ``engine_full`` is cut at: string literals and quoted names (skipped), brackets (depth) and the clause
#: keywords as the server prints them (upper case, between spaces).
_ENGINE_FULL_CUTS = re.compile(
    r"""'(?:[^'\\]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\]|\\.)*"|[()\[\]{}]"""
    r"|(?<= )(PARTITION BY|PRIMARY KEY|ORDER BY|SAMPLE BY|TTL|SETTINGS|COMMENT)(?= )")
_ENGINE_FULL_CLAUSES = {"PARTITION BY": "partition_by", "PRIMARY KEY": "primary_key", "ORDER BY": "order_by",
                        "SAMPLE BY": "sample_by", "TTL": "ttl", "SETTINGS": "settings", "COMMENT": "comment"}


def parse_engine_full(engine_full: str) -> TableClauses:
    """The clauses of a table from ``system.tables.engine_full`` (``MergeTree PARTITION BY … SETTINGS …``).

    Much cheaper than :func:`parse_create` (introspection reads thousands of these): the text is cut at its
    top-level clause keywords with one regular expression, and only the SETTINGS clause is tokenized. It gives
    the same clauses as :func:`parse_create` gives for the statement, without the column list.
    """
    cuts: list[tuple[int, int, str]] = []
    depth = 0
    for match in _ENGINE_FULL_CUTS.finditer(engine_full):
        keyword = match.group(1)
        if keyword is not None:
            if depth == 0:
                cuts.append((match.start(), match.end(), keyword))
        elif match.group() in _OPENING:
            depth += 1
        elif match.group() in _CLOSING:
            depth -= 1
    fields: dict[str, object] = {}
    engine = engine_full[:cuts[0][0]] if cuts else engine_full
    name, parenthesis, arguments = engine.strip().partition("(")
    fields["engine"] = tokenize(name)[0].value if name.startswith(("`", '"')) else name.strip()
    if parenthesis:
        fields["engine_arguments"] = arguments.rstrip()[:-1].strip()
    for number, (_, end, keyword) in enumerate(cuts):
        body = engine_full[end:cuts[number + 1][0] if number + 1 < len(cuts) else len(engine_full)].strip()
        clause = _ENGINE_FULL_CLAUSES[keyword]
        if clause == "settings":
            fields["settings"] = _plain_settings(body)
        elif clause == "comment":
            tokens = tokenize(body)
            if tokens and tokens[0].kind == "string":
                fields["comment"] = tokens[0].value
        else:
            fields[clause] = body or None
    return TableClauses(**fields)  # type: ignore[arg-type]


def _elements(reader: _Reader, tokens: list[Token], fields: dict[str, object]) -> None:
    columns: list[ParsedColumn] = []
    indexes: list[ParsedIndex] = []
    projections: list[tuple[str, str]] = []
    constraints: list[tuple[str, str, str]] = []
    for element in split_top_level(tokens):
        if not element:
            continue
        head = element[0]
        if head.is_word("INDEX") and len(element) > 2:
            index = _index(reader, element[1:])
            if index is not None:
                indexes.append(index)
        elif head.is_word("PROJECTION") and len(element) > 2 and element[2].is_punct("("):
            close = matching_close(element, 2)
            projections.append((element[1].value, reader.text_of(element[3:close])))
        elif head.is_word("CONSTRAINT"):
            if len(element) > 3 and element[2].is_word("CHECK", "ASSUME"):
                constraints.append((element[1].value, element[2].text.upper(), reader.text_of(element[3:])))
        elif head.is_name:
            columns.append(_column(reader, element))
    fields.update(columns=tuple(columns), indexes=tuple(indexes), projections=tuple(projections),
                  constraints=tuple(constraints))


def _depth_zero_cuts(tokens: list[Token], is_cut: Callable[[list[Token], int], bool]) -> list[int]:
    cuts: list[int] = []
    depth = 0
    for position, token in enumerate(tokens):
        if token.is_punct("(", "[", "{"):
            depth += 1
        elif token.is_punct(")", "]", "}"):
            depth -= 1
        elif depth == 0 and is_cut(tokens, position):
            cuts.append(position)
    return cuts


def _index(reader: _Reader, tokens: list[Token]) -> ParsedIndex | None:
    name = tokens[0].value
    cuts = _depth_zero_cuts(tokens, lambda ts, i: ts[i].is_word("TYPE", "GRANULARITY"))
    type_at = next((c for c in cuts if tokens[c].is_word("TYPE")), None)
    if type_at is None:
        return None
    granularity_at = next((c for c in cuts if tokens[c].is_word("GRANULARITY")), len(tokens))
    granularity = 1
    if granularity_at + 1 < len(tokens) and tokens[granularity_at + 1].kind == "number":
        granularity = int(tokens[granularity_at + 1].text)
    return ParsedIndex(name=name, expression=reader.text_of(tokens[1:type_at]),
                       type=reader.text_of(tokens[type_at + 1:granularity_at]), granularity=granularity)


def _column(reader: _Reader, tokens: list[Token]) -> ParsedColumn:
    cuts = _depth_zero_cuts(tokens, lambda ts, i: i > 1 and ts[i].is_word(*_COLUMN_KEYWORDS))
    bounds = [*cuts, len(tokens)]
    values: dict[str, str | None] = {}
    for start, end in zip(cuts, bounds[1:], strict=True):
        keyword = tokens[start].text.upper()
        body = tokens[start + 1:end]
        if keyword in ("DEFAULT", "MATERIALIZED", "EPHEMERAL", "ALIAS"):
            values["default_kind"], values["default_expression"] = keyword, reader.text_of(body)
        elif keyword == "COMMENT" and body and body[0].kind == "string":
            values["comment"] = body[0].value
        elif keyword == "CODEC":
            values["codec"] = reader.text_of(tokens[start:end])
        elif keyword == "TTL":
            values["ttl"] = reader.text_of(body)
    type_end = bounds[0]
    return ParsedColumn(name=tokens[0].value, type=reader.text_of(tokens[1:type_end]), **values)


_OPENING = frozenset("([{")
_CLOSING = frozenset(")]}")


def _clause_at(tokens: list[Token], position: int) -> str | None:
    candidates = _CLAUSES_BY_FIRST_WORD.get(tokens[position].text.upper(), ())
    for words, clause in candidates:
        if all(position + k < len(tokens) and tokens[position + k].is_word(w) for k, w in enumerate(words)):
            return clause
    return None


def _clauses(reader: _Reader, tokens: list[Token]) -> TableClauses:
    fields: dict[str, object] = {}
    starts: list[tuple[int, str]] = []
    depth = 0
    for position, token in enumerate(tokens):
        kind = token.kind
        if kind == "punct":
            if token.text in _OPENING:
                depth += 1
            elif token.text in _CLOSING:
                depth -= 1
        elif kind == "word" and depth == 0 and (clause := _clause_at(tokens, position)) is not None:
            if starts and starts[-1][1] == "as_select":
                break  # everything after AS is the query
            starts.append((position, clause))
    for number, (start, clause) in enumerate(starts):
        end = starts[number + 1][0] if number + 1 < len(starts) else len(tokens)
        keyword_width = 1 if clause in ("engine", "ttl", "settings", "comment", "as_select") else 2
        body = tokens[start + keyword_width:end]
        if clause == "engine":
            _engine(reader, body, fields)
        elif clause == "settings":
            fields["settings"] = _settings(reader, body)
        elif clause == "comment":
            if body and body[0].kind == "string":
                fields["comment"] = body[0].value
        elif clause == "as_select":
            fields["as_select"] = source_text(reader.text, tokens[start + 1:]) or None
        else:
            fields[clause] = reader.text_of(body) or None
    return TableClauses(**fields)  # type: ignore[arg-type]


def _engine(reader: _Reader, body: list[Token], fields: dict[str, object]) -> None:
    if body and body[0].is_punct("="):
        body = body[1:]
    if not body:
        return
    fields["engine"] = body[0].value
    if len(body) > 1 and body[1].is_punct("("):
        close = matching_close(body, 1)
        fields["engine_arguments"] = reader.text_of(body[2:close]) if close > 2 else ""


_PLAIN_SETTING = r"[A-Za-z_][A-Za-z0-9_]* = (?:[0-9]+|'[^'\\]*')"
_PLAIN_SETTINGS = re.compile(f"{_PLAIN_SETTING}(?:, {_PLAIN_SETTING})*")
_PLAIN_SETTING_PARTS = re.compile(r"([A-Za-z_][A-Za-z0-9_]*) = (?:([0-9]+)|'([^'\\]*)')")


def _plain_settings(body: str) -> dict[str, str]:
    """A SETTINGS clause's text as :func:`_settings` reads it; the usual shape (names set to whole numbers or to
    strings without escapes, as the server prints them) is read without tokenizing."""
    if _PLAIN_SETTINGS.fullmatch(body):
        return {name: number or text for name, number, text in _PLAIN_SETTING_PARTS.findall(body)}
    reader = _Reader(body)
    return _settings(reader, reader.tokens)


def _settings(reader: _Reader, body: list[Token]) -> dict[str, str]:
    settings: dict[str, str] = {}
    for item in split_top_level(body):
        if len(item) >= 3 and item[0].is_name and item[1].is_punct("="):
            value = item[2:]
            settings[item[0].value] = value[0].value if len(value) == 1 and value[0].kind == "string" \
                else reader.text_of(value)
    return settings


# -- engines --------------------------------------------------------------------------------------------

_MERGE_TREE_NAMES = ("MergeTree", "ReplacingMergeTree", "SummingMergeTree", "AggregatingMergeTree",
                     "CollapsingMergeTree", "VersionedCollapsingMergeTree")


def _name_of(tokens: list[Token]) -> str | None:
    return tokens[0].value if len(tokens) == 1 and tokens[0].is_name else None


def parse_engine(name: str, arguments: str | None) -> Engine:
    """The model engine for ``name(arguments)``: MergeTree-family engines (also ``Replicated*``) as their
    classes, anything else (or a MergeTree written in a shape muskox does not model) as :class:`OtherEngine`."""
    other = OtherEngine(name=name, arguments=arguments)
    if name in INTEGRATION_SECRETS:
        from muskox_clickhouse.dialect.integration_engines import parse_integration_engine

        return parse_integration_engine(name, arguments) or other
    base = name.removeprefix("Replicated")
    if base not in _MERGE_TREE_NAMES:
        return other
    items = split_top_level(tokenize(arguments)) if arguments else []
    replication: Replication | None = None
    if base != name:
        if len(items) >= 2 and all(len(i) == 1 and i[0].kind == "string" for i in items[:2]):
            replication = Replication(keeper_path=items[0][0].value, replica_name=items[1][0].value)
            items = items[2:]
        else:
            replication = Replication()
    names = [_name_of(item) for item in items]
    engine: Engine | None = None
    if base == "MergeTree" and not items:
        engine = MergeTree(replication=replication)
    elif base == "AggregatingMergeTree" and not items:
        engine = AggregatingMergeTree(replication=replication)
    elif base == "ReplacingMergeTree" and len(items) <= 2 and None not in names:
        engine = ReplacingMergeTree(ver=names[0] if names else None, is_deleted=names[1] if len(names) > 1 else None,
                                    replication=replication)
    elif base == "SummingMergeTree" and len(items) <= 1:
        engine = _summing(items[0] if items else [], replication)
    elif base == "CollapsingMergeTree" and len(items) == 1 and names[0] is not None:
        engine = CollapsingMergeTree(sign=names[0], replication=replication)
    elif base == "VersionedCollapsingMergeTree" and len(items) == 2 and None not in names:
        engine = VersionedCollapsingMergeTree(sign=str(names[0]), ver=str(names[1]), replication=replication)
    return other if engine is None else engine


def _summing(tokens: list[Token], replication: Replication | None) -> Engine | None:
    if not tokens:
        return SummingMergeTree(replication=replication)
    if tokens[0].is_punct("(") and matching_close(tokens, 0) == len(tokens) - 1:
        tokens = tokens[1:-1]
    names = [_name_of(item) for item in split_top_level(tokens)]
    if not names or None in names:
        return None
    return SummingMergeTree(columns=tuple(n for n in names if n is not None), replication=replication)
