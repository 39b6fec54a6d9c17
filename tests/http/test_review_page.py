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
from playwright.sync_api import Browser, Error, Locator, Page, Route, expect, sync_playwright

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
# Refused (ownership, tool), and the repair makes it true: "Led the debugging of" -> "Helped debug",
# "worker using Kafka." -> "worker."
FIXABLE = "Led the debugging of a memory leak in the notification worker using Kafka."
FIXED = "Helped debug a memory leak in the notification worker."
RUNBOOK = "Wrote a runbook for restarting the notification worker."
# Refused, and nothing true is left of it: no suggestion
UNFIXABLE = "Architected a Kubernetes platform serving 10M users."


# --------------------------------------------------------------------------------------------------
# Plain HTTP


_VOID_TAGS = frozenset({"input", "link", "meta", "br", "img", "hr"})


class _PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_bodies: list[str] = []
        # per element with an id: the `data-mode` of it or its nearest ancestor that has one, and whether
        # that element starts hidden
        self.mode_of: dict[str, tuple[str, bool]] = {}
        self._open: list[tuple[str, tuple[str, bool] | None]] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.tags.append((tag, values))
        self._in_script = tag == "script"
        mode = self._open[-1][1] if self._open else None
        if values.get("data-mode"):
            mode = (str(values["data-mode"]), "hidden" in values)
        if values.get("id") and mode is not None:
            self.mode_of[str(values["id"])] = mode
        if tag not in _VOID_TAGS:
            self._open.append((tag, mode))

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_script = False
        while self._open:
            if self._open.pop()[0] == tag:
                break

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
    assert len(controls) == 9  # 2 modes, notes, evidence, redact, bullets, max bullets, job posting, API key
    for attrs in controls:
        assert attrs.get("id") in label_targets, f"control {attrs.get('id')!r} has no <label for>"
    ids = [attrs["id"] for _, attrs in page.tags if attrs.get("id")]
    assert len(ids) == len(set(ids)), "ids are unique"
    described = [ref for _, attrs in page.tags for ref in (attrs.get("aria-describedby") or "").split()]
    assert set(described) <= set(ids), "every aria-describedby points at an element"
    (alert,) = [attrs for _, attrs in page.tags if attrs.get("role") == "alert"]
    assert alert.get("id") == "error"


def test_the_two_modes_are_labelled_radio_buttons_and_each_shows_its_own_fields(client: TestClient) -> None:
    page = _parse_page(client)

    radios = [attrs for attrs in page.all("input") if attrs.get("type") == "radio"]
    assert [(r.get("name"), r.get("value"), r.get("id")) for r in radios] == [
        ("mode", "write", "mode-write"),
        ("mode", "check", "mode-check"),
    ]
    assert "checked" in radios[0] and "checked" not in radios[1], "the page opens in write mode"
    assert [attrs.get("for") for attrs in page.all("label")][:2] == ["mode-write", "mode-check"]
    assert page.all("fieldset") and page.all("legend"), "the radios are a group with a name"
    # the bullets box is check mode's (hidden until then); the posting and the count are write mode's
    assert page.mode_of["bullets"] == ("check", True)
    assert page.mode_of["max-bullets"] == ("write", False)
    assert page.mode_of["job-description"] == ("write", False)
    for shared in ("notes", "evidence", "redact", "api-key", "submit"):
        assert shared not in page.mode_of, f"{shared} is in both modes"


def test_refused_rewrite_bullets_carry_the_suggestion_verify_gives() -> None:
    # the page draws the diff from these fields, in either mode
    app = create_app(Settings(max_reasks=0, rewrite_repair=False))
    llm = FakeLLM(reply((FIXABLE, ["notes"], "reliability"), (UNFIXABLE, ["notes"], "reliability")))
    app.dependency_overrides[get_llm_client] = lambda: llm
    client = TestClient(app)

    rewritten = client.post("/v1/rewrite", json={"notes": NOTES}).json()
    verified = client.post("/v1/verify", json={"notes": NOTES, "bullets": [FIXABLE, UNFIXABLE]}).json()

    fixable, unfixable = rewritten["rejected"]
    assert fixable["suggestion"] == FIXED
    assert fixable["edits"] == verified["results"][0]["edits"]
    assert {edit["kind"] for edit in fixable["edits"]} == {"ownership", "tool"}
    text = fixable["text"]
    for edit in sorted(fixable["edits"], key=lambda e: e["start"], reverse=True):
        text = text[: edit["start"]] + edit["replacement"] + text[edit["end"] :]
    assert text == FIXED
    assert unfixable["suggestion"] is None and unfixable["edits"] == []
    assert verified["results"][1]["suggestion"] is None


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
        # refused bullets stay refused (with their suggestion) instead of being salvaged into `bullets`
        settings = Settings(max_reasks=0, rewrite_repair=False)
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


