"""Erlang B, C and A closed forms against published values, brute force and identities."""

import csv
import math
import re
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.linalg import expm

from sim.erlang import (
    QueueMetrics,
    beta_cdf_integer_a,
    erlang_a_metrics,
    erlang_b,
    erlang_c,
    erlang_c_metrics,
    required_agents,
)

# published cases: a copy of the team's shared/validation file (checked against it below,
# where the shared folder is beside the repository), so that every checkout tests them
CASES = Path(__file__).resolve().parent / "data" / "erlang_cases.csv"
SHARED_CASES = (Path(__file__).resolve().parents[2] / "shared" / "validation"
                / "erlang_cases.csv")
# Calls per 30 minutes, handle time (s) and the whole number of Erlangs they make: the
# first three come out a hair below it in floating point, the last exactly on it.
WHOLE_LOADS = [(260, 270.0, 39), (65, 360.0, 13), (330, 300.0, 55), (300, 270.0, 45)]
# CSV column -> QueueMetrics attribute (times in the CSV are seconds already).
COLUMNS = {
    "p_wait": "p_wait",
    "service_level": "service_level",
    "asa_s": "asa",
    "abandon_rate": "abandon_rate",
    "mean_wait_s": "mean_wait",
    "occupancy": "occupancy",
}


def _cases(model):
    """Rows of the published validation cases for one model, as pytest params."""
    with CASES.open(newline="") as handle:
        rows = [row for row in csv.DictReader(handle) if row["model"] == model]
    assert rows, f"no {model} rows in {CASES}"
    return [pytest.param(row, id=row["case"]) for row in rows]


def _tolerance(row, column):
    """Half a unit in the last published digit.

    That is the last printed decimal, unless the row's source says the column was
    published to fewer places ("service_level to 4 places"): then trailing zeros are padding.
    """
    places = -Decimal(row[column]).as_tuple().exponent
    stated = re.search(rf"{column} to (\d+) places", row["source"])
    if stated:
        places = int(stated.group(1))
    return 0.5 * 10.0**-places


def _check_row(row, metrics):
    """Every value the row gives matches, to the digits given."""
    checked = 0
    for column, attribute in COLUMNS.items():
        if row[column]:
            expected = float(row[column])
            got = getattr(metrics, attribute)
            assert got == pytest.approx(expected, rel=0, abs=_tolerance(row, column)), column
            checked += 1
    assert checked >= 3


def _inputs(row):
    """Per-second arrival rate and seconds of handle time from a per-minute row."""
    return float(row["arrivals_per_min"]) / 60, float(row["aht_min"]) * 60


def _erlang_b_direct(n, a):
    """Erlang B from its textbook definition (only for small n)."""
    return (a**n / math.factorial(n)) / sum(a**k / math.factorial(k) for k in range(n + 1))


def _erlang_c_direct(n, a):
    """Erlang C from its textbook definition (Gross & Harris, M/M/c)."""
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


def _erlang_a_brute_force(lam, aht, n, patience, t, queue_states=150):
    """Service level and ASA of M/M/n+M by brute force, independent of sim.erlang.

    A truncated stationary vector and, per arrival state, the tagged contact's absorbing
    Markov chain: matrix exponential for P(served by t), T^-2 for E[W; served].
    """
    mu, theta = 1 / aht, 1 / patience
    weights = [1.0]
    for k in range(1, n + queue_states + 1):
        death = k * mu if k <= n else n * mu + (k - n) * theta
        weights.append(weights[-1] * lam / death)
    p = np.array(weights) / sum(weights)
    answered_in_time, wait_served, p_served = p[:n].sum(), 0.0, p[:n].sum()
    for j in range(queue_states):
        # transient states: index i = number still ahead (j .. 0); absorbing: served
        generator = np.zeros((j + 1, j + 1))
        to_service = np.zeros(j + 1)
        for i in range(j + 1):
            generator[i, i] = -(n * mu + i * theta + theta)
            if i > 0:
                generator[i, i - 1] = n * mu + i * theta
            else:
                to_service[i] = n * mu
        start = np.zeros(j + 1)
        start[j] = 1.0
        inverse = np.linalg.inv(generator)
        p_served += p[n + j] * start @ -inverse @ to_service
        wait_served += p[n + j] * start @ inverse @ inverse @ to_service
        answered_in_time += (
            p[n + j] * start @ (expm(generator * t) - np.eye(j + 1)) @ inverse @ (to_service)
        )
    return answered_in_time, wait_served / p_served


