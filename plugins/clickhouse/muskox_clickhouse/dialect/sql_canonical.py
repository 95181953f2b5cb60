"""Canonical text of ClickHouse expressions, TTLs and queries: the expression layer of the normalization.

ClickHouse stores every expression re-formatted from its syntax tree: ``INTERVAL 30 DAY`` comes back as
``toIntervalDay(30)``, ``a = 1 and b = 2`` as ``(a = 1) AND (b = 2)``, ``x || y`` as ``concat(x, y)``,
`` `order` `` as ``order``, ``'it''s'`` as ``'it\\'s'``, ``1e3`` as ``1000.``. This module parses an expression the
way ClickHouse does (operator precedence, the same rewrites) into a small tree and prints that tree one fixed
way, so code-declared text and server-formatted text of the same expression give the same string.

The printed text is a comparison key. It is valid SQL in the common cases, but muskox always executes the
original, declared text, never this one. Whatever cannot be parsed falls back to a token-level form (quoting,
case of keywords and white space made uniform), so the functions here never raise. They are pure, so their
results are cached (schemas repeat the same codecs, defaults and TTLs across many tables).
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

import attrs

from muskox.model.types import TypeSyntaxError
from muskox_clickhouse.dialect.quoting import quote_identifier, quote_string
from muskox_clickhouse.dialect.sql_lexer import Token, matching_close, split_top_level, tokenize
from muskox_clickhouse.dialect.type_text import parse_type, render_type

__all__ = [
    "canonical_expression",
    "canonical_expression_list",
    "canonical_identifier",
    "canonical_query",
    "canonical_tokens",
    "canonical_ttl",
]

# -- the tree -------------------------------------------------------------------------------------------


@attrs.frozen
class Lit:
    """A literal, already in canonical text (``'a\\'b'``, ``1000.``, ``NULL``, ``true``)."""

    text: str


@attrs.frozen
class Ident:
    """A possibly qualified name: ``a``, ``db.t``, ``t.1``, ``t.*``."""

    parts: tuple[str, ...]


@attrs.frozen
class Call:
    """A function call, ``params`` for parametric aggregates (``quantiles(0.5)(x)``), ``suffix`` (``OVER …``)."""

    name: str
    args: tuple[Node, ...]
    params: tuple[Node, ...] | None = None
    suffix: str = ""
    from_operator: bool = attrs.field(default=False, eq=False)


@attrs.frozen
class Unary:
    """``-x`` or ``NOT x``."""

    op: str
    operand: Node


@attrs.frozen
class Binary:
    """``left op right``."""

    op: str
    left: Node
    right: Node


@attrs.frozen
class Postfix:
    """``x IS NULL`` / ``x IS NOT NULL``."""

    op: str
    operand: Node


@attrs.frozen
class Tup:
    """A tuple literal ``(a, b)``."""

    items: tuple[Node, ...]


@attrs.frozen
class Arr:
    """An array literal ``[a, b]``."""

    items: tuple[Node, ...]


@attrs.frozen
class Index:
    """``base[index]``."""

    base: Node
    index: Node


@attrs.frozen
class Alias:
    """``expr AS name``."""

    expr: Node
    name: str


@attrs.frozen
class Text:
    """Text already canonical (a subquery, a window specification)."""

    text: str


Node = Lit | Ident | Call | Unary | Binary | Postfix | Tup | Arr | Index | Alias | Text

# -- precedence (higher binds tighter) ------------------------------------------------------------------

LAMBDA, TERNARY, OR, AND, NOT, COMPARE, CONCAT, ADD, MULTIPLY, UNARY, POSTFIX, PRIMARY = range(1, 13)

_SYMBOL_OPERATORS: dict[str, tuple[str, int]] = {
    "=": ("=", COMPARE), "==": ("=", COMPARE), "!=": ("!=", COMPARE), "<>": ("!=", COMPARE),
    "<": ("<", COMPARE), ">": (">", COMPARE), "<=": ("<=", COMPARE), ">=": (">=", COMPARE),
    "+": ("+", ADD), "-": ("-", ADD), "*": ("*", MULTIPLY), "/": ("/", MULTIPLY), "%": ("%", MULTIPLY),
    "||": ("||", CONCAT), "->": ("->", LAMBDA), "?": ("?", TERNARY),
}
_WORD_OPERATORS: dict[str, tuple[str, int]] = {
    "AND": ("AND", AND), "OR": ("OR", OR), "MOD": ("%", MULTIPLY), "DIV": ("DIV", MULTIPLY),
    "LIKE": ("LIKE", COMPARE), "ILIKE": ("ILIKE", COMPARE), "IN": ("IN", COMPARE), "IS": ("IS", COMPARE),
    "BETWEEN": ("BETWEEN", COMPARE),
}
_INTERVAL_UNITS = ("NANOSECOND", "MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "WEEK",
                   "MONTH", "QUARTER", "YEAR")
#: Words printed back-quoted when they name a column, so the canonical text stays parseable.
_RESERVED = frozenset({
    "ALL", "AND", "ANY", "ARRAY", "AS", "ASC", "BETWEEN", "BY", "CASE", "CAST", "CROSS", "DATE", "DESC",
    "DISTINCT", "DIV", "ELSE", "END", "EXCEPT", "FALSE", "FINAL", "FROM", "FULL", "GLOBAL", "GROUP", "HAVING",
    "ILIKE", "IN", "INNER", "INTERSECT", "INTERVAL", "IS", "JOIN", "LEFT", "LIKE", "LIMIT", "MOD", "NOT", "NULL",
    "OFFSET", "ON", "OR", "ORDER", "OUTER", "PREWHERE", "RIGHT", "SELECT", "SETTINGS", "THEN", "TIMESTAMP",
    "TRUE", "UNION", "USING", "WHEN", "WHERE", "WITH",
})
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_UINT64_MAX = 2**64 - 1


class _Unparsable(Exception):
    """The tokens are not an expression this parser understands (the caller falls back to token text)."""


# -- small canonical pieces -----------------------------------------------------------------------------


def canonical_identifier(name: str) -> str:
    """A name as canonical text: bare when plain and not a keyword, else back-quoted."""
    if _PLAIN.fullmatch(name) and name.upper() not in _RESERVED:
        return name
    return quote_identifier(name)


def _number(text: str) -> str:
    lowered = text.lower()
    try:
        if lowered.startswith("0x"):
            value = int(lowered, 16)
        elif lowered.startswith("0b"):
            value = int(lowered, 2)
        elif lowered.isdigit():
            value = int(lowered)
        else:
            return _float(float(lowered))
    except ValueError:
        return text
    return str(value) if value <= _UINT64_MAX else _float(float(value))


def _float(value: float) -> str:
    if math.isinf(value) or math.isnan(value):
        return repr(value)
    text = repr(value)
    return text[:-1] if text.endswith(".0") else text  # ClickHouse prints 1000.0 as "1000."


def _type_text(text: str) -> str:
    try:
        return render_type(parse_type(text))
    except TypeSyntaxError:
        return " ".join(text.split())


# -- the parser -----------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, tokens: list[Token], strip_qualifier: str | None) -> None:
        self.tokens = tokens
        self.index = 0
        self.strip_qualifier = strip_qualifier

    # token access
    def peek(self, offset: int = 0) -> Token | None:
        position = self.index + offset
        return self.tokens[position] if position < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise _Unparsable("unexpected end")
        self.index += 1
        return token

    def expect_punct(self, text: str) -> None:
        if not self.take().is_punct(text):
            raise _Unparsable(f"expected {text}")

    def expect_word(self, word: str) -> None:
        if not self.take().is_word(word):
            raise _Unparsable(f"expected {word}")

    def at_word(self, *words: str) -> bool:
        token = self.peek()
        return token is not None and token.is_word(*words)

    def at_punct(self, *texts: str) -> bool:
        token = self.peek()
        return token is not None and token.is_punct(*texts)

    # entry points
    def whole(self) -> Node:
        node = self.item()
        if self.peek() is not None:
            raise _Unparsable("trailing tokens")
        return node

    def whole_item(self) -> Node:
        """An item followed by modifiers this parser does not model (``x DESC``, ``t FINAL``)."""
        node = self.item()
        rest = self.tokens[self.index:]
        self.index = len(self.tokens)
        return Text(render(node) + " " + canonical_tokens(rest)) if rest else node

    def item(self) -> Node:
        """An expression with an optional alias (``expr AS name`` or ``expr name``)."""
        node = self.expression(0)
        if self.at_word("AS"):
            self.index += 1
            name = self.take()
            if not name.is_name:
                raise _Unparsable("alias")
            return Alias(node, name.value)
        following = self.peek()
        if following is not None and following.is_name and self.peek(1) is None \
                and following.text.upper() not in _MODIFIERS:
            self.index += 1
            return Alias(node, following.value)
        return node

    # precedence climbing
    def expression(self, min_precedence: int, stop: frozenset[str] = frozenset()) -> Node:
        """An expression of operators binding at least as tightly as ``min_precedence``, not crossing ``stop``."""
        left = self.prefix()
        while True:
            operator = self.infix()
            if operator is None:
                return left
            name, precedence, width = operator
            if precedence < min_precedence or name in stop:
                return left
            self.index += width
            left = self.apply(left, name, precedence)

    def infix(self) -> tuple[str, int, int] | None:
        token = self.peek()
        if token is None:
            return None
        if token.kind == "op" and token.text in _SYMBOL_OPERATORS:
            name, precedence = _SYMBOL_OPERATORS[token.text]
            return name, precedence, 1
        if token.is_punct("[", "."):
            return token.text, POSTFIX, 1
        if token.is_punct("::"):
            return "::", POSTFIX, 1
        if token.kind != "word":
            return None
        word = token.text.upper()
        following = self.peek(1)
        if word == "NOT" and following is not None and following.is_word("LIKE", "ILIKE", "IN", "BETWEEN"):
            return "NOT " + following.text.upper(), COMPARE, 2
        if word == "GLOBAL" and following is not None:
            if following.is_word("IN"):
                return "GLOBAL IN", COMPARE, 2
            if following.is_word("NOT") and (after := self.peek(2)) is not None and after.is_word("IN"):
                return "GLOBAL NOT IN", COMPARE, 3
        if word in _WORD_OPERATORS:
            name, precedence = _WORD_OPERATORS[word]
            return name, precedence, 1
        return None

    def apply(self, left: Node, name: str, precedence: int) -> Node:
        if name == "?":
            then = self.expression(LAMBDA)
            self.expect_punct(":")
            return Call("if", (left, then, self.expression(TERNARY)))
        if name == "->":
            return Binary("->", left, self.expression(LAMBDA))
        if name == "IS":
            negated = self.at_word("NOT")
            self.index += negated
            self.expect_word("NULL")
            return Postfix("IS NOT NULL" if negated else "IS NULL", left)
        if name in ("BETWEEN", "NOT BETWEEN"):
            # ClickHouse reads comparisons into the bounds (x BETWEEN a AND b = c is x <= (b = c)), but not
            # IS NULL or another BETWEEN, which apply to the whole
            low = self.expression(COMPARE, _BETWEEN_STOPS)
            self.expect_word("AND")
            high = self.expression(COMPARE, _BETWEEN_STOPS)
            if name == "BETWEEN":
                return Binary("AND", Binary(">=", left, low), Binary("<=", left, high))
            return Binary("OR", Binary("<", left, low), Binary(">", left, high))
        if name == "[":
            index = self.expression(0)
            self.expect_punct("]")
            return Index(left, index)
        if name == ".":
            return self.member(left)
        if name == "::":
            return Call("CAST", (left, Lit(quote_string(_type_text(self.type_tokens())))))
        right = self.expression(precedence + 1)
        if name == "||":
            args = left.args if isinstance(left, Call) and left.from_operator and left.name == "concat" else (left,)
            return Call("concat", (*args, right), from_operator=True)
        if name == "DIV":
            return Call("intDiv", (left, right))
        return Binary(name, left, right)

    def member(self, left: Node) -> Node:
        token = self.take()
        if not isinstance(left, Ident):
            if token.kind == "number":
                return Call("tupleElement", (left, Lit(_number(token.text))))
            raise _Unparsable("member access")
        if token.kind == "number" or token.is_name or token.is_punct("*"):
            return self.ident((*left.parts, token.value))
        raise _Unparsable("member access")

    def ident(self, parts: tuple[str, ...]) -> Ident:
        if self.strip_qualifier is not None and len(parts) >= 2 and parts[0] == self.strip_qualifier:
            parts = parts[1:]
        return Ident(parts)

    def type_tokens(self) -> str:
        name = self.take()
        if not name.is_name:
            raise _Unparsable("type")
        pieces = [name.value]
        if self.at_punct("("):
            close = matching_close(self.tokens, self.index)
            pieces += [t.text for t in self.tokens[self.index:close + 1]]
            self.index = close + 1
        return " ".join(pieces)

    # prefixes
    def prefix(self) -> Node:
        token = self.take()
        if token.kind == "number":
            return Lit(_number(token.text))
        if token.kind == "string":
            return Lit(quote_string(token.value))
        if token.is_punct("-"):
            operand = self.expression(UNARY)
            if isinstance(operand, Lit) and operand.text[:1].isdigit():
                return Lit(operand.text if operand.text == "0" else "-" + operand.text)  # ClickHouse: -0 is 0
            return Unary("-", operand)
        if token.is_punct("+"):
            return self.expression(UNARY)
        if token.is_punct("("):
            return self.parenthesized()
        if token.is_punct("["):
            return Arr(self.items("]"))
        if token.is_punct("*"):
            return Ident(("*",))
        if token.kind == "word":
            keyword = self.keyword_prefix(token)
            if keyword is not None:
                return keyword
        if token.is_name:
            if self.at_punct("("):
                return self.call(token.value)
            return self.ident((token.value,))
        raise _Unparsable(f"unexpected {token.text!r}")

    def keyword_prefix(self, token: Token) -> Node | None:
        word = token.text.upper()
        following = self.peek()
        calls = following is not None and following.is_punct("(")
        if word == "NOT":
            return Unary("NOT", self.expression(NOT))
        if word == "NULL" and not calls:
            return Lit("NULL")
        if word in ("TRUE", "FALSE") and not calls:
            return Lit(word.lower())
        if word == "CASE":
            return self.case()
        if word == "INTERVAL" and following is not None and not following.is_punct(".", ",", ")"):
            return self.interval()
        if word == "CAST" and calls:
            return self.cast()
        if word in ("DATE", "TIMESTAMP") and following is not None and following.kind == "string":
            self.index += 1
            return Call("toDate" if word == "DATE" else "toDateTime", (Lit(quote_string(following.value)),))
        return None

    def parenthesized(self) -> Node:
        if self.at_word("SELECT", "WITH"):
            close = matching_close(self.tokens, self.index - 1)
            inner = self.tokens[self.index:close]
            self.index = close + 1
            return Text("(" + _query(inner, self.strip_qualifier) + ")")
        start = self.index
        items = self.items(")")
        trailing_comma = self.index - 2 > start and self.tokens[self.index - 2].is_punct(",")
        if len(items) == 1:
            return Call("tuple", items) if trailing_comma else items[0]
        return Tup(items)

    def items(self, close: str) -> tuple[Node, ...]:
        nodes: list[Node] = []
        while not self.at_punct(close):
            nodes.append(self.item())
            if not self.at_punct(","):
                break
            self.index += 1
        self.expect_punct(close)
        return tuple(nodes)

    def call(self, name: str) -> Node:
        self.expect_punct("(")
        distinct = self.at_word("DISTINCT") and self.peek(1) is not None
        if distinct:
            self.index += 1
        args = self.items(")")
        params: tuple[Node, ...] | None = None
        if self.at_punct("("):
            self.index += 1
            params, args = args, self.items(")")
        if distinct:
            name += "Distinct"
        suffix = ""
        if self.at_word("OVER"):
            self.index += 1
            if self.at_punct("("):
                close = matching_close(self.tokens, self.index)
                suffix = " OVER (" + _query(self.tokens[self.index + 1:close], self.strip_qualifier) + ")"
                self.index = close + 1
            else:
                suffix = " OVER " + canonical_identifier(self.take().value)
        return Call(name, args, params, suffix)

    def case(self) -> Node:
        operand = None if self.at_word("WHEN") else self.expression(0)
        branches: list[Node] = []
        while self.at_word("WHEN"):
            self.index += 1
            branches.append(self.expression(0))
            self.expect_word("THEN")
            branches.append(self.expression(0))
        if not branches:
            raise _Unparsable("CASE without WHEN")
        otherwise: Node = Lit("NULL")
        if self.at_word("ELSE"):
            self.index += 1
            otherwise = self.expression(0)
        self.expect_word("END")
        if operand is None:
            return Call("multiIf", (*branches, otherwise))
        return Call("caseWithExpression", (operand, *branches, otherwise))

    def interval(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "string":
            words = token.value.split()
            if len(words) == 2 and (unit := _unit(words[1])) is not None:
                self.index += 1
                return Call("toInterval" + unit, (Lit(_number(words[0])),))
        value = self.expression(UNARY)
        unit_token = self.take()
        unit = _unit(unit_token.text) if unit_token.kind == "word" else None
        if unit is None:
            raise _Unparsable("interval unit")
        return Call("toInterval" + unit, (value,))

    def cast(self) -> Node:
        open_index = self.index
        self.expect_punct("(")
        value = self.expression(0)
        if self.at_word("AS"):
            self.index += 1
            close = matching_close(self.tokens, open_index)
            type_text = " ".join(t.text for t in self.tokens[self.index:close])
            self.index = close
            self.expect_punct(")")
            return Call("CAST", (value, Lit(quote_string(_type_text(type_text)))))
        self.expect_punct(",")
        target = self.expression(0)
        self.expect_punct(")")
        if isinstance(target, Lit) and target.text.startswith("'"):
            type_text = tokenize(target.text)[0].value
            target = Lit(quote_string(_type_text(type_text)))
        return Call("CAST", (value, target))


_BETWEEN_STOPS = frozenset({"IS", "BETWEEN", "NOT BETWEEN"})
#: Words that may follow an item without being an implicit alias.
_MODIFIERS = frozenset({"ASC", "DESC", "NULLS", "FIRST", "LAST", "COLLATE", "WITH", "FINAL", "SAMPLE",
                        "DELETE", "TO", "WHERE", "GROUP", "SET", "RECOMPRESS"})


def _unit(word: str) -> str | None:
    upper = word.upper()
    if upper not in _INTERVAL_UNITS and upper.endswith("S"):
        upper = upper[:-1]
    return upper.capitalize() if upper in _INTERVAL_UNITS else None


# -- printing -------------------------------------------------------------------------------------------


def _precedence(node: Node) -> int:
    match node:
        case Binary(op=op):
            return _BINARY_PRECEDENCE.get(op, COMPARE)
        case Unary(op="-"):
            return UNARY
        case Unary():
            return NOT
        case Postfix():
            return COMPARE
        case Alias():
            return 0
    return PRIMARY


_BINARY_PRECEDENCE = dict((*_SYMBOL_OPERATORS.values(), *_WORD_OPERATORS.values()))
_BINARY_PRECEDENCE.update({"NOT LIKE": COMPARE, "NOT ILIKE": COMPARE, "NOT IN": COMPARE, "GLOBAL IN": COMPARE,
                           "GLOBAL NOT IN": COMPARE})


def _wrap(node: Node, minimum: int) -> str:
    text = render(node)
    return f"({text})" if _precedence(node) < minimum else text


def render(node: Node) -> str:
    """The canonical text of a parsed expression (minimal parentheses, one space around operators)."""
    match node:
        case Lit(text) | Text(text):
            return text
        case Ident(parts):
            return ".".join(p if p == "*" or p.isdigit() else canonical_identifier(p) for p in parts)
        case Call(name, args, params, suffix):
            head = canonical_identifier(name) if not _PLAIN.fullmatch(name) else name
            if params is not None:
                head += "(" + ", ".join(map(render, params)) + ")"
            return head + "(" + ", ".join(map(render, args)) + ")" + suffix
        case Unary("-", operand):
            text = _wrap(operand, UNARY)
            return "-" + (f"({text})" if text.startswith("-") else text)
        case Unary(op, operand):
            return f"{op} {_wrap(operand, NOT + 1)}"
        case Binary("->", left, right):
            return f"{_wrap(left, LAMBDA + 1)} -> {_wrap(right, LAMBDA)}"
        case Binary(op, left, right):
            precedence = _precedence(node)
            return f"{_wrap(left, precedence)} {op} {_wrap(right, precedence + 1)}"
        case Postfix(op, operand):
            return f"{_wrap(operand, COMPARE + 1)} {op}"
        case Tup(items):
            return "(" + ", ".join(map(render, items)) + ")"
        case Arr(items):
            return "[" + ", ".join(map(render, items)) + "]"
        case Index(base, index):
            return f"{_wrap(base, POSTFIX)}[{render(index)}]"
        case Alias(expr, name):
            return f"{render(expr)} AS {canonical_identifier(name)}"
    raise TypeError(f"not an expression node: {node!r}")


# -- token-level fallback -------------------------------------------------------------------------------

_NO_SPACE_BEFORE = frozenset({",", ")", "]", "}", ".", "::"})
_NO_SPACE_AFTER = frozenset({"(", "[", "{", ".", "::"})


def canonical_tokens(tokens: list[Token]) -> str:
    """Token-level canonical text: literals and names re-quoted, keywords upper-cased, uniform spacing."""
    pieces: list[str] = []
    previous: Token | None = None
    for token in tokens:
        if token.kind == "string":
            text = quote_string(token.value)
        elif token.kind == "number":
            text = _number(token.text)
        elif token.kind == "word" and token.text.upper() in _KEYWORDS:
            text = token.text.upper()
        elif token.is_name:
            text = canonical_identifier(token.value)
        else:
            text = {"==": "=", "<>": "!="}.get(token.text, token.text)
        if previous is not None:
            glued = (token.kind in ("punct", "op") and token.text in _NO_SPACE_BEFORE) or (
                previous.kind in ("punct", "op") and previous.text in _NO_SPACE_AFTER) or (
                token.is_punct("(", "[") and previous.is_name and previous.text.upper() not in _KEYWORDS)
            if not glued:
                pieces.append(" ")
        pieces.append(text)
        previous = token
    return "".join(pieces)


_KEYWORDS = _RESERVED | frozenset({
    "ANTI", "ASOF", "BY", "COLLATE", "CUBE", "DELETE", "DISK", "FILL", "FIRST", "FORMAT", "INTERPOLATE", "LAST",
    "NULLS", "OVER", "PARTITION", "QUALIFY", "RECOMPRESS", "ROLLUP", "SEMI", "SET", "STEP", "TIES", "TO",
    "TOTALS", "VOLUME", "WINDOW", *_INTERVAL_UNITS,
})


# -- public entry points --------------------------------------------------------------------------------


def _parse_or_fallback(tokens: list[Token], strip_qualifier: str | None,
                       parse: Callable[[_Parser], Node] = _Parser.whole) -> str:
    if not tokens:
        return ""
    try:
        return render(parse(_Parser(tokens, strip_qualifier)))
    except (_Unparsable, RecursionError):
        return canonical_tokens(tokens)


_CACHE_SIZE = 1 << 16


@functools.lru_cache(maxsize=_CACHE_SIZE)
def canonical_expression(text: str, *, strip_qualifier: str | None = None) -> str:
    """The canonical text of one expression (``ts + INTERVAL 1 DAY`` → ``ts + toIntervalDay(1)``).

    :param strip_qualifier: drop this leading qualifier from names (``db.t`` → ``t`` for ``db``).
    """
    return _parse_or_fallback(tokenize(text), strip_qualifier)


def canonical_expression_list(text: str) -> list[str]:
    """The canonical items of a key clause: ``(a, b)``, ``a, b`` → ``["a", "b"]``; ``tuple()``, ``()`` → ``[]``.

    One parenthesised tuple around the whole clause is unwrapped (ClickHouse's ``ORDER BY (a, b)`` is the
    list ``a, b``); any other single expression is one item.
    """
    return list(_expression_list(text))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _expression_list(text: str) -> tuple[str, ...]:
    tokens = tokenize(text)
    if not tokens:
        return ()
    if tokens[0].is_punct("(") and matching_close(tokens, 0) == len(tokens) - 1:
        tokens = tokens[1:-1]
    elif (len(tokens) == 3 and tokens[0].is_word("TUPLE") and tokens[1].is_punct("(")
          and tokens[2].is_punct(")")):
        return ()
    return tuple(_parse_or_fallback(part, None) for part in split_top_level(tokens))


_TTL_ACTIONS = ("DELETE", "TO", "RECOMPRESS", "WHERE", "GROUP")


@functools.lru_cache(maxsize=_CACHE_SIZE)
def canonical_ttl(text: str) -> str:
    """The canonical text of a TTL clause (without the ``TTL`` keyword).

    Each comma-separated element is ``expression [DELETE | TO DISK … | TO VOLUME … | RECOMPRESS …]
    [WHERE condition] [GROUP BY …]``; the expression and the condition are canonical expressions and the
    default action ``DELETE`` is dropped, as ClickHouse does.
    """
    elements: list[str] = []
    for element in split_top_level(tokenize(text)):
        cut = next((i for i, t in enumerate(element) if i > 0 and t.is_word(*_TTL_ACTIONS)), len(element))
        pieces = [_parse_or_fallback(element[:cut], None)]
        rest = element[cut:]
        if rest and rest[0].is_word("DELETE"):
            rest = rest[1:]
        if rest and rest[0].is_word("WHERE"):
            end = next((i for i, t in enumerate(rest) if t.is_word("GROUP")), len(rest))
            pieces += ["WHERE", _parse_or_fallback(rest[1:end], None)]
            rest = rest[end:]
        if rest:
            pieces.append(canonical_tokens(rest))
        elements.append(" ".join(p for p in pieces if p))
    return ", ".join(elements)


_CLAUSES = frozenset({
    "SELECT", "FROM", "WHERE", "PREWHERE", "HAVING", "LIMIT", "OFFSET", "UNION", "INTERSECT", "EXCEPT", "JOIN",
    "ON", "USING", "SETTINGS", "WITH", "WINDOW", "QUALIFY", "FORMAT",
})
_NEEDS_BY = frozenset({"GROUP", "ORDER", "PARTITION"})
_JOIN_MODIFIERS = frozenset({"INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS", "ASOF", "SEMI", "ANTI", "ARRAY",
                             "GLOBAL", "ANY", "ALL", "PASTE"})
#: Clause words that may directly follow another clause word.
_CONTINUATIONS = {"SELECT": {"DISTINCT", "ALL"}, "UNION": {"ALL", "DISTINCT"}, "GROUP": {"BY"}, "ORDER": {"BY"},
                  "PARTITION": {"BY"}, "LIMIT": {"BY"}, **{m: {"JOIN", *_JOIN_MODIFIERS} for m in _JOIN_MODIFIERS}}


_OPERATOR_WORDS = frozenset({"AND", "OR", "NOT", "IN", "IS", "LIKE", "ILIKE", "BETWEEN", "AS", "CASE", "WHEN",
                             "THEN", "ELSE", "INTERVAL", "DISTINCT", "ALL", "BY", "GLOBAL", "MOD", "DIV"})


def _ends_value(token: Token) -> bool:
    if token.kind in ("number", "string", "quoted"):
        return True
    if token.kind == "word":
        return token.text.upper() not in _OPERATOR_WORDS
    return token.is_punct(")", "]", "*")


def _is_clause_word(tokens: list[Token], index: int, previous_clause: str | None) -> bool:
    """Whether the word at ``index`` starts (or continues) a query clause rather than naming a column.

    ClickHouse prints columns named like keywords bare when unambiguous (``SELECT id, order FROM t``), so a
    clause word must follow a complete value, or continue the clause word just before it (``GROUP BY``,
    ``LEFT ARRAY JOIN``, ``UNION ALL``), and ``ORDER``/``GROUP`` need their ``BY``, join modifiers their ``JOIN``.
    """
    token = tokens[index]
    if token.kind != "word":
        return False
    word = token.text.upper()
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    if following is not None and following.is_punct("(") and word not in ("SELECT", "FROM", "WHERE", "PREWHERE",
                                                                           "HAVING", "ON", "USING", "JOIN"):
        return False  # a function call: left(s, 1), array(1)
    if previous_clause is not None:
        if word in _CONTINUATIONS.get(previous_clause, ()):
            return True
    elif index > 0 and not _ends_value(tokens[index - 1]):
        return False
    if word in _NEEDS_BY:
        return following is not None and following.is_word("BY")
    if word in _JOIN_MODIFIERS:
        return any(t.is_word("JOIN") for t in tokens[index + 1:index + 4])
    return word in _CLAUSES


def _query(tokens: list[Token], strip_qualifier: str | None) -> str:
    pieces: list[str] = []
    segment: list[Token] = []

    def flush() -> None:
        if segment:
            pieces.append(", ".join(_parse_or_fallback(item, strip_qualifier, _Parser.whole_item)
                                    for item in split_top_level(segment)))
            segment.clear()

    index = 0
    previous_clause: str | None = None
    while index < len(tokens):
        token = tokens[index]
        if token.is_punct("(", "[", "{"):
            close = matching_close(tokens, index)
            segment.extend(tokens[index:close + 1])
            index, previous_clause = close + 1, None
            continue
        if _is_clause_word(tokens, index, previous_clause):
            flush()
            previous_clause = token.text.upper()
            pieces.append(previous_clause)
        else:
            segment.append(token)
            previous_clause = None
        index += 1
    flush()
    return " ".join(pieces)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def canonical_query(text: str, *, strip_qualifier: str | None = None) -> str:
    """The canonical text of a SELECT query (a view's query, a projection's body).

    Clause keywords are kept in order; every comma-separated item between them is a canonical expression.
    :param strip_qualifier: drop this database qualifier from names, so ``SELECT … FROM db.t`` (ClickHouse
        qualifies a view's tables when it stores the view) equals ``SELECT … FROM t`` declared in ``db``.
    """
    return _query(tokenize(text), strip_qualifier)
