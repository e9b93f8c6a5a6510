"""The package's shape, as issue #16 set it: small modules, an engine of explicit parts.

Cheap checks that keep the refactoring from creeping back: every module of ``sim/`` under
400 lines, and the engine's parts plain classes built with what they use (no mixins).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import contacts, engine, floor, legs, workforce

PACKAGE = Path(__file__).resolve().parents[1] / "sim"
MAX_LINES = 400


def test_every_module_is_under_400_lines():
    """Long modules mix ideas; each holds one, named for what it holds."""
    long = {str(path.relative_to(PACKAGE)): n for path in sorted(PACKAGE.rglob("*.py"))
            if (n := len(path.read_text(encoding="utf-8").splitlines())) >= MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("part", [engine._Replication, floor.Floor, legs.Journeys,
                                  workforce.Shifts, contacts.ContactBook])
def test_the_engine_parts_are_not_mixins(part):
    """Each part is its own class (no base but object): built with what it uses."""
    assert part.__mro__ == (part, object)
