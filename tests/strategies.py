"""Hypothesis strategies: small random scenarios that mix every feature of the format.

Each scenario is a plain dict, as a user would write it in YAML, so a failing example
can be printed and pasted into a file. They are kept tiny (1-2 days of 2-4 opening hours,
or a whole day at low rates; 1-6 agents per group) so that a replication has at most a
few hundred contacts and runs in a few hundredths of a second. Durations are whole
seconds and sometimes deterministic, so that events tie (the engine's order at equal
times is part of what the invariants check).

Complaints only go to a contact type that does not complain itself: a post whose own
experience crosses its thresholds posts again (and its retrials too), a chain that grew
one scenario to 9,000 contacts in a day. That is the model as specified, not a fault,
but it makes examples slow.
"""

from __future__ import annotations

import copy
from pathlib import Path

from hypothesis import strategies as st

CHANNELS = ("phone", "chat", "email", "social")
DEFINITIONS = ("offered", "answered", "short_abandons_excluded")


@st.composite
def distributions(draw, low: int, high: int, zero: bool = False) -> dict:
    """A distribution of durations with a mean between ``low`` and ``high`` seconds.

    ``zero``: deterministic zero is allowed (an instant IVR, a repeat at once).
    """
    kind = draw(st.sampled_from(("exponential", "lognormal", "gamma", "erlang", "uniform",
                                 "triangular", "deterministic", "empirical")))
    mean = draw(st.integers(max(low, 1), high))
    if kind == "exponential":
        return {"dist": kind, "mean": mean}
    if kind in ("lognormal", "gamma"):
        return {"dist": kind, "mean": mean, "cv": draw(st.sampled_from((0.25, 0.7, 1.5)))}
    if kind == "erlang":
        return {"dist": kind, "mean": mean, "k": draw(st.integers(1, 4))}
    if kind == "uniform":
        return {"dist": kind, "low": mean // 2, "high": mean + mean // 2 + 1}
    if kind == "triangular":
        return {"dist": kind, "low": 0, "mode": mean, "high": 2 * mean}
    if kind == "deterministic":
        value = draw(st.sampled_from((0, mean))) if zero else mean
        return {"dist": kind, "value": value}
    values = draw(st.lists(st.integers(0 if zero else 1, 2 * high), min_size=1, max_size=4))
    return {"dist": kind, "values": values}


def _maybe(draw, chance_of_none: float = 0.6) -> bool:
    """True with probability ``1 - chance_of_none`` (an option is present)."""
    return draw(st.floats(0.0, 1.0)) >= chance_of_none


@st.composite
def scenarios(draw) -> dict:
    """A valid scenario dict mixing channels, staffing forms, routing and journeys."""
    n_types = draw(st.integers(1, 4))
    types = [f"t{i}" for i in range(n_types)]
    channels = {t: draw(st.sampled_from(CHANNELS)) for t in types}
    days = draw(st.integers(1, 2))
    whole_day = draw(st.booleans()) and draw(st.booleans())  # a quarter of the scenarios
    if whole_day:
        calendar: dict = {"interval": draw(st.sampled_from(("4h", "6h", "12h")))}
        ipd = {"4h": 6, "6h": 4, "12h": 2}[calendar["interval"]]
        max_rate = 4  # per hour and type: at most ~100 a day each
    else:
        opening = draw(st.integers(6, 10))
        hours = draw(st.integers(2, 4))
        interval = draw(st.sampled_from(("30m", "1h")))
        calendar = {"open": f"{opening:02d}:00", "close": f"{opening + hours:02d}:00",
                    "interval": interval}
        ipd = hours * (2 if interval == "30m" else 1)
        max_rate = max(2, 40 // n_types)
    data: dict = {"name": "random", "seed": 1, "days": days, **calendar}
    if _maybe(draw, 0.7):
        data["warmup"] = draw(st.sampled_from(("10m", "1h")))
    if _maybe(draw, 0.5):
        data["service_level"] = {"threshold": draw(st.sampled_from((0, 20, 60))),
                                 "definition": draw(st.sampled_from(DEFINITIONS))}
    if _maybe(draw, 0.7):
        data["lines"] = draw(st.integers(1, 8))
    data["contact_types"] = {t: draw(_contact_type(t, types, channels, ipd, days, max_rate))
                             for t in types}
    _misroutes_go_somewhere(data["contact_types"])
    # complaints land in a type that does not complain itself: a post about a post may
    # post again, and so on, thousands of contacts a day (see the module docstring)
    complainers = draw(st.lists(st.sampled_from(types), max_size=n_types - 1, unique=True))
    quiet = [t for t in types if t not in complainers]
    for t in complainers:
        data["contact_types"][t]["complaint"] = draw(_complaint(quiet))
    open_hours = (0, 24 * 60) if whole_day else (opening * 60, (opening + hours) * 60)
    groups = draw(_groups(types, channels, ipd, days, open_hours))
    data["agents"] = groups
    routing = {}
    for t in types:
        able = [g for g, spec in groups.items() if t in spec["skills"]]
        if len(able) > 1 and _maybe(draw, 0.5):
            order = draw(st.permutations(able))
            steps = [order[0]]
            for g in order[1:]:
                after = draw(st.sampled_from((0, 30, 120, 600)))
                steps.append({"group": g, "after": after} if after else g)
            routing[t] = steps
    if routing:
        data["routing"] = routing
    return without_endless_holds(data)


def without_endless_holds(data: dict) -> dict:
    """``data`` less its holds nobody can answer, which the loader refuses; the rest kept.

    A consult or warm transfer into a type no agent is ever on the phones for would wait
    for ever (sim.schedule.holds_never_answered).
    """
    from pydantic import ValidationError

    from sim.scenario import Scenario
    from sim.schedule import holds_never_answered

    try:
        scenario = Scenario.model_validate(data, context={"base_dir": Path.cwd()})
    except ValidationError:
        return data  # refused for another reason: the test sees that itself
    if scenario.problems():
        return data
    for path, _ in holds_never_answered(scenario):
        section, name, field = path.split(".")
        del data[section][name][field]
    return data


def _misroutes_go_somewhere(kinds: dict[str, dict]) -> None:
    """A misroute with no default queue (no other phone type with arrivals) names one.

    A scenario refuses a misroute with nowhere to go (sim.scenario_contacts.misroute_problems).
    """
    def dialled(ct: dict) -> bool:
        a = ct["arrivals"]
        return (ct["channel"] == "phone" and any(f > 0 for f in a.get("day_factors", [1]))
                and (a.get("rate") is not None or any(v > 0 for v in a["per_interval"])))

    for name, ct in kinds.items():
        ivr = ct.get("ivr")
        if ivr and ivr.get("misroute") and not ivr.get("misroute_to") and not any(
                dialled(other) for t, other in kinds.items() if t != name):
            ivr["misroute_to"] = [next(t for t in kinds if t != name)]


@st.composite
def _contact_type(draw, name: str, types: list[str], channels: dict[str, str], ipd: int,
                  days: int, max_rate: int) -> dict:
    channel = channels[name]
    others = [t for t in types if t != name]
    if _maybe(draw, 0.7):
        length = draw(st.sampled_from((ipd, ipd * days)))
        arrivals: dict = {"per_interval": draw(st.lists(
            st.integers(0, max_rate), min_size=length, max_size=length))}
    else:
        arrivals = {"rate": f"{draw(st.integers(1, max_rate))}/h"}
    if _maybe(draw, 0.8):
        arrivals["day_factors"] = draw(st.lists(st.sampled_from((0.5, 1.0, 1.5)),
                                                min_size=1, max_size=2))
    if _maybe(draw, 0.8):
        arrivals["forecast_error"] = 0.2
    ct: dict = {"channel": channel, "arrivals": arrivals,
                "handle": draw(distributions(20, 480))}
    if channel in ("phone", "chat") and _maybe(draw, 0.3):
        ct["patience"] = draw(distributions(10, 600))
    if _maybe(draw, 0.5):
        ct["resolution"] = draw(st.sampled_from((0.3, 0.7, 0.9)))
    if _maybe(draw, 0.8):
        ct["service_level"] = {"threshold": draw(st.sampled_from((30, 3600)))}
    if channel == "phone" and _maybe(draw):
        ivr: dict = {"time": draw(distributions(5, 90, zero=True))}
        ivr["self_service"] = draw(st.sampled_from((0.0, 0.2, 0.5)))
        if others:
            ivr["misroute"] = draw(st.sampled_from((0.0, 0.2, 0.5)))
            if _maybe(draw):
                ivr["misroute_to"] = draw(st.lists(st.sampled_from(others), min_size=1,
                                                   max_size=2, unique=True))
            if _maybe(draw):
                ivr["misroute_talk"] = draw(distributions(10, 120))
            ivr["misroute_resolution"] = draw(st.sampled_from((1.0, 0.8)))
        ct["ivr"] = ivr
    if _maybe(draw):
        ct["transfer"] = {"probability": draw(st.sampled_from((0.1, 0.3, 1.0))),
                          "to": draw(st.sampled_from(types)),
                          "mode": draw(st.sampled_from(("cold", "warm", "conference"))),
                          "priority": draw(st.booleans())}
        if ct["transfer"]["mode"] == "conference":
            ct["transfer"]["conference"] = draw(distributions(0, 120, zero=True))
    if _maybe(draw):
        consult: dict = {"probability": draw(st.sampled_from((0.2, 0.5, 1.0))),
                         "to": draw(st.sampled_from(types)),
                         "talk": draw(distributions(10, 300))}
        if _maybe(draw, 0.5):
            consult["hold_patience"] = draw(distributions(10, 600))
        ct["consult"] = consult
    if _maybe(draw, 0.7):
        ct["handle_cap"] = {"max": draw(st.sampled_from((60, 180, 300))),
                            "resolution_factor": draw(st.sampled_from((1.0, 0.6)))}
    if _maybe(draw):
        repeat: dict = {"probability": draw(st.sampled_from((0.5, 1.0))),
                        "delay": draw(distributions(0, 7200, zero=True)),
                        "max_contacts": draw(st.integers(1, 4))}
        if _maybe(draw, 0.5):
            repeat["switch_to"] = draw(st.sampled_from(types))
            repeat["switch"] = draw(st.sampled_from((0.3, 1.0)))
        ct["repeat"] = repeat
    if _maybe(draw):
        ct["retrial"] = {"probability": draw(st.sampled_from((0.5, 1.0))),
                         "delay": draw(distributions(0, 900, zero=True)),
                         "max_attempts": draw(st.integers(1, 3))}
        if _maybe(draw, 0.5):  # by cause, decaying (sim.scenario_journeys.Retrial)
            del ct["retrial"]["probability"]
            for cause in ("after_busy", "after_abandon", "after_balk"):
                if _maybe(draw, 0.3):
                    ct["retrial"][cause] = draw(st.sampled_from((0.0, 0.5, 1.0)))
            ct["retrial"].setdefault("after_abandon", 0.7)
            ct["retrial"]["decay"] = draw(st.sampled_from((0.5, 1.0)))
    if _maybe(draw, 0.7):
        ct["balking"] = draw(_balking())
    if _maybe(draw):
        callback: dict = {"threshold": draw(st.sampled_from((0, 60, 300))),
                          "accept": draw(st.sampled_from((0.5, 1.0)))}
        if _maybe(draw, 0.5):
            callback["queue"] = draw(st.sampled_from(types))
        ct["callback"] = callback
    if channel in ("chat", "email", "social") and _maybe(draw, 0.7):
        ct["duplicate_answers"] = draw(st.sampled_from((0.2, 1.0)))
    if _maybe(draw, 0.7):
        ct["max_transfers"] = draw(st.integers(0, 3))
    if _maybe(draw, 0.7):
        ct["wrap_up"] = draw(distributions(0, 120, zero=True))
    return ct


@st.composite
def _balking(draw) -> dict:
    """A balking rule with each announcement and each form of rule."""
    announce = draw(st.sampled_from(("none", "position", "les", "expected_wait")))
    form = draw(st.sampled_from(("linear", "curve")))
    if form == "curve":
        unit = "m" if announce in ("les", "expected_wait") else ""
        return {"announce": announce, "curve": [[f"0{unit}" if unit else 0, 0.0],
                                                [f"3{unit}" if unit else 3, 1.0]]}
    if announce in ("les", "expected_wait"):
        return {"announce": announce, "per_minute": draw(st.sampled_from((0.1, 0.5)))}
    return {"announce": announce, "per_position": draw(st.sampled_from((0.2, 1.0)))}


@st.composite
def _complaint(draw, targets: list[str]) -> dict:
    complaint: dict = {"probability": draw(st.sampled_from((0.3, 1.0))),
                       "to": draw(st.sampled_from(targets)),
                       "delay": draw(distributions(0, 3600, zero=True))}
    for key, values in (("wait_over", (0, 60)), ("hold_over", (0, 60)),
                        ("transfers_over", (0, 1)), ("contacts_over", (1, 2))):
        if _maybe(draw, 0.5):
            complaint[key] = draw(st.sampled_from(values))
    complaint["abandoned"] = draw(st.booleans())
    return complaint


@st.composite
def _groups(draw, types: list[str], channels: dict[str, str], ipd: int, days: int,
            hours: tuple[int, int]) -> dict:
    """Agent groups; ``hours``: opening and closing, minutes after midnight."""
    n_groups = draw(st.integers(1, 3))
    names = [f"g{i}" for i in range(n_groups)]
    skill_sets = [draw(st.lists(st.sampled_from(types), min_size=1, max_size=len(types),
                                unique=True)) for _ in names]
    for t in types:  # every type has someone who may answer it (maybe nobody on duty)
        if not any(t in skills for skills in skill_sets):
            skill_sets[draw(st.integers(0, n_groups - 1))].append(t)
    groups = {}
    for name, skills in zip(names, skill_sets):
        spec: dict = {}
        if draw(st.booleans()):
            spec["skills"] = {s: draw(st.integers(1, 2)) for s in skills}
        else:
            spec["skills"] = list(skills)
        form = draw(st.sampled_from(("constant", "per_interval", "shifts")))
        if form == "constant":
            spec["staff"] = draw(st.integers(0, 5))
        elif form == "per_interval":
            length = draw(st.sampled_from((ipd, ipd * days)))
            spec["staff"] = draw(st.lists(st.integers(0, 5), min_size=length, max_size=length))
        else:
            spec["shifts"] = draw(st.lists(_shift(*hours), min_size=1, max_size=3))
        if _maybe(draw, 0.7):
            spec["shrinkage"] = draw(st.sampled_from((0.1, 0.3, 0.5)))
        if all(channels[s] != "phone" for s in skills) and _maybe(draw, 0.5):
            spec["concurrency"] = draw(st.integers(2, 3))
            if draw(st.booleans()):
                spec["concurrency_slowdown"] = draw(st.sampled_from((1.0, 1.3)))
        if _maybe(draw, 0.7):
            spec["resolution_factor"] = draw(st.sampled_from((0.5, 1.2)))
        if _maybe(draw, 0.7):
            escalate: dict = {"probability": draw(st.sampled_from((0.1, 0.5))),
                              "to": draw(st.sampled_from(types)),
                              "as": draw(st.sampled_from(("transfer", "consult")))}
            if escalate["as"] == "consult":
                escalate["talk"] = draw(distributions(10, 300))
            spec["escalate"] = escalate
        if _maybe(draw, 0.6):
            spec["blending"] = {"backlog": draw(st.lists(st.sampled_from(skills), min_size=1,
                                                         max_size=len(skills), unique=True)),
                                "reserve": draw(st.integers(0, 2))}
        groups[name] = spec
    return groups


@st.composite
def _shift(draw, opening: int, closing: int) -> dict:
    """A shift with some time in opening hours (``opening``, ``closing``: minutes).

    It may start up to 4 h before opening, or run past closing, as a planner's may; one
    with no time in opening hours is refused (a typo), so none is drawn.
    """
    start = draw(st.integers(max(0, opening - 240) // 15, (closing - 15) // 15)) * 15
    reach = max(1, -(-(opening + 15 - start) // 30))  # half hours to 15 min past opening
    length = draw(st.integers(reach, 10)) * 30  # minutes
    shift: dict = {"start": f"{start // 60:02d}:{start % 60:02d}", "length": f"{length}m",
                   "count": draw(st.integers(0, 5))}
    if length >= 60 and _maybe(draw, 0.4):
        at = draw(st.integers(1, length // 15 - 1)) * 15
        shift["breaks"] = [{"at": f"{at}m", "length": f"{min(15, length - at)}m"}]
    if _maybe(draw, 0.8):  # days of the week (day d of the run is d % 7; -1 is a 6)
        shift["days"] = draw(st.lists(st.integers(0, 6), min_size=1, max_size=3, unique=True))
    return shift


MONEY = (3, 0.5, 25, 0)  # 0 (a part that costs nothing) last: hypothesis favours the first


@st.composite
def cost_blocks(draw, groups: list[str], types: list[str]) -> dict:
    """A ``costs:`` block for ``groups`` (every one needs an entry) and ``types``.

    ``overtime_factor`` and the ``per_*`` prices are sometimes left to their defaults.
    """
    money = st.sampled_from(MONEY)
    agents = {}
    for g in groups:
        agents[g] = {"hourly": draw(money)}
        if not _maybe(draw, 0.8):  # so that the simplest draw prices everything
            agents[g]["overtime_factor"] = draw(money)
    block: dict = {"agents": agents}
    for price in ("per_abandon", "per_blocked", "per_wait_minute", "per_callback",
                  "per_complaint"):
        if not _maybe(draw, 0.8):
            block[price] = draw(money)
    block["revenue"] = {t: draw(money) for t in types if draw(st.booleans())}
    return block


@st.composite
def costed(draw, data: dict) -> dict:
    """The scenario ``data`` (from :func:`scenarios`) with costs, and what pay depends on.

    Some breaks are unpaid; some groups have absences (the absent are paid).
    """
    data = copy.deepcopy(data)
    data["costs"] = draw(cost_blocks(list(data["agents"]), list(data["contact_types"])))
    for spec in data["agents"].values():
        if _maybe(draw, 0.7):
            spec["absenteeism"] = draw(st.sampled_from((0.2, 0.5)))
        for shift in spec.get("shifts", ()):
            for pause in shift.get("breaks", ()):
                if draw(st.booleans()):
                    pause["paid"] = False  # an unpaid lunch: not in the staff cost
    return data


AGENT_RULES = ("longest_idle", "fastest_first", "least_skilled_first", "random", "group_order")
CONTACT_RULES = ("priority_fifo", "longest_queue", "weighted_wait")


@st.composite
def routing_policies(draw, data: dict) -> dict:
    """The scenario ``data`` (from :func:`scenarios`) with a routing policy and agent speeds."""
    data = copy.deepcopy(data)
    types, groups = list(data["contact_types"]), data["agents"]
    contact: object = draw(st.sampled_from(CONTACT_RULES))
    if contact == "weighted_wait" and draw(st.booleans()):
        contact = {"weighted_wait": {t: draw(st.sampled_from((0.5, 2.0, 10.0)))
                                     for t in draw(st.lists(st.sampled_from(types),
                                                            min_size=1, unique=True))}}
    policy: dict = {"agent": draw(st.sampled_from(AGENT_RULES)), "contact": contact}
    if draw(st.booleans()):
        group = draw(st.sampled_from(sorted(groups)))
        policy["reserve"] = {"group": group, "type": draw(st.sampled_from(
            sorted(groups[group]["skills"]))), "agents": draw(st.integers(1, 2))}
    data["routing_policy"] = policy
    for spec in groups.values():
        if draw(st.booleans()):
            spec["speed"] = draw(st.sampled_from((0.5, 1.5)))
        if draw(st.booleans()):
            spec["speed_cv"] = draw(st.sampled_from((0.2, 0.6)))
    return data


# what each feature of sim.kpis.FEATURES is in a scenario dict: where its keys live
_TYPE_KEYS = {"callbacks": ("callback",), "retrials": ("retrial",), "repeats": ("repeat",),
              "complaints": ("complaint",), "balking": ("balking",), "transfers": ("transfer",),
              "holds": ("consult",), "patience": ("patience",)}


@st.composite
def without_features(draw, data: dict) -> dict:
    """The scenario ``data`` (from :func:`scenarios`) with some features taken out everywhere.

    Each of ``lines``, patience, callbacks, retrials, repeats, complaints, balking, IVR
    self-service, transfers (``transfer``, misroutes, escalations as transfers) and holds
    (``consult``, escalations as consults) is removed from every contact type and group
    with chance 1/2, so that scenarios lacking a feature are as common as those having it
    (a feature of one type in four is present in most drawn scenarios).
    """
    data = copy.deepcopy(data)
    gone = {name for name in (*_TYPE_KEYS, "lines", "self_service") if draw(st.booleans())}
    if "lines" in gone:
        data.pop("lines", None)
    for ct in data["contact_types"].values():
        for name in gone & _TYPE_KEYS.keys():
            for key in _TYPE_KEYS[name]:
                ct.pop(key, None)
        ivr = ct.get("ivr")
        if ivr is not None and "self_service" in gone:
            ivr.pop("self_service", None)
        if ivr is not None and "transfers" in gone:
            for key in ("misroute", "misroute_to", "misroute_talk", "misroute_resolution"):
                ivr.pop(key, None)
    for spec in data["agents"].values():
        mode = spec.get("escalate", {}).get("as")
        if mode is not None and {"transfer": "transfers", "consult": "holds"}[mode] in gone:
            del spec["escalate"]
    return data
