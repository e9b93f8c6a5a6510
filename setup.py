"""Build of ccsim: pyproject.toml says everything but the optional compiled journey steps.

Where Cython and a C compiler are at hand (pip brings Cython, pyproject.toml's
``build-system``), the modules of :data:`JOURNEY_STEPS` are compiled, from their unchanged
source, into ``sim/_compiled/NAME_HASH`` (``HASH``: the source's SHA-256, 16 hex digits),
which :mod:`sim.compiled` loads only while the source is unchanged. A failed or skipped
build leaves them interpreted, with the same results: ``CCSIM_NO_COMPILE=1`` skips it.
"""

import hashlib
import os
import sys
from pathlib import Path

from setuptools import Extension, setup

# the steps only journeys take (issue #17: 0.40 of the plain-call speed interpreted); the
# floor and the plain path stay interpreted (compiled, they ran slower: sim/compiled.py)
JOURNEY_STEPS = (
    "consult_entry", "consult_hold", "drawn_repeats", "first_leg", "ivr_exits", "keyed",
    "leg_steps", "misroute_legs", "repeats_again", "requeue", "second_leg", "third_legs",
)


# Python's float arithmetic, one rounding per operation: no fused multiply-adds, which
# compilers may otherwise contract on machines that have them (results differ in the last bit)
FLOAT_FLAGS = [] if os.name == "nt" else ["-ffp-contract=off"]


def journey_extensions() -> list:
    """The compiled steps' extensions, or none (no Cython, or ``CCSIM_NO_COMPILE``).

    Each is optional, so a missing or failing C compiler leaves the steps interpreted and the
    install goes on; a module Cython refuses (valid Python its parser does not take) is left
    out alone, with one line that says so.
    """
    if os.environ.get("CCSIM_NO_COMPILE", "").strip() not in ("", "0"):
        return []
    try:
        from Cython.Build import cythonize
        from Cython.Compiler.Errors import CompileError
    except ImportError:
        return []
    home = Path(__file__).resolve().parent
    extensions = []
    for name in JOURNEY_STEPS:
        source = Path("sim") / f"{name}.py"
        digest = hashlib.sha256((home / source).read_bytes()).hexdigest()[:16]
        try:
            extensions += cythonize(
                [Extension(f"sim._compiled.{name}_{digest}", [str(source)],
                           extra_compile_args=FLOAT_FLAGS)],
                # C of this very source: Cython remakes C only for sources newer than it,
                # and a source can be older yet other (``cp -p``, ``rsync -a``)
                build_dir=f"build/cython/{name}_{digest}", quiet=True, compiler_directives={
                    # plain Python semantics: annotations are not C types
                    "language_level": 3, "annotation_typing": False, "binding": True})
        except CompileError:
            print(f"ccsim: Cython refused sim/{name}.py; it runs interpreted", file=sys.stderr)
    for extension in extensions:  # (cythonize makes new ones, not optional)
        extension.optional = True
    return extensions


setup(ext_modules=journey_extensions(),
      options={"build_ext": {"parallel": os.cpu_count() or 1}})