class TestErlangB:
    @pytest.mark.parametrize(("n", "a"), [(1, 0.5), (3, 2.0), (10, 7.0), (20, 25.0), (30, 12.3)])
    def test_matches_definition(self, n, a):
        """The recursion equals the factorial definition on small pools."""
        assert erlang_b(n, a) == pytest.approx(_erlang_b_direct(n, a), rel=1e-12)

    def test_published_value(self):
        """Ten lines offered 7 Erlangs block 7.874 % of calls (standard Erlang B table)."""
        assert erlang_b(10, 7.0) == pytest.approx(0.07874, abs=5e-6)

    def test_monotone(self):
        """Blocking falls with every added line and rises with load."""
        by_lines = [erlang_b(n, 20.0) for n in range(1, 60)]
        by_load = [erlang_b(20, a) for a in np.linspace(0.5, 40, 80)]
        assert np.all(np.diff(by_lines) < 0)
        assert np.all(np.diff(by_load) > 0)

    def test_large_pool(self):
        """1000 lines at 950 Erlangs give a finite probability strictly inside (0, 1)."""
        value = erlang_b(1000, 950.0)
        assert math.isfinite(value)
        assert 0.0 < value < 1.0

    def test_no_load(self):
        """No traffic is never blocked."""
        assert erlang_b(5, 0.0) == 0.0

    @pytest.mark.parametrize(
        ("agents", "load", "message"),
        [
            (0, 1.0, r"'agents' must be an integer >= 1, got 0"),
            (2.0, 1.0, r"'agents' must be an integer >= 1, got 2\.0"),
            (3, -1.0, r"'load' must be >= 0, got -1\.0"),
            (3, math.inf, r"'load' must be a finite number >= 0, got inf"),
        ],
    )
    def test_rejects_bad_arguments(self, agents, load, message):
        """Each rule names the argument, the rule and the value received."""
        with pytest.raises(ValueError, match=message):
            erlang_b(agents, load)
        with pytest.raises(ValueError, match=message):
            erlang_c(agents, load)


class TestErlangC:
    @pytest.mark.parametrize(("n", "a"), [(1, 0.5), (3, 2.0), (14, 10.0), (30, 29.5)])
    def test_matches_definition(self, n, a):
        """Erlang C from Erlang B equals the factorial definition on small pools."""
        assert erlang_c(n, a) == pytest.approx(_erlang_c_direct(n, a), rel=1e-12)

    @pytest.mark.parametrize("load", [42.0, 45.0, 1e6])
    def test_unstable_load_always_waits(self, load):
        """At or above capacity everybody waits."""
        assert erlang_c(42, load) == 1.0

    def test_whole_load_rounded_down_always_waits(self):
        """A whole-Erlang load that floating point puts a hair below the agents saturates them.

        65 calls per 30 min at 360 s is 13 Erlangs; 65 / 1800 * 360 comes out 12.999...8.
        """
        assert 65 / 1800 * 360 < 13
        assert erlang_c(13, 65 / 1800 * 360) == 1.0

    def test_waiting_exceeds_blocking(self):
        """With a queue, more contacts meet busy agents than a loss system blocks."""
        assert erlang_c(14, 10.0) > erlang_b(14, 10.0)

    def test_large_pool(self):
        """1000 agents at 950 Erlangs give a finite probability strictly inside (0, 1)."""
        value = erlang_c(1000, 950.0)
        assert math.isfinite(value)
        assert 0.0 < value < 1.0


