"""Credentials masked out of SQL text before it is logged or shown.

:func:`mask_sql` replaces with ``'****'`` the string literals that may hold a secret:

- the value of a ``name = '…'`` pair whose name says it is one (``password``, ``kafka_sasl_password``,
  ``secret_access_key``, ``access_key_id``, ``token``, …), as in engine settings and named-collection arguments;
- ``IDENTIFIED [WITH method] BY '…'`` (users);
- the value of a dictionary source's ``PASSWORD '…'`` or ``SECRET_ACCESS_KEY '…'`` (name, then the literal);
- the credential arguments of engines and table functions that take them positionally: every string
  argument but the first (and but ``NOSIGN``) of the S3/GCS/OSS/Azure family, Iceberg, Delta Lake and Hudi,
  the password argument (the fifth) of ``mysql``, ``postgresql``, ``mongodb``, ``remote``, ``remoteSecure``
  and ``redis``;
- and, anywhere in the text, the password of a ``scheme://user:password@`` URL.

It errs on the side of masking too much: the text is for people to read, never to run.
"""

from __future__ import annotations

from muskox.masking import MASK, mask_text
from muskox_clickhouse.dialect.sql_lexer import Token, matching_close, split_top_level, tokenize

__all__ = ["mask_sql"]

_MASKED = f"'{MASK}'"
_SECRET_WORDS = ("password", "secret", "token", "credential")
_SECRET_NAMES = frozenset({"access_key_id", "aws_access_key_id", "account_key", "api_key", "private_key"})
#: Functions and engines whose string arguments after the first may all be credentials.
_ALL_BUT_FIRST = frozenset({
    "s3", "s3cluster", "s3queue", "gcs", "cosn", "oss", "azureblobstorage", "azureblobstoragecluster", "azurequeue",
    "iceberg", "icebergs3", "icebergazure", "icebergs3cluster", "icebergazurecluster", "deltalake", "deltalakes3",
    "deltalakeazure", "deltalakecluster", "hudi", "hudicluster",
})
#: Functions and engines whose fifth argument is a password.
_FIFTH = frozenset({"mysql", "postgresql", "mongodb", "remote", "remotesecure", "redis", "materializedpostgresql"})
_KEEP = frozenset({"NOSIGN"})


def _is_secret_name(name: str) -> bool:
    lowered = name.lower()
    return lowered in _SECRET_NAMES or any(word in lowered for word in _SECRET_WORDS)


def _secret_strings(tokens: list[Token]) -> set[int]:
    """Indexes of the string tokens to mask."""
    found: set[int] = set()
    for index, token in enumerate(tokens):
        following = tokens[index + 1:index + 3]
        if (token.is_name and len(following) == 2 and following[0].is_punct("=") and following[1].kind == "string"
                and _is_secret_name(token.value)):
            found.add(index + 2)
        elif (token.kind == "word" and index + 1 < len(tokens) and tokens[index + 1].kind == "string"
              and _is_secret_name(token.value)):
            found.add(index + 1)
        elif token.is_word("IDENTIFIED"):
            for offset in range(index + 1, min(index + 6, len(tokens) - 1)):
                if tokens[offset].is_word("BY") and tokens[offset + 1].kind == "string":
                    found.add(offset + 1)
                    break
        elif token.is_name and index + 1 < len(tokens) and tokens[index + 1].is_punct("("):
            found |= _credential_arguments(tokens, index)
    return found


def _credential_arguments(tokens: list[Token], name_index: int) -> set[int]:
    """The string arguments of the call at ``name_index`` that hold credentials."""
    name = tokens[name_index].value.lower()
    if name not in _ALL_BUT_FIRST and name not in _FIFTH:
        return set()
    open_index = name_index + 1
    close_index = matching_close(tokens, open_index)
    inner = tokens[open_index + 1:close_index]
    index_at = {token.start: open_index + 1 + position for position, token in enumerate(inner)}
    arguments = split_top_level(inner)
    chosen = arguments[1:] if name in _ALL_BUT_FIRST else arguments[4:5]
    return {index_at[argument[0].start] for argument in chosen
            if len(argument) == 1 and argument[0].kind == "string" and argument[0].value not in _KEEP}


def mask_sql(sql: str) -> str:
    """``sql`` with the literals that may be credentials replaced by ``'****'`` (see the module's rules)."""
    tokens = tokenize(sql)
    secret = sorted(_secret_strings(tokens))
    if not secret:
        return mask_text(sql)
    pieces: list[str] = []
    position = 0
    for index in secret:
        token = tokens[index]
        pieces += [sql[position:token.start], _MASKED]
        position = token.start + len(token.text)
    pieces.append(sql[position:])
    return mask_text("".join(pieces))
