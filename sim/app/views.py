"""What the trainer's page shows of a run: KPI cards, the hockey stick and the floor.

Plain data (JSON-ready dicts and lists) and one SVG figure, computed from runs; the page
only draws them. Cards and before/after rows of KPIs the run does not model (a repeat
rate without `repeat`: always 0) are left out, with a line naming them, by the rule of
``ccsim run`` and the report (:mod:`sim.features`); the run's scenario is the page's
settings applied, so callbacks switched on in the page are modelled.

The floor is played back from the run's own records (each contact's arrival, answer and
end, each leg's talk and hold, the agents on duty), the same records ``ccsim animate``
draws, so it shows exactly what the simulation did.
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

from sim import erlang, metrics, plots
from sim import kpis as registry
from sim.animation_timelines import _talks_and_holds, _waits, _wrap_ups, callback_mask
from sim.app.settings import daily_contacts, mean_of
from sim.compare import comparison_table
from sim.features import features, left_out, note
from sim.kpis import CALLBACKS
from sim.metrics import measured_window
from sim.replicate import RunResult
from sim.scenario import Scenario
from sim.scenario_contacts import ServiceLevelDefinition
from sim.units import DAY

# the KPIs the page shows, of which those the run does not model are left out (cards())
CARD_KPIS = ("service_level", "asa", "live_asa", "abandon_rate", "occupancy", "fcr", "repeat_rate",
             "customer_effort")
COMPARE_ROWS = (*CARD_KPIS, "mean_wait", "offered", "answered", "abandoned", "callbacks")
# counts of callers lost that the panel adds beside answered and abandoned where the run
# models them, as `ccsim run` reports them
LOST = ("hung_up", "blocked", "balked")
MAX_FRAMES = 721  # a 12-hour day a minute a frame
MAX_WAITING = 30


def _clean(value: Any) -> Any:
    """NaN (an undefined KPI) as None, for JSON."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _shown(kpi: str) -> dict[str, str]:
    """How the page shows a KPI, from the registry: its label and kind (pct, s, money or n)."""
    unit = registry.unit_of(kpi)
    kind = ("pct" if unit is registry.RATIO else "s" if unit is registry.SECONDS
            else "money" if unit is registry.MONEY else "n")
    return {"label": registry.label(kpi), "kind": kind}


def kpis(result: RunResult) -> dict[str, dict[str, Any]]:
    """Every KPI's mean, 95% half-width, label and kind: ``{kpi: {"mean": m, "ci": h, ...}}``."""
    return {k: {"mean": _clean(float(result.summary[k])), "ci": _clean(float(result.ci[k])),
                **_shown(k)}
            for k in result.summary}


def _modelled(names: tuple[str, ...], results: list[RunResult], where: str
              ) -> tuple[list[str], str]:
    """Of ``names``, those shown, and the line naming the rest (:func:`sim.features.note`)."""
    left = left_out(names, [r.scenario for r in results], [r.summary for r in results])
    return [k for k in names if k not in left], note(left, where)


def cards(result: RunResult) -> tuple[list[str], str]:
    """The KPI cards of ``result`` (of :data:`CARD_KPIS`), and the line naming those left out.

    The line is '' when every card is shown.
    """
    return _modelled(CARD_KPIS, [result], "this scenario")


# ---- before / after ------------------------------------------------------------------


def comparison(pinned: RunResult, current: RunResult) -> tuple[list[dict[str, Any]], str]:
    """Pinned vs current per KPI with the paired difference (common random numbers).

    Returns:
        The rows (of :data:`COMPARE_ROWS`, those neither run models left out) and the
        line naming those left out ('' if none).

    Raises:
        ValueError: If the two ran with other seeds or replications (not paired).
    """
    shown, line = _modelled(COMPARE_ROWS, [pinned, current], "either run")
    table = comparison_table({"pinned": pinned, "current": current}, "pinned", shown)
    rows = []
    for kpi in shown:
        part = table[table["kpi"] == kpi].set_index("variant")
        rows.append({"kpi": kpi, **_shown(kpi),
                     "pinned": _clean(float(part.at["pinned", "mean"])),
                     "pinned_ci": _clean(float(part.at["pinned", "ci"])),
                     "current": _clean(float(part.at["current", "mean"])),
                     "current_ci": _clean(float(part.at["current", "ci"])),
                     "diff": _clean(float(part.at["current", "diff"])),
                     "diff_ci": _clean(float(part.at["current", "diff_ci"])),
                     "significant": bool(part.at["current", "significant"])})
    return rows, line


