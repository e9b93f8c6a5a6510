"""The KPI registry: every KPI's name, unit, better direction, label, meaning and format.

A KPI is written down once, here, as data (as Mesa declares its reporters): the metrics
(:mod:`sim.metrics`, :mod:`sim.costs`) compute the values, and everything that shows or
weighs a KPI reads this registry: the ``ccsim run`` and ``ccsim compare`` tables, the
report (label, meaning, green/red differences), the figures (label, axis unit), the
``--precision`` check of KPI names and the README's KPI tables (a test compares them).

Adding a KPI is one :class:`Kpi` entry in :data:`REGISTRY` (its position is its place in
tables and columns) plus its computation in :func:`sim.metrics.contact_kpis` (or
:func:`sim.costs.cost_kpis`); tests fail until both exist.

A KPI that counts a part of the model a scenario may leave out (busy signals need
``lines``, callbacks a type's ``callback``...) names the :class:`Feature` it needs: without
it the KPI is always 0 (or "–", a mean of nothing; or, for the live queue's KPIs, the same
as ``service_level`` and ``asa``), and tables for people leave its row out
(:mod:`sim.features` tells which features a scenario has).

Pure Python: the command line formats its tables without importing pandas or matplotlib.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Unit:
    """How the values of a kind of KPI are shown.

    Attributes:
        name: The unit's name (``count``, ``ratio``, ``seconds``, ``per_issue``, ``money``).
        symbol: Its short form in tables (``%``, ``s``...), also :func:`kpi_scale`'s unit.
        scale: Factor from the stored value to the shown one (ratios show in percent).
        decimals: Decimals shown by default.
        axis: The unit's words on a figure's axis.
    """

    name: str
    symbol: str
    scale: float
    decimals: int
    axis: str


COUNT = Unit("count", "contacts", 1.0, 1, "contacts")
RATIO = Unit("ratio", "%", 100.0, 1, "%")
SECONDS = Unit("seconds", "s", 1.0, 1, "seconds")
PER_ISSUE = Unit("per_issue", "per issue", 1.0, 3, "contacts per issue")
MONEY = Unit("money", "money", 1.0, 2, "money")
UNITS = (COUNT, RATIO, SECONDS, PER_ISSUE, MONEY)


class Better(Enum):
    """Which way a KPI is better for the customers and the plan."""

    HIGHER = 1
    LOWER = -1
    NONE = 0


class Scope(Enum):
    """Where a KPI is measured.

    ``RUN``: every run, overall and per contact type; ``COST``: only for a scenario with
    ``costs:``; ``GROUP``: only per agent group (``by_group``).
    """

    RUN = "run"
    COST = "cost"
    GROUP = "group"


@dataclass(frozen=True)
class Feature:
    """A part of the model that a scenario may leave out, and some KPIs count.

    Attributes:
        name: Its name in notes for people (``callbacks``).
        switch: The scenario fields that switch it on, as a note names them
            (``a contact type's `callback```).
    """

    name: str
    switch: str


LINES = Feature("lines", "`lines`")
# a contact type's queue patience: without it nobody abandons (Erlang C, a backlog)
PATIENCE = Feature("patience", "`patience`")
CALLBACKS = Feature("callbacks", "`callback`")
RETRIALS = Feature("retrials", "`retrial`")
REPEATS = Feature("repeats", "`repeat`")
COMPLAINTS = Feature("complaints", "`complaint`")
BALKING = Feature("balking", "`balking`")
SELF_SERVICE = Feature("self-service", "`ivr.self_service`")
TRANSFERS = Feature("transfers", "`transfer`, `ivr.misroute` or `escalate`")
HOLDS = Feature("holds", "`consult` or `escalate` with `as: consult`")
# what brings a customer an agent answered back to waiting, where they may hang up
HANDOFFS = Feature("handoffs", "`transfer`, `ivr.misroute`, `escalate` or `consult`")
FEATURES = (LINES, PATIENCE, CALLBACKS, RETRIALS, REPEATS, COMPLAINTS, BALKING, SELF_SERVICE,
            TRANSFERS, HOLDS, HANDOFFS)


@dataclass(frozen=True)
class Kpi:
    """One KPI.

    Attributes:
        name: Its key in results (``summary.json``, columns); a contract name.
        unit: How its values are shown.
        better: Which way is better (the report colours significant differences by it).
        label: Its name for people (figure titles).
        meaning: One sentence: what it counts (README's table and the report).
        population: Who counts (contacts, issues, agent time; DESIGN.md).
        scope: Where it is measured.
        needs: The feature it counts: in a scenario without it, it is always 0, or NaN
            where it is a mean or share of nothing (None: any scenario may have it).
        otherwise: The KPI it equals in a scenario without ``needs`` (the live queue's
            service level is the service level without callbacks); None: 0.
    """

    name: str
    unit: Unit
    better: Better
    label: str
    meaning: str
    population: str = "contacts"
    scope: Scope = Scope.RUN
    needs: Feature | None = None
    otherwise: str | None = None


H, L, N = Better.HIGHER, Better.LOWER, Better.NONE
_C, _I, _A = "contacts", "issues", "agent time"

REGISTRY: tuple[Kpi, ...] = (
    Kpi("offered", COUNT, N, "Offered",
        "contacts that reached a queue (after IVR self-service)"),
    Kpi("answered", COUNT, N, "Answered", "contacts an agent answered"),
    Kpi("abandoned", COUNT, L, "Abandoned",
        "callers who hung up while waiting, before any agent answered", needs=PATIENCE),
    Kpi("hung_up", COUNT, L, "Hung up after answer",
        "answered callers who hung up before the end: on hold, or waiting again after a "
        "transfer (answered, not abandoned)", needs=HANDOFFS),
    Kpi("blocked", COUNT, L, "Blocked", "busy signals (never offered)", needs=LINES),
    Kpi("block_rate", RATIO, L, "Busy-signal rate",
        "blocked / contacts that arrived (offered, blocked, self-served in the IVR, balked)",
        needs=LINES),
    Kpi("abandon_rate", RATIO, L, "Abandon rate", "abandoned / offered", needs=PATIENCE),
    Kpi("asa", SECONDS, L, "ASA",
        "average speed of answer: mean queue wait of answered contacts"),
    Kpi("mean_wait", SECONDS, L, "Mean wait",
        "mean queue wait of all offered (abandoned: until abandoning)"),
    Kpi("wait_p50", SECONDS, L, "Median wait", "median queue wait of all offered"),
    Kpi("wait_p90", SECONDS, L, "Wait, 90th percentile",
        "90% of offered waited at most this"),
    Kpi("wait_p99", SECONDS, L, "Wait, 99th percentile",
        "99% of offered waited at most this"),
    Kpi("service_level", RATIO, H, "Service level",
        "answered within the threshold / offered (or the scenario's `definition`; "
        "callbacks count too)"),
    Kpi("occupancy", RATIO, N, "Occupancy",
        "busy agent time (talk, hold, wrap-up) / agent time on duty", population=_A),
    Kpi("aht", SECONDS, N, "Handle time",
        "mean handle time (customer's talk, all legs; wrap-up excluded) of answered contacts"),
    Kpi("hold_time", SECONDS, L, "Hold time", "mean consult hold per answered contact",
        needs=HOLDS),
    Kpi("transfer_rate", RATIO, L, "Transfer rate",
        "transfers (incl. misroutes and escalations) / answered", needs=TRANSFERS),
    Kpi("fcr", RATIO, H, "First-contact resolution",
        "issues resolved at their first contact (or in the IVR) / issues", population=_I),
    Kpi("repeat_rate", RATIO, L, "Repeat rate", "repeat contacts / offered", needs=REPEATS),
    Kpi("contacts_per_issue", PER_ISSUE, L, "Contacts per issue",
        "contacts per issue (first, retrials, repeats, complaint posts)", population=_I),
    Kpi("customer_effort", SECONDS, L, "Customer effort",
        "mean seconds queued + on hold + talking per issue, over all its contacts "
        "(a callback's wait excluded)", population=_I),
    Kpi("self_service_rate", RATIO, H, "Self-service rate",
        "issues solved in the IVR / issues", population=_I, needs=SELF_SERVICE),
    Kpi("retrials", COUNT, L, "Retrials",
        "redials after abandoning, hanging up or a busy signal", needs=RETRIALS),
    Kpi("callbacks", COUNT, N, "Callbacks",
        "callbacks made (customers who left a number instead of waiting)",
        needs=CALLBACKS),
    Kpi("callback_rate", RATIO, N, "Callback share",
        "offered contacts that took a callback / offered", needs=CALLBACKS),
    Kpi("callback_wait", SECONDS, L, "Wait until call back",
        "mean wait of called-back contacts, from joining the queue (after any IVR menu, "
        "as every queue wait) until the call back (it is in `asa`, `mean_wait` and "
        "`service_level`, which count all contacts)",
        needs=CALLBACKS),
    Kpi("live_service_level", RATIO, H, "Service level, live queue",
        "service level of callers who stayed on the line (callbacks left out)",
        needs=CALLBACKS, otherwise="service_level"),
    Kpi("live_asa", SECONDS, L, "ASA, live queue",
        "ASA of callers who stayed on the line (callbacks left out)",
        needs=CALLBACKS, otherwise="asa"),
    Kpi("complaints", COUNT, L, "Complaints", "public complaints posted", needs=COMPLAINTS),
    Kpi("unanswered", COUNT, L, "Unanswered",
        "offered contacts no agent ever answered, still waiting when the run ended: "
        "nobody could answer them (a warning names the type)"),
    Kpi("balked", COUNT, L, "Balked",
        "callers who left on arrival rather than wait (`balking`); never offered, not "
        "abandoned", needs=BALKING),
    Kpi("balk_rate", RATIO, L, "Balk rate", "balked / (offered + balked)", needs=BALKING),
    # with `costs:` (sim.costs), in the scenario's money unit
    Kpi("staff_cost", MONEY, L, "Staff cost",
        "each group's `hourly` x (its scheduled agent-hours in the window + "
        "`overtime_factor` x its agent-hours on duty after closing beyond those scheduled "
        "then); a shift with its own `hourly` has its scheduled hours paid at that rate",
        population=_A, scope=Scope.COST),
    Kpi("abandon_cost", MONEY, L, "Abandon cost",
        "`per_abandon` x (abandoned + hung_up): customers lost without resolution",
        scope=Scope.COST),
    Kpi("blocked_cost", MONEY, L, "Busy-signal cost", "`per_blocked` x blocked",
        scope=Scope.COST, needs=LINES),
    Kpi("wait_cost", MONEY, L, "Waiting cost",
        "`per_wait_minute` x minutes in queues of the counted contacts (a callback's "
        "wait off the line excluded)", scope=Scope.COST),
    Kpi("callback_cost", MONEY, L, "Callback cost", "`per_callback` x callbacks",
        scope=Scope.COST, needs=CALLBACKS),
    Kpi("complaint_cost", MONEY, L, "Complaint cost", "`per_complaint` x complaints",
        scope=Scope.COST, needs=COMPLAINTS),
    Kpi("total_cost", MONEY, L, "Total cost",
        "staff + abandon + blocked + wait + callback + complaint costs",
        population="contacts and agent time", scope=Scope.COST),
    Kpi("revenue", MONEY, H, "Revenue",
        "`revenue` of the type of its first contact, for every resolved issue",
        population=_I, scope=Scope.COST),
    Kpi("profit", MONEY, H, "Profit", "revenue - total_cost",
        population="contacts, issues and agent time", scope=Scope.COST),
    # per agent group only (by_group), beside answered, aht, hold_time, transfer_rate
    # and occupancy
    Kpi("resolution_rate", RATIO, H, "Resolution rate",
        "contacts the group resolved / contacts it answered (and ended)",
        scope=Scope.GROUP),
)

BY_NAME: dict[str, Kpi] = {kpi.name: kpi for kpi in REGISTRY}


def names(scope: Scope) -> tuple[str, ...]:
    """The names of the KPIs of one scope, in registry order."""
    return tuple(kpi.name for kpi in REGISTRY if kpi.scope is scope)


RUN_KPIS = names(Scope.RUN)
"""Measured for every run, overall and per contact type (``metrics.KPIS``)."""
COST_KPIS = names(Scope.COST)
"""Measured only with ``costs:`` (``metrics.COST_KPIS``)."""
GROUP_KPIS = ("answered", "aht", "hold_time", "transfer_rate", "resolution_rate",
              "occupancy")
"""Measured per agent group (``by_group``), in this order."""


def get(name: str) -> Kpi:
    """The registered KPI called ``name``.

    Raises:
        KeyError: One line naming the unknown KPI.
    """
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown KPI {name!r}") from None


def unit_of(name: str) -> Unit:
    """The unit of KPI ``name``; a name outside the registry is shown as a count."""
    kpi = BY_NAME.get(name)
    return COUNT if kpi is None else kpi.unit


def label(name: str) -> str:
    """The KPI's label for people (its name if it is not registered)."""
    kpi = BY_NAME.get(name)
    return name if kpi is None else kpi.label


def meaning(name: str) -> str:
    """The KPI's meaning, one sentence ('' if it is not registered)."""
    kpi = BY_NAME.get(name)
    return "" if kpi is None else kpi.meaning


def better(name: str) -> int:
    """+1 if higher is better, -1 if lower is, 0 if neither (or not registered)."""
    kpi = BY_NAME.get(name)
    return 0 if kpi is None else kpi.better.value


def kpi_scale(name: str) -> tuple[float, str]:
    """Factor and unit symbol to show a KPI: ``(100.0, "%")`` for a ratio, ``(1.0, "s")``..."""
    unit = unit_of(name)
    return unit.scale, unit.symbol


# ---- formats (the CLI tables and the report) -----------------------------------------


def format_kpi(name: str, value: float | None, signed: bool = False,
               decimals: int | None = None) -> str:
    """A KPI value for people: shares in %, times in s, counts and money with separators.

    Money always shows its two decimals (``1,200.00``).

    ``decimals`` overrides the unit's usual number of decimals (see
    :func:`enough_decimals`); ``signed`` shows the sign, and a share's difference in
    points (``+1.2 pts``).
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    unit = unit_of(name)
    sign = "+" if signed else ""
    d = unit.decimals if decimals is None else decimals
    if unit is RATIO:
        return f"{unit.scale * value:{sign}.{d}f}" + (" pts" if signed else "%")
    if unit is SECONDS:
        return f"{value:{sign}.{d}f} s"
    if unit is PER_ISSUE:
        return f"{value:{sign}.{d}f}"
    if unit is MONEY:  # always the cents, a whole amount too (1,200.00)
        return f"{value:{sign},.{d}f}"
    if decimals is None and not value % 1:
        return f"{value:{sign},.0f}"
    return f"{value:{sign},.{d}f}"


def enough_decimals(name: str, *values: float, most: int = 6) -> int:
    """Decimals that show every non-zero value of ``values`` as non-zero (at most ``most``).

    A significant difference of 0.004 points must not print as ``-0.0 pts ± 0.0 pts``.
    """
    unit = unit_of(name)
    d = unit.decimals
    shown = [abs(unit.scale * v) for v in values
             if v is not None and math.isfinite(v) and v != 0]
    while d < most and any(round(v, d) == 0 for v in shown):
        d += 1
    return d


def format_ci(name: str, ci: float | None, decimals: int | None = None) -> str:
    """A confidence half-width for people (``± 1.2 s``; shares in percentage points)."""
    if ci is None or math.isnan(ci):
        return ""
    return "± " + format_kpi(name, ci, decimals=decimals).replace("%", " pts")


# ---- the README's tables -------------------------------------------------------------


def markdown_table(scope: Scope) -> str:
    """The README's table of the KPIs of ``scope`` (key, population and meaning)."""
    rows = [kpi for kpi in REGISTRY if kpi.scope is scope]
    lines = ["| key | population | meaning |", "|---|---|---|"]
    lines += [f"| `{kpi.name}` | {kpi.population} | {kpi.meaning} |" for kpi in rows]
    return "\n".join(lines)