class TestErlangCMetrics:
    @pytest.mark.parametrize("row", _cases("erlang_c"))
    def test_published_cases(self, row):
        """The shared Erlang C cases are reproduced to the digits given."""
        lam, aht = _inputs(row)
        metrics = erlang_c_metrics(lam, aht, int(row["agents"]), float(row["threshold_s"]))
        _check_row(row, metrics)

    def test_patient_contacts(self):
        """Nobody abandons, so the mean wait of all arrivals is the ASA."""
        metrics = erlang_c_metrics(600 / 3600, 240.0, 46, 20.0)
        assert isinstance(metrics, QueueMetrics)
        assert metrics.abandon_rate == 0.0
        assert metrics.mean_wait == metrics.asa

    def test_zero_threshold(self):
        """Answered within 0 s means answered without waiting."""
        metrics = erlang_c_metrics(600 / 3600, 240.0, 46, 0.0)
        assert metrics.service_level == pytest.approx(1.0 - metrics.p_wait, rel=1e-12)

    def test_overload_rejected(self):
        """A load at or above the agents has no Erlang C steady state; the error says so."""
        with pytest.raises(ValueError, match=r"offered load 45\.0 Erlangs needs more than 42"):
            erlang_c_metrics(45 / 240, 240.0, 42, 20.0)
        with pytest.raises(ValueError, match="Erlang A"):
            erlang_c_metrics(42 / 240, 240.0, 42, 20.0)

    @pytest.mark.parametrize(("calls", "aht", "agents"), WHOLE_LOADS)
    def test_whole_load_rejected(self, calls, aht, agents):
        """As many agents as a whole-Erlang load is no steady state, even a hair below it."""
        with pytest.raises(ValueError, match=rf"offered load {agents}\.0 Erlangs needs more"):
            erlang_c_metrics(calls / 1800, aht, agents, 20.0)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"arrival_rate": 0.0}, r"'arrival_rate' must be > 0, got 0\.0"),
            ({"arrival_rate": math.nan}, r"'arrival_rate' must be a finite number > 0, got nan"),
            ({"aht": -1.0}, r"'aht' must be > 0, got -1\.0"),
            ({"agents": 0}, r"'agents' must be an integer >= 1, got 0"),
            ({"agents": 4.5}, r"'agents' must be an integer >= 1, got 4\.5"),
            ({"agents": True}, r"'agents' must be an integer >= 1, got True"),
            ({"threshold": -1.0}, r"'threshold' must be >= 0, got -1\.0"),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs, message):
        """Each rule names the argument, the rule and the value received."""
        arguments = {"arrival_rate": 0.1, "aht": 240.0, "agents": 30, "threshold": 20.0}
        with pytest.raises(ValueError, match=message):
            erlang_c_metrics(**{**arguments, **kwargs})


