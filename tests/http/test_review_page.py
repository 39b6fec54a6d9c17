"""The review page at ``/``.

Plain HTTP checks (TestClient): the page and its assets are served with strict security headers and
need nothing from elsewhere. Browser checks (``@pytest.mark.browser``): a real uvicorn server on a free
loopback port, with a FakeLLM behind ``get_llm_client``, driven by Debian's headless Chromium through
Playwright. The browser tests fail when Chromium cannot be started; set
``BULLETGUARD_TEST_ALLOW_NO_BROWSER=1`` to skip them instead (CI never does).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Error, Page, Route, expect, sync_playwright

from service.http.app import create_app
from service.http.llm_client import get_llm_client
from service.http.routes.page import STATIC_DIR
from service.settings import Settings
from tests.fakes import FakeLLM, reply

ALLOW_NO_BROWSER_ENV = "BULLETGUARD_TEST_ALLOW_NO_BROWSER"
CHROMIUM_ENV = "BULLETGUARD_TEST_CHROMIUM"  # path of the browser binary; default: `chromium` on PATH
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

NOTES = "helped debug a memory leak in the notification worker; wrote a runbook for restarting it"
EVIDENCE_ID = "PR-1423"
EVIDENCE_TEXT = "Fix unbounded retry queue in notification worker"
GOOD = "Helped debug a memory leak in the notification worker."
# Accepted by the guard, and carries markup: the page must show it as text, never as HTML.
MARKUP = "Wrote a <b>runbook</b> for restarting the notification worker."
# Refused: invents a technology and a scope.
BAD = "Moved the notification worker to Kubernetes across all services."


# --------------------------------------------------------------------------------------------------
# Plain HTTP


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_bodies.append(data)

    def all(self, tag: str) -> list[dict[str, str | None]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _parse_page(client: TestClient) -> _PageParser:
    parser = _PageParser()
    parser.feed(client.get("/").text)
    return parser


def test_page_is_html_with_strict_security_headers(client: TestClient) -> None:
    response = client.get("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    csp = {
        directive.split()[0]: directive.split()[1:]
        for directive in (part.strip() for part in response.headers["content-security-policy"].split(";"))
        if directive
    }
    assert csp["default-src"] == ["'self'"]
    for directive in ("script-src", "style-src", "connect-src"):
        assert csp[directive] == ["'self'"], directive  # no 'unsafe-inline', no other origin
    assert csp["frame-ancestors"] == ["'none'"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "x-request-id" in response.headers


def test_head_of_the_page_has_no_body(client: TestClient) -> None:
    response = client.head("/")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.content == b""


def test_page_needs_no_inline_code_and_every_asset_resolves(client: TestClient) -> None:
    page = _parse_page(client)

    scripts = page.all("script")
    assert scripts, "the page loads its script"
    assert all(attrs.get("src") for attrs in scripts), "no inline <script> (the CSP would block it)"
    assert not "".join(page.script_bodies).strip()
    assert not page.all("style"), "no inline <style> (the CSP would block it)"
    for tag, attrs in page.tags:
        assert "style" not in attrs, f"inline style attribute on <{tag}>"
        assert not [name for name in attrs if name.startswith("on")], f"inline event handler on <{tag}>"

    assets = [attrs["src"] for attrs in scripts] + [attrs["href"] for attrs in page.all("link")]
    expected_types = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
    for url in assets:
        assert url is not None
        assert "//" not in url, f"{url}: the page loads nothing from another origin"
        response = client.get("/" + url.lstrip("/"))
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(expected_types[Path(url).suffix]), url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.content == (STATIC_DIR / Path(url).name).read_bytes()


def test_every_form_control_has_a_label_and_the_page_a_language(client: TestClient) -> None:
    page = _parse_page(client)

    (html,) = page.all("html")
    assert html.get("lang") == "en"
    label_targets = {attrs.get("for") for attrs in page.all("label")}
    controls = [attrs for tag, attrs in page.tags if tag in {"input", "textarea", "select"}]
    assert len(controls) == 6  # notes, evidence, redact, max bullets, job posting, API key
    for attrs in controls:
        assert attrs.get("id") in label_targets, f"control {attrs.get('id')!r} has no <label for>"
    ids = [attrs["id"] for _, attrs in page.tags if attrs.get("id")]
    assert len(ids) == len(set(ids)), "ids are unique"
    described = [ref for _, attrs in page.tags for ref in (attrs.get("aria-describedby") or "").split()]
    assert set(described) <= set(ids), "every aria-describedby points at an element"
    (alert,) = [attrs for _, attrs in page.tags if attrs.get("role") == "alert"]
    assert alert.get("id") == "error"


@pytest.mark.parametrize("path", ["/static/missing.js", "/static/index.html", "/static/..%2Froutes%2Fpage.py"])
def test_only_the_listed_assets_are_served(client: TestClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "urn:bulletguard:problem:not-found"


def test_page_routes_are_not_in_the_openapi_document(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]

    assert "/" not in paths
    assert not [path for path in paths if path.startswith("/static")]


def test_script_never_parses_strings_as_html() -> None:
    # Notes, bullets and messages are untrusted: the page builds nodes and sets textContent only.
    source = (STATIC_DIR / "app.js").read_text(encoding="utf-8")

    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
        assert sink not in source, sink


# --------------------------------------------------------------------------------------------------
# Browser


@dataclass
class LiveServer:
    """A running server; ``llm`` is what ``get_llm_client`` returns, swap it per test."""

    url: str
    llm: FakeLLM = field(default_factory=FakeLLM)


@pytest.fixture(scope="module")
def live_server() -> Iterator[LiveServer]:
    with pytest.MonkeyPatch.context() as env:  # no developer BULLETGUARD_* settings leak in
        for name in list(os.environ):
            if name.startswith("BULLETGUARD_"):
                env.delenv(name)
        settings = Settings(max_reasks=0)
    app = create_app(settings)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    live = LiveServer(url=f"http://127.0.0.1:{sock.getsockname()[1]}")
    app.dependency_overrides[get_llm_client] = lambda: live.llm
    server = uvicorn.Server(
        uvicorn.Config(app, http="h11", ws="none", log_config=None, access_log=False, timeout_graceful_shutdown=5)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="review-page-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            pytest.fail("the test server did not start")
        time.sleep(0.02)
    try:
        yield live
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()


def _no_browser(reason: str) -> None:
    if os.environ.get(ALLOW_NO_BROWSER_ENV) == "1":
        pytest.skip(f"{reason} ({ALLOW_NO_BROWSER_ENV}=1)")
    pytest.fail(
        f"{reason}. Install Debian's chromium (`apt-get install chromium`), or set {ALLOW_NO_BROWSER_ENV}=1 "
        "to skip the browser tests.",
        pytrace=False,
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = os.environ.get(CHROMIUM_ENV) or shutil.which("chromium") or shutil.which("chromium-browser")
    if not executable or not Path(executable).exists():
        _no_browser("Chromium is not installed")
    assert executable is not None
    playwright = sync_playwright().start()
    try:
        try:
            chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        except Error as exc:
            _no_browser(f"Chromium at {executable} does not start: {exc.message.splitlines()[0]}")
        expect.set_options(timeout=10_000)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()


@pytest.fixture
def page(browser: Browser, live_server: LiveServer) -> Iterator[Page]:
    """A fresh page (own context) at the live server; fails the test on any script error or CSP report."""
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1400, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    problems: list[str] = []
    page.on("pageerror", lambda exc: problems.append(f"uncaught: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            # an HTTP error status is logged too; those are the tests' own doing
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    yield page
    context.close()
    assert problems == [], "the page logged errors"


def _fill(page: Page, *, notes: str = NOTES, evidence: str = "", redact: str = "", max_bullets: str = "3") -> None:
    page.get_by_label("Work notes").fill(notes)
    page.get_by_label("Evidence").fill(evidence)
    page.get_by_label("Keep out").fill(redact)
    page.get_by_label("Most bullets").fill(max_bullets)


def _tab_to(page: Page, selector: str, *, limit: int = 40) -> None:
    """Press Tab until the focused element matches ``selector`` (proves it is keyboard reachable)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} not reachable with Tab")


