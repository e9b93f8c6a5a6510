"""Plots: the figures a planner reads, one function per figure.

Each function takes results — one :class:`~sim.replicate.RunResult`, or a mapping
``name -> RunResult`` of variants run under common random numbers, baseline first — and
returns a :class:`matplotlib.figure.Figure` sized for an A4 page (7.5 in wide, read at
100%). Figures are built without ``pyplot``: nothing global changes, no window opens,
and importing this module has no side effects. Save one with ``fig.savefig(path)``
(rendered by Agg).

Colours carry meaning across every figure of a report: a variant has the same colour
everywhere (by its position, baseline first), so does an agent group and a contact type
(by their order in the scenario). Times are in seconds on every axis, shares in percent.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from sim.erlang import required_agents
from sim.metrics import Columns, occupancy
from sim.replicate import RunResult, half_width
from sim.scenario import Scenario, ServiceLevelDefinition
from sim.units import DAY

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from sim.compare import Comparison

A4_WIDTH = 7.5  # inches: A4 (8.27 in) less margins
DPI = 150

# variants: blue baseline, then contrasting hues (tab10 order)
VARIANT_COLOURS = ("#1f5fa6", "#e8731a", "#2a9a48", "#c9312c", "#8357b0", "#8c564b",
                   "#d459a8", "#6f6f6f", "#a8a51f", "#17a5b8")
# agent groups (ColorBrewer Dark2) and contact types (colour-blind safe, Okabe-Ito based)
GROUP_COLOURS = ("#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#e6ab02",
                 "#a6761d", "#666666")
TYPE_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
                "#f0e442", "#000000")
# where contacts go (journey flow)
OUTCOME_COLOURS = {
    "first contact": "#c6dbef", "retrial": "#9e9ac8", "repeat contact": "#54278f",
    "self-served in IVR": "#35978f", "busy signal": "#969696", "queued": "#6baed6",
    "answered": "#2166ac", "called back": "#4d4d9f", "abandoned": "#d6604d",
    "unserved at close": "#bdbdbd",
    "one agent, no hold": "#66c2a5", "consult or hold": "#e0b040", "transferred": "#8073ac",
    "resolved": "#4dac26", "not resolved": "#f1a340",
}

PERCENT_KPIS = {"service_level", "abandon_rate", "block_rate", "occupancy", "fcr",
                "transfer_rate", "repeat_rate", "self_service_rate"}
TIME_KPIS = {"asa", "mean_wait", "wait_p50", "wait_p90", "wait_p99", "aht", "customer_effort",
             "hold_time"}
RATIO_KPIS = {"contacts_per_issue"}
COMPARE_KPIS = ("service_level", "asa", "abandon_rate", "mean_wait", "wait_p90", "occupancy",
                "fcr", "customer_effort")
KPI_LABELS = {
    "service_level": "Service level", "asa": "ASA", "abandon_rate": "Abandon rate",
    "block_rate": "Busy-signal rate", "mean_wait": "Mean wait", "wait_p50": "Median wait",
    "wait_p90": "Wait, 90th percentile", "wait_p99": "Wait, 99th percentile",
    "occupancy": "Occupancy", "aht": "Handle time", "fcr": "First-contact resolution",
    "customer_effort": "Customer effort", "offered": "Offered", "answered": "Answered",
    "abandoned": "Abandoned", "blocked": "Blocked", "hold_time": "Hold time",
    "transfer_rate": "Transfer rate", "repeat_rate": "Repeat rate",
    "contacts_per_issue": "Contacts per issue", "self_service_rate": "Self-service rate",
    "retrials": "Retrials", "callbacks": "Callbacks", "complaints": "Complaints",
}
UNIT_NAMES = {"%": "%", "s": "seconds", "contacts": "contacts", "per issue": "contacts per issue"}

STYLE = {
    "font.size": 8.5, "axes.titlesize": 9.5, "axes.titleweight": "bold",
    "axes.labelsize": 8.5, "xtick.labelsize": 8, "ytick.labelsize": 8,
    "legend.fontsize": 8, "legend.frameon": False, "axes.spines.top": False,
    "axes.spines.right": False, "axes.grid": True, "grid.alpha": 0.35,
    "grid.linewidth": 0.5, "lines.linewidth": 1.4, "figure.dpi": 100,
    "savefig.dpi": DPI,
}

Results = RunResult | Mapping[str, RunResult]
F = TypeVar("F", bound=Callable[..., Figure])


def _styled(func: F) -> F:
    """Build the figure under :data:`STYLE` (fonts are fixed when text is created)."""
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Figure:
        with matplotlib.rc_context(STYLE):
            return func(*args, **kwargs)
    return wrapper  # type: ignore[return-value]


# ---- shared helpers ------------------------------------------------------------------


def as_runs(results: Results) -> dict[str, RunResult]:
    """``{name: run}`` from one run (named after its scenario) or a mapping of runs."""
    if isinstance(results, RunResult):
        return {results.scenario.name: results}
    if not results:
        raise ValueError("no results to plot")
    return dict(results)


def palette(names: Sequence[str], colours: Sequence[str]) -> dict[str, str]:
    """Name -> colour, by position, cycling through ``colours``."""
    return {name: colours[i % len(colours)] for i, name in enumerate(names)}


def variant_colours(names: Sequence[str]) -> dict[str, str]:
    """Colour of each variant (baseline first)."""
    return palette(names, VARIANT_COLOURS)


def group_colours(scenario: Scenario) -> dict[str, str]:
    """Colour of each agent group, in scenario order."""
    return palette(list(scenario.agents), GROUP_COLOURS)


def type_colours(scenario: Scenario) -> dict[str, str]:
    """Colour of each contact type, in scenario order."""
    return palette(list(scenario.contact_types), TYPE_COLOURS)


def new_figure(height: float, width: float = A4_WIDTH) -> Figure:
    """An empty, constrained-layout figure (inches) with an Agg canvas, outside pyplot."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def kpi_scale(kpi: str) -> tuple[float, str]:
    """Factor and unit to show a KPI: shares in %, times in s, counts as they are."""
    if kpi in PERCENT_KPIS:
        return 100.0, "%"
    if kpi in TIME_KPIS:
        return 1.0, "s"
    if kpi in RATIO_KPIS:
        return 1.0, "per issue"
    return 1.0, "contacts"


