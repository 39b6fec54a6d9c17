"""The bundled model's runtime is built to run on any x86-64 CPU with AVX2 (issue: a native build, made on a
machine that advertises AVX-512 and AMX, died of SIGSEGV in libggml-cpu.so on its first completion).

The scan disassembles the installed llama.cpp libraries and looks for AMX tile instructions and AVX-512
registers: a build made with ``-march=native`` on such a machine, or with ``GGML_AVX512``/``GGML_AMX_*`` on,
holds them; the portable build from ``scripts/llama-cpp.sh`` does not. The scan is itself tested on a small
library compiled here with AMX and AVX-512 enabled, so it can fail without an AMX machine. That the portable
library loads and completes real requests is ``tests/rewrite/test_local_model.py``.
"""

from __future__ import annotations

import importlib.util
import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "llama-cpp.sh"

AMX = re.compile(
    r"\b(?:tileloaddt?1?|tilestored|tilerelease|tilezero|ldtilecfg|sttilecfg|tdpb[su][su]d|tdpbf16ps|tdpfp16ps)\b"
)
AVX512 = re.compile(r"%zmm\d+|\{%k[1-7]\}")

pytestmark = pytest.mark.skipif(platform.machine() not in {"x86_64", "AMD64"}, reason="x86-64 instruction sets")


def wide_instructions(library: Path) -> dict[str, set[str]]:
    """AMX mnemonics and AVX-512 operands found in ``library``'s code, by family."""
    objdump = shutil.which("objdump")
    assert objdump, "objdump (binutils) is needed to check the llama.cpp build"
    found: dict[str, set[str]] = {"amx": set(), "avx512": set()}
    with subprocess.Popen(
        [objdump, "-d", "--no-show-raw-insn", str(library)], stdout=subprocess.PIPE, text=True
    ) as proc:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "\t" not in line:
                continue  # labels and headers; instructions are tab-separated
            for family, pattern in (("amx", AMX), ("avx512", AVX512)):
                match = pattern.search(line)
                if match:
                    found[family].add(match.group(0))
    assert proc.returncode == 0, f"objdump failed on {library}"
    return found


def installed_llama_libraries() -> list[Path]:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail("llama-cpp-python is not installed (make venv installs it with the local extra)")
    package = Path(next(iter(spec.submodule_search_locations)))
    libraries = sorted(p for p in (package / "lib").glob("lib*.so*") if p.is_file() and not p.is_symlink())
    assert libraries, f"no shared libraries under {package / 'lib'}"
    return libraries


def script(*args: str) -> str:
    return subprocess.run(["bash", str(SCRIPT), *args], check=True, capture_output=True, text=True).stdout.strip()


def test_the_build_flags_turn_native_tuning_avx512_and_amx_off() -> None:
    flags = script("flags").split()
    assert "-DGGML_NATIVE=OFF" in flags
    for on in ("AVX", "AVX2", "FMA", "F16C"):
        assert f"-DGGML_{on}=ON" in flags
    assert not [f for f in flags if re.match(r"-DGGML_(AVX512|AMX)\w*=ON", f)], flags
    assert "-DGGML_CPU_ALL_VARIANTS=OFF" in flags  # its sapphirerapids variant would pick AMX at run time


def test_the_pinned_requirement_is_the_local_extras() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    requirement = script("requirement")
    assert re.fullmatch(r"llama-cpp-python==[\w.]+", requirement)
    assert requirement.replace("llama-cpp-python", "llama-cpp-python[server]") in pyproject


def test_the_readme_documents_the_same_flags() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script("flags") in readme, "README's install instructions must give scripts/llama-cpp.sh's flags"


@pytest.mark.local_model
def test_the_installed_llama_cpp_holds_no_amx_or_avx512_instructions() -> None:
    wide = {lib.name: found for lib in installed_llama_libraries() if any((found := wide_instructions(lib)).values())}
    assert not wide, f"llama.cpp was built for a wider CPU than AVX2: {wide}"


def test_the_scan_finds_amx_and_avx512_in_a_library_built_for_them(tmp_path: Path) -> None:
    source = tmp_path / "wide.c"
    source.write_text(
        """
#include <immintrin.h>
static unsigned char cfg[64], a[1024], b[1024], c[1024];
void tiles(void) {
    _tile_loadconfig(cfg);
    _tile_loadd(1, a, 64);
    _tile_loadd(2, b, 64);
    _tile_dpbssd(0, 1, 2);
    _tile_stored(0, c, 64);
    _tile_release();
}
__m512 wide(__m512 x, __m512 y) { return _mm512_add_ps(x, y); }
""",
        encoding="utf-8",
    )
    library = tmp_path / "libwide.so"
    compiler = shutil.which("cc") or shutil.which("gcc")
    assert compiler, "a C compiler is needed to build the scan's positive sample"
    subprocess.run(
        [compiler, "-O1", "-shared", "-fPIC", "-mamx-tile", "-mamx-int8", "-mavx512f", str(source), "-o", str(library)],
        check=True,
        capture_output=True,
    )
    found = wide_instructions(library)
    assert {"ldtilecfg", "tileloadd", "tdpbssd", "tilestored", "tilerelease"} <= found["amx"]
    assert found["avx512"]
