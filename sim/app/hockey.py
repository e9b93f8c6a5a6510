"""The trainer's hockey stick: service level and mean wait against the agents.

Simulated points around the page's agents (:meth:`sim.app.model.Session`), over the
Erlang C or A curve at the run's mean offered load where Erlang's model describes the
scenario (:func:`erlang_fits` says why not, otherwise), on an axis that says what the
page's agents count (:func:`agents_axis`).
"""

from __future__ import annotations

import io
import math
from typing import Any

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim import erlang, plots
from sim.app.settings import daily_contacts, mean_of
from sim.app.views import json_value
from sim.replicate import RunResult
from sim.scenario import Scenario
from sim.units import DAY


def offered_load(scenario: Scenario, intervals: pd.DataFrame | None = None
                 ) -> dict[str, float | None]:
    """The mean offered load for the Erlang curves.

    Args:
        scenario: The scenario as run.
        intervals: The run's interval table (``RunResult.intervals``): where contacts
            come back (repeats, redials), the rate is the contacts it offered per second
            in its measured intervals, those included; else the first day's drawn
            contacts (the scenario's own rate: Erlang's curve at its exact load).

    Returns:
        ``rate`` (contacts per second over the opening hours, after IVR self-service),
        ``aht`` (an agent's mean seconds per contact: the talk as a handle-time cap cuts
        it, then the after-call work: :func:`sim.staffing_start.agent_time`; weighted by
        the first day's contacts that reach the queues) and ``patience`` (its weighted
        mean; None: Erlang C).
    """
    from sim.staffing_start import agent_time  # (with the run: scipy only then)

    per_type = {name: n * (1 - (ct.ivr.self_service if ct.ivr else 0.0))  # (to the queues)
                for (name, n), ct in zip(daily_contacts(scenario).items(),
                                         scenario.contact_types.values(), strict=True)}
    total = sum(per_type.values())
    rate = total / scenario.open_seconds
    back = any(ct.repeat is not None or ct.retrial is not None
               for ct in scenario.contact_types.values())
    if intervals is not None and back:
        measured = intervals[(intervals["contact_type"] == "all") & intervals["staff"].notna()]
        if len(measured):
            rate = float(measured["offered"].mean()) / scenario.interval
    times = [agent_time(ct, 1.0) for ct in scenario.contact_types.values()]
    aht = (sum(n * t for n, t in zip(per_type.values(), times, strict=True)) / total
           if total > 0 else float(np.mean(times)))
    return {"rate": rate, "aht": aht, "patience": mean_of(scenario, "patience")}


def erlang_fits(scenario: Scenario) -> str | None:
    """Why the Erlang formulas do not describe ``scenario``'s agents axis, or None.

    They need one agent group with a constant staff on the phones, at one pace, constant
    arrival rates, no trunk limit, and contacts that take one agent once (a talk, its
    cap and its after-call work are in :func:`offered_load`'s agent time; repeat
    contacts and redials in its rate, unless, over several days with closing hours,
    those due while closed come all at once at the opening); otherwise the page shows
    the simulated points alone. (A curve for another load was drawn under a cap,
    after-call work or repeats, far from the simulated points.)
    """
    groups = list(scenario.agents.values())
    if len(groups) > 1:
        return "several agent groups"
    group = groups[0]
    if group.shifts or isinstance(group.staff, list) or group.shrinkage or group.absenteeism:
        return "staff changes through the day"
    if group.concurrency > 1:
        return "agents handle several contacts at once"
    if group.speed != 1.0 or group.speed_cv:
        return "agents work at their own pace"
    if group.escalate is not None or group.blending is not None:
        return "agents escalate or blend in back-office work"
    if any(ct.arrivals.rate is None for ct in scenario.contact_types.values()):
        return "arrivals change through the day"
    if scenario.lines is not None:
        return "a trunk limit (busy signals)"
    closes = scenario.open > 0 or scenario.close < DAY
    if scenario.days > 1 and closes and any(ct.repeat is not None or ct.retrial is not None
                                            for ct in scenario.contact_types.values()):
        # (sim.legs.Journeys._when_open): the day's first interval takes them all, so the
        # load is not constant (speed_vs_resolution's week: 324 calls in its first hour
        # against 113 an hour, and Erlang A at the mean load 16 points over the run)
        return "contacts coming back while closed all call at the next opening (a burst)"
    for ct in scenario.contact_types.values():
        if ct.transfer or ct.consult or (ct.ivr is not None and ct.ivr.misroute):
            return "contacts take more than one talk (transfers, consults, misroutes)"
        if ct.callback is not None or ct.balking is not None:
            return "callers take callbacks or balk"
        if ct.complaint is not None or ct.duplicate_answers:
            return "contacts make more work elsewhere (complaints, duplicate answers)"
    return None