def _counted(result: RunResult) -> pd.DataFrame:
    """Contacts that count for statistics (arrived after the warm-up)."""
    contacts = result.contacts
    return contacts[contacts["arrival"] >= result.scenario.warmup]


def _offered_mask(contacts: pd.DataFrame) -> np.ndarray:
    mask = ~contacts["blocked"].to_numpy(bool)
    if "self_served" in contacts:
        mask &= ~contacts["self_served"].to_numpy(bool)
    return mask


def _line_width(position: int) -> float:
    """Later variants draw thinner lines on top, so a variant equal to the baseline shows."""
    return max(1.0, 2.2 - 0.8 * position)


def _clock(seconds: float) -> str:
    return f"{int(seconds % DAY // 3600):02d}:{int(seconds % 3600 // 60):02d}"


# ---- waiting times -------------------------------------------------------------------


@_styled
def wait_cdf(results: Results) -> Figure:
    """Share of contacts answered within t, against t, per variant and per contact type.

    The curve is the waiting-time distribution of answered contacts scaled to the
    service-level denominator (offered contacts by default), so at the threshold it
    reads as the service level; it levels off below 100% by the share never answered.
    Pooled over replications.

    Args:
        results: One run or ``{variant: run}``.

    Returns:
        A figure: left per variant (all contact types), right per contact type of the
        first run, with the threshold and target marked.
    """
    runs = as_runs(results)
    first = next(iter(runs.values()))
    sl = first.scenario.service_level
    xmax = max(_wait_axis_end(r) for r in runs.values())
    grid = np.linspace(0.0, xmax, 400)
    fig = new_figure(3.3)
    left, right = fig.subplots(1, 2, sharey=True)
    colours = variant_colours(list(runs))
    for name, result in runs.items():
        contacts = _counted(result)
        y = _answered_within(contacts, grid, result.scenario)
        left.plot(grid, 100 * y, color=colours[name], label=name,
                  lw=_line_width(list(runs).index(name)) if len(runs) > 1 else 1.4)
        at = _answered_within(contacts, np.array([sl.threshold]), result.scenario)[0]
        left.plot([sl.threshold], [100 * at], "o", color=colours[name], ms=4)
    contacts = _counted(first)
    for t_name, colour in type_colours(first.scenario).items():
        mine = contacts[contacts["contact_type"] == t_name]
        if len(mine):
            right.plot(grid, 100 * _answered_within(mine, grid, first.scenario), color=colour,
                       label=t_name)
    definition = {"offered": "offered", "answered": "answered",
                  "short_abandons_excluded": "offered less short abandons"}[sl.definition.value]
    for ax, title in ((left, "By variant, all contact types" if len(runs) > 1 else
                       "All contact types"),
                      (right, f"By contact type ({next(iter(runs))})" if len(runs) > 1
                       else "By contact type")):
        ax.axvline(sl.threshold, color="k", ls="--", lw=0.9,
                   label=f"threshold {sl.threshold:g} s")
        ax.axhline(100 * sl.target, color="k", ls=":", lw=0.9,
                   label=f"target {100 * sl.target:g}%")
        ax.set(xlim=(0, xmax), ylim=(0, 100), title=title, xlabel="Wait until answered, t (s)")
        ax.legend(loc="lower right")
    left.set_ylabel(f"Answered within t (% of {definition})")
    return fig


def _wait_axis_end(result: RunResult) -> float:
    """Right end of a wait axis: the 95th percentile of answer waits, at least 4 thresholds."""
    contacts = _counted(result)
    waits = contacts.loc[contacts["answered"].to_numpy(bool), "wait"].to_numpy()
    p95 = float(np.quantile(waits, 0.95)) if waits.size else 0.0
    return max(p95 * 1.1, 4 * result.scenario.service_level.threshold, 60.0)


