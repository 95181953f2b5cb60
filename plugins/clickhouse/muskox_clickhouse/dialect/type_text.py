"""ClickHouse's type syntax: :mod:`muskox.model.types` values rendered to and parsed from their text.

``parse_type("LowCardinality(Nullable(String))")`` gives ``LowCardinality(Nullable(Simple("String")))`` and
``render_type`` gives the text back in the form ``system.columns`` shows.
"""

from __future__ import annotations

import functools
import re

import attrs

from muskox.model.types import (
    AggregateFunction,
    Array,
    DataType,
    DateTime,
    DateTime64,
    Decimal,
    Enum,
    EnumMember,
    FixedString,
    Json,
    JsonTypedPath,
    LowCardinality,
    Map,
    Nested,
    Nullable,
    Raw,
    Simple,
    SimpleAggregateFunction,
    Tuple,
    TupleElement,
    TypeSyntaxError,
)
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.sql_lexer import unescape

__all__ = ["parse_type", "render_type"]

_DECIMAL_SIZES = {"Decimal32": 9, "Decimal64": 18, "Decimal128": 38, "Decimal256": 76}
_ALIASES = {"Boolean": "Bool", "BOOL": "Bool", "TEXT": "String", "VARCHAR": "String", "Object('json')": "JSON"}


# -- rendering ------------------------------------------------------------------------------------------


_PLAIN_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def _element_name(name: str) -> str:
    return name if _PLAIN_NAME.match(name) else quote_identifier(name)


def render_type(data_type: DataType) -> str:
    """The ClickHouse text of a type, in the form the server prints it."""
    match data_type:
        case Simple(name):
            return name
        case FixedString(length):
            return f"FixedString({length})"
        case Decimal(precision, scale):
            return f"Decimal({precision}, {scale})"
        case DateTime(timezone):
            return "DateTime" if timezone is None else f"DateTime({quote_string(timezone)})"
        case DateTime64(precision, timezone):
            tz = "" if timezone is None else f", {quote_string(timezone)}"
            return f"DateTime64({precision}{tz})"
        case Enum(bits, members):
            body = ", ".join(f"{quote_string(m.name)} = {m.value}" for m in members)
            return f"Enum{bits}({body})"
        case Array(element):
            return f"Array({render_type(element)})"
        case Nullable(inner):
            return f"Nullable({render_type(inner)})"
        case LowCardinality(inner):
            return f"LowCardinality({render_type(inner)})"
        case Map(key, value):
            return f"Map({render_type(key)}, {render_type(value)})"
        case Tuple(elements):
            return "Tuple(" + ", ".join(
                render_type(e.type) if e.name is None else f"{_element_name(e.name)} {render_type(e.type)}"
                for e in elements) + ")"
        case Nested(fields):
            return "Nested(" + ", ".join(f"{_element_name(f.name or '')} {render_type(f.type)}" for f in fields) + ")"
        case Json():
            return _render_json(data_type)
        case AggregateFunction(function, arguments):
            return f"AggregateFunction({', '.join([function, *map(render_type, arguments)])})"
        case SimpleAggregateFunction(function, arguments):
            return f"SimpleAggregateFunction({', '.join([function, *map(render_type, arguments)])})"
        case Raw(text):
            return text
    raise TypeError(f"not a data type: {data_type!r}")


def _render_json(data_type: Json) -> str:
    options: list[str] = []
    if data_type.max_dynamic_paths is not None:
        options.append(f"max_dynamic_paths={data_type.max_dynamic_paths}")
    if data_type.max_dynamic_types is not None:
        options.append(f"max_dynamic_types={data_type.max_dynamic_types}")
    options += [f"{_json_path(p.path)} {render_type(p.type)}" for p in data_type.typed_paths]
    options += [f"SKIP {_json_path(p)}" for p in data_type.skip_paths]
    options += [f"SKIP REGEXP {quote_string(r)}" for r in data_type.skip_regexps]
    return f"JSON({', '.join(options)})" if options else "JSON"


def _json_path(path: str) -> str:
    return ".".join(_element_name(part) for part in path.split("."))


