"""The staffed scenario as a file: the scenario's fields with the found staffing, as YAML."""

from __future__ import annotations

import os
import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from sim.output import write_atomic
from sim.policy_source import describe
from sim.units import counted, format_duration

if TYPE_CHECKING:
    from sim.staffing import StaffingResult


def files_read_from(document: Any, scenario: str | Path, folder: str | Path) -> Any:
    """``document`` (a scenario's fields) to be written into ``folder``, reading its files.

    The loader reads an empirical distribution's ``file`` and an arrivals ``trace``
    relative to the scenario file (:func:`sim.loader.load_scenario`); written elsewhere,
    each relative path is made relative to ``folder`` so that the same files are read
    (an absolute one stays). A copy: ``document`` is not changed.
    """
    base = Path(scenario).resolve().parent
    target = Path(folder).resolve()

    def moved(path: Any) -> Any:
        if not isinstance(path, str) or Path(path).is_absolute():
            return path
        return os.path.relpath(base / path, target)

    def walk(node: Any, key: str = "") -> Any:
        if isinstance(node, list):
            return [walk(item) for item in node]
        if not isinstance(node, Mapping):
            return node
        copy = {k: walk(v, str(k)) for k, v in node.items()}
        if copy.get("dist") == "empirical" and "file" in copy:
            copy["file"] = moved(copy["file"])
        if key == "arrivals" and "trace" in copy:
            copy["trace"] = moved(copy["trace"])
        return copy

    return walk(document)


def staffed_document(data: Mapping[str, Any], result: StaffingResult) -> dict:
    """A scenario's fields (``data``) with the staffing of ``result``.

    ``data`` is the scenario as the loader reads it (:func:`sim.loader.scenario_document`):
    only the loader reads scenario YAML, so clock times and units mean what they meant
    when the scenario was staffed.

    Each group gets its per-interval ``staff`` (scheduled agents) and loses ``shifts``;
    ``service_level`` becomes the searched goal; ``variants`` are dropped.
    """
    document = dict(data)
    staffed = result.scenario
    document["agents"] = {name: {**{k: v for k, v in group.items() if k != "shifts"},
                                 "staff": staffed.agents[name].staff}
                          for name, group in data["agents"].items()}
    document["service_level"] = {**(data.get("service_level") or {}),
                                 "threshold": format_duration(result.goal.threshold),
                                 "target": result.goal.target}
    document.pop("variants", None)
    return document


def write_staffed(path: str | Path, document: Mapping[str, Any], result: StaffingResult,
                  objective: str = "agents") -> Path:
    """Write the staffed scenario as YAML (atomically), with a comment on how it was found.

    ``objective``: ``agents`` (the fewest agents meeting the goal), ``cost`` (the least
    total cost meeting it) or ``cost_no_goal`` (the least total cost, no goal).
    """
    goal = result.goal
    wanted = goal.describe(result.scenario)
    if goal.confidence is not None:
        wanted += f" in {goal.confidence:.0%} of replications"
    if goal.max_abandon is not None:
        wanted += f" and abandonment <= {goal.max_abandon:g}"
    what = {"agents": f"the fewest agents per interval that meet {wanted} in every interval",
            "cost": f"the least total cost that meets {wanted} in every interval",
            "cost_no_goal": "the least total cost, with no service goal"}[objective]
    note = (f"Staffing found by `ccsim staff`: {what}, by simulation ("
            f"{counted(result.replications, 'replication')} per plan, seed {result.seed}). "
            "`staff` counts scheduled agents (before "
            f"shrinkage). Agent-hours on the phones: Erlang C "
            f"{result.agent_hours('erlang_c'):,.1f}, Erlang A "
            f"{result.agent_hours('erlang_a'):,.1f}, simulation {result.agent_hours():,.1f}.")
    trim = result.trim
    if trim is not None and objective == "agents":
        note += (" Trim: a local minimum on the search's replications (no single agent can go)."
                 if trim.minimum else f" Trim: {counted(trim.plans, 'plan')} (--trim-budget), "
                 "not shown to be a local minimum.")
    check = result.holdout
    if check is not None:
        outcome = ("measured (no goal to hold)." if objective == "cost_no_goal"
                   else "held." if check.held else "did NOT hold.")
        note += (f" Hold-out check on replications {check.first_replication}-"
                 f"{check.last_replication}: {outcome}")
    if result.policy is not None:
        note += (f" Judged under the {describe(result.policy)}, which this file does not "
                 "carry: run it with --policy.")
    head = "".join(f"# {line}\n" for line in textwrap.wrap(note, width=88))
    text = head + yaml.safe_dump(dict(document), sort_keys=False,
                                                   default_flow_style=None, width=100)
    return write_atomic(path, lambda p: p.write_text(text, encoding="utf-8"))