def _answered_within(contacts: pd.DataFrame, t: np.ndarray, scenario: Scenario) -> np.ndarray:
    """Answered within each ``t`` / the service-level denominator of the scenario."""
    answered = contacts["answered"].to_numpy(bool)
    waits = np.sort(contacts["wait"].to_numpy()[answered])
    definition = scenario.service_level.definition
    if definition is ServiceLevelDefinition.ANSWERED:
        denominator = float(answered.sum())
    else:
        denominator = float(_offered_mask(contacts).sum())
        if definition is ServiceLevelDefinition.SHORT_ABANDONS_EXCLUDED:
            short = contacts["abandoned"].to_numpy(bool) & (
                contacts["wait"].to_numpy() <= scenario.service_level.threshold)
            denominator -= float(short.sum())
    if denominator <= 0:
        return np.full(t.shape, np.nan)
    return np.searchsorted(waits, t, side="right") / denominator


# ---- per interval --------------------------------------------------------------------


def erlang_pools(scenario: Scenario) -> list[list[str]]:
    """Contact types that Erlang C should staff as one queue.

    Types are pooled when some agent group takes them first-come, first-served: all at
    the group's top priority and without an overflow delay. Types that share agents only
    through priorities or overflow (the generalists of a bank who take billing calls after
    60 s) stay separate queues.

    Returns:
        Lists of contact type names, in scenario order.
    """
    root = {t: t for t in scenario.contact_types}

    def find(t: str) -> str:
        while root[t] != t:
            t = root[t]
        return t

    for g, group in scenario.agents.items():
        top = min(group.skills.values())
        first = [t for t, priority in group.skills.items() if priority == top and t in root
                 and any(step.group == g and step.after == 0 for step in scenario.routes(t))]
        for t in first[1:]:
            root[find(t)] = find(first[0])
    pools: dict[str, list[str]] = {}
    for t in scenario.contact_types:
        pools.setdefault(find(t), []).append(t)
    return list(pools.values())


