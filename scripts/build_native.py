"""Compile the pure core (guard, repair, coach) with mypyc into this environment's ``bulletguard-native`` directory.

    python scripts/build_native.py            # build unless the stamp already matches the sources
    python scripts/build_native.py --force    # build anyway

The build uses the compiler flags Python was built with (no ``-march=native``), so it runs on any machine
of the interpreter's architecture. The output replaces the previous build only once complete; the stamp
(written last) is what ``service._native`` checks before using it. Needs mypy (the ``dev`` extra) and a C
compiler; without them, it says so and the guard runs its Python reading.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service._native import STAMP, compiled_sources, native_dir, stamp_for  # noqa: E402


def _missing_toolchain() -> str | None:
    """What the build lacks, said before minutes of type-checking rather than after."""
    try:
        import mypyc.build  # noqa: F401
        import setuptools  # noqa: F401
    except ImportError as exc:
        return f"{exc.name} is not installed (the dev extra has it)"
    headers = Path(sysconfig.get_paths()["include"]) / "Python.h"
    if not headers.is_file():
        return f"no Python headers at {headers} (Debian: python3-dev)"
    compiler = (sysconfig.get_config_var("CC") or "cc").split()[0]
    if shutil.which(compiler) is None:
        return f"no C compiler ({compiler})"
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--force", action="store_true", help="rebuild even when the build is current")
    ap.add_argument("--prefix", default=sys.prefix, help="the environment to build for (default: this one)")
    args = ap.parse_args()

    sources = compiled_sources()
    stamp = stamp_for(sources)
    target = native_dir(args.prefix)
    try:
        current = json.loads((target / STAMP).read_text(encoding="utf-8")) == stamp
    except (OSError, ValueError):
        current = False
    if current and not args.force:
        print(f"build_native: {target} is current")
        return 0
    missing = _missing_toolchain()
    if missing:
        print(f"build_native: cannot compile: {missing}; the guard runs its Python reading", file=sys.stderr)
        return 1
    from mypyc.build import mypycify
    from setuptools import setup

    with tempfile.TemporaryDirectory(prefix="bulletguard-native-") as tmp:
        staging = Path(tmp) / "lib"
        os.chdir(ROOT)  # mypyc names modules by their path from here, and reads pyproject's mypy settings
        extensions = mypycify(
            [str(p.relative_to(ROOT)) for p in sources],
            group_name="service.guard._native",  # the shared library: service/guard/_native__mypyc
            target_dir=str(Path(tmp) / "c"),
            opt_level="3",
        )
        setup(
            name="bulletguard-native",
            ext_modules=extensions,
            script_args=["--quiet", "build_ext", "--build-lib", str(staging), "--build-temp", str(Path(tmp) / "o")],
        )
        (staging / STAMP).write_text(json.dumps(stamp), encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(staging, target)
    print(f"build_native: compiled {len(sources)} modules of the core into {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
