"""Compiled journey steps: the same Python source, compiled by Cython where it was built.

A journey contact (a misrouted call queued again, a transfer's second leg, a repeat, a
consult on hold) runs through more Python steps than a plain call: issue #17 measured
``refund_vs_relations`` at 0.40 of the plain-call speed, its journey steps about a third of
the run. ``setup.py`` compiles those modules (its ``JOURNEY_STEPS``) with Cython, from their
unchanged ``.py`` source, into ``sim/_compiled/NAME_HASH.<abi>.so``, where ``HASH`` is the
first 16 hex digits of the source's SHA-256. The floor and the plain path stay interpreted: CPython
3.11's specialising interpreter runs their attribute-heavy steps faster than Cython's
generic attribute access did (measured: a compiled floor made plain calls 15% slower).

:func:`install` puts a finder first on ``sys.meta_path``: importing ``sim.NAME`` loads the
compiled module only if one was built from the source as it is now (the hash in its file
name); an edited source, a missing compiler or a failed build leaves the module
interpreted, with the same results (``tests/test_compiled.py`` compares the records of
every bundled scenario both ways). ``CCSIM_PURE_PYTHON=1`` switches the compiled steps off.
"""

from __future__ import annotations

import importlib
import importlib.machinery
import os
import sys
from pathlib import Path

HOME = Path(__file__).resolve().parent
FOLDER = HOME / "_compiled"
SWITCH = "CCSIM_PURE_PYTHON"


def source_hash(source: Path) -> str:
    """The first 16 hex digits of the SHA-256 of a module's source (as ``setup.py`` names it)."""
    import hashlib  # (here: ``import sim`` stays quick; asked for when the engine loads)

    return hashlib.sha256(source.read_bytes()).hexdigest()[:16]


def built(folder: Path = FOLDER) -> dict[str, dict[str, str]]:
    """Compiled modules in ``folder``: ``{module: {source hash: module name under _compiled}}``."""
    out: dict[str, dict[str, str]] = {}
    try:
        files = os.listdir(folder)
    except OSError:
        return out
    for file in files:
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            if file.endswith(suffix):
                stem = file[:-len(suffix)]
                module, _, digest = stem.rpartition("_")
                if module and len(digest) == 16:
                    out.setdefault(module, {})[digest] = stem
                break
    return out


class _Alias:
    """Loads ``sim.NAME`` as the compiled ``sim._compiled.NAME_HASH`` (one module, two names).

    A loader of the import protocol (``create_module``, ``exec_module``), as is the finder
    (``find_spec``): ``importlib.abc`` is not imported for them (it costs ``import sim`` 7 ms).
    """

    def __init__(self, compiled: str, source: Path, finder: CompiledFinder):
        self.compiled, self.source, self.finder = compiled, source, finder
        self.fallback: importlib.machinery.SourceFileLoader | None = None

    def create_module(self, spec):
        try:
            return importlib.import_module(self.compiled)
        except ImportError:  # a build this machine cannot load (another libc, a cut copy)
            self.finder.used.remove(spec.name.rpartition(".")[2])
            self.fallback = importlib.machinery.SourceFileLoader(spec.name, str(self.source))
            return None  # (a plain module, its source run by exec_module)

    def exec_module(self, module) -> None:  # (nothing to run when the build was imported)
        if self.fallback is not None:
            module.__file__ = str(self.source)
            self.fallback.exec_module(module)


class CompiledFinder:
    """Finds ``PACKAGE.NAME`` compiled from ``HOME/NAME.py`` as it is now, else nothing."""

    def __init__(self, home: Path = HOME, package: str = "sim"):
        self.home, self.package = home, package
        self.available = built(home / "_compiled")
        self.used: list[str] = []

    def find_spec(self, fullname, path=None, target=None):
        """The compiled module's spec, or None (not ours, not built, or built from other source)."""
        package, _, name = fullname.rpartition(".")
        builds = self.available.get(name)
        if package != self.package or builds is None:
            return None
        try:
            compiled = builds.get(source_hash(self.home / f"{name}.py"))
        except OSError:
            return None
        if compiled is None:  # built from another version of the source: interpreted
            return None
        self.used.append(name)
        return importlib.machinery.ModuleSpec(
            fullname, _Alias(f"{self.package}._compiled.{compiled}", self.home / f"{name}.py",
                             self), origin=str(self.home / "_compiled" / compiled))


def switched_off() -> bool:
    """Whether ``CCSIM_PURE_PYTHON`` asks for everything interpreted (set, and not 0)."""
    return os.environ.get(SWITCH, "").strip() not in ("", "0")


def install() -> CompiledFinder | None:
    """Put the finder first on ``sys.meta_path`` (once), unless ``CCSIM_PURE_PYTHON`` is set."""
    if switched_off():
        return None
    for finder in sys.meta_path:
        if isinstance(finder, CompiledFinder):
            return finder
    finder = CompiledFinder()
    if not finder.available:
        return None
    sys.meta_path.insert(0, finder)
    return finder


def fresh(home: Path = HOME) -> list[str]:
    """Modules with a build of their source as it is now (what :func:`install` would load)."""
    return sorted(name for name, builds in built(home / "_compiled").items()
                  if (home / f"{name}.py").exists()
                  and source_hash(home / f"{name}.py") in builds)


def describe() -> str:
    """One line for benchmarks: how many journey steps run compiled in this process."""
    ready = fresh()
    if not ready:
        return "compiled journey steps: none built from this source (all interpreted)"
    return (f"compiled journey steps: {len(ready)} built from this source, "
            + ("switched off (CCSIM_PURE_PYTHON)" if switched_off() else "in use"))


def in_use() -> list[str]:
    """Modules imported compiled so far in this process (``[]``: all interpreted)."""
    for finder in sys.meta_path:
        if isinstance(finder, CompiledFinder):
            return list(finder.used)
    return []
