"""The review page: ``GET /`` (the HTML) and ``GET /static/<name>`` (its script, style sheet and icon).

Plain static files, no build step. Only the files listed in :data:`STATIC_FILES` are served (no path
is ever joined from the request), and none of these routes is in the OpenAPI document. Every response
carries security headers: a strict Content-Security-Policy (same-origin only, no inline script or
style), ``X-Content-Type-Options: nosniff`` and ``Referrer-Policy: no-referrer``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from service.http.problems import ProblemError

router = APIRouter(include_in_schema=False)

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
INDEX_FILE = "index.html"

# name -> media type; the only files /static/ serves
STATIC_FILES: Mapping[str, str] = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "favicon.svg": "image/svg+xml",
}

CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    # revalidate on every load, so a new release's page and script are picked up together
    "Cache-Control": "no-cache",
}


def _file_response(name: str, media_type: str) -> FileResponse:
    path = STATIC_DIR / name
    if not path.is_file():
        # only when the package was installed without its static files
        raise ProblemError(404, "Not Found", f"The review page file {name} is not installed.", type="not-found")
    return FileResponse(path, media_type=media_type, headers=dict(SECURITY_HEADERS))


@router.api_route("/", methods=["GET", "HEAD"])
def review_page() -> FileResponse:
    """The review page."""
    return _file_response(INDEX_FILE, "text/html; charset=utf-8")


@router.api_route("/static/{name}", methods=["GET", "HEAD"])
def static_file(name: str) -> FileResponse:
    """One of the page's assets."""
    media_type = STATIC_FILES.get(name)
    if media_type is None:
        raise ProblemError(404, "Not Found", f"No resource at /static/{name}.", type="not-found")
    return _file_response(name, media_type)
