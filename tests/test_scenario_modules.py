"""The scenario's sections live in their own modules; ``sim.scenario`` still offers them all.

Users' code (and notebooks) import models such as ``ContactType`` or ``Balking`` from
:mod:`sim.scenario`; the split into ``sim.scenario_*`` modules must not break that, and
scenarios must still pickle (they are sent to worker processes).
"""

from __future__ import annotations

import ast
import importlib
import pickle
from pathlib import Path

import pytest

import sim.scenario
from sim.loader import load_scenario

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ("scenario_base", "scenario_contacts", "scenario_journeys", "scenario_agents",
            "scenario_costs", "scenario_rules", "scenario_routing")


def public_names(module_name: str) -> list[str]:
    """Public classes, constants and type aliases a module defines (not those it imports)."""
    tree = ast.parse(Path(importlib.import_module(module_name).__file__).read_text())
    names = [node.name for node in tree.body if isinstance(node, ast.ClassDef)]
    names += [target.id for node in tree.body if isinstance(node, ast.Assign)
              for target in node.targets if isinstance(target, ast.Name)]
    return [n for n in names if not n.startswith("_")]


class TestReExports:
    @pytest.mark.parametrize("section", SECTIONS)
    def test_section_names_are_importable_from_sim_scenario(self, section):
        """Every public name of a section module is re-exported, the same object."""
        module = importlib.import_module(f"sim.{section}")
        names = public_names(f"sim.{section}")
        assert names
        for name in names:
            assert name in sim.scenario.__all__, name
            assert getattr(sim.scenario, name) is getattr(module, name), name

    def test_all_names_exist(self):
        """``from sim.scenario import *`` finds every name it promises."""
        namespace: dict[str, object] = {}
        exec("from sim.scenario import *", namespace)
        assert set(sim.scenario.__all__) <= set(namespace)


class TestPickle:
    def test_bundled_scenario_round_trips(self):
        """A loaded scenario pickles and unpickles to an equal scenario (worker processes)."""
        scenario = load_scenario(ROOT / "scenarios" / "small_bank.yaml")
        assert pickle.loads(pickle.dumps(scenario)) == scenario