class TestErlangAMetrics:
    @pytest.mark.parametrize("b", [0.01, 0.5, 1.0, 3.7, 50.0, 1e3, 1e5])
    @pytest.mark.parametrize("x", [0.0, 1e-9, 0.01, 0.3, 0.5, 0.9, 0.999999, 1.0])
    def test_incomplete_beta_closed_form(self, b, x):
        """Erlang A's closed-form I_x(a, b), whole a, agrees with SciPy's betainc."""
        from scipy.special import betainc

        a = np.arange(1, 3001)
        np.testing.assert_allclose(beta_cdf_integer_a(a.size, b, x), betainc(a, b, x),
                                   rtol=0, atol=1e-10)

    @pytest.mark.parametrize("row", _cases("erlang_a"))
    def test_published_cases(self, row):
        """The shared Erlang A cases are reproduced to the digits given."""
        lam, aht = _inputs(row)
        metrics = erlang_a_metrics(
            lam, aht, int(row["agents"]), float(row["patience_min"]) * 60, float(row["threshold_s"])
        )
        _check_row(row, metrics)

    @pytest.mark.parametrize(
        ("lam", "aht", "n", "patience"), [(10 / 180, 180.0, 13, 300.0), (50 / 240, 240.0, 42, 90.0)]
    )
    def test_matches_brute_force(self, lam, aht, n, patience):
        """Service level and ASA equal a matrix-exponential computation, stable and overloaded."""
        metrics = erlang_a_metrics(lam, aht, n, patience, 20.0)
        service_level, asa = _erlang_a_brute_force(lam, aht, n, patience, 20.0)
        assert metrics.service_level == pytest.approx(service_level, rel=1e-9)
        assert metrics.asa == pytest.approx(asa, rel=1e-9)

    @pytest.mark.parametrize(
        ("lam", "aht", "n", "patience"), [(10 / 180, 180.0, 13, 300.0), (50 / 240, 240.0, 42, 90.0)]
    )
    def test_matches_mandelbaum_zeltyn(self, lam, aht, n, patience):
        """P(wait) and P(abandon) equal Mandelbaum & Zeltyn's M/M/n+G forms with G exponential."""
        mu, theta, load = 1 / aht, 1 / patience, lam * aht
        # J = integral of exp(lam H(x) - n mu x), H(x) = integral of P(patience > u) from 0 to x
        j_integral = quad(
            lambda x: math.exp(lam * -math.expm1(-theta * x) / theta - n * mu * x), 0, math.inf
        )[0]
        e_term = sum(load**k / math.factorial(k) for k in range(n)) / (
            load ** (n - 1) / math.factorial(n - 1)
        )
        metrics = erlang_a_metrics(lam, aht, n, patience, 20.0)
        denominator = e_term + lam * j_integral
        assert metrics.p_wait == pytest.approx(lam * j_integral / denominator, rel=1e-8)
        expected_abandon = (1 + (lam - n * mu) * j_integral) / denominator
        assert metrics.abandon_rate == pytest.approx(expected_abandon, rel=1e-8)

    @pytest.mark.parametrize("load", [10.0, 38.0, 41.0])
    @pytest.mark.parametrize("patience", [1e9, 1e12])
    def test_converges_to_erlang_c(self, load, patience):
        """With near-infinite patience Erlang A is Erlang C, the gap shrinking like 1/patience."""
        a = erlang_a_metrics(load / 240, 240.0, 42, patience, 20.0)
        c = erlang_c_metrics(load / 240, 240.0, 42, 20.0)
        # The gap is first order in 1/patience: 2.2e-5 relative in ASA at 1e9 s for 41 Erlangs
        # on 42 agents (long queues feel j/patience); 1e5 s of patience per unit of rel below.
        for name in ("p_wait", "asa", "mean_wait", "service_level", "occupancy"):
            expected = getattr(c, name)
            assert getattr(a, name) == pytest.approx(expected, rel=1e5 / patience), name
        assert a.abandon_rate == pytest.approx(a.mean_wait / patience, rel=1e-9)

    @pytest.mark.parametrize(
        ("load", "n", "patience"), [(50.0, 42, 180.0), (950.0, 1000, 180.0), (2000.0, 1000, 600.0)]
    )
    def test_flow_conservation(self, load, n, patience):
        """Answered contacts times handle time equal the busy agents (occupancy * agents)."""
        lam, aht = load / 240, 240.0
        metrics = erlang_a_metrics(lam, aht, n, patience, 20.0)
        carried = lam * (1 - metrics.abandon_rate) * aht
        assert carried == pytest.approx(metrics.occupancy * n, rel=1e-9)
        # carried load cannot exceed the agents, so overload forces abandonment
        assert metrics.abandon_rate >= 1 - n / load - 1e-12

    @pytest.mark.parametrize(
        ("load", "n", "patience"), [(10.0, 13, 300.0), (50.0, 42, 180.0), (2000.0, 1000, 600.0)]
    )
    def test_abandonment_little(self, load, n, patience):
        """P(abandon) = theta E[queue] / lambda = mean wait of all arrivals / mean patience."""
        metrics = erlang_a_metrics(load / 240, 240.0, n, patience, 20.0)
        assert metrics.abandon_rate == pytest.approx(metrics.mean_wait / patience, rel=1e-9)

    @pytest.mark.parametrize(("load", "n"), [(950.0, 1000), (50.0, 42), (5000.0, 1000)])
    def test_metrics_in_range(self, load, n):
        """Large and overloaded pools give finite probabilities in [0, 1] and ordered waits."""
        metrics = erlang_a_metrics(load / 240, 240.0, n, 300.0, 20.0)
        for name in ("p_wait", "service_level", "abandon_rate", "occupancy"):
            assert 0.0 <= getattr(metrics, name) <= 1.0, name
        assert metrics.service_level <= 1 - metrics.abandon_rate
        assert 0.0 < metrics.mean_wait < math.inf
        assert 0.0 < metrics.asa < math.inf

    def test_zero_threshold(self):
        """Answered within 0 s means answered without waiting."""
        metrics = erlang_a_metrics(50 / 240, 240.0, 42, 180.0, 0.0)
        assert metrics.service_level == pytest.approx(1.0 - metrics.p_wait, rel=1e-12)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"patience": 0.0}, r"'patience' must be > 0, got 0\.0"),
            ({"patience": math.inf}, r"'patience' must be a finite number > 0, got inf"),
            ({"agents": -3}, r"'agents' must be an integer >= 1, got -3"),
            ({"aht": "4m"}, r"'aht' must be a finite number > 0, got '4m'"),
            ({"threshold": -0.5}, r"'threshold' must be >= 0, got -0\.5"),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs, message):
        """Each rule names the argument, the rule and the value received."""
        arguments = {"arrival_rate": 0.1, "aht": 240.0, "agents": 30, "patience": 180.0}
        with pytest.raises(ValueError, match=message):
            erlang_a_metrics(**{**arguments, "threshold": 20.0, **kwargs})