@pytest.mark.browser
def test_rewrite_shows_accepted_and_highlighted_refused_bullets(page: Page, live_server: LiveServer) -> None:
    live_server.llm = FakeLLM(
        reply((GOOD, ["notes"], "reliability"), (MARKUP, [EVIDENCE_ID], "ownership"), (BAD, ["notes"], "reliability")),
        delay_s=1.0,
    )
    page.goto("/")
    _fill(page, evidence=f"{EVIDENCE_ID}: {EVIDENCE_TEXT}", redact="Dana, Atlas")
    submit = page.get_by_role("button", name="Write bullets")

    with page.expect_response("**/v1/rewrite") as answer:
        submit.click()
        # busy while the model works
        expect(page.locator("#submit")).to_be_disabled()
        expect(page.locator("#results")).to_have_attribute("aria-busy", "true")

    response = answer.value
    assert response.status == 200
    assert response.request.post_data_json == {
        "notes": NOTES,
        "evidence": [{"id": EVIDENCE_ID, "text": EVIDENCE_TEXT}],
        "redact": ["Dana", "Atlas"],
        "options": {"max_bullets": 3},
    }
    assert "x-api-key" not in response.request.headers
    data: dict[str, Any] = response.json()
    expect(page.locator("#submit")).to_be_enabled()
    expect(page.locator("#results")).to_have_attribute("aria-busy", "false")
    expect(page.locator("#results-heading")).to_be_focused()

    # accepted: the model's text verbatim, markup shown as text
    accepted = page.locator(".accepted-group .bullet-text")
    expect(accepted).to_have_text([GOOD, MARKUP])
    expect(page.locator("#results b")).to_have_count(0)

    # refused: the bullet with exactly the violation spans highlighted
    refused = page.locator(".refused-group .bullet-text")
    expect(refused).to_have_text([BAD], use_inner_text=True)
    (rejected,) = data["rejected"]
    violations = sorted(rejected["violations"], key=lambda v: v["start"])
    assert "Kubernetes" in [v["text"] for v in violations]
    marks = refused.locator("mark")
    expect(marks).to_have_text([BAD[v["start"] : v["end"]] for v in violations])
    for index, violation in enumerate(violations):
        mark = marks.nth(index)
        expect(mark).to_have_class(re.compile(rf"\b{violation['kind']}\b"))
        expect(mark).to_have_attribute("title", violation["message"])
        expect(mark).to_have_attribute("tabindex", "0")

    # a mark's reason: reachable with the keyboard, shown on focus, dismissed with Escape
    first_tip = page.locator("#" + (marks.first.get_attribute("aria-describedby") or "missing"))
    expect(first_tip).to_be_hidden()
    _tab_to(page, ".refused-group mark")
    expect(marks.first).to_be_focused()
    expect(first_tip).to_be_visible()
    expect(first_tip).to_contain_text(violations[0]["message"])
    page.keyboard.press("Escape")
    expect(first_tip).to_be_hidden()
    # ...and on hover
    marks.last.hover()
    last_tip = page.locator("#" + (marks.last.get_attribute("aria-describedby") or "missing"))
    expect(last_tip).to_be_visible()
    expect(last_tip).to_contain_text(violations[-1]["message"])
    # every reason is also in the visible list under the bullet
    for violation in violations:
        expect(page.locator(".refused-group .violations")).to_contain_text(violation["message"])

    # reviewer notes and questions: whatever the API returned is shown
    n_warnings = sum(len(bullet.get("warnings", [])) for bullet in data["bullets"])
    expect(page.locator(".accepted-group .warning")).to_have_count(n_warnings)
    expect(page.locator(".question")).to_have_count(len(data.get("questions", [])))

    # copy
    page.locator(".accepted-group .bullet").first.get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied bullet 1 to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == GOOD

    # what reached the model: the evidence, but not the redacted name
    (call,) = live_server.llm.calls
    assert EVIDENCE_TEXT in call.text
    assert "Dana" not in call.text


