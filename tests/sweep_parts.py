"""Sweep folders for tests: a tiny scenario, a unit's part file, a folder of format 1."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import sim
from sim.grid import Grid, point_scenarios
from sim.scenario import Scenario
from sim.sweep_prints import legacy_fingerprint

TINY = {"name": "tiny", "seed": 1, "days": 1, "open": "08:00", "close": "10:00",
        "interval": "1h",
        "contact_types": {"calls": {"arrivals": {"rate": "60/h"},
                                    "handle": {"dist": "exponential", "mean": "4m"},
                                    "patience": {"dist": "exponential", "mean": "3m"}}},
        "agents": {"pool": {"skills": ["calls"], "staff": 4}}}
"""Two hours of 60 calls an hour to 4 agents: a unit takes milliseconds."""


def tiny(**fields) -> Scenario:
    """:data:`TINY`, its top-level ``fields`` replaced."""
    return sim.scenario_from_dict({**TINY, **fields})


def part_of(out: Path, point: int, replication: int) -> Path:
    """The part file of a unit, found by the row it holds (files are named by point key)."""
    for path in (out / "parts").glob("pt-*.json"):
        row = json.loads(path.read_text())
        if (row["point"], row["replication"]) == (point, replication):
            return path
    raise FileNotFoundError(f"no part of point {point}, replication {replication} in {out}")


def as_format_1(out: Path, scenario: Scenario, grid: dict[str, Any], seed: int | None = None
                ) -> None:
    """Turn a fresh sweep's folder into one an earlier ccsim wrote (store format 1).

    Parts filed by point index (``p000001-r0000.json``, no ``point_key``), under a
    manifest of format 1 whose fingerprint holds the grid's values
    (:func:`sim.sweep_prints.legacy_fingerprint`, the print format 1 made, kept as it was).
    """
    built = Grid.from_spec(grid)
    points = point_scenarios(scenario, built).scenarios
    manifest = json.loads((out / "manifest.json").read_text())
    manifest.update(format=1, fingerprint=legacy_fingerprint(
        scenario, built, scenario.seed if seed is None else seed, points))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2))
    for path in sorted((out / "parts").glob("pt-*.json")):
        row = json.loads(path.read_text())
        row.pop("point_key")
        (out / "parts" / f"p{row['point']:06d}-r{row['replication']:04d}.json").write_text(
            json.dumps(row))
        path.unlink()