def erlang_requirement(scenario: Scenario,
                       offered: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
    """Erlang C agents needed per interval to meet the service-level target.

    Each pool of contact types (:func:`erlang_pools`) is one Erlang C queue, with the
    pooled arrival rate and the rate-weighted mean handle time; the pools' needs are
    summed. Patience is ignored, as in classic Erlang C planning.

    Args:
        scenario: The scenario (calendar, service level, handle times).
        offered: Contact type -> contacts offered in each interval of the run (for
            example a run's simulated means); default: the forecast, i.e. the expected
            arrivals of :func:`sim.arrivals.expected_counts` before forecast error.

    Returns:
        Agents needed on the phones in every interval of the run.
    """
    from sim.arrivals import expected_counts  # the arrivals model, only for the forecast

    sl = scenario.service_level
    n = scenario.days * scenario.intervals_per_day
    if offered is None:
        offered = {t: expected_counts(scenario, ct.arrivals)
                   for t, ct in scenario.contact_types.items()}
    total = np.zeros(n)
    cache: dict[tuple[float, float], int] = {}
    for pool in erlang_pools(scenario):
        counts = np.array([np.nan_to_num(np.asarray(offered[t], dtype=float)) for t in pool])
        means = np.array([float(scenario.contact_types[t].handle.mean) for t in pool])
        rates = counts.sum(axis=0) / scenario.interval
        work = (counts * means[:, None]).sum(axis=0)
        for i in range(n):
            if rates[i] > 0:
                key = (round(float(rates[i]), 9), round(float(work[i] / counts[:, i].sum()), 6))
                if key not in cache:
                    cache[key] = required_agents(key[0], key[1], sl.target, sl.threshold)
                total[i] += cache[key]
    return total


def simulated_offered(result: RunResult) -> dict[str, np.ndarray]:
    """Contact type -> mean contacts offered per interval in the run, in time order."""
    return {t: _interval_frame(result, t)["offered"].to_numpy(float)
            for t in result.scenario.contact_types}


def _interval_frame(result: RunResult, contact_type: str = "all") -> pd.DataFrame:
    table = result.intervals
    table = table[table["contact_type"].astype(str) == contact_type]
    return table.sort_values("start").reset_index(drop=True)


def _interval_axis(ax: Axes, scenario: Scenario, starts: np.ndarray) -> None:
    """Ticks at clock times of each day's intervals, with day dividers on multi-day runs."""
    ipd = scenario.intervals_per_day
    hours = max(1, round(scenario.open_seconds / 3600 / (6 if scenario.days == 1 else 3)))
    step = max(1, round(hours * 3600 / scenario.interval))
    ticks = [i for i in range(len(starts)) if (i % ipd) % step == 0]
    ax.set_xticks(ticks, [_clock(starts[i]) for i in ticks])
    ax.set_xlim(0, len(starts))


def _day_labels(axes: Sequence[Axes], scenario: Scenario) -> None:
    """Day dividers on every panel and day names above the first (multi-day runs)."""
    if scenario.days > 1:
        ipd = scenario.intervals_per_day
        for ax in axes:
            for day in range(1, scenario.days):
                ax.axvline(day * ipd, color="0.3", lw=0.8)
        ax = axes[0]
        for day in range(scenario.days):
            ax.text((day + 0.5) * ipd, 1.02, f"Day {day + 1}", transform=ax.get_xaxis_transform(),
                    ha="center", va="bottom", fontsize=8, color="0.3")


@_styled
def interval_figure(results: Results) -> Figure:
    """Per interval: offered contacts, staffed vs required agents, service level, ASA, abandons.

    Means over replications, all contact types together. The Erlang C requirement is
    computed from the forecast (see :func:`erlang_requirement`) for comparison with the
    agents the simulation had on duty.

    Args:
        results: One run or ``{variant: run}`` (same calendar).

    Returns:
        A five-panel figure sharing the time axis.
    """
    runs = as_runs(results)
    first = next(iter(runs.values()))
    scenario = first.scenario
    sl = scenario.service_level
    colours = variant_colours(list(runs))
    several = len(runs) > 1
    fig = new_figure(8.6)
    axes = fig.subplots(5, 1, sharex=True, height_ratios=[1, 1.3, 1, 1, 1])
    offered_ax, staff_ax, sl_ax, asa_ax, ab_ax = axes
    base = _interval_frame(first)
    edges = np.arange(len(base) + 1)
    line = {"baseline": None}
    offered_ax.stairs(base["offered"], edges, color=colours[next(iter(runs))], fill=True,
                      alpha=0.3, lw=0)
    for name, result in runs.items():
        frame = _interval_frame(result)
        if len(frame) != len(base):
            raise ValueError(f"variant {name!r} has another calendar than {next(iter(runs))!r}")
        width = _line_width(list(runs).index(name)) if several else 1.4
        style = {"color": colours[name], "lw": width, **line}
        if not np.allclose(frame["offered"], base["offered"], equal_nan=True) or not several:
            offered_ax.stairs(frame["offered"], edges, **style)
        staff_ax.stairs(frame["staff"], edges, **style)
        sl_ax.stairs(100 * frame["service_level"], edges, **style)
        asa_ax.stairs(frame["asa"], edges, **style)
        ab_ax.stairs(100 * frame["abandon_rate"], edges, **style)
    need = erlang_requirement(scenario, simulated_offered(first))
    staff_ax.stairs(need, edges, color="k", ls="--", lw=1.1, **line)
    for name, result in list(runs.items())[1:]:  # a variant that changes the offered load
        own = erlang_requirement(result.scenario, simulated_offered(result))
        if not np.allclose(own, need):
            staff_ax.stairs(own, edges, color=colours[name], ls="--", lw=1.1, **line)
    sl_ax.axhline(100 * sl.target, color="k", ls=":", lw=1)
    asa_ax.axhline(sl.threshold, color="k", ls=":", lw=1)
    offered_ax.set(ylabel="Offered\n(contacts)", ylim=(0, None))
    offered_ax.set_title("Per interval, all contact types (mean of "
                         f"{first.n_replications} replication"
                         f"{'s' if first.n_replications > 1 else ''})", pad=14)
    staff_ax.set(ylabel="Agents on\nduty", ylim=(0, None))
    sl_ax.set(ylabel="Service\nlevel (%)", ylim=(0, 105))
    asa_ax.set(ylabel="ASA (s)", ylim=(0, None))
    ab_ax.set(ylabel="Abandon\nrate (%)", ylim=(0, None),
              xlabel=f"Interval start (time of day; {scenario.interval / 60:g}-minute intervals)")
    _interval_axis(ab_ax, scenario, base["start"].to_numpy())
    _day_labels(axes, scenario)
    handles = [Line2D([], [], color=colours[n], label=n) for n in runs] if several else [
        Line2D([], [], color=colours[next(iter(runs))], label="simulated")]
    handles += [
        Line2D([], [], color="k", ls="--", lw=1.1,
               label="Erlang C need (simulated offered load)"),
        Line2D([], [], color="k", ls=":", lw=1,
               label=f"target {100 * sl.target:g}% in {sl.threshold:g} s "
                     f"(ASA: {sl.threshold:g} s)"),
    ]
    fig.legend(handles=handles, loc="outside lower center", ncol=3)
    return fig


# ---- a day at a glance ---------------------------------------------------------------


def agents_on_duty(staff: pd.DataFrame, group: str, times: np.ndarray) -> np.ndarray:
    """Agents of ``group`` on duty at each of ``times`` from the staffing log."""
    log = staff[staff["group"].astype(str) == group].sort_values("time", kind="stable")
    if log.empty:
        return np.zeros(times.size)
    k = np.searchsorted(log["time"].to_numpy(), times, side="right") - 1
    counts = log["agents"].to_numpy()
    return np.where(k >= 0, counts[np.clip(k, 0, None)], 0)


@_styled
def day_figure(result: RunResult, replication: int = 0, day: int = 0,
               title: str | None = None) -> Figure:
    """Queue length and busy agents through one day of one replication.

    Needs traces (``sim.run(..., trace_every=60)``).

    Args:
        result: A run with traces.
        replication: Which replication to show.
        day: Which day (0 = the first).
        title: Figure title (default: scenario, day and replication).

    Returns:
        A two-panel figure: contacts waiting per contact type; busy agents per group
        (stacked) with the agents on duty.

    Raises:
        ValueError: If the run has no trace of that replication.
    """
    traces = [t for t in result.traces if int(t["replication"].iloc[0]) == replication]
    if not traces:
        raise ValueError(f"no trace of replication {replication}: run with trace_every=60")
    sc = result.scenario
    trace = traces[0]
    start, stop = day * DAY + sc.open - 1800, day * DAY + sc.close + 3600
    trace = trace[(trace["time"] >= start) & (trace["time"] <= stop)]
    hours = (trace["time"].to_numpy() - day * DAY) / 3600
    fig = new_figure(4.6)
    q_ax, b_ax = fig.subplots(2, 1, sharex=True, height_ratios=[1, 1.4])
    for name, colour in type_colours(sc).items():
        q_ax.plot(hours, trace[f"queue.{name}"], color=colour, label=name, lw=1.1)
    groups = group_colours(sc)
    busy = [trace[f"busy.{g}"].to_numpy() for g in groups]
    b_ax.stackplot(hours, busy, colors=list(groups.values()), labels=[f"busy: {g}" for g in groups],
                   alpha=0.85, lw=0)
    staff = result.staff[result.staff["replication"] == replication]
    times = trace["time"].to_numpy()
    duty = sum(agents_on_duty(staff, g, times) for g in groups)
    b_ax.step(hours, duty, where="post", color="k", lw=1.1, label="on duty (all groups)")
    q_ax.set(ylabel="Contacts waiting", ylim=(0, None),
             title=title or f"{sc.name}: day {day + 1}, replication {replication + 1}")
    q_ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    q_ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Queue")
    b_ax.set(ylabel="Agents", ylim=(0, None), xlabel="Time of day (h)",
             xlim=(hours.min(), hours.max()))
    b_ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), title="Agents")
    ticks = np.arange(math.ceil(hours.min()), math.floor(hours.max()) + 1,
                      2 if hours.max() - hours.min() > 8 else 1)
    b_ax.set_xticks(ticks, [f"{int(h):02d}:00" for h in ticks])
    return fig


