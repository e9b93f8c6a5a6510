"""What the trainer's page shows of a run: KPI cards and the floor (hockey stick: app.hockey).

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

import math
from typing import Any

import numpy as np
import pandas as pd

from sim import kpis as registry
from sim import metrics, plots
from sim.animation_timelines import (
    _talks_and_holds,
    _waits,
    _wrap_ups,
    callback_mask,
    frame_times,
)
from sim.compare import comparison_table
from sim.features import features, left_out, note
from sim.kpis import CALLBACKS
from sim.metrics import measured_window
from sim.records import ORIGINS
from sim.replicate import RunResult
from sim.scenario import Scenario
from sim.scenario_contacts import ServiceLevelDefinition
from sim.units import DAY

# the KPIs the page shows, of which those the run does not model are left out (cards())
# (busy signals where the scenario has `lines`: erlang_b's callers lost, none answered late;
# issues solved in the IVR menu where a type has a self-service share: self_service_shift's
# lesson; public complaints where a type has `complaint`: social_backlash's whole story)
CARD_KPIS = ("service_level", "asa", "live_asa", "abandon_rate", "block_rate",
             "self_service_rate", "occupancy", "fcr", "repeat_rate", "customer_effort",
             "complaints")
COMPARE_ROWS = (*CARD_KPIS, "mean_wait", "offered", "answered", "abandoned", "blocked",
                "callbacks")
# counts of callers lost that the floor's panel adds beside answered where the run models
# them, as `ccsim run` and the cards report them (no "abandoned 0" where nobody hangs up)
LOST = ("abandoned", "hung_up", "blocked", "balked")
COMPLAINT = ORIGINS.index("complaint")  # a contact's origin code: a public complaint post
MAX_FRAMES = 721  # a 12-hour day a minute a frame
MAX_WAITING = 30


def json_value(value: Any) -> Any:
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
    return {k: {"mean": json_value(float(result.summary[k])), "ci": json_value(float(result.ci[k])),
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
    for what, before, now in (("day", pinned.scenario.days, current.scenario.days),
                              ("replication", len(pinned.replications),
                               len(current.replications))):
        if before != now:  # (in the page's words, not the CLI's 'variant' and 'baseline')
            raise ValueError(f"“Before” ran {before} {what}{'s' * (before != 1)}, now {now}: "
                             f"set {what.capitalize()}s back to {before} to compare (the pairs "
                             "need the same customers, day by day and replication by "
                             "replication)")
    shown, line = _modelled(COMPARE_ROWS, [pinned, current], "either run")
    table = comparison_table({"pinned": pinned, "current": current}, "pinned", shown)
    rows = []
    for kpi in shown:
        part = table[table["kpi"] == kpi].set_index("variant")
        rows.append({"kpi": kpi, **_shown(kpi),
                     "pinned": json_value(float(part.at["pinned", "mean"])),
                     "pinned_ci": json_value(float(part.at["pinned", "ci"])),
                     "current": json_value(float(part.at["current", "mean"])),
                     "current_ci": json_value(float(part.at["current", "ci"])),
                     "diff": json_value(float(part.at["current", "diff"])),
                     "diff_ci": json_value(float(part.at["current", "diff_ci"])),
                     "significant": bool(part.at["current", "significant"])})
    return rows, line


# ---- the floor -----------------------------------------------------------------------


def floor_frames(result: RunResult, replication: int = 0, day: int = 0) -> dict[str, Any]:
    """One day of one replication as frames for the page to play back.

    Returns:
        ``{"groups": [...], "seats": {group: most agents at once}, "concurrency":
        {group: contacts an agent takes at once; above 1 (a chat desk), its seats, on duty
        and talking count chats: agents on duty x concurrency}, "wrap_up": whether any
        agent does after-call work, "callbacks": whether the scenario offers callbacks,
        "lost": [[kpi, label]] of :data:`LOST` the run models
        (abandoned, hung up after an answer, blocked, balked), "complaints": whether
        the run models public complaints (its cards count them), "threshold": s,
        "measured_from": the warm-up's end (seconds since the day's midnight) if it
        comes after the day opens (past its closing, or on a later day, where the whole
        day is warm-up and counts nothing), else None, "frames": [{"t": seconds since midnight,
        "groups": {g: [on duty, talking, on hold, in after-call work]} (busy: talking
        plus after-call work, as the run's occupancy and day.png count it), "queue":
        waiting now, "callbacks": of them, awaiting a callback (off the phone; the rest
        are on the line), "waits": [longest waits first, s; with callbacks, those on
        the line first], "late": [1 where that wait is past its type's threshold],
        "called": [1 where that caller awaits a callback], "answered", "abandoned",
        "hung_up", "blocked", "balked", "complaints", "service_level", "asa": so far}]}``,
        so far as
        :func:`so_far` counts.
    """
    sc = result.scenario
    start, stop = day * DAY + sc.open, day * DAY + sc.close
    step = max(60.0, (stop - start) / (MAX_FRAMES - 1))
    times = frame_times(start, stop, step)
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
            "complaints": not left_out(("complaints",), [sc], [result.summary]),
            "threshold": sc.service_level.threshold,
            "measured_from": measured if start < measured + day * DAY else None,
            "frames": frames}


def so_far(contacts: pd.DataFrame, scenario: Scenario, times: np.ndarray
           ) -> list[dict[str, Any]]:
    """Answered, abandoned, the other callers lost, complaints, service level and ASA so far.

    Counted as the run counts its KPIs (:func:`sim.metrics.contact_kpis`), over the
    contacts that arrived in the measured window (after the warm-up), at each of
    ``times``: answered, abandoned and hung up after an answer (on hold, or queued
    again after a transfer) by then, blocked and balked on arriving by then, complaints
    posted by then (a complaint's contact arrives as it is posted); ASA, the
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
    posted_at = np.where(mine & (cols.origin == COMPLAINT), cols.arrival, np.nan)
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
                    "complaints": int((posted_at <= t).sum()),
                    "service_level": json_value(float((took & in_time).sum() / known.sum()))
                    if known.any() else None,
                    "asa": json_value(float(wait[took].mean())) if n else None})
    return out