def erlang_curve(load: dict[str, float | None], agents: range, threshold: float
                 ) -> list[dict[str, float]]:
    """Erlang C (no patience) or Erlang A service level and mean wait per agent count.

    Counts the load saturates (Erlang C with agents <= load) are left out, and so are
    those the formulas cannot evaluate in floating point (an AHT of 1e300 s: no caller
    is served, and Erlang A's mean wait of the served is 0/0).
    """
    out = []
    for n in agents:
        if n < 1:
            continue
        try:
            m = (erlang.erlang_a_metrics(load["rate"], load["aht"], n, load["patience"],
                                         threshold) if load["patience"]
                 else erlang.erlang_c_metrics(load["rate"], load["aht"], n, threshold))
        except (ValueError, ArithmeticError):
            continue
        if math.isfinite(m.service_level) and math.isfinite(m.mean_wait):
            out.append({"agents": n, "service_level": m.service_level,
                        "mean_wait": m.mean_wait})
    return out


def agents_axis(scenario: Scenario) -> str:
    """What the hockey stick's agents axis counts: the page's agents, summed over groups.

    The page counts a group's agents at its peak (:func:`sim.app.settings.peak_agents`):
    constant staff on the phones; a per-interval staff at its busiest interval; a group on
    shifts as all its shifts of the day together; scheduled agents, before shrinkage and
    absence take theirs off the phones.
    """
    groups = list(scenario.agents.values())
    said = [what for what, applies in (
        ("all groups", len(groups) > 1),
        ("shifts: all of the day", any(g.shifts for g in groups)),
        ("staff by interval: the busiest",
         any(isinstance(g.staff, list) and not g.shifts for g in groups)),
        ("scheduled, before shrinkage and absence",
         any(g.shrinkage or g.absenteeism for g in groups))) if applies]
    return f"agents ({'; '.join(said)})" if said else "agents on the phones"


def hockey_point(agents: int, result: RunResult) -> dict[str, Any]:
    """One simulated point: total agents, service level and mean wait with 95% CIs."""
    return {"agents": agents,
            **{k: json_value(float(result.summary[k])) for k in ("service_level", "mean_wait")},
            **{f"{k}_ci": json_value(float(result.ci[k])) for k in ("service_level", "mean_wait")}}


def hockey_figure(points: list[dict[str, Any]], curve: list[dict[str, float]], current: int,
                  target: float, threshold: float, model: str,
                  axis: str = "agents on the phones") -> str:
    """The hockey stick, as SVG text.

    Service level and mean wait against the agents: the simulated points (95% CI
    whiskers) over the Erlang curve, the current setting highlighted; ``axis`` names
    what the agents count (:func:`agents_axis`).
    """
    with matplotlib.rc_context(plots.STYLE):
        fig = Figure(figsize=(8, 3.2), layout="constrained")
        axes = fig.subplots(1, 2)
        for ax, key, scale, label in ((axes[0], "service_level", 100,
                                       f"answered within {threshold:g} s (%)"),
                                      (axes[1], "mean_wait", 1, "mean wait (s)")):
            if curve:
                ax.plot([c["agents"] for c in curve], [c[key] * scale for c in curve],
                        color="0.45", lw=1.5, label=model)
            done = [p for p in points if p[key] is not None]
            x = np.array([p["agents"] for p in done], float)
            y = np.array([p[key] * scale for p in done], float)
            err = np.array([(p[f"{key}_ci"] or 0.0) * scale for p in done], float)
            ax.errorbar(x, y, yerr=err, fmt="o", color="#1f5fa6", ms=5, capsize=3,
                        label="simulated, 95% CI")
            here = [p for p in done if p["agents"] == current]
            if here:
                ax.plot([current], [here[0][key] * scale], "o", ms=12, mfc="none",
                        mec="#c9312c", mew=2.5, label="current setting")
            if not done and not curve:  # (nobody called: an empty frame at -0.045..0.045)
                ax.set_xlim(current - 3.5, current + 3.5)
                ax.text(0.5, 0.5, "no contacts offered", transform=ax.transAxes,
                        ha="center", va="center", color="0.4")
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        fig.supxlabel(axis, fontsize=plots.STYLE["axes.labelsize"])  # (both panels: one)
        axes[0].axhline(target * 100, color="#2a9a48", ls="--", lw=1, label="target")
        axes[0].set_ylim(-3, 103)
        axes[1].set_ylim(bottom=0)
        axes[0].legend(fontsize=7, loc="best")  # (lower right sat on low points)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    return buffer.getvalue()