# ---- occupancy -----------------------------------------------------------------------


def group_occupancy(result: RunResult) -> pd.DataFrame:
    """Occupancy per agent group and replication (busy / on-duty time after the warm-up).

    Returns:
        Columns ``replication, group, occupancy``; group ``all agents`` for the total.
    """
    sc = result.scenario
    legs = getattr(result, "legs", None)
    has_legs = isinstance(legs, pd.DataFrame) and len(legs) > 0
    rows = []
    for r, contacts in result.contacts.groupby("replication", sort=True, observed=True):
        # busy time comes from the legs where they exist (transfers, consults), as in metrics
        cols = Columns(contacts, legs[legs["replication"] == r] if has_legs else None)
        staff = result.staff[result.staff["replication"] == r]
        for g in [*sc.agents, "all agents"]:
            groups = list(sc.agents) if g == "all agents" else [g]
            rows.append({"replication": r, "group": g,
                         "occupancy": occupancy(cols, staff, groups, sc.warmup)})
    return pd.DataFrame(rows)


@_styled
def occupancy_figure(results: Results) -> Figure:
    """Occupancy per agent group (and all agents), mean with 95% CI over replications.

    Args:
        results: One run (bars in group colours) or ``{variant: run}`` (grouped bars
            in variant colours).

    Returns:
        A bar chart.
    """
    runs = as_runs(results)
    first = next(iter(runs.values()))
    groups = [*first.scenario.agents, "all agents"]
    fig = new_figure(3.0)
    ax = fig.subplots()
    width = 0.8 / len(runs)
    colours = variant_colours(list(runs))
    g_colours = {**group_colours(first.scenario), "all agents": "0.35"}
    for i, (name, result) in enumerate(runs.items()):
        table = group_occupancy(result)
        means = [100 * table.loc[table.group == g, "occupancy"].mean() for g in groups]
        cis = [100 * half_width(table.loc[table.group == g, "occupancy"]) for g in groups]
        x = np.arange(len(groups)) - 0.4 + width * (i + 0.5)
        colour = [colours[name]] * len(groups) if len(runs) > 1 else [g_colours[g] for g in groups]
        bars = ax.bar(x, means, width * 0.92, yerr=np.nan_to_num(cis), capsize=2.5,
                      color=colour, label=name, error_kw={"lw": 0.9})
        ax.bar_label(bars, [f"{m:.0f}%" for m in means], label_type="center", fontsize=7.5,
                     color="white", fontweight="bold")
    ax.set_xticks(np.arange(len(groups)), groups)
    ax.grid(axis="x", visible=False)
    ax.set(ylabel="Occupancy (% of time on duty busy)", ylim=(0, 110),
           title="Occupancy per agent group")
    if len(runs) > 1:
        ax.legend(loc="upper left", ncol=min(5, len(runs)))
    return fig


