"""Is a slash-command request really from the chat server? (pure: the clock is passed in)

Slack signs every request: ``X-Slack-Signature`` = ``v0=`` + HMAC-SHA256 of
``v0:{X-Slack-Request-Timestamp}:{raw body}`` with the app's signing secret. The check is slack_sdk's
:class:`~slack_sdk.signature.SignatureVerifier` (constant-time comparison, timestamps more than 300 s
from now refused). Mattermost sends the command's token, in ``Authorization: Token ...`` and in the
``token`` form field; it is compared in constant time.

Each function returns None for an authentic request, else the reason it was refused (a short label
for counters and logs, never shown with any secret or header value).
"""

from __future__ import annotations

import hashlib
import hmac
from collections import OrderedDict
from collections.abc import Mapping
from urllib.parse import parse_qs

from slack_sdk.signature import Clock, SignatureVerifier

SLACK_MAX_AGE_S = 300  # slack_sdk's replay window, only used to label refusals


def slack_refusal(body: bytes, headers: Mapping[str, str], *, signing_secret: str, clock: Clock) -> str | None:
    """None if ``body`` carries a valid, fresh Slack signature; else ``missing_header``,
    ``malformed_header``, ``stale_timestamp`` or ``bad_signature``."""
    timestamp = headers.get("x-slack-request-timestamp")
    signature = headers.get("x-slack-signature")
    if not timestamp or not signature:
        return "missing_header"
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:  # slack_sdk reads the body as text: check the bytes here (a 400 follows, not a 401)
        return _raw_refusal(body, timestamp, signature, signing_secret, clock)
    verifier = SignatureVerifier(signing_secret, clock=clock)
    try:
        valid = verifier.is_valid(body=body, timestamp=timestamp, signature=signature)
    except (ValueError, TypeError):  # a non-numeric timestamp, a body that is not UTF-8, a non-ASCII signature
        return "malformed_header"
    if valid:
        return None
    if abs(clock.now() - int(timestamp)) > SLACK_MAX_AGE_S:
        return "stale_timestamp"
    return "bad_signature"


def _raw_refusal(body: bytes, timestamp: str, signature: str, secret: str, clock: Clock) -> str | None:
    """The Slack check of a body that is not UTF-8: same rule, over the raw bytes."""
    if not timestamp.isascii() or not timestamp.isdigit() or not signature.isascii():
        return "malformed_header"
    if abs(clock.now() - int(timestamp)) > SLACK_MAX_AGE_S:
        return "stale_timestamp"
    base = b"v0:" + timestamp.encode("ascii") + b":" + body
    expected = "v0=" + hmac.new(secret.encode("utf-8"), base, hashlib.sha256).hexdigest()
    return None if hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")) else "bad_signature"


class SeenSignatures:
    """Slack signatures already accepted, remembered for the replay window (pure: the time is passed in).

    A signed request is valid for :data:`SLACK_MAX_AGE_S` seconds; without this, a captured request could be
    sent again within that window and run again. At most ``max_entries`` are kept (oldest dropped first)."""

    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._seen: OrderedDict[str, float] = OrderedDict()  # signature -> when it expires

    def first_time(self, signature: str, now: float) -> bool:
        """True (and the signature remembered) the first time it is presented within the window."""
        while self._seen and next(iter(self._seen.values())) <= now:
            self._seen.popitem(last=False)
        if signature in self._seen:
            return False
        self._seen[signature] = now + 2 * SLACK_MAX_AGE_S  # the timestamp may be up to 300 s ahead or behind
        if len(self._seen) > self.max_entries:
            self._seen.popitem(last=False)
        return True


def mattermost_refusal(body: bytes, headers: Mapping[str, str], *, token: str) -> str | None:
    """None if the request presents the command's token (the ``Authorization: Token`` header, else the
    ``token`` form field); else ``missing_token`` or ``bad_token``."""
    presented = _header_token(headers.get("authorization", ""))
    if presented is None:
        presented = _form_token(body)
    if not presented:
        return "missing_token"
    if not hmac.compare_digest(presented.encode("utf-8"), token.encode("utf-8")):
        return "bad_token"
    return None


def _header_token(value: str) -> str | None:
    scheme, _, credentials = value.strip().partition(" ")
    if scheme.casefold() != "token":
        return None
    return credentials.strip()


def _form_token(body: bytes) -> str | None:
    try:
        values = parse_qs(body.decode("utf-8"), max_num_fields=64).get("token")
    except ValueError:  # not UTF-8, or too many fields
        return None
    return values[0] if values else None
