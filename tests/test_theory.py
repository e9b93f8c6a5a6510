"""Simulation against queueing theory: Erlang C, Erlang A, Erlang B and Little's law.

Tolerances are not tuned: each check runs independent replications and accepts the
simulation if the closed-form value lies within 3 confidence half-widths (95%, Student
t over replications) of the simulated mean. A false alarm then has probability well
under 1% per check, and each test also asserts that its tolerance is tight enough to
tell the right number of agents from one agent more or less (so it can fail).
"""

import csv
from pathlib import Path

import numpy as np
import pytest
from helpers import assert_agrees

import sim
from sim import erlang
from sim.replicate import half_width

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"
VALIDATION = Path(__file__).resolve().parent / "data" / "erlang_cases.csv"  # published cases


def per_replication(result, fn):
    """Apply ``fn`` to each replication's measured contacts (after warm-up)."""
    contacts = result.contacts[result.contacts["arrival"] >= result.scenario.warmup]
    return np.array([fn(c) for _, c in contacts.groupby("replication")])


def p_wait(contacts):
    offered = contacts[~contacts["blocked"]]
    return float((offered["wait"] > 0).mean())


def kpi_values(result, kpi):
    return result.replications[kpi].to_numpy()


@pytest.fixture(scope="module")
def erlang_c_run():
    sc = sim.load_scenario(SCENARIOS / "erlang_c.yaml", overrides={"days": 3})
    return sim.run(sc, seed=11, replications=30)


@pytest.fixture(scope="module")
def erlang_a_run():
    sc = sim.load_scenario(SCENARIOS / "erlang_a.yaml", overrides={"days": 2})
    return sim.run(sc, seed=12, replications=20)


RATE, AHT, PATIENCE = 600 / 3600, 240.0, 180.0


class TestErlangC:
    """40 Erlangs on 42 agents, no abandonment."""

    def test_asa(self, erlang_c_run):
        """Mean wait of answered calls matches Erlang C."""
        theory = [erlang.erlang_c_metrics(RATE, AHT, n, 20).asa for n in (42, 41, 43)]
        assert_agrees("asa", kpi_values(erlang_c_run, "asa"), theory[0], wrong=theory[1:])

    def test_p_wait(self, erlang_c_run):
        """Probability of waiting matches Erlang C."""
        theory = [erlang.erlang_c_metrics(RATE, AHT, n, 20).p_wait for n in (42, 41, 43)]
        assert_agrees("p_wait", per_replication(erlang_c_run, p_wait), theory[0], wrong=theory[1:])

    def test_service_level(self, erlang_c_run):
        """Share answered within 20 s matches Erlang C."""
        theory = [erlang.erlang_c_metrics(RATE, AHT, n, 20).service_level for n in (42, 41, 43)]
        assert_agrees("service_level", kpi_values(erlang_c_run, "service_level"), theory[0],
                      wrong=theory[1:])

    def test_occupancy(self, erlang_c_run):
        """Occupancy is the offered load over the agents."""
        assert_agrees("occupancy", kpi_values(erlang_c_run, "occupancy"), 40 / 42,
                      wrong=(40 / 41, 40 / 43))