@pytest.mark.browser
def test_validation_problem_is_shown_in_the_alert(page: Page, live_server: LiveServer) -> None:
    live_server.llm = FakeLLM()  # must not be called
    page.goto("/")
    _fill(page, notes="   ")

    with page.expect_response("**/v1/rewrite") as answer:
        page.get_by_role("button", name="Write bullets").click()

    assert answer.value.status == 422
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Invalid request")
    expect(alert).to_contain_text("The request is invalid: check notes.")
    expect(alert).to_contain_text("HTTP 422")
    expect(alert).to_be_focused()
    expect(page.locator("#notes")).to_have_attribute("aria-invalid", "true")
    # the error links to the field
    alert.get_by_role("link", name=re.compile("Work notes")).click()
    expect(page.locator("#notes")).to_be_focused()
    page.keyboard.type("wrote a runbook")
    expect(page.locator("#notes")).not_to_have_attribute("aria-invalid", "true")
    assert live_server.llm.calls == []


@pytest.mark.browser
def test_malformed_evidence_line_is_flagged_without_a_request(page: Page, live_server: LiveServer) -> None:
    live_server.llm = FakeLLM()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url) if "/v1/" in request.url else None)
    page.goto("/")
    _fill(page, evidence=f"{EVIDENCE_ID}: {EVIDENCE_TEXT}\nno id on this line")

    page.get_by_role("button", name="Write bullets").click()

    expect(page.get_by_role("alert")).to_contain_text("Evidence line 2 needs an id and a text")
    expect(page.locator("#evidence")).to_have_attribute("aria-invalid", "true")
    assert requests == []


