"""Agent groups from a call log that names each contact's group and agent.

Fitted as one pool of every agent, a center of specialised teams answers its calls as if
any agent could take any call: ``small_bank``'s own contacts (a billing team, a cards team
and generalists for both; 20 days) backtested 7.8 points of service level off per
interval, the fitted center answering in time far more often. Where the log names the
group and the agent, each group is fitted as itself: the contact types it answered are
its skills, the agents seen working in it its staff per interval.
"""

from __future__ import annotations

import pandas as pd

import sim
from sim.calllog import read_call_log
from sim.cli_fit import _summary
from sim.fit import fit_log
from sim.fit_scenario import scenario_dict
from sim.loader import scenario_from_dict


def _teams(days: int) -> dict:
    """Billing and cards teams of 3, and 2 generalists for both: loaded all day."""
    kinds = {name: {"arrivals": {"per_interval": [40.0] * 8},
                    "handle": {"dist": "exponential", "mean": "4m"},
                    "patience": {"dist": "exponential", "mean": "3m"}}
             for name in ("billing", "cards")}
    return {"name": "teams", "days": days, "open": "08:00", "close": "16:00", "interval": "1h",
            "contact_types": kinds,
            "agents": {"billing_team": {"skills": ["billing"], "staff": 3},
                       "cards_team": {"skills": ["cards"], "staff": 3},
                       "generalists": {"skills": ["billing", "cards"], "staff": 2}}}


def test_each_group_is_fitted_as_itself(tmp_path):
    """Skills are the types each group answered; staff the agents seen working in it."""
    contacts = sim.run(scenario_from_dict(_teams(days=4)), seed=5).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    fitted = fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0)
    assert fitted.groups == {"billing_team": (["billing"], [3] * 8),
                             "cards_team": (["cards"], [3] * 8),
                             "generalists": (["billing", "cards"], [2] * 8)}
    spec = scenario_dict(fitted, "fitted")
    assert spec["agents"] == {name: {"skills": skills, "staff": staff}
                              for name, (skills, staff) in fitted.groups.items()}
    assert sim.run(scenario_from_dict(spec), seed=1).summary["answered"] > 0
    lines = _summary(fitted)
    assert any(x.strip() == "group generalists: 2 agents, answers billing, cards"
               for x in lines), lines
    # --staff N: one pool of N, as before
    pooled = scenario_dict(fitted, "fitted", [9] * 8)["agents"]
    assert pooled == {"agents": {"skills": ["billing", "cards"], "staff": [9] * 8}}


def test_a_type_no_group_answered_goes_to_every_group(tmp_path):
    """A type whose every contact abandoned is in every group's skills; names as a scenario's."""
    rows = pd.DataFrame({
        "arrival": ["2026-03-02T08:00:00", "2026-03-02T08:01:00", "2026-03-02T08:02:00"],
        "contact_type": ["a", "b", "lost"], "wait": [0, 0, 30],
        "outcome": ["answered", "answered", "abandoned"], "handle": [600, 300, ""],
        "group": ["g a", "gb", ""], "agent": ["1", "2", ""]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "log.csv"), 1800.0)
    assert fitted.groups == {"g_a": (["a", "lost"], [1]), "gb": (["b", "lost"], [1])}
    assert sim.run(scenario_from_dict(scenario_dict(fitted, "f")), seed=1).summary["offered"] > 0