# ---- journey flow --------------------------------------------------------------------


def has_journey_detail(contacts: pd.DataFrame) -> bool:
    """Whether any contact was transferred or put on hold (the journey columns say so)."""
    transfers = contacts["transfers"].to_numpy() if "transfers" in contacts else np.zeros(1)
    hold = contacts["hold"].to_numpy(float) if "hold" in contacts else np.zeros(1)
    return bool((np.nan_to_num(transfers) > 0).any() or (np.nan_to_num(hold) > 0).any())


def journey_stages(contacts: pd.DataFrame, detail: bool | None = None
                   ) -> list[tuple[str, dict[str, int]]]:
    """Where contacts go, as ordered stages of mutually exclusive counts.

    Uses the columns every run has (blocked, answered, abandoned, resolved) and, when
    present, the journey columns: ``origin`` (first / retrial / repeat; or ``attempt``,
    1 = first), ``self_served``, ``callback``, ``transfers`` and ``hold``.

    Args:
        contacts: Contacts (usually after the warm-up), any number of replications.
        detail: Whether to add the "Answered" stage (transfers, consults); by default
            when any contact was transferred or held.

    Returns:
        ``[(stage, {category: count})]``: all contacts (first, retrial, repeat); entry
        (self-served in the IVR, busy signal, queued); the queue (answered, called back,
        abandoned);
        the answered (one agent, consult or hold, transferred); and the outcome of the
        answered (resolved or not).
    """
    n = len(contacts)
    flag = {c: contacts[c].to_numpy(bool) for c in ("blocked", "answered", "abandoned",
                                                    "resolved")}
    if "origin" in contacts:
        origin = contacts["origin"].astype(str).to_numpy()
        arrived = {"first contact": int((origin == "first").sum()),
                   "retrial": int((origin == "retrial").sum()),
                   "repeat contact": int((origin == "repeat").sum())}
        arrived["first contact"] += n - sum(arrived.values())  # any other origin
    elif "attempt" in contacts:
        repeat = int((contacts["attempt"].to_numpy() > 1).sum())
        arrived = {"first contact": n - repeat, "repeat contact": repeat}
    else:
        arrived = {"first contact": n}
    stages = [("Contacts", arrived)]
    served_self = (contacts["self_served"].to_numpy(bool) if "self_served" in contacts
                   else np.zeros(n, bool))
    blocked = flag["blocked"] & ~served_self
    queued = ~blocked & ~served_self
    stages.append(("Entry", {"self-served in IVR": int(served_self.sum()),
                             "busy signal": int(blocked.sum()), "queued": int(queued.sum())}))
    answered = queued & flag["answered"]
    abandoned = queued & flag["abandoned"] & ~answered
    called_back = answered & (contacts["callback"].to_numpy(bool) if "callback" in contacts
                              else np.zeros(n, bool))
    stages.append(("Queue", {"answered": int((answered & ~called_back).sum()),
                             "called back": int(called_back.sum()),
                             "abandoned": int(abandoned.sum()),
                             "unserved at close": int((queued & ~answered & ~abandoned).sum())}))
    if has_journey_detail(contacts) if detail is None else detail:
        zeros = np.zeros(n)
        transfers = np.nan_to_num(contacts["transfers"].to_numpy(float)
                                  if "transfers" in contacts else zeros)
        hold = np.nan_to_num(contacts["hold"].to_numpy(float) if "hold" in contacts else zeros)
        transferred = answered & (transfers > 0)
        held = answered & ~transferred & (hold > 0)
        stages.append(("Answered", {
            "one agent, no hold": int((answered & ~transferred & ~held).sum()),
            "consult or hold": int(held.sum()), "transferred": int(transferred.sum())}))
    resolved = answered & flag["resolved"]
    stages.append(("Outcome", {"resolved": int(resolved.sum()),
                               "not resolved": int((answered & ~resolved).sum())}))
    return stages


