"""Admin API tokens: Moose's PBKDF2 scheme, checked in constant time."""

from __future__ import annotations

import json
import re

from hypothesis import given
from hypothesis import strategies as st

from muskox.server.tokens import generate_token, hash_token, verify_bearer_token
from tests.conftest import CliRunner

TOKEN = "00112233445566778899aabbccddeeff"
SALT = "ffeeddccbbaa99887766554433221100"
# computed independently with: openssl kdf -keylen 20 -kdfopt digest:SHA256 -kdfopt pass:<TOKEN>
#                              -kdfopt salt:<SALT> -kdfopt iter:1000 PBKDF2
EXPECTED = "d8de8fcd077e81e756e11f0c422463d9e1d4560e"


def test_the_hash_is_pbkdf2_sha256_of_the_hex_strings() -> None:
    assert hash_token(TOKEN, SALT) == EXPECTED
    assert verify_bearer_token(f"{TOKEN}.{SALT}", EXPECTED)
    assert verify_bearer_token(f"{TOKEN}.{SALT}", EXPECTED.upper())  # hex is hex


def test_generated_pairs_have_moose_shapes_and_verify() -> None:
    pair = generate_token()
    assert re.fullmatch(r"[0-9a-f]{32}\.[0-9a-f]{32}", pair.bearer_token)
    assert re.fullmatch(r"[0-9a-f]{40}", pair.api_key_hash)
    assert verify_bearer_token(pair.bearer_token, pair.api_key_hash)
    assert generate_token().bearer_token != pair.bearer_token
    assert pair.bearer_token not in repr(pair) and pair.api_key_hash not in repr(pair)


def test_wrong_and_malformed_tokens_are_refused() -> None:
    good = f"{TOKEN}.{SALT}"
    for bad in ("", ".", TOKEN, f"{TOKEN}.", f".{SALT}", f"{SALT}.{TOKEN}", f"{TOKEN}.{SALT}.x",
                good[:-1] + "1", "é.é"):
        assert not verify_bearer_token(bad, EXPECTED), bad
    assert not verify_bearer_token(good, "not-a-hash")


@given(st.text(max_size=80))
def test_verification_never_raises(token: str) -> None:
    assert verify_bearer_token(token, EXPECTED) is (token.strip() == f"{TOKEN}.{SALT}")


def test_generate_hash_token_human_and_json(run_muskox: CliRunner) -> None:
    human = run_muskox("generate", "hash-token")
    assert human.returncode == 0, human.stderr
    assert "ENV API Key: " in human.stdout and "Bearer Token: " in human.stdout
    assert "MUSKOX_AUTHENTICATION__ADMIN_API_KEY" in human.stdout and "admin_api_key" in human.stdout
    data = json.loads(run_muskox("generate", "hash-token", "--json").stdout)
    assert set(data) == {"api_key_hash", "bearer_token"}
    assert verify_bearer_token(data["bearer_token"], data["api_key_hash"])