# ---- the hockey stick ----------------------------------------------------------------


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
    contacts and redials in its rate); otherwise the page shows the simulated points
    alone. (A curve for another load was drawn under a cap, after-call work or repeats,
    far from the simulated points.)
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


def hockey_point(agents: int, result: RunResult) -> dict[str, Any]:
    """One simulated point: total agents, service level and mean wait with 95% CIs."""
    return {"agents": agents,
            **{k: _clean(float(result.summary[k])) for k in ("service_level", "mean_wait")},
            **{f"{k}_ci": _clean(float(result.ci[k])) for k in ("service_level", "mean_wait")}}


def hockey_figure(points: list[dict[str, Any]], curve: list[dict[str, float]], current: int,
                  target: float, threshold: float, model: str) -> str:
    """The hockey stick, as SVG text.

    Service level and mean wait against the agents: the simulated points (95% CI
    whiskers) over the Erlang curve, the current setting highlighted.
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
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax.set_xlabel("agents on the phones")
            ax.set_ylabel(label)
            ax.grid(alpha=0.3)
        axes[0].axhline(target * 100, color="#2a9a48", ls="--", lw=1, label="target")
        axes[0].set_ylim(-3, 103)
        axes[1].set_ylim(bottom=0)
        axes[0].legend(fontsize=7, loc="lower right")
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg")
    return buffer.getvalue()


# ---- the floor -----------------------------------------------------------------------


def floor_frames(result: RunResult, replication: int = 0, day: int = 0) -> dict[str, Any]:
    """One day of one replication as frames for the page to play back.

    Returns:
        ``{"groups": [...], "seats": {group: most agents at once}, "concurrency":
        {group: contacts an agent takes at once; above 1 (a chat desk), its seats, on duty
        and talking count chats: agents on duty x concurrency}, "wrap_up": whether any
        agent does after-call work, "callbacks": whether the scenario offers callbacks,
        "lost": [[kpi, label]] of :data:`LOST` the run models
        (hung up after an answer, blocked, balked), "threshold": s,
        "measured_from": the warm-up's end (seconds since the day's midnight) if it
        comes after the day opens (past its closing, or on a later day, where the whole
        day is warm-up and counts nothing), else None, "frames": [{"t": seconds since midnight,
        "groups": {g: [on duty, talking, on hold, in after-call work]} (busy: talking
        plus after-call work, as the run's occupancy and day.png count it), "queue":
        waiting now, "callbacks": of them, awaiting a callback (off the phone; the rest
        are on the line), "waits": [longest waits first, s; with callbacks, those on
        the line first], "late": [1 where that wait is past its type's threshold],
        "called": [1 where that caller awaits a callback], "answered", "abandoned",
        "hung_up", "blocked", "balked", "service_level", "asa": so far}]}``, so far as
        :func:`so_far` counts.
    """
    sc = result.scenario
    start, stop = day * DAY + sc.open, day * DAY + sc.close
    step = max(60.0, (stop - start) / (MAX_FRAMES - 1))
    times = np.arange(start, stop + step / 2, step)
    talks, holds = _talks_and_holds(result, replication)
    wraps = _wrap_ups(result, replication)
    waits, queues = _waits(result, replication)
    called = callback_mask(result, replication)  # which of them await a callback
    # each wait's own type's threshold (a type may have its own): red past it
    own = metrics.contact_thresholds(pd.Series(queues, dtype=str), sc)
    staff = result.staff[result.staff["replication"] == replication]
    # a chat desk counts in chats: its agents on duty times the chats each takes
    per_agent = {g: sc.agents[g].concurrency for g in sc.agents}
    duty = {g: plots.agents_on_duty(staff, g, times, per_agent[g]) for g in sc.agents}
    talking = {g: talks[g].count(times) for g in sc.agents}
    holding = {g: holds[g].count(times) for g in sc.agents}
    # after-call work: the agent is busy (not idle), the caller gone
    wrapping = {g: wraps[g].count(times) if wraps else np.zeros(times.size, int)
                for g in sc.agents}
    c = result.contacts[result.contacts["replication"] == replication]
    c = c[(c["arrival"] >= start) & (c["arrival"] < stop + DAY)]
    counts = so_far(c, sc, times)
    frames = []
    for i, t in enumerate(times):
        now = waits.active(t)
        waited = t - waits.start[now]
        # callers on the line first, longest first; then those awaiting a callback
        longest = np.lexsort((-waited, called[now]))[:MAX_WAITING]
        frames.append({
            "t": float(t - day * DAY),
            "groups": {g: [int(duty[g][i]), int(talking[g][i]), int(holding[g][i]),
                           int(wrapping[g][i])] for g in sc.agents},
            "queue": int(now.sum()), "callbacks": int(called[now].sum()),
            "waits": [round(float(w)) for w in waited[longest]],
            "late": [int(w > limit) for w, limit in zip(waited[longest], own[now][longest])],
            "called": [int(b) for b in called[now][longest]],
            **counts[i]})
    seats = {g: max(1, int(max(duty[g].max(), (talking[g] + wrapping[g]).max())))
             for g in sc.agents}
    # the KPIs so far count from the end of the warm-up, as the run's do: said even where
    # it ends after closing (the panel would otherwise show zeros with no reason)
    measured = measured_window(sc).start - day * DAY
    return {"groups": list(sc.agents), "seats": seats, "concurrency": per_agent,
            "wrap_up": wraps is not None, "callbacks": CALLBACKS in features(sc),
            "lost": [[k, registry.label(k).lower()] for k in LOST
                     if k not in left_out(LOST, [sc], [result.summary])],
            "threshold": sc.service_level.threshold,
            "measured_from": measured if start < measured + day * DAY else None,
            "frames": frames}


def so_far(contacts: pd.DataFrame, scenario: Scenario, times: np.ndarray
           ) -> list[dict[str, Any]]:
    """Answered, abandoned, the other callers lost, service level and ASA so far.

    Counted as the run counts its KPIs (:func:`sim.metrics.contact_kpis`), over the
    contacts that arrived in the measured window (after the warm-up), at each of
    ``times``: answered, abandoned and hung up after an answer (on hold, or queued
    again after a transfer) by then, blocked and balked on arriving by then; ASA, the
    mean queue wait (not the IVR menu before it) of those answered by then; the
    service level, by the scenario's definition, over the offered
    contacts (not blocked, served in the IVR or balked) whose fate is known by then
    (answered, abandoned, or waiting past their own type's threshold). Once every fate
    is known, these are the run's KPIs.
    """
    cols = metrics.columns(contacts, None, scenario)
    mine = measured_window(scenario).contacts(cols.arrival)
    offered = mine & ~(cols.blocked | cols.self_served | cols.balked)
    answered, abandoned = mine & cols.answered, mine & cols.abandoned
    wait, threshold = cols.wait, cols.threshold
    # when each was answered, hung up, or no longer in time (NaN: never, at any time)
    answered_at = np.where(answered, cols.answer, np.nan)
    gone_at = np.where(abandoned, cols.end, np.nan)
    hung_up_at = np.where(mine & cols.hung_up, cols.end, np.nan)
    blocked_at = np.where(mine & cols.blocked, cols.arrival, np.nan)
    balked_at = np.where(mine & cols.balked, cols.arrival, np.nan)
    # into the queue: the first answer or the hang-up less the wait (after any IVR menu)
    entered = np.where(answered, cols.answer - wait,
                       np.where(abandoned, cols.end - wait, cols.arrival))
    late_at = np.where(offered, entered + threshold, np.nan)
    in_time = answered & (wait <= threshold)
    short = abandoned & (wait <= threshold)
    definition = scenario.service_level.definition
    out = []
    for t in times:
        took = answered_at <= t
        n = int(took.sum())
        gone = gone_at <= t
        if definition is ServiceLevelDefinition.ANSWERED:
            known = took
        else:
            known = offered & (took | gone | (late_at <= t))
            if definition is ServiceLevelDefinition.SHORT_ABANDONS_EXCLUDED:
                known &= ~(short & gone)
        out.append({"answered": n, "abandoned": int(gone.sum()),
                    "hung_up": int((hung_up_at <= t).sum()),
                    "blocked": int((blocked_at <= t).sum()),
                    "balked": int((balked_at <= t).sum()),
                    "service_level": _clean(float((took & in_time).sum() / known.sum()))
                    if known.any() else None,
                    "asa": _clean(float(wait[took].mean())) if n else None})
    return out
