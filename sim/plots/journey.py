"""Journey figures: where contacts go (IVR, queues, transfers, outcomes), FCR and repeats."""

from __future__ import annotations

import math
import textwrap

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sim.metrics import measured_window
from sim.plots.style import (
    OUTCOME_COLOURS,
    Results,
    as_runs,
    counted,
    group_colours,
    new_figure,
    styled,
    type_colours,
    variant_colours,
)
from sim.replicate import RunResult

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
        (self-served in the IVR, busy signal, balked on arrival, queued); the queue
        (answered, called back, abandoned); the answered (one agent, consult or hold,
        transferred); and the outcome of the answered (resolved, not resolved, hung up
        on hold or queued again before the end, or, where some are, still queued at the
        end after a transfer: ``unfinished``).
    """
    n = len(contacts)
    flag = {c: contacts[c].to_numpy(bool) for c in ("blocked", "answered", "abandoned",
                                                    "resolved")}
    if "origin" in contacts:
        origin = contacts["origin"].astype(str).to_numpy()
        arrived = {"first contact": int((origin == "first").sum()),
                   "retrial": int((origin == "retrial").sum()),
                   "repeat contact": int((origin == "repeat").sum()),
                   "complaint post": int((origin == "complaint").sum())}
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
    balked = contacts["balked"].to_numpy(bool) if "balked" in contacts else np.zeros(n, bool)
    queued = ~blocked & ~served_self & ~balked
    stages.append(("Entry", {"self-served in IVR": int(served_self.sum()),
                             "busy signal": int(blocked.sum()), "balked": int(balked.sum()),
                             "queued": int(queued.sum())}))
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
    # answered, then hung up (on hold, or queued again): results of before RESULTS_VERSION 7
    # counted them as abandoned too
    outcome = (contacts["outcome"].astype(str).to_numpy() if "outcome" in contacts
               else np.full(n, ""))
    hung_up = answered & (outcome == "hung_up")
    # answered, transferred and still waiting in the next queue when the run ended
    stuck = answered & (outcome == "unfinished") & ~resolved
    outcomes = {"resolved": int(resolved.sum()),
                "not resolved": int((answered & ~resolved & ~hung_up & ~stuck).sum()),
                "hung up": int((hung_up & ~resolved).sum())}
    if stuck.any():
        outcomes["queued at close"] = int(stuck.sum())
    stages.append(("Outcome", outcomes))
    return stages


@styled
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
    all_stages = {name: journey_stages(counted(r), detail) for name, r in runs.items()}
    # a stage with one kind of contact in every run says nothing (all first contacts, all
    # queued): drop it; the queue and the outcome always show
    kept = {stage for stages in all_stages.values() for stage, counts in stages
            if stage in ("Queue", "Outcome") or sum(v > 0 for v in counts.values()) > 1}
    all_stages = {name: [(stage, c) for stage, c in stages if stage in kept]
                  for name, stages in all_stages.items()}
    n_stages = max(len(s) for s in all_stages.values())
    fig = new_figure(0.45 + (0.32 * n_stages + 0.45) * len(runs))
    axes = np.atleast_1d(fig.subplots(len(runs), 1, sharex=True))
    largest = max(sum(v.values()) / r.n_replications for name, r in runs.items()
                  for _, v in all_stages[name])
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
                                        "complaint post",
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
    """Share of issues by number of contacts (1, 2, 3, 4 = four or more).

    Over the issues the ``contacts_per_issue`` KPI counts: those whose first contact
    arrived in the measured window, with all their contacts.
    """
    issues = getattr(result, "issues", None)
    if isinstance(issues, pd.DataFrame) and "contacts" in issues:
        cohort = measured_window(result.scenario).contacts(issues["first_arrival"].to_numpy())
        counts = issues["contacts"].to_numpy()[cohort]
    else:
        contacts = counted(result)
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
    contacts = counted(result)
    if "origin" in contacts:  # an issue's first contact, not its retrials and repeats
        contacts = contacts[contacts["origin"].astype(str).to_numpy() == "first"]
    elif "attempt" in contacts:  # results of before `origin`
        contacts = contacts[contacts["attempt"] == 1]
    answered = contacts[contacts["answered"].to_numpy(bool)]
    rates = answered.groupby(answered["group"].astype(str))["resolved"].mean()
    return rates.reindex(list(sc.agents)).astype(float)


FCR_RULE = (
    "Two denominators. By contact type: issues resolved at their first contact / all issues; "
    "a first contact that was abandoned, blocked or never answered counts as not resolved, "
    "also where no resolution model is set. By agent group: of the first contacts a group "
    "answered, the share it resolved (contacts nobody answered belong to no group), so "
    "the group panel reads higher than the type panel."
)


@styled
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
            # many bars to a panel: upright labels ran together ("85858585" for 4 variants)
            crowded = len(rates) * len(runs) > 8
            ax.bar_label(bars, [f"{100 * v:.0f}" if not math.isnan(v) else "" for v in rates],
                         padding=1.5, fontsize=7, rotation=90 if crowded else 0)
            ax.set_xticks(np.arange(len(rates)), list(rates.index))
    ax_issue.set_xticks(range(4), ["1", "2", "3", "4+"])
    ax_issue.set(xlabel="Contacts per issue", ylabel="Issues (%)", ylim=(0, 105),
                 title="Contacts per issue")
    ax_type.set(ylabel="FCR (% of issues)", ylim=(0, 105), title="FCR by contact type")
    ax_group.set(ylabel="Resolved (% of answered\nfirst contacts)", ylim=(0, 105),
                 title="Resolved, by agent group")
    fig.supxlabel(textwrap.fill(FCR_RULE, 125), fontsize=7.5, color="0.3", ha="left", x=0.01)
    for ax in (ax_issue, ax_type, ax_group):
        ax.grid(axis="x", visible=False)
    for ax in (ax_type, ax_group):
        ax.tick_params(axis="x", labelrotation=20)
    if several:
        fig.legend(*ax_issue.get_legend_handles_labels(), loc="outside upper center",
                   ncol=min(6, len(runs)))  # the note on denominators is below
    return fig
