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

import hmac
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
