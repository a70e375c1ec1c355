"""Fault injectors for processes under test, built from C on demand with the machine's C compiler."""

from __future__ import annotations

import shutil
from pathlib import Path

from pysupport.processes import run_checked

HERE = Path(__file__).resolve().parent


def gso_refusing_preload(workdir: Path) -> Path:
    """A shared object for LD_PRELOAD that fails every segmented UDP write (GSO) with EIO (see refuse_gso.c)."""
    library = workdir / "refuse_gso.so"
    compiler = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    assert compiler, "no C compiler to build the GSO fault injector"
    run_checked(compiler, "-shared", "-fPIC", "-O2", "-o", str(library), str(HERE / "refuse_gso.c"), "-ldl")
    return library
