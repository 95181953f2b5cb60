"""Masking of credentials in anything muskox prints or logs.

Both functions work on any text, however malformed: a URL that fails to parse is masked before the error about it
is built, so no message ever shows a password. A URL's user info is everything between its scheme separator
(``://``, and also the mistyped ``//`` or ``:/``) and its *last* ``@`` (as the URL parsers of muskox read it, so
a password holding ``/``, ``?`` or ``@`` is masked whole); the password is what follows the first ``:`` in it.
Without a recognisable scheme, the text before the last ``@`` is the user info.
"""

from __future__ import annotations

import re

MASK = "****"

#: ``scheme://``, or a mistyped separator (``scheme//``, ``scheme:/``), at the start of a URL.
_LEAD = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*(?::/+|/{2,})")
#: In free text: a lead, then ``user:password@`` up to the last ``@`` before white space or a quote.
_URL_IN_TEXT = re.compile(
    r"(?P<lead>[a-zA-Z][a-zA-Z0-9+.-]*(?::/+|/{2,}))(?P<user>[^\s:/@'\"]*):(?P<password>[^\s'\"]+)@"
)
_SECRET_QUERY_KEYS = frozenset({"password", "pass", "pwd", "token", "secret", "sasl_password", "api_key"})
_SECRET_QUERY = re.compile(r"(?i)([?&](?:" + "|".join(sorted(_SECRET_QUERY_KEYS)) + r")=)[^&#\s'\"]*")


def mask_url(url: str) -> str:
    """Return ``url`` with its password (and secret query parameters) replaced by ``****``.

    The user name stays visible so an operator can still tell which account was used. ``url`` need not be a
    valid URL (``http//alice:secret@host``, ``alice:secret@host`` and ``redis://:p/w@host`` are masked too).
    """
    head, at, tail = url.rpartition("@")
    if at:
        lead = _LEAD.match(head)
        start = lead.end() if lead else 0
        user, colon, _password = head[start:].partition(":")
        if colon:
            url = f"{head[:start]}{user}:{MASK}@{tail}"
    return _SECRET_QUERY.sub(lambda match: match.group(1) + MASK, url)


def mask_text(text: str) -> str:
    """Mask the password of every ``scheme://user:password@`` URL (or mistyped ``scheme//…``) inside free text,
    and the value of secret query parameters (``?password=…``)."""

    def _replace(match: re.Match[str]) -> str:
        return f"{match.group('lead')}{match.group('user')}:{MASK}@"

    return _SECRET_QUERY.sub(lambda match: match.group(1) + MASK, _URL_IN_TEXT.sub(_replace, text))