@_styled
def journey_figure(results: Results) -> Figure:
    """Journey flow: where contacts go, as stacked bars of counts per stage.

    Each bar is a stage (all contacts, entry, queue, answered, outcome) split into
    what happened; bars shrink as contacts leave, so the figure reads as a flow. Counts
    are means per replication. Stages of journeys (IVR, transfers, consults, repeat
    contacts) appear when the results have them.

    Args:
        results: One run or ``{variant: run}`` (one panel each).

    Returns:
        A figure with one panel per variant.
    """
    runs = as_runs(results)
    colours = variant_colours(list(runs))
    detail = any(has_journey_detail(r.contacts) for r in runs.values())
    all_stages = {name: journey_stages(_counted(r), detail) for name, r in runs.items()}
    n_stages = max(len(s) for s in all_stages.values())
    fig = new_figure(0.45 + (0.32 * n_stages + 0.45) * len(runs))
    axes = np.atleast_1d(fig.subplots(len(runs), 1, sharex=True))
    largest = max(sum(v.values()) / r.n_replications for name, r in runs.items()
                  for _, v in all_stages[name][:1])
    used: dict[str, str] = {}
    for ax, (name, result) in zip(axes, runs.items()):
        stages = all_stages[name]
        per_rep = 1.0 / result.n_replications
        for row, (_stage, counts) in enumerate(stages):
            left = 0.0
            for category, count in counts.items():
                width = count * per_rep
                if width <= 0:
                    continue
                colour = OUTCOME_COLOURS[category]
                ax.barh(row, width, left=left, color=colour, height=0.72,
                        edgecolor="white", lw=0.5)
                used[category] = colour
                if width > 0.035 * largest:
                    total = sum(counts.values()) * per_rep
                    text = f"{width:,.0f} ({100 * width / total:.0f}%)" if width > 0.16 * largest \
                        else f"{width:,.0f}"
                    dark = category in {"answered", "repeat contact", "transferred",
                                        "self-served in IVR", "called back"}
                    ax.text(left + width / 2, row, text, ha="center", va="center", fontsize=7,
                            color="white" if dark else "black")
                left += width
        ax.set_yticks(range(len(stages)), [s for s, _ in stages])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        title = f"Where contacts go: {name}" if len(runs) > 1 else "Where contacts go"
        ax.set_title(title, color=colours[name] if len(runs) > 1 else "black", loc="left")
    axes[-1].set_xlabel("Contacts per replication (mean)")
    axes[-1].set_xlim(0, largest * 1.01)
    order = list(OUTCOME_COLOURS)  # legend in flow order, whatever drew first
    handles = [Patch(color=used[k], label=k) for k in sorted(used, key=order.index)]
    fig.legend(handles=handles, loc="outside lower center", ncol=5)
    return fig


# ---- first-contact resolution --------------------------------------------------------


def contacts_per_issue(result: RunResult) -> pd.Series:
    """Share of issues by number of contacts (1, 2, 3, 4 = four or more)."""
    issues = getattr(result, "issues", None)
    if isinstance(issues, pd.DataFrame) and "contacts" in issues:
        counts = issues["contacts"].to_numpy()
    else:
        contacts = _counted(result)
        counts = contacts.groupby(["replication", "issue_id"], observed=True).size().to_numpy()
    counts = np.clip(counts, 1, 4)
    shares = pd.Series(counts).value_counts(normalize=True)
    return shares.reindex([1, 2, 3, 4], fill_value=0.0)


def fcr_by(result: RunResult, by: str) -> pd.Series:
    """FCR per contact type (``by="contact_type"``) or agent group (``by="group"``).

    Per contact type: the run's ``fcr`` KPI of the type (issues resolved at the first
    contact / issues). Per group: first contacts the group answered that it resolved.
    """
    sc = result.scenario
    if by == "contact_type":
        values = {t: result.by_type.get(t, {}).get("fcr", math.nan) for t in sc.contact_types}
        return pd.Series(values, dtype=float)
    contacts = _counted(result)
    if "attempt" in contacts:
        contacts = contacts[contacts["attempt"] == 1]
    answered = contacts[contacts["answered"].to_numpy(bool)]
    rates = answered.groupby(answered["group"].astype(str))["resolved"].mean()
    return rates.reindex(list(sc.agents)).astype(float)


@_styled
def fcr_figure(results: Results) -> Figure:
    """First-contact resolution and repeat contacts.

    Args:
        results: One run or ``{variant: run}``.

    Returns:
        Three panels: contacts per issue (share of issues), FCR per contact type, FCR
        per agent group. Colours: variants when several, else types and groups.
    """
    runs = as_runs(results)
    first = next(iter(runs.values()))
    colours = variant_colours(list(runs))
    several = len(runs) > 1
    fig = new_figure(3.0)
    ax_issue, ax_type, ax_group = fig.subplots(1, 3, width_ratios=[1.1, 1, 1.2])
    width = 0.8 / len(runs)
    for i, (name, result) in enumerate(runs.items()):
        offset = -0.4 + width * (i + 0.5)
        shares = contacts_per_issue(result)
        ax_issue.bar(np.arange(4) + offset, 100 * shares.to_numpy(), width * 0.92,
                     color=colours[name] if several else "0.45", label=name)
        for ax, by, own in ((ax_type, "contact_type", type_colours(first.scenario)),
                            (ax_group, "group", group_colours(first.scenario))):
            rates = fcr_by(result, by)
            bar_colours = [colours[name]] * len(rates) if several else [own[k] for k in rates.index]
            bars = ax.bar(np.arange(len(rates)) + offset, 100 * rates.to_numpy(), width * 0.92,
                          color=bar_colours)
            ax.bar_label(bars, [f"{100 * v:.0f}" if not math.isnan(v) else "" for v in rates],
                         padding=1.5, fontsize=7)
            ax.set_xticks(np.arange(len(rates)), list(rates.index))
    ax_issue.set_xticks(range(4), ["1", "2", "3", "4+"])
    ax_issue.set(xlabel="Contacts per issue", ylabel="Issues (%)", ylim=(0, 105),
                 title="Contacts per issue")
    ax_type.set(ylabel="FCR (% of issues)", ylim=(0, 105), title="FCR by contact type")
    ax_group.set(ylabel="Resolved (% of answered first contacts)", ylim=(0, 105),
                 title="FCR by agent group")
    for ax in (ax_issue, ax_type, ax_group):
        ax.grid(axis="x", visible=False)
    for ax in (ax_type, ax_group):
        ax.tick_params(axis="x", labelrotation=20)
    if several:
        fig.legend(*ax_issue.get_legend_handles_labels(), loc="outside lower center",
                   ncol=min(6, len(runs)))
    return fig