# The refused bullet's suggestion; its edits' offsets count code points too (the rocket is one).
CONTRACT_SUGGESTION = "🚀 Helped the <img src=x> migration."


def _edit(old: str, new: str, kind: str, bullet: str = CONTRACT_REFUSED) -> dict[str, Any]:
    start = bullet.index(old)
    return {"start": start, "end": start + len(old), "replacement": new, "kind": kind}


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
            "suggestion": CONTRACT_SUGGESTION,
            "edits": [
                _edit("Led ", "Helped ", "ownership"),
                _edit("migration of Atlas to Kafka across all teams.", "migration.", "tool"),
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


def _serve(
    page: Page, status: int, body: str, content_type: str = "application/json", path: str = "/v1/rewrite"
) -> None:
    def handle(route: Route) -> None:
        route.fulfill(status=status, body=body, content_type=content_type)

    page.route("**" + path, handle)


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

    # the suggestion's diff: cut at code points, markup still text
    diff = page.locator(".refused-group .suggestion-diff")
    assert _texts(diff.locator("del .edit-text")) == ["Led", " of Atlas to Kafka across all teams"]
    assert _texts(diff.locator("ins .edit-text")) == ["Helped"]
    expect(diff.locator("del").first).to_have_class(re.compile(r"\bownership\b"))
    expect(diff.locator("del").last).to_have_class(re.compile(r"\btool\b"))
    expect(page.locator(".refused-group .suggestion-clean")).to_have_text(CONTRACT_SUGGESTION)

    questions = page.locator(".question")
    expect(questions).to_have_count(2)
    expect(questions.first).to_contain_text("api")
    expect(questions.first).to_contain_text("How many endpoints, and who consumed them?")
    match = page.locator(".match-group")
    expect(match.locator(".supported li")).to_have_text([re.compile(r"PostgreSQL \(your notes: “Postgres”\)")])
    expect(match.locator(".gaps li")).to_have_text([re.compile(r"^Kafka")])
    expect(page.locator("#results")).to_contain_text("request id req-contract")


def _texts(locator: Locator) -> list[str]:
    """Each element's exact text (``to_have_text`` trims and collapses spaces)."""
    texts: list[str] = locator.evaluate_all("nodes => nodes.map((node) => node.textContent)")
    return texts


@pytest.mark.browser
def test_a_refused_bullet_offers_its_suggestion_as_a_diff_that_use_this_accepts(
    page: Page, live_server: LiveServer
) -> None:
    live_server.llm = FakeLLM(
        reply(
            (RUNBOOK, ["notes"], "reliability"),
            (FIXABLE, ["notes"], "reliability"),
            (UNFIXABLE, ["notes"], "ownership"),
        )
    )
    page.goto("/")
    _fill(page)

    with page.expect_response("**/v1/rewrite") as answer:
        page.get_by_role("button", name="Write bullets").click()

    data = answer.value.json()
    assert [r["text"] for r in data["rejected"]] == [FIXABLE, UNFIXABLE]
    assert data["rejected"][0]["suggestion"] == FIXED
    refused = page.locator(".refused-group .bullet")
    expect(refused).to_have_count(2)

    # removed words struck out, added words inserted, by the response's edits; the kind as a class
    diff = refused.first.locator(".suggestion-diff")
    expect(diff).to_be_visible()
    assert _texts(diff.locator("del .edit-text")) == ["Led the debugging of", " using Kafka"]
    assert _texts(diff.locator("ins .edit-text")) == ["Helped debug"]
    expect(diff.locator("del")).to_have_class([re.compile(r"\bownership\b"), re.compile(r"\btool\b")])
    expect(diff.locator("ins")).to_have_class([re.compile(r"\bownership\b")])
    # a screen reader hears which words go and which come
    assert _texts(diff.locator("del .visually-hidden")) == ["removed: ", "removed: "]
    assert _texts(diff.locator("ins .visually-hidden")) == ["added: "]
    expect(refused.first.locator(".suggestion-clean")).to_have_text(FIXED)
    # nothing true is left of the other one: said, and nothing to use
    expect(refused.nth(1).locator(".no-suggestion")).to_contain_text("No true version of this bullet")
    expect(refused.nth(1).locator("button.use")).to_have_count(0)

    # "Use this", from the keyboard: the suggestion joins the accepted bullets, marked as the user's repair
    use = refused.first.locator("button.use")
    expect(use).to_have_accessible_name("Use this for refused bullet 1")
    use.focus()
    page.keyboard.press("Enter")
    accepted = page.locator(".accepted-group .bullet")
    expect(accepted.locator(".bullet-text")).to_have_text([RUNBOOK, FIXED])
    expect(accepted.nth(1).locator(".bullet-origin")).to_contain_text("repaired by you")
    expect(page.locator("#copy-status")).to_have_text(
        "Added the suggestion for refused bullet 1 to the accepted bullets, as bullet 2."
    )
    expect(use).to_have_attribute("aria-disabled", "true")
    expect(use).to_be_focused()
    use.dispatch_event("click")  # used once: no second copy
    expect(accepted).to_have_count(2)

    # copyable on its own, and in "Copy all"
    accepted.nth(1).get_by_role("button", name="Copy").click()
    expect(page.locator("#copy-status")).to_have_text("Copied bullet 2 to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == FIXED
    page.get_by_role("button", name="Copy all accepted bullets").click()
    expect(page.locator("#copy-status")).to_have_text("Copied all accepted bullets to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == f"- {RUNBOOK}\n- {FIXED}"


@pytest.mark.browser
def test_use_this_adds_no_second_copy_of_an_accepted_bullet(page: Page) -> None:
    fixed = {"text": FIXED, "sources": ["notes"], "proof_area": "reliability", "warnings": []}
    refused = {
        "text": FIXABLE,
        "sources": ["notes"],
        "proof_area": "reliability",
        "violations": [],
        "suggestion": FIXED,
        "edits": [
            _edit("Led the debugging of ", "Helped debug ", "ownership", FIXABLE),
            _edit("worker using Kafka.", "worker.", "tool", FIXABLE),
        ],
    }
    _serve(page, 200, json.dumps({"bullets": [fixed], "rejected": [refused], "reply_errors": []}))
    page.goto("/")
    _fill(page)
    page.get_by_role("button", name="Write bullets").click()

    page.get_by_role("button", name="Use this for refused bullet 1").click()

    expect(page.locator("#copy-status")).to_have_text(
        "The suggestion for refused bullet 1 is accepted bullet 1 already."
    )
    expect(page.locator(".accepted-group .bullet-text")).to_have_text([FIXED])


@pytest.mark.browser
def test_check_mode_verifies_the_pasted_bullets_and_use_this_replaces_the_line(
    page: Page, live_server: LiveServer
) -> None:
    live_server.llm = FakeLLM()  # checking never asks the model
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/v1/" in request.url else None)
    page.goto("/#check")
    expect(page.locator("#mode-check")).to_be_checked()
    page.get_by_label("Work notes").fill(NOTES)
    page.get_by_label("Keep out").fill("Dana")
    box = page.get_by_label("Your bullets")
    pasted = f"- {FIXABLE}\n\n• {RUNBOOK}\n  {UNFIXABLE}\n"
    box.fill(pasted)
    assert sent == [], "nothing is sent before the button is pressed"

    with page.expect_response("**/v1/verify") as answer:
        page.get_by_role("button", name="Check bullets").click()

    response = answer.value
    assert response.status == 200
    # list markers and blank lines dropped, as the CLI reads a bullets file
    assert response.request.post_data_json == {
        "notes": NOTES,
        "redact": ["Dana"],
        "bullets": [FIXABLE, RUNBOOK, UNFIXABLE],
    }
    data: dict[str, Any] = response.json()
    expect(page.locator("#results-heading")).to_be_focused()
    expect(page.locator("#form-status")).to_have_text("Done: 1 accepted, 2 refused.")
    items = page.locator(".checked-group .bullet")
    expect(items.locator(".chip.verdict")).to_have_text(["Refused", "Accepted", "Refused"])
    expect(items.locator(".bullet-text")).to_have_text([FIXABLE, RUNBOOK, UNFIXABLE], use_inner_text=True)

    # the spans and their reasons, as in write mode
    for index, result in enumerate(data["results"]):
        violations = sorted(result["violations"], key=lambda v: v["start"])
        marks = items.nth(index).locator("mark")
        expect(marks).to_have_count(len({(v["start"], v["end"]) for v in violations}))
        for violation in violations:
            expect(items.nth(index).locator(".violations")).to_contain_text(violation["message"])
    first = sorted(data["results"][0]["violations"], key=lambda v: v["start"])
    marks = items.first.locator("mark")
    expect(marks).to_have_text([FIXABLE[v["start"] : v["end"]] for v in first])
    expect(marks.first).to_have_class(re.compile(rf"\b{first[0]['kind']}\b"))
    tip = page.locator("#" + (marks.first.get_attribute("aria-describedby") or "missing"))
    marks.first.focus()
    expect(tip).to_be_visible()
    expect(tip).to_contain_text(first[0]["message"])
    n_warnings = sum(len(result["warnings"]) for result in data["results"])
    expect(page.locator(".checked-group .warning")).to_have_count(n_warnings)

    # the suggestion, and none where nothing true is left
    assert _texts(items.first.locator(".suggestion-diff ins .edit-text")) == ["Helped debug"]
    expect(items.first.locator(".suggestion-clean")).to_have_text(FIXED)
    expect(items.nth(1).locator(".suggestion")).to_have_count(0)  # accepted, and polish changes nothing
    expect(items.nth(2).locator(".no-suggestion")).to_be_visible()

    # "Use this" puts the suggestion in place of that line, its list marker kept
    items.first.get_by_role("button", name="Use this for bullet 1").click()
    expect(box).to_have_value(pasted.replace(FIXABLE, FIXED))
    expect(page.locator("#copy-status")).to_have_text("Replaced bullet 1 in the bullets box with the suggestion.")
    assert len(sent) == 1 and live_server.llm.calls == []

    # each mode keeps its own results
    page.locator("#mode-write").check()
    expect(page.locator(".checked-group")).to_have_count(0)
    expect(page.locator("#placeholder")).to_have_text("Bullets appear here once you submit your notes.")
    page.locator("#mode-check").check()
    expect(items).to_have_count(3)
    assert len(sent) == 1


@pytest.mark.browser
def test_check_mode_use_this_leaves_an_edited_box_alone(page: Page) -> None:
    result = {
        "bullet": FIXABLE,
        "verdict": "rejected",
        "violations": [],
        "warnings": [],
        "suggestion": FIXED,
        "edits": [_edit("Led the debugging of ", "Helped debug ", "ownership", FIXABLE)],  # not the whole fix
    }
    _serve(page, 200, json.dumps({"results": [result]}), path="/v1/verify")
    page.goto("/#check")
    page.get_by_label("Work notes").fill(NOTES)
    page.get_by_label("Your bullets").fill(FIXABLE)
    page.get_by_role("button", name="Check bullets").click()

    # edits that do not make the suggestion: the suggestion alone, no diff
    expect(page.locator(".suggestion-clean")).to_have_text(FIXED)
    expect(page.locator(".suggestion-diff")).to_have_count(0)
    page.get_by_label("Your bullets").fill("Something else entirely.")
    page.get_by_role("button", name="Use this for bullet 1").click()
    expect(page.get_by_label("Your bullets")).to_have_value("Something else entirely.")
    expect(page.locator("#copy-status")).to_contain_text("no longer in the bullets box")
    expect(page.locator("button.use")).not_to_have_attribute("aria-disabled", "true")


@pytest.mark.browser
def test_the_mode_is_kept_in_the_url_hash(page: Page) -> None:
    sent: list[str] = []
    page.on("request", lambda request: sent.append(request.url) if "/v1/" in request.url else None)
    page.goto("/")
    expect(page.locator("#mode-write")).to_be_checked()
    expect(page.locator("#bullets")).to_be_hidden()
    expect(page.locator("#max-bullets")).to_be_visible()

    page.get_by_label("Check my bullets").check()
    expect(page).to_have_url(re.compile(r"/#check$"))
    expect(page.locator("#bullets")).to_be_visible()
    expect(page.locator("#max-bullets")).to_be_hidden()
    expect(page.locator("#job-description")).to_be_hidden()
    expect(page.locator("#submit")).to_have_text("Check bullets")

    # the arrow keys move between the modes, as in any radio group
    page.locator("#mode-check").focus()
    page.keyboard.press("ArrowLeft")
    expect(page.locator("#mode-write")).to_be_checked()
    expect(page).to_have_url(re.compile(r"/#write$"))
    expect(page.locator("#submit")).to_have_text("Write bullets")
    page.keyboard.press("ArrowRight")
    expect(page).to_have_url(re.compile(r"/#check$"))

    # a reload (or a shared link) opens in that mode; a link to the other switches
    page.reload()
    expect(page.locator("#mode-check")).to_be_checked()
    expect(page.locator("#bullets")).to_be_visible()
    page.evaluate("location.hash = '#write'")
    expect(page.locator("#mode-write")).to_be_checked()
    expect(page.locator("#bullets")).to_be_hidden()
    # another fragment (the skip link, an error's field link) leaves the mode as it is
    page.evaluate("location.hash = '#notes'")
    expect(page.locator("#mode-write")).to_be_checked()
    assert sent == []


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
