"""The lexical layer of ClickHouse SQL: text to tokens, with literals and quoted identifiers decoded.

Shared by :mod:`muskox_clickhouse.dialect.normalize` (canonical expressions) and the ClickHouse plugin's parser of
``create_table_query``. The lexer never fails: a character it does not know becomes an ``other`` token, so
callers can always fall back to comparing token streams.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal, NamedTuple

TokenKind = Literal["word", "quoted", "string", "number", "op", "punct", "other"]

_ESCAPES = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "0": "\0", "a": "\a", "v": "\v", "e": "\x1b"}

_SCANNER = re.compile(
    r"""
    (?P<space>\s+|--[^\n]*|/\*.*?(?:\*/|\Z))
    |(?P<string>'(?:[^'\\]|\\.|'')*'?)
    |(?P<quoted>`(?:[^`\\]|\\.|``)*`?|"(?:[^"\\]|\\.|"")*"?)
    |(?P<number>0[xX][0-9a-fA-F]+|0[bB][01]+|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
    |(?P<word>[^\W\d]\w*)
    |(?P<op>->|::|<=|>=|!=|<>|==|\|\||[-+*/%=<>?:!^&|~])
    |(?P<punct>[()\[\]{},.;])
    |(?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


class Token(NamedTuple):
    """One token: ``text`` as written, ``value`` decoded (a string's content, a quoted identifier's name)."""

    kind: TokenKind
    text: str
    value: str
    start: int

    def is_word(self, *words: str) -> bool:
        """True for a bare word equal (case-insensitively) to one of ``words``."""
        return self.kind == "word" and self.text.upper() in words

    def is_punct(self, *texts: str) -> bool:
        """True for punctuation or an operator equal to one of ``texts``."""
        return self.kind in ("punct", "op") and self.text in texts

    @property
    def is_name(self) -> bool:
        """True for a bare word or a quoted identifier (either may name a column)."""
        return self.kind in ("word", "quoted")


def unescape(body: str) -> str:
    """Decode the backslash escapes of a ClickHouse string literal or quoted identifier (without its quotes)."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\" or index + 1 >= len(body):
            out.append(char)
            index += 1
            continue
        following = body[index + 1]
        if following == "x" and re.fullmatch(r"[0-9a-fA-F]{2}", body[index + 2:index + 4]):
            out.append(chr(int(body[index + 2:index + 4], 16)))
            index += 4
            continue
        out.append(_ESCAPES.get(following, following))
        index += 2
    return "".join(out)


def _decode(kind: str, text: str) -> str:
    if kind not in ("string", "quoted"):
        return text
    quote = text[0]
    closed = len(text) >= 2 and text.endswith(quote)
    body = text[1:-1] if closed else text[1:]
    return unescape(body.replace(quote * 2, "\\" + quote))


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` (white space and comments dropped)."""
    tokens: list[Token] = []
    append = tokens.append
    for match in _SCANNER.finditer(text):
        group = match.lastgroup
        if group == "space":
            continue
        kind: TokenKind = group  # type: ignore[assignment]
        piece = match.group()
        start = match.start()
        if kind in ("string", "quoted"):
            append(Token(kind, piece, _decode(kind, piece), start))
        elif kind == "number" and piece[0] == "." and tokens and (
                tokens[-1].is_name or tokens[-1].text in (")", "]")):
            append(Token("punct", ".", ".", start))  # tuple element access: t.1
            append(Token(kind, piece[1:], piece[1:], start + 1))
        else:
            append(Token(kind, piece, piece, start))
    return tokens


def split_top_level(tokens: list[Token], separator: str = ",") -> list[list[Token]]:
    """Split ``tokens`` at ``separator`` punctuation outside any brackets (an empty list gives ``[]``)."""
    if not tokens:
        return []
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.is_punct("(", "[", "{"):
            depth += 1
        elif token.is_punct(")", "]", "}"):
            depth -= 1
        elif depth == 0 and token.is_punct(separator):
            parts.append([])
            continue
        parts[-1].append(token)
    return parts


def matching_close(tokens: list[Token], open_index: int) -> int:
    """The index of the bracket closing the one at ``open_index`` (``len(tokens)`` if it is never closed)."""
    depth = 0
    for index in range(open_index, len(tokens)):
        token = tokens[index]
        if token.is_punct("(", "[", "{"):
            depth += 1
        elif token.is_punct(")", "]", "}"):
            depth -= 1
            if depth == 0:
                return index
    return len(tokens)


def source_text(text: str, tokens: Iterable[Token]) -> str:
    """The original text spanned by ``tokens`` (from the first token's start to the last token's end)."""
    items = list(tokens)
    if not items:
        return ""
    return text[items[0].start:items[-1].start + len(items[-1].text)]