# ---- comparison ----------------------------------------------------------------------


def _kpi_grid(n: int) -> tuple[int, int]:
    cols = min(4, n)
    return math.ceil(n / cols), cols


@_styled
def kpi_bars(comparison: Comparison, kpis: Sequence[str] = COMPARE_KPIS) -> Figure:
    """KPI per variant with its 95% CI; a star marks a significant difference to baseline.

    Args:
        comparison: A :class:`~sim.compare.Comparison`.
        kpis: KPIs to show, one panel each.

    Returns:
        A grid of bar charts.
    """
    table = comparison.table(kpis)
    names = comparison.names
    colours = variant_colours(names)
    rows, cols = _kpi_grid(len(kpis))
    fig = new_figure(0.5 + 2.0 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, kpi in zip(axes, kpis):
        part = table[table["kpi"] == kpi].set_index("variant").loc[names]
        scale, unit = kpi_scale(kpi)
        means = scale * part["mean"].to_numpy(float)
        cis = scale * np.nan_to_num(part["ci"].to_numpy(float))
        x = np.arange(len(names))
        ax.bar(x, means, 0.7, yerr=cis, capsize=3, color=[colours[n] for n in names],
               error_kw={"lw": 0.9})
        top = np.nanmax(means + cis) if np.isfinite(means).any() else 1.0
        for xi, m, c, sig in zip(x, means, cis, part["significant"].to_numpy(bool)):
            if sig:
                ax.text(xi, m + c + 0.03 * top, "*", ha="center", va="bottom", fontsize=12,
                        fontweight="bold")
        ax.set_ylim(0, top * 1.2 if top > 0 else 1)
        ax.set_title(KPI_LABELS.get(kpi, kpi))
        ax.set_ylabel(UNIT_NAMES[unit])
        tilt = len(names) > 2 or max(len(n) for n in names) > 12  # long names overlap
        ax.set_xticks(x, names, rotation=25 if tilt else 0, ha="right" if tilt else "center")
        ax.grid(axis="x", visible=False)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle(f"KPIs per variant: mean and 95% CI over {comparison.replications} "
                 "replications; * differs from the baseline (paired 95% CI excludes 0)",
                 fontsize=9)
    return fig


@_styled
def difference_figure(comparison: Comparison, kpis: Sequence[str] = COMPARE_KPIS) -> Figure:
    """Each variant's paired difference to the baseline with its 95% CI, per KPI.

    A difference whose interval misses the zero line is significant (filled marker).

    Args:
        comparison: A :class:`~sim.compare.Comparison` with at least one variant.
        kpis: KPIs to show, one panel each.

    Returns:
        A grid of interval plots.
    """
    table = comparison.table(kpis)
    names = [n for n in comparison.names if n != comparison.baseline]
    if not names:
        raise ValueError("no variant to compare with the baseline")
    colours = variant_colours(comparison.names)
    rows, cols = _kpi_grid(len(kpis))
    fig = new_figure(0.6 + (0.5 + 0.28 * len(names)) * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel()
    for ax, kpi in zip(axes, kpis):
        part = table[table["kpi"] == kpi].set_index("variant").loc[names]
        scale, unit = kpi_scale(kpi)
        for y, name in enumerate(names):
            d, ci, sig = (part.loc[name, "diff"] * scale, part.loc[name, "diff_ci"] * scale,
                          bool(part.loc[name, "significant"]))
            ax.errorbar(d, y, xerr=0 if math.isnan(ci) else ci, fmt="o", color=colours[name],
                        mfc=colours[name] if sig else "white", ms=5, capsize=3, lw=1.2)
        ax.axvline(0, color="k", lw=0.8)
        ax.set_yticks(range(len(names)), names if ax in axes[::cols] else [""] * len(names))
        ax.set_ylim(len(names) - 0.5, -0.5)
        ax.set_title(KPI_LABELS.get(kpi, kpi))
        ax.set_xlabel("Difference (" + ("% points" if unit == "%" else UNIT_NAMES[unit]) + ")")
        ax.grid(axis="y", visible=False)
        lo, hi = ax.get_xlim()
        span = max(abs(lo), abs(hi))
        ax.set_xlim(-span, span)
    for ax in axes[len(kpis):]:
        ax.set_visible(False)
    fig.suptitle(f"Difference to {comparison.baseline} (variant − baseline), paired over "
                 f"{comparison.replications} replications, 95% CI; filled = significant",
                 fontsize=9)
    return fig