class TestErlangA:
    """40 Erlangs on 42 agents, exponential patience with mean 3 minutes."""

    def test_abandon_rate(self, erlang_a_run):
        """Abandonment matches Erlang A."""
        theory = [erlang.erlang_a_metrics(RATE, AHT, n, PATIENCE, 20).abandon_rate
                  for n in (42, 41, 43)]
        assert_agrees("abandon_rate", kpi_values(erlang_a_run, "abandon_rate"), theory[0],
                      wrong=theory[1:])

    def test_mean_wait(self, erlang_a_run):
        """Mean wait of all callers (abandoned ones until they hang up) matches Erlang A."""
        theory = [erlang.erlang_a_metrics(RATE, AHT, n, PATIENCE, 20).mean_wait
                  for n in (42, 41, 43)]
        assert_agrees("mean_wait", kpi_values(erlang_a_run, "mean_wait"), theory[0],
                      wrong=theory[1:])

    def test_service_level_and_p_wait(self, erlang_a_run):
        """Service level (answered within 20 s / offered) and P(wait) match Erlang A."""
        m = [erlang.erlang_a_metrics(RATE, AHT, n, PATIENCE, 20) for n in (42, 41, 43)]
        assert_agrees("service_level", kpi_values(erlang_a_run, "service_level"),
                      m[0].service_level, wrong=[x.service_level for x in m[1:]])
        assert_agrees("p_wait", per_replication(erlang_a_run, p_wait), m[0].p_wait,
                      wrong=[x.p_wait for x in m[1:]])

    def test_overload(self):
        """50 Erlangs on 42 agents: unstable for Erlang C, but abandonment keeps it finite."""
        sc = sim.load_scenario(SCENARIOS / "erlang_a.yaml",
                               overrides={"contact_types.calls.arrivals.rate": "750/h"})
        result = sim.run(sc, seed=13, replications=15)
        m = [erlang.erlang_a_metrics(750 / 3600, AHT, n, PATIENCE, 20) for n in (42, 41, 43)]
        assert_agrees("abandon_rate", kpi_values(result, "abandon_rate"), m[0].abandon_rate,
                      wrong=[x.abandon_rate for x in m[1:]])
        assert_agrees("mean_wait", kpi_values(result, "mean_wait"), m[0].mean_wait,
                      wrong=[x.mean_wait for x in m[1:]])


@pytest.fixture(scope="module")
def callback_run():
    """Erlang C where every caller who would wait takes a callback (threshold 0, accept 1).

    44 agents rather than 42: at 91% occupancy the waits vary less from day to day, so
    20 replications of 5 days tell 44 agents from 43 and 45.
    """
    sc = sim.load_scenario(SCENARIOS / "erlang_c.yaml", overrides={
        "days": 5, "agents.pool.staff": 44,
        "contact_types.calls.callback": {"threshold": 0, "accept": 1}})
    return sim.run(sc, seed=13, replications=20)


AGENTS = (44, 43, 45)  # the callback run's agents, then one fewer and one more


class TestCallbacksErlangC:
    """Callbacks keep their place: the queue is still M/M/44 at 40 Erlangs.

    The callers who would have waited are exactly the callbacks.
    """

    def test_callback_rate_is_p_wait(self, callback_run):
        """callback_rate (share of offered calls called back) is Erlang C's P(wait)."""
        theory = [erlang.erlang_c_metrics(RATE, AHT, n, 20).p_wait for n in AGENTS]
        assert_agrees("callback_rate", kpi_values(callback_run, "callback_rate"), theory[0],
                      wrong=theory[1:])

    def test_callback_wait_is_conditional_wait(self, callback_run):
        """callback_wait (until the call back) is E[W | W > 0] = 1 / (c mu - lambda)."""
        theory = [1.0 / (n / AHT - RATE) for n in AGENTS]
        assert_agrees("callback_wait", kpi_values(callback_run, "callback_wait"), theory[0],
                      wrong=theory[1:])

    def test_live_queue_is_answered_at_once(self, callback_run):
        """Every live call was answered at once (ASA 0, SL 1); all contacts' SL is Erlang C's."""
        assert np.all(kpi_values(callback_run, "live_asa") == 0.0)
        assert np.all(kpi_values(callback_run, "live_service_level") == 1.0)
        theory = [erlang.erlang_c_metrics(RATE, AHT, n, 20).service_level for n in AGENTS]
        assert_agrees("service_level", kpi_values(callback_run, "service_level"), theory[0],
                      wrong=theory[1:])


class TestErlangB:
    def test_blocking(self):
        """10 lines, 7 Erlangs, lognormal handle times: blocking matches Erlang B (insensitive)."""
        sc = sim.load_scenario(SCENARIOS / "erlang_b.yaml", overrides={"days": 3})
        result = sim.run(sc, seed=14, replications=20)
        theory = [erlang.erlang_b(n, 7.0) for n in (10, 9, 11)]
        assert_agrees("block_rate", kpi_values(result, "block_rate"), theory[0], wrong=theory[1:])