# -- parsing --------------------------------------------------------------------------------------------

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<quoted>`(?:[^`\\]|\\.)*`)|(?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)|(?P<punct>[(),=.]))"
)


@attrs.define
class _Token:
    kind: str
    text: str
    start: int


def _unescape(body: str) -> str:
    """Decode a literal's backslash escapes exactly as the SQL lexer does (one decoder for both)."""
    return unescape(body)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise TypeSyntaxError(
                f"cannot parse ClickHouse type {text!r} at position {position}",
                "write the type as ClickHouse prints it, e.g. Array(Nullable(String))",
            )
        kind = match.lastgroup or "punct"
        tokens.append(_Token(kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.index = 0

    def error(self, expected: str) -> TypeSyntaxError:
        where = self.tokens[self.index].start if self.index < len(self.tokens) else len(self.text)
        return TypeSyntaxError(
            f"cannot parse ClickHouse type {self.text!r}: expected {expected} at position {where}",
            "write the type as ClickHouse prints it, e.g. Map(String, UInt64)",
        )

    def peek(self, offset: int = 0) -> _Token | None:
        index = self.index + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self, kind: str | None = None, text: str | None = None) -> _Token:
        token = self.peek()
        if token is None or (kind and token.kind != kind) or (text and token.text != text):
            raise self.error(repr(text) if text else (kind or "more input"))
        self.index += 1
        return token

    def accept(self, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == "punct" and token.text == text:
            self.index += 1
            return True
        return False

    def parse(self) -> DataType:
        data_type = self.parse_type()
        if self.peek() is not None:
            raise self.error("end of type")
        return data_type

    def raw_until_close(self, start: int) -> str:
        """Skip balanced tokens up to the matching ')' and return the source text of the arguments."""
        depth = 0
        while True:
            token = self.take()
            if token.kind == "punct" and token.text == "(":
                depth += 1
            elif token.kind == "punct" and token.text == ")":
                if depth == 0:
                    return self.text[start:token.start].strip()
                depth -= 1

    def parse_type(self) -> DataType:
        name_token = self.take("word")
        name = _ALIASES.get(name_token.text, name_token.text)
        if not self.accept("("):
            if name == "DateTime":
                return DateTime()
            if name == "JSON":
                return Json()
            return Simple(name)
        handler = getattr(self, f"parse_{name}", None)
        if name in _DECIMAL_SIZES:
            scale = int(self.take("number").text)
            self.take("punct", ")")
            return Decimal(_DECIMAL_SIZES[name], scale)
        if name in ("Enum8", "Enum16"):
            return self.parse_enum(int(name[4:]))
        if name in ("AggregateFunction", "SimpleAggregateFunction"):
            return self.parse_aggregate(name)
        if handler is None:
            start = self.tokens[self.index - 1].start
            args = self.raw_until_close(start + 1)
            return Raw(f"{name}({args})")
        result: DataType = handler()
        return result

    def parse_Array(self) -> DataType:  # noqa: N802 - named after the ClickHouse type
        element = self.parse_type()
        self.take("punct", ")")
        return Array(element)

    def parse_Nullable(self) -> DataType:  # noqa: N802
        inner = self.parse_type()
        self.take("punct", ")")
        return Nullable(inner)

    def parse_LowCardinality(self) -> DataType:  # noqa: N802
        inner = self.parse_type()
        self.take("punct", ")")
        return LowCardinality(inner)

    def parse_Map(self) -> DataType:  # noqa: N802
        key = self.parse_type()
        self.take("punct", ",")
        value = self.parse_type()
        self.take("punct", ")")
        return Map(key, value)

    def parse_FixedString(self) -> DataType:  # noqa: N802
        length = int(self.take("number").text)
        self.take("punct", ")")
        return FixedString(length)

    def parse_Decimal(self) -> DataType:  # noqa: N802
        precision = int(self.take("number").text)
        scale = int(self.take("number").text) if self.accept(",") else 0
        self.take("punct", ")")
        return Decimal(precision, scale)

    def parse_DateTime(self) -> DataType:  # noqa: N802
        timezone = _unescape(self.take("string").text[1:-1])
        self.take("punct", ")")
        return DateTime(timezone)

    def parse_DateTime64(self) -> DataType:  # noqa: N802
        precision = int(self.take("number").text)
        timezone = _unescape(self.take("string").text[1:-1]) if self.accept(",") else None
        self.take("punct", ")")
        return DateTime64(precision, timezone)

    def parse_enum(self, bits: int) -> DataType:
        members: list[EnumMember] = []
        while True:
            name = _unescape(self.take("string").text[1:-1])
            self.take("punct", "=")
            members.append(EnumMember(name, int(self.take("number").text)))
            if not self.accept(","):
                break
        self.take("punct", ")")
        return Enum(bits, tuple(members))

    def element_name(self) -> str | None:
        """A leading element name (``name Type``), or None when the element is just a type."""
        token, following = self.peek(), self.peek(1)
        if token is None or following is None:
            return None
        if token.kind == "quoted":
            self.index += 1
            return _unescape(token.text[1:-1])
        if token.kind == "word" and following.kind in ("word", "quoted"):
            self.index += 1
            return token.text
        return None

    def parse_elements(self) -> tuple[TupleElement, ...]:
        elements: list[TupleElement] = []
        while True:
            name = self.element_name()
            elements.append(TupleElement(name, self.parse_type()))
            if not self.accept(","):
                break
        self.take("punct", ")")
        return tuple(elements)

    def parse_Tuple(self) -> DataType:  # noqa: N802
        return Tuple(self.parse_elements())

    def parse_Nested(self) -> DataType:  # noqa: N802
        fields = self.parse_elements()
        if any(f.name is None for f in fields):
            raise self.error("named fields in Nested(...)")
        return Nested(fields)

    def parse_JSON(self) -> DataType:  # noqa: N802
        max_paths: int | None = None
        max_types: int | None = None
        typed: list[JsonTypedPath] = []
        skips: list[str] = []
        regexps: list[str] = []
        if self.accept(")"):
            return Json()
        while True:
            token = self.peek()
            following = self.peek(1)
            if token and token.kind == "word" and following and following.text == "=":
                self.index += 2
                value = int(self.take("number").text)
                if token.text == "max_dynamic_paths":
                    max_paths = value
                elif token.text == "max_dynamic_types":
                    max_types = value
                else:
                    raise self.error("max_dynamic_paths or max_dynamic_types")
            elif token and token.kind == "word" and token.text == "SKIP":
                self.index += 1
                after = self.peek()
                if after and after.kind == "word" and after.text == "REGEXP":
                    self.index += 1
                    regexps.append(_unescape(self.take("string").text[1:-1]))
                else:
                    skips.append(self.json_path())
            else:
                path = self.json_path()
                typed.append(JsonTypedPath(path, self.parse_type()))
            if not self.accept(","):
                break
        self.take("punct", ")")
        return Json(max_paths, max_types, tuple(typed), tuple(skips), tuple(regexps))

    def json_path(self) -> str:
        parts: list[str] = []
        while True:
            token = self.take()
            if token.kind == "quoted":
                parts.append(_unescape(token.text[1:-1]))
            elif token.kind == "word":
                parts.extend(token.text.split("."))
            else:
                raise self.error("a JSON path")
            if not self.accept("."):
                return ".".join(parts)

    def parse_aggregate(self, name: str) -> DataType:
        function_token = self.take("word")
        function = function_token.text
        if self.accept("("):
            params = self.raw_until_close(self.tokens[self.index - 1].start + 1)
            function = f"{function}({params})"
        arguments: list[DataType] = []
        while self.accept(","):
            arguments.append(self.parse_type())
        self.take("punct", ")")
        if name == "AggregateFunction":
            return AggregateFunction(function, tuple(arguments))
        return SimpleAggregateFunction(function, tuple(arguments))


@functools.lru_cache(maxsize=4096)
def parse_type(text: str) -> DataType:
    """Parse ClickHouse type syntax (as in ``system.columns.type`` or a CREATE statement); cached, as types are
    immutable and a schema repeats a few of them many times."""
    return _Parser(text.strip()).parse()
