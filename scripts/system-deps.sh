#!/usr/bin/env bash
# Debian packages the test suite needs beside the venv: a real Redis for the rate-limit tests and headless
# Chromium for the review page's browser tests. Both test modules FAIL without them (skipping only when
# BULLETGUARD_TEST_ALLOW_NO_REDIS=1 / BULLETGUARD_TEST_ALLOW_NO_BROWSER=1 is set). Idempotent: installs
# only what is missing, so `make test` runs it every time.
set -euo pipefail

missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  echo "== installing ${missing[*]} (Debian packages the tests need)"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
