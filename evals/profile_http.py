"""Where a /v1/verify request's server time goes, in-process: CPU time per request of the bare echo and of
/v1/verify through the whole ASGI app (no sockets, no uvicorn), and a cProfile of /v1/verify grouped by
package. The apps are built as ``evals/load.py`` builds them (INFO access log, an API key, a rate limit
that is never reached, metrics); log lines go to /dev/null.

    python evals/profile_http.py                 # echo, verify, verify with the core stubbed; 2,000 each
    python evals/profile_http.py --profile       # and where verify's time goes, by package and function
    python evals/profile_http.py --stub-core     # the profile of the HTTP path alone (a precomputed verdict)

``--stub-core`` replaces ``run_verify`` (guard, lint, suggestions) with a precomputed response, so what is
left is the HTTP path: FastAPI, pydantic, the middlewares, logs and metrics. CPU time (``process_time``)
is less sensitive than wall time to other processes, but the minimum of several rounds is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import os
import pstats
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load  # the load script beside this one builds the apps

from service.http.auth import hash_api_key

API_KEY = "profile-" + "k" * 32


def build(name: str, *, stub_core: bool) -> tuple[Any, str, bytes]:
    """The ASGI app, path and body of target ``name`` (echo, verify or rewrite)."""
    if name == "echo":
        return load._echo_app(), "/echo", json.dumps(load.VERIFY_BODY).encode()
    if stub_core:
        import service.http.routes.verify as verify_route
        from service.contract.models import VerifyRequest

        answer = verify_route.run_verify(VerifyRequest.model_validate(load.VERIFY_BODY))
        verify_route.run_verify = lambda body: answer  # type: ignore[assignment]
    app = load._bulletguard_app(0.0, load.UNREACHED_RATE_LIMIT, hash_api_key(API_KEY))
    body = load.VERIFY_BODY if name == "verify" else load.REWRITE_BODY
    return app, f"/v1/{name}", json.dumps(body).encode()


async def request(app: Any, path: str, payload: bytes) -> None:
    """One POST through the ASGI app, as uvicorn would call it; fails unless the answer is a 200."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"x-api-key", API_KEY.encode()),
            (b"content-length", str(len(payload)).encode()),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    messages = [{"type": "http.request", "body": payload, "more_body": False}]
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.Event().wait()  # the client never disconnects
        raise AssertionError("unreachable")

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    if statuses != [200]:
        raise RuntimeError(f"{path} answered {statuses}")


async def cpu_us_per_request(targets: dict[str, tuple[Any, str, bytes]], n: int, rounds: int) -> dict[str, float]:
    """The least CPU time per request over ``rounds`` interleaved rounds of ``n`` requests per target."""
    for app, path, payload in targets.values():
        for _ in range(min(n, 200)):  # warm-up: vocabularies, caches, first-use imports
            await request(app, path, payload)
    best = dict.fromkeys(targets, float("inf"))
    for _ in range(rounds):
        for name, (app, path, payload) in targets.items():
            started = time.process_time()
            for _ in range(n):
                await request(app, path, payload)
            best[name] = min(best[name], (time.process_time() - started) / n * 1e6)
    return best


def _package(filename: str) -> str:
    if "site-packages/" in filename:
        return filename.split("site-packages/", 1)[1].split("/", 1)[0]
    if "/service/" in filename:
        return "service/" + filename.split("/service/", 1)[1]
    return "python (stdlib and builtins)"


def print_profile(profile: cProfile.Profile, top: int) -> None:
    stats = pstats.Stats(profile)
    by_package: dict[str, float] = {}
    for (filename, _, _), (_, _, own_s, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        key = _package(filename)
        by_package[key] = by_package.get(key, 0.0) + own_s
    total = sum(by_package.values())
    print("\nown time by package or module (cProfile):")
    for key, own_s in sorted(by_package.items(), key=lambda item: -item[1])[:top]:
        print(f"  {own_s / total:6.1%}  {key}")
    print()
    stats.sort_stats("cumulative").print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="requests per round (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds; the least is kept")
    parser.add_argument("--stub-core", action="store_true", help="profile the HTTP path alone")
    parser.add_argument("--profile", action="store_true", help="cProfile /v1/verify after the timing")
    parser.add_argument("--top", type=int, default=30, help="lines of the profile (default: %(default)s)")
    args = parser.parse_args(argv)
    if not 1 <= args.requests <= 100_000 or not 1 <= args.rounds <= 50:
        parser.error("--requests must be within [1, 100000] and --rounds within [1, 50]")

    with open(os.devnull, "w") as devnull, contextlib.redirect_stderr(devnull):  # INFO log lines
        targets = {"echo": build("echo", stub_core=False), "verify": build("verify", stub_core=args.stub_core)}
        best = asyncio.run(cpu_us_per_request(targets, args.requests, args.rounds))
        profile = None
        if args.profile:
            app, path, payload = targets["verify"]
            profile = cProfile.Profile()

            async def profiled() -> None:
                profile.enable()
                for _ in range(args.requests):
                    await request(app, path, payload)
                profile.disable()

            asyncio.run(profiled())
    verify_label = "verify (core stubbed)" if args.stub_core else "verify"
    print(f"CPU time per request, in-process, least of {args.rounds} rounds of {args.requests}:")
    print(f"  echo    {best['echo']:8.0f} us")
    print(f"  {verify_label:<7} {best['verify']:8.0f} us   echo / verify: {best['echo'] / best['verify']:.0%}")
    if profile is not None:
        print_profile(profile, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
