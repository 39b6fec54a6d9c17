"""Posting replies to a slash command's ``response_url``, and deciding which URLs may be posted to.

The ``response_url`` arrives in the request, so without a check anyone holding the secret (or a bug
upstream) could make the service POST to any address: an SSRF proxy. Only URLs on the configured
hosts are used (Slack: ``hooks.slack.com`` by default; Mattermost: your server), over https unless
plain http is allowed for a platform, with no credentials in the URL, and redirects are not followed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
import structlog

_log = structlog.get_logger("bulletguard.chatops")

_DEFAULT_PORTS = {"https": 443, "http": 80}


def allowed_response_url(url: str, hosts: Sequence[str], *, allow_http: bool = False) -> bool:
    """Whether ``url`` is an https (or, if allowed, http) URL on one of ``hosts``.

    A host entry is ``name`` (the scheme's default port only) or ``name:port``; names compare
    case-insensitively and exactly (``hooks.slack.com`` does not admit ``evil.hooks.slack.com``)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return False
    schemes = {"https", "http"} if allow_http else {"https"}
    if parts.scheme not in schemes or not parts.hostname or parts.username is not None or parts.password is not None:
        return False
    host, port = parts.hostname.lower(), port or _DEFAULT_PORTS[parts.scheme]
    for entry in hosts:
        name, _, entry_port = entry.strip().lower().partition(":")
        wanted = int(entry_port) if entry_port.isdigit() else _DEFAULT_PORTS[parts.scheme]
        if name == host and wanted == port:
            return True
    return False


async def post_reply(url: str, payload: dict[str, Any], *, timeout_s: float) -> bool:
    """POST ``payload`` as JSON to ``url``; True on a 2xx answer. Failures are logged (status or error
    type only, never the payload or the URL, which is a bearer capability) and never raised."""
    try:
        async with httpx.AsyncClient(timeout=timeout_s, follow_redirects=False) as client:
            response = await client.post(url, json=payload)
    except httpx.HTTPError as exc:
        _log.warning("chatops_delivery_failed", error=type(exc).__name__)
        return False
    if not response.is_success:
        _log.warning("chatops_delivery_failed", status=response.status_code)
        return False
    return True