@pytest.mark.browser
def test_api_key_is_sent_and_kept_for_the_tab_only(page: Page, live_server: LiveServer) -> None:
    live_server.llm = FakeLLM(reply((GOOD, ["notes"], "reliability")))
    page.goto("/")
    _fill(page, max_bullets="1")
    page.get_by_label("API key").fill("bg_test-key")

    with page.expect_request("**/v1/rewrite") as sent:
        page.get_by_label("Work notes").press("Control+Enter")  # the keyboard shortcut submits from a textarea

    assert sent.value.headers["x-api-key"] == "bg_test-key"
    assert sent.value.post_data_json["notes"] == NOTES  # no newline typed by the shortcut
    expect(page.locator(".accepted-group .bullet-text")).to_have_text([GOOD])
    assert page.evaluate("sessionStorage.getItem('bulletguard.apiKey')") == "bg_test-key"
    assert page.evaluate("localStorage.length") == 0
    page.reload()
    expect(page.get_by_label("API key")).to_have_value("bg_test-key")
    page.get_by_label("API key").fill("")
    assert page.evaluate("sessionStorage.getItem('bulletguard.apiKey')") is None


# A response per the issue-7 contract (warnings, questions, match), served by the browser itself so the
# rendering is checked on its own. Offsets count code points: the rocket is one, two UTF-16 units.
CONTRACT_BULLET = "Built REST APIs for the billing service 🚀 used by partners."
CONTRACT_REFUSED = "🚀 Led the <img src=x> migration of Atlas to Kafka across all teams."


def _violation(kind: str, span: str) -> dict[str, Any]:
    start = CONTRACT_REFUSED.index(span)  # a Python str index counts code points, as the API's offsets do
    message = f"{span}: {kind}."
    return {
        "kind": kind,
        "text": span,
        "start": start,
        "end": start + len(span),
        "message": message,
        "hint": "Drop it.",
    }


CONTRACT_RESPONSE: dict[str, Any] = {
    "bullets": [
        {
            "text": CONTRACT_BULLET,
            "sources": ["notes"],
            "proof_area": "api",
            "warnings": [
                {
                    "code": "vague-verb",
                    "text": "Built REST APIs",
                    "start": 0,
                    "end": 15,
                    "message": "Says what was built, not for whom or how much.",
                    "fix": "Name the endpoints and who consumed them.",
                }
            ],
        }
    ],
    "rejected": [
        {
            "text": CONTRACT_REFUSED,
            "sources": ["notes"],
            "proof_area": "reliability",
            "violations": [
                _violation("ownership", "Led"),
                # overlapping spans share one mark
                _violation("redacted", "Atlas"),
                _violation("tool", "Atlas to Kafka"),
                _violation("scope", "all"),
                {
                    "kind": "source",
                    "text": "PR-9",
                    "start": 0,
                    "end": 0,
                    "message": "PR-9 is not an input.",
                    "hint": "h",
                },
            ],
        }
    ],
    "reply_errors": [],
    "attempts": 1,
    "model": "fake-model",
    "prompt_version": "v1",
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "cost_usd": None},
    "request_id": "req-contract",
    "questions": [
        {"proof_area": "api", "question": "How many endpoints, and who consumed them?", "why": "Scale of the API."},
        {"proof_area": "ownership", "question": "Was this your design or the team's?", "why": "Ownership."},
    ],
    "match": {
        "supported": [{"term": "PostgreSQL", "input_term": "Postgres", "kind": "technology"}],
        "gaps": [{"term": "Kafka", "kind": "technology"}],
    },
}


