"""Admin API tokens, in Moose's PBKDF2 scheme (spec section 11), so a token works with either tool.

A token pair is made of 16 random bytes of *token* and 16 random bytes of *salt*, both written as hex:

- the **bearer token** (for clients: ``Authorization: Bearer …``) is ``<token_hex>.<salt_hex>``;
- the **API key hash** (for the server: ``[authentication] admin_api_key``) is the hex of
  PBKDF2-HMAC-SHA256(password = ``token_hex``, salt = ``salt_hex``, 1000 iterations, 20 bytes) — the hex
  *strings* are the password and the salt, not the bytes they encode.

The server keeps only the hash; it checks a bearer token by recomputing the hash from the token's two halves
and comparing in constant time. Nothing here logs or prints a token.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

import attrs

ITERATIONS = 1000
"""PBKDF2 iterations (Moose's value)."""
KEY_BYTES = 20
"""Length of the derived key in bytes (40 hex digits)."""
RANDOM_BYTES = 16
"""Random bytes in the token and in the salt."""
SEPARATOR = "."


@attrs.frozen
class TokenPair:
    """A freshly generated token: the hash for the server and the bearer token for clients."""

    api_key_hash: str = attrs.field(repr=False)
    bearer_token: str = attrs.field(repr=False)


def hash_token(token_hex: str, salt_hex: str) -> str:
    """The API key hash of one token: hex(PBKDF2-HMAC-SHA256(token_hex, salt_hex, 1000, 20 bytes))."""
    derived = hashlib.pbkdf2_hmac("sha256", token_hex.encode("utf-8"), salt_hex.encode("utf-8"), ITERATIONS,
                                  dklen=KEY_BYTES)
    return derived.hex()


def generate_token() -> TokenPair:
    """A new random token pair (from :mod:`secrets`)."""
    token_hex = secrets.token_bytes(RANDOM_BYTES).hex()
    salt_hex = secrets.token_bytes(RANDOM_BYTES).hex()
    return TokenPair(api_key_hash=hash_token(token_hex, salt_hex),
                     bearer_token=f"{token_hex}{SEPARATOR}{salt_hex}")


def verify_bearer_token(bearer_token: str, api_key_hash: str) -> bool:
    """True when ``bearer_token`` (``token_hex.salt_hex``) hashes to ``api_key_hash``.

    The comparison is constant-time (:func:`hmac.compare_digest`); a token without exactly one ``.`` or with
    an empty half is refused after a dummy comparison, so malformed and wrong tokens take about as long.
    """
    token_hex, separator, salt_hex = bearer_token.strip().partition(SEPARATOR)
    well_formed = bool(separator and token_hex and salt_hex and SEPARATOR not in salt_hex)
    computed = hash_token(token_hex, salt_hex) if well_formed else hash_token("", "")
    expected = api_key_hash.strip().lower().encode("utf-8")
    return hmac.compare_digest(computed.encode("ascii"), expected) and well_formed
