#!/usr/bin/env bash
# llama-cpp-python (the runtime of the bundled local model) built portably, and cached by its build flags.
#
#   scripts/llama-cpp.sh flags            print the CMAKE_ARGS this machine's architecture gets
#   scripts/llama-cpp.sh install PYTHON   build (once) and install llama-cpp-python into PYTHON's venv
#   scripts/llama-cpp.sh rebuild PYTHON   forget the cached wheel for these flags, build and install again
#   scripts/llama-cpp.sh requirement      print the pinned requirement (from pyproject.toml's [local] extra)
#
# Why: llama.cpp's default build is GGML_NATIVE=ON (-march=native), which compiles in every instruction
# set the *build* machine advertises, AVX-512 and AMX included. A wheel built on one machine then crashes
# on another (SIGILL), and even on the same VM an advertised AMX unit can fault (SIGSEGV in
# libggml-cpu.so). So the build is never native: on x86-64 it targets AVX2 + FMA + F16C + BMI2 (every
# x86-64 CPU since 2013-2015), with AVX-512 and AMX off; elsewhere the architecture's baseline.
#
# pip caches a wheel it built by name and version, not by CMAKE_ARGS, so a native wheel in pip's cache
# would be reused silently. This script never reads or writes pip's cache for llama-cpp-python: it builds
# the wheel itself into a cache keyed by (version, flags, Python, architecture) under
# ${BULLETGUARD_WHEEL_CACHE:-~/.cache/bulletguard/wheels}, and records the key in the venv so that a
# venv holding another build is reinstalled.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
pyproject="${BULLETGUARD_PYPROJECT:-$here/../pyproject.toml}"

flags() {
  case "$(uname -m)" in
    x86_64 | amd64)
      echo "-DGGML_NATIVE=OFF -DGGML_SSE42=ON -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON" \
        "-DGGML_BMI2=ON -DGGML_AVX_VNNI=OFF -DGGML_AVX512=OFF -DGGML_AVX512_VBMI=OFF -DGGML_AVX512_VNNI=OFF" \
        "-DGGML_AVX512_BF16=OFF -DGGML_AMX_TILE=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_BF16=OFF" \
        "-DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF"
      ;;
    *)
      echo "-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=OFF -DGGML_CPU_ALL_VARIANTS=OFF"
      ;;
  esac
}

# The exact requirement of the [local] extra, e.g. "llama-cpp-python==0.3.36" (extras dropped).
requirement() {
  python3 - "$pyproject" <<'PY'
import re, sys, tomllib
with open(sys.argv[1], "rb") as f:
    extra = tomllib.load(f)["project"]["optional-dependencies"]["local"]
for req in extra:
    m = re.fullmatch(r"llama-cpp-python(?:\[[^\]]*\])?(==\S+)", req.replace(" ", ""))
    if m:
        print("llama-cpp-python" + m.group(1))
        break
else:
    sys.exit("pyproject.toml: the [local] extra pins no llama-cpp-python==VERSION")
PY
}

install() {
  local python="$1" fresh="${2:-}"
  local req cmake_args tag key cache dir venv marker wheel tmp
  req="$(requirement)"
  cmake_args="$(flags)"
  tag="$("$python" -c 'import sys, sysconfig; print(sys.implementation.cache_tag, sysconfig.get_platform())')"
  key="$(printf '%s\n%s\n%s\n' "$req" "$cmake_args" "$tag" | sha256sum | cut -c1-16)"
  cache="${BULLETGUARD_WHEEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bulletguard/wheels}"
  dir="$cache/$key"
  venv="$("$python" -c 'import sys; print(sys.prefix)')"
  marker="$venv/.llama-cpp-build"

  if [ -n "$fresh" ]; then
    rm -rf "$dir" "$marker"
  fi
  if [ -f "$marker" ] && [ "$(cat "$marker")" = "$key" ]; then
    echo "== $req already installed with portable flags (build $key)"
    return 0
  fi
  if ! ls "$dir"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    echo "== building $req from source with portable flags (several minutes on 2 cores)"
    echo "   CMAKE_ARGS=$cmake_args"
    mkdir -p "$cache"
    tmp="$(mktemp -d "$cache/.build.XXXXXX")"
    CMAKE_ARGS="$cmake_args" FORCE_CMAKE=1 "$python" -m pip wheel --no-deps --no-cache-dir \
      --no-binary llama-cpp-python --wheel-dir "$tmp" "$req"
    rm -rf "$dir"
    chmod 755 "$tmp"
    mv "$tmp" "$dir"
  fi
  wheel="$(ls "$dir"/llama_cpp_python-*.whl | sed -n 1p)"
  echo "== installing $wheel"
  "$python" -m pip install --no-deps --force-reinstall "$wheel"
  echo "$key" >"$marker"
}

case "${1:-}" in
  flags) flags ;;
  requirement) requirement ;;
  install) install "${2:?usage: $0 install PYTHON}" ;;
  rebuild) install "${2:?usage: $0 rebuild PYTHON}" fresh ;;
  *)
    echo "usage: $0 flags | requirement | install PYTHON | rebuild PYTHON" >&2
    exit 2
    ;;
esac