class TestRequiredAgents:
    def test_erlang_c_minimal(self):
        """600/h at 240 s, 80 % in 20 s: the answer meets the target and one fewer does not."""
        lam, aht = 600 / 3600, 240.0
        n = required_agents(lam, aht, 0.8, 20.0)
        assert erlang_c_metrics(lam, aht, n, 20.0).service_level >= 0.8
        assert n - 1 <= lam * aht or erlang_c_metrics(lam, aht, n - 1, 20.0).service_level < 0.8

    def test_erlang_a_minimal(self):
        """With 180 s patience the answer meets the target and one fewer does not."""
        lam, aht = 600 / 3600, 240.0
        n = required_agents(lam, aht, 0.8, 20.0, patience=180.0)
        assert erlang_a_metrics(lam, aht, n, 180.0, 20.0).service_level >= 0.8
        assert erlang_a_metrics(lam, aht, n - 1, 180.0, 20.0).service_level < 0.8
        assert n <= required_agents(lam, aht, 0.8, 20.0)

    def test_abandon_cap(self):
        """An abandonment cap binds: the answer is the fewest agents meeting both goals."""
        lam, aht = 600 / 3600, 240.0
        n = required_agents(lam, aht, 0.5, 20.0, patience=180.0, max_abandon=0.01)
        assert erlang_a_metrics(lam, aht, n, 180.0, 20.0).abandon_rate <= 0.01
        previous = erlang_a_metrics(lam, aht, n - 1, 180.0, 20.0)
        assert previous.abandon_rate > 0.01 or previous.service_level < 0.5
        assert n > required_agents(lam, aht, 0.5, 20.0, patience=180.0)

    @pytest.mark.parametrize(("calls", "aht", "agents"), WHOLE_LOADS)
    def test_whole_load(self, calls, aht, agents):
        """A whole number of Erlangs needs more agents than Erlangs, and the fewest that meet.

        Loads like 260 calls per 30 min at 270 s (39 Erlangs, 38.999... in floating point)
        used to divide by zero at n == load.
        """
        lam = calls / 1800
        n = required_agents(lam, aht, 0.8, 20.0)
        assert n > agents
        assert erlang_c_metrics(lam, aht, n, 20.0).service_level >= 0.8
        assert n - 1 == agents or erlang_c_metrics(lam, aht, n - 1, 20.0).service_level < 0.8

    def test_large_center(self):
        """A 2,000-Erlang center is staffed above its load and close to it (square-root rule)."""
        n = required_agents(2000 / 240, 240.0, 0.8, 20.0)
        assert 2000 < n < 2000 + 3 * math.sqrt(2000)

    def test_gives_up_at_max_agents(self):
        """An unreachable goal within max_agents is an error, not a silent answer."""
        with pytest.raises(ValueError, match="no staffing up to 'max_agents' = 30"):
            required_agents(600 / 3600, 240.0, 0.8, 20.0, max_agents=30)

    @pytest.mark.parametrize(
        ("kwargs", "message"),
        [
            ({"target": 0.0}, r"'target' must be > 0, got 0\.0"),
            ({"target": 1.5}, r"'target' must be in \(0, 1\], got 1\.5"),
            ({"max_abandon": 2.0}, r"'max_abandon' must be in \(0, 1\], got 2\.0"),
            ({"patience": -1.0}, r"'patience' must be > 0, got -1\.0"),
            ({"max_agents": 0}, r"'max_agents' must be an integer >= 1, got 0"),
            ({"arrival_rate": -0.1}, r"'arrival_rate' must be > 0, got -0\.1"),
        ],
    )
    def test_rejects_bad_arguments(self, kwargs, message):
        """Each rule names the argument, the rule and the value received."""
        arguments = {"arrival_rate": 0.1, "aht": 240.0, "target": 0.8, "threshold": 20.0}
        with pytest.raises(ValueError, match=message):
            required_agents(**{**arguments, **kwargs})


class TestValidationCopy:
    @pytest.mark.skipif(not SHARED_CASES.exists(), reason="shared/validation not beside the repo")
    def test_copy_matches_the_shared_file(self):
        """tests/data/erlang_cases.csv is the shared validation file, unchanged."""
        assert CASES.read_bytes() == SHARED_CASES.read_bytes()


def test_required_agents_refuses_a_target_of_one():
    """A service level of 1 is never met (someone always waits); rounding 'met' it.

    At 40 Erlangs with a minute's patience, 99 agents gave 1.0, 100 gave 0.9999999999999999
    and 101 gave 1.0: the bisection returned 101 (found by an outside check).
    """
    with pytest.raises(ValueError, match="'target' must be below 1"):
        required_agents(39.999999 / 240, 240, 1.0, 20, patience=60)