def _serve(page: Page, status: int, body: str, content_type: str = "application/json") -> None:
    def handle(route: Route) -> None:
        route.fulfill(status=status, body=body, content_type=content_type)

    page.route("**/v1/rewrite", handle)


@pytest.mark.browser
def test_contract_fields_are_rendered(page: Page) -> None:
    _serve(page, 200, json.dumps(CONTRACT_RESPONSE))
    page.goto("/")
    _fill(page)
    page.get_by_label("Job posting").fill("We want PostgreSQL and Kafka.")

    with page.expect_request("**/v1/rewrite") as sent:
        page.get_by_role("button", name="Write bullets").click()

    assert sent.value.post_data_json["job_description"] == "We want PostgreSQL and Kafka."
    expect(page.locator(".accepted-group .bullet-text")).to_have_text([CONTRACT_BULLET])
    warning = page.locator(".accepted-group .warning")
    expect(warning).to_have_count(1)
    expect(warning).to_contain_text("vague-verb")
    expect(warning).to_contain_text("“Built REST APIs”")
    expect(warning).to_contain_text("Name the endpoints and who consumed them.")

    refused = page.locator(".refused-group .bullet-text")
    expect(refused).to_have_text([CONTRACT_REFUSED], use_inner_text=True)
    expect(page.locator("#results img")).to_have_count(0)
    marks = refused.locator("mark")
    expect(marks).to_have_text(["Led", "Atlas to Kafka", "all"])
    expect(marks.nth(1)).to_have_class(re.compile(r"\bredacted\b"))
    expect(marks.nth(1)).to_have_class(re.compile(r"\btool\b"))
    tip = page.locator("#" + (marks.nth(1).get_attribute("aria-describedby") or "missing"))
    expect(tip).to_contain_text("Atlas: redacted.")
    expect(tip).to_contain_text("Atlas to Kafka: tool.")
    # a span-less violation (an unknown source) is listed, not highlighted
    expect(page.locator(".refused-group .violations li")).to_have_count(5)
    expect(page.locator(".refused-group .violations")).to_contain_text("cites “PR-9”")

    questions = page.locator(".question")
    expect(questions).to_have_count(2)
    expect(questions.first).to_contain_text("api")
    expect(questions.first).to_contain_text("How many endpoints, and who consumed them?")
    match = page.locator(".match-group")
    expect(match.locator(".supported li")).to_have_text([re.compile(r"PostgreSQL \(your notes: “Postgres”\)")])
    expect(match.locator(".gaps li")).to_have_text([re.compile(r"^Kafka")])
    expect(page.locator("#results")).to_contain_text("request id req-contract")


@pytest.mark.browser
def test_error_without_a_problem_document_is_still_reported(page: Page) -> None:
    _serve(page, 502, "upstream down", content_type="text/plain")
    page.goto("/")
    _fill(page)

    page.get_by_role("button", name="Write bullets").click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Request failed")
    expect(alert).to_contain_text("HTTP 502")
    expect(page.locator("#submit")).to_be_enabled()


@pytest.mark.browser
def test_page_fits_a_small_phone_screen(page: Page) -> None:
    page.set_viewport_size({"width": 320, "height": 640})
    _serve(page, 200, json.dumps(CONTRACT_RESPONSE))
    page.goto("/")
    _fill(page)
    page.get_by_role("button", name="Write bullets").click()
    expect(page.locator(".refused-group mark")).to_have_count(3)

    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 320px"
    for control in ("notes", "evidence", "redact", "max-bullets", "job-description", "api-key", "submit"):
        box = page.locator("#" + control).bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 320, control
    # an open reason stays on the screen too
    page.locator(".refused-group mark").last.focus()
    tip = page.locator(".refused-group .tooltip").last
    expect(tip).to_be_visible()
    box = tip.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= 320
