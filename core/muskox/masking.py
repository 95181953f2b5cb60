"""Masking of credentials in anything muskox prints or logs."""

from __future__ import annotations

import re
import urllib.parse

MASK = "****"

_URL_IN_TEXT = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@")
_SECRET_QUERY_KEYS = frozenset({"password", "pass", "pwd", "token", "secret", "sasl_password", "api_key"})


def mask_url(url: str) -> str:
    """Return ``url`` with its password (and secret query parameters) replaced by ``****``.

    The user name stays visible so an operator can still tell which account was used.
    """
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return mask_text(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        netloc = f"{user}:{MASK}@{hostport}" if sep else f"{user}@{hostport}"
    query = parts.query
    if query:
        pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
        query = "&".join(
            f"{k}={MASK if k.lower() in _SECRET_QUERY_KEYS else v}" for k, v in pairs
        )
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def mask_text(text: str) -> str:
    """Mask the password of every ``scheme://user:password@`` URL found inside free text."""

    def _replace(match: re.Match[str]) -> str:
        user, sep, _password = match.group("userinfo").partition(":")
        return f"{match.group('scheme')}{user}:{MASK}@" if sep else match.group(0)

    return _URL_IN_TEXT.sub(_replace, text)