def validation_rows():
    with VALIDATION.open(newline="") as f:
        return list(csv.DictReader(f))


class TestPublishedCases:
    @pytest.mark.parametrize("row", validation_rows(), ids=lambda r: r["case"])
    def test_simulation_matches_published_values(self, row):
        """Simulating each published case reproduces its service level (and ASA or abandonment)."""
        overrides = {
            "contact_types.calls.arrivals.rate": f"{row['arrivals_per_min']}/m",
            "contact_types.calls.handle.mean": f"{row['aht_min']}m",
            "agents.pool.staff": int(row["agents"]),
            "service_level.threshold": f"{row['threshold_s']}s",
            "days": 2,
        }
        base = "erlang_a.yaml" if row["model"] == "erlang_a" else "erlang_c.yaml"
        if row["patience_min"]:
            overrides["contact_types.calls.patience.mean"] = f"{row['patience_min']}m"
        result = sim.run(sim.load_scenario(SCENARIOS / base, overrides=overrides), seed=15,
                         replications=20)
        assert_agrees("service_level", kpi_values(result, "service_level"),
                      float(row["service_level"]))
        assert_agrees("p_wait", per_replication(result, p_wait), float(row["p_wait"]))
        if row["asa_s"]:
            assert_agrees("asa", kpi_values(result, "asa"), float(row["asa_s"]))
        if row["abandon_rate"]:
            assert_agrees("abandon_rate", kpi_values(result, "abandon_rate"),
                          float(row["abandon_rate"]))
            assert_agrees("mean_wait", kpi_values(result, "mean_wait"), float(row["mean_wait_s"]))


MULTI_SKILL = {
    "name": "multi-skill Little",
    "days": 1,
    "interval": "1h",
    "contact_types": {
        "billing": {"arrivals": {"rate": "300/h"}, "handle": {"dist": "lognormal", "mean": "4m",
                                                                "cv": 0.8},
                    "patience": {"dist": "exponential", "mean": "2m"}},
        "cards": {"arrivals": {"rate": "150/h"}, "handle": {"dist": "gamma", "mean": "6m",
                                                              "cv": 0.5},
                  "patience": {"dist": "exponential", "mean": "4m"}},
    },
    "agents": {
        "billing_team": {"skills": ["billing"], "staff": 18},
        "cards_team": {"skills": ["cards"], "staff": 12},
        "generalists": {"skills": {"cards": 1, "billing": 2}, "staff": 4},
    },
    "routing": {"billing": ["billing_team", {"group": "generalists", "after": "30s"}],
                "cards": ["cards_team", "generalists"]},
}


class TestLittlesLaw:
    def test_queue_and_busy_agents(self):
        """Time-average queue length and busy agents (sampled) equal arrival rate x mean time.

        The sampled averages observe the engine's state directly; the right-hand sides
        come from the contact records. Over a whole run (from empty to empty) Little's law
        L = lambda W holds exactly, so the per-replication difference is sampling noise.
        """
        sc = sim.scenario_from_dict(MULTI_SKILL)
        result = sim.run(sc, seed=16, replications=10, trace_every=5.0)
        diffs_queue, diffs_busy, levels = [], [], []
        for trace, (_, contacts) in zip(result.traces, result.contacts.groupby("replication")):
            span = trace["time"].iloc[-1] + 5.0
            queue = trace[[c for c in trace if c.startswith("queue.")]].sum(axis=1).mean()
            busy = trace[[c for c in trace if c.startswith("busy.")]].sum(axis=1).mean()
            diffs_queue.append(queue - contacts["wait"].sum() / span)
            diffs_busy.append(busy - contacts["handle"].sum() / span)
            levels.append(queue)
        assert np.mean(levels) > 1.0, "the scenario must have a real queue for this to test much"
        for name, diffs in (("queue", diffs_queue), ("busy", diffs_busy)):
            hw = half_width(diffs)
            assert abs(np.mean(diffs)) <= max(3 * hw, 1e-9), f"{name}: {np.mean(diffs)} ± {hw}"
            assert hw < 0.05, f"{name}: sampling noise {hw} too large to test anything"