def test_one_group_or_no_agents_is_the_pool(tmp_path):
    """One group named, or groups without agents: no groups fitted (the pool, as before)."""
    rows = pd.DataFrame({"arrival": ["2026-03-02T08:00:00", "2026-03-02T08:01:00"],
                         "wait": [0, 0], "outcome": ["answered"] * 2, "handle": [600, 300],
                         "group": ["g", "g"], "agent": ["1", "2"]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    assert fit_log(read_call_log(tmp_path / "log.csv"), 1800.0).groups is None
    rows.assign(group=["g", "h"]).drop(columns="agent").to_csv(tmp_path / "log.csv",
                                                                 index=False)
    assert fit_log(read_call_log(tmp_path / "log.csv"), 1800.0).groups is None


def test_the_report_says_the_fitted_staff(tmp_path):
    """The fit report names the staff the fit found: each group's, with what it answers."""
    from sim.fit_report import fit_html

    contacts = sim.run(scenario_from_dict(_teams(days=2)), seed=5).contacts
    contacts.to_parquet(tmp_path / "contacts.parquet")
    html = fit_html(fit_log(read_call_log(tmp_path / "contacts.parquet"), 3600.0), [])
    assert "Staff: 8 agents seen working per interval" in html, html[:2000]
    assert "generalists: 2 agents, answers billing, cards" in html


def _chat_log(tmp_path, at_once: int, mixed: bool = False):
    """Two days; chat agents a and b each take `at_once` chats at a time; phone agent p one.

    ``mixed``: p answers a chat too (a type both a chat and a call).
    """
    rows = []
    for date in ("2026-03-02", "2026-03-03"):
        for k in range(8):  # a new batch every 15 minutes from 08:00
            minute = 15 * k
            clock = f"{date}T{8 + minute // 60:02d}:{minute % 60:02d}"
            for agent in ("a", "b"):
                rows += [(f"{clock}:{10 * j:02d}", "chat", 600, "chat", agent)
                         for j in range(at_once)]
            rows.append((f"{clock}:00", "call", 300, "phone", "p"))
    if mixed:
        rows.append(("2026-03-02T12:00:00", "chat", 300, "phone", "p"))
    frame = pd.DataFrame(rows, columns=["arrival", "contact_type", "handle", "group", "agent"])
    frame["wait"], frame["outcome"] = 0, "answered"
    frame.to_csv(tmp_path / "log.csv", index=False)
    return fit_log(read_call_log(tmp_path / "log.csv"), 1800.0)


def test_a_chat_desk_is_fitted_with_its_contacts_at_once(tmp_path):
    """Agents seen on 3 chats at once are a desk of concurrency 3; the phone team has none.

    Each agent is one person (2 on the chat desk), its chats at once the group's
    `concurrency`: fitted as one contact at a time, the desk had a third of its capacity.
    """
    fitted = _chat_log(tmp_path, at_once=3)
    assert fitted.concurrency == {"chat": 3}
    agents = scenario_dict(fitted, "f")["agents"]
    assert agents["chat"]["concurrency"] == 3 and agents["chat"]["staff"][0] == 2
    assert "concurrency" not in agents["phone"]
    types = scenario_dict(fitted, "f")["contact_types"]
    assert types["chat"]["channel"] == "chat" and "channel" not in types["call"]
    assert sim.run(scenario_from_dict(scenario_dict(fitted, "f")), seed=1).summary[
        "answered"] > 0
    assert any(x.strip() == "group chat: 2 agents, answers chat, 3 contacts at once"
               for x in _summary(fitted)), _summary(fitted)
    from sim.fit_report import fit_html

    assert "chat: 2 agents, answers chat, 3 contacts at once" in fit_html(fitted, [])
    assert _chat_log(tmp_path, at_once=1).concurrency == {}


def test_a_type_answered_one_at_a_time_too_is_no_chat(tmp_path):
    """The phone team answers a chat once: that type is not a chat, the desk fitted at 1."""
    fitted = _chat_log(tmp_path, at_once=3, mixed=True)
    assert fitted.concurrency == {}
    assert sim.run(scenario_from_dict(scenario_dict(fitted, "f")), seed=1).summary[
        "answered"] > 0


def test_the_scenario_keeps_its_name(tmp_path):
    """The fitted scenario is named as asked (a loop over the types once renamed it)."""
    assert scenario_dict(_chat_log(tmp_path, at_once=3), "my center")["name"] == "my center"


def test_a_moment_of_overlap_is_no_chat_desk(tmp_path):
    """Phone agents whose calls overlap a few seconds once (a log's glitch) take one at a time."""
    rows = [(f"2026-03-02T{8 + k // 4:02d}:{15 * (k % 4):02d}:00", 600, "p" + str(k % 3))
            for k in range(24)]
    rows += [(f"2026-03-02T09:09:5{k}", 600, "p" + str(k)) for k in range(3)]  # 2-8 s early
    frame = pd.DataFrame(rows, columns=["arrival", "handle", "agent"])
    frame["wait"], frame["outcome"] = 0, "answered"
    frame.to_csv(tmp_path / "log.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "log.csv"), 1800.0)
    assert fitted.concurrency == {}


def test_desks_left_at_one_leave_their_types_calls(tmp_path):
    """Desks left at one contact at a time make their types calls for every group.

    G2 (chat and email, 2 at once) stays at 1 for G3's email calls; then chat is a call
    for G1 (3 at once) too: every group at 1, a valid scenario.
    """
    rows = []
    for k in range(16):
        clock = f"2026-03-02T{8 + k // 4:02d}:{15 * (k % 4):02d}"
        rows += [(f"{clock}:{j:02d}", "chat", 600, "G1", "a") for j in range(3)]
        rows += [(f"{clock}:{j:02d}", "chat" if j else "email", 600, "G2", "b")
                 for j in range(2)]
        rows.append((f"{clock}:00", "email", 300, "G3", "c"))
    frame = pd.DataFrame(rows, columns=["arrival", "contact_type", "handle", "group", "agent"])
    frame["wait"], frame["outcome"] = 0, "answered"
    frame.to_csv(tmp_path / "log.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "log.csv"), 1800.0)
    assert fitted.concurrency == {}
    assert sim.run(scenario_from_dict(scenario_dict(fitted, "f")), seed=1).summary[
        "answered"] > 0


def test_a_group_left_uncounted_leaves_no_type_unanswered(tmp_path):
    """A group with no agent counted leaves no type unanswered.

    Seen only on transferred contacts of a log without end times, the group is left
    out; its types go to every other group (the scenario had a type nobody took).
    """
    rows = pd.DataFrame({
        "arrival": [f"2026-03-02T08:0{k}:00" for k in range(6)],
        "contact_type": ["a", "a", "b", "b", "x", "x"], "wait": [0] * 6,
        "outcome": ["answered"] * 6, "handle": [300] * 6, "transfers": [0, 0, 0, 0, 1, 1],
        "group": ["ga", "ga", "gb", "gb", "gx", "gx"], "agent": ["1", "2", "3", "4", "5", "6"]})
    rows.to_csv(tmp_path / "log.csv", index=False)
    fitted = fit_log(read_call_log(tmp_path / "log.csv"), 1800.0)
    assert set(fitted.groups) == {"ga", "gb"}
    assert all("x" in skills for skills, _ in fitted.groups.values())
    assert sim.run(scenario_from_dict(scenario_dict(fitted, "f")), seed=1).summary[
        "offered"] > 0
