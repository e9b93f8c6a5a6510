"""Keyed random numbers: a customer's journey is a function of the customer, not of waits."""

import copy
import math
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import scenarios

import sim
from sim import keyed
from sim.contacts import draw_contacts
from sim.distribution_base import quantiles
from sim.distributions import (
    Deterministic,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
)


class TestKeys:
    def test_scalar_and_array_agree(self):
        """The per-contact function and the numpy one give the same keys and numbers."""
        root = keyed.root(7, 3)
        keys = keyed.issue_keys(root, np.arange(1000))
        assert [keyed.issue_key(root, i) for i in range(1000)] == [int(k) for k in keys]
        for purpose, step in ((keyed.RESOLUTION, 0), (keyed.TRANSFER, 2)):
            numbers = keyed.uniforms(keys, purpose, step)
            assert numbers.tolist() == [keyed.uniform(int(k), purpose, step) for k in keys]
            assert keyed.children(keys, purpose, step).tolist() == [
                keyed.child(int(k), purpose, step) for k in keys]

    def test_scalar_and_array_agree_on_any_key_of_a_large_array(self):
        """The extreme keys too, in an array large enough that numpy may reuse temporaries."""
        edge = [0, 1, (1 << 63) - 1, 1 << 63, (1 << 64) - 1]
        keys = np.random.default_rng(5).integers(0, 1 << 64, 50_000, np.uint64, endpoint=False)
        keys[:len(edge)] = edge
        before = keys.copy()
        some = [*range(len(edge)), *range(len(edge), keys.size, 997)]
        numbers, kids = keyed.uniforms(keys, keyed.COMEBACK, 3), keyed.children(keys, keyed.HANDLE)
        assert np.array_equal(keys, before)  # the keys are left as they were
        keyed.mix_array(keys)
        assert np.array_equal(keys, before)
        assert [numbers[i] for i in some] == [keyed.uniform(int(keys[i]), keyed.COMEBACK, 3)
                                              for i in some]
        assert [int(kids[i]) for i in some] == [keyed.child(int(keys[i]), keyed.HANDLE)
                                                for i in some]

    def test_uniform_and_independent(self):
        """Numbers are uniform on (0, 1) and uncorrelated across purposes and steps."""
        keys = keyed.issue_keys(keyed.root(1, 0), np.arange(100_000))
        a, b = keyed.uniforms(keys, keyed.TRANSFER, 1), keyed.uniforms(keys, keyed.TRANSFER, 2)
        c = keyed.uniforms(keys, keyed.RESOLUTION)
        for x in (a, b, c):
            assert x.min() > 0 and x.max() < 1
            counts = np.histogram(x, bins=20, range=(0, 1))[0]
            chi2 = ((counts - 5000) ** 2 / 5000).sum()
            assert chi2 < 45  # 19 degrees of freedom: P(chi2 > 45) < 0.001
        for x, y in ((a, b), (a, c), (b, c)):
            assert abs(np.corrcoef(x, y)[0, 1]) < 0.015  # 4.7 sd of r at n = 1e5

    def test_replications_differ(self):
        assert keyed.root(1, 0) != keyed.root(1, 1) != keyed.root(2, 0)


# one of each distribution family, for the inverse-CDF tests below
FAMILIES = [
    Exponential(mean=60), Lognormal(mean=60, cv=0.7), Gamma(mean=60, cv=0.5),
    Erlang(mean=60, k=3), Uniform(low=10, high=20), Triangular(low=1, mode=3, high=10),
    Deterministic(value=5), Empirical(values=(1, 2, 3, 10)),
]


@pytest.mark.parametrize("dist", FAMILIES, ids=repr)
def test_quantile_function_matches_mean_and_variance(dist):
    """Durations from the inverse CDF have the distribution's mean and variance."""
    u = keyed.uniforms(keyed.issue_keys(keyed.root(5, 0), np.arange(40_000)), keyed.HANDLE)
    quantile = dist.quantile_function()
    x = np.array([quantile(v) for v in u])
    sd = dist.variance**0.5
    assert abs(x.mean() - dist.mean) <= 4 * sd / 200 + 1e-12  # 4 standard errors
    if sd:
        assert abs(x.std() / sd - 1) < 0.05


@pytest.mark.parametrize("dist", FAMILIES, ids=repr)
def test_quantiles_of_an_array_are_those_of_each_number_bit_for_bit(dist):
    """``quantiles`` (an array at once, numpy where its inverse CDF allows) is exact."""
    u = keyed.uniforms(keyed.issue_keys(keyed.root(6, 0), np.arange(5_000)), keyed.IVR_TIME)
    u = np.concatenate([u, [1e-300, 0.5, 1.0 - 2.0**-53]])
    quantile = dist.quantile_function()
    got = quantiles(quantile, u)
    assert got.dtype == np.float64 and got.shape == u.shape
    assert got.tobytes() == np.array([quantile(v) for v in u.tolist()]).tobytes()
    assert quantiles(quantile, u[:0]).shape == (0,)



@given(st.floats(min_value=1e-6, max_value=1e6), st.floats(min_value=0.01, max_value=5.0),
       st.lists(st.floats(min_value=0.0, max_value=1.0, exclude_min=True, exclude_max=True),
                min_size=1, max_size=50))
def test_lognormal_quantile_is_normal_dist_s_bit_for_bit(mean, cv, us):
    """The lognormal's inverse CDF gives NormalDist's doubles, so records do not change.

    It calls the statistics module's C function directly (no method call per number):
    the same doubles as ``exp(mu + sigma * NormalDist().inv_cdf(u))``.
    """
    sigma2 = math.log1p(cv**2)
    mu, sigma = math.log(mean) - sigma2 / 2.0, math.sqrt(sigma2)
    quantile, inv = Lognormal(mean=mean, cv=cv).quantile_function(), NormalDist().inv_cdf
    for u in [*us, 1e-300, 0.5, 0.075, 0.925, 1.0 - 2.0**-53]:
        assert quantile(u) == math.exp(mu + sigma * inv(u))
    for u in (0.0, 1.0):  # outside (0, 1): an error, as NormalDist's, not a number
        with pytest.raises(ValueError, match="undefined"):
            quantile(u)

def journeys(staff: int, fraud_rate: str = "10/h"):
    """Transfers, consults, escalations, resolution and repeats; nobody ever hangs up."""
    return sim.scenario_from_dict({
        "name": "journeys", "days": 2, "interval": "1h", "open": "08:00", "close": "20:00",
        "cooldown": "3d",  # every repeat of the measured issues happens within the run
        "contact_types": {
            "billing": {"arrivals": {"rate": "40/h"},
                        "handle": {"dist": "lognormal", "mean": "6m", "cv": 0.8},
                        "resolution": 0.7,
                        "ivr": {"time": {"dist": "uniform", "low": "20s", "high": "1m"},
                                "self_service": 0.1, "misroute": 0.2},
                        "transfer": {"probability": 0.2, "to": "fraud"},
                        "consult": {"probability": 0.3, "to": "fraud",
                                    "talk": {"dist": "exponential", "mean": "2m"}},
                        "repeat": {"probability": 0.8, "max_contacts": 3,
                                   "delay": {"dist": "exponential", "mean": "4h"}}},
            "fraud": {"arrivals": {"rate": fraud_rate},
                      "handle": {"dist": "gamma", "mean": "8m", "cv": 0.5},
                      "resolution": 0.8},
        },
        "agents": {"front": {"skills": ["billing"], "staff": staff,
                             "escalate": {"probability": 0.1, "to": "fraud"}},
                   "desk": {"skills": ["fraud"], "staff": 4}},
    })


def test_staffing_changes_waits_not_journeys():
    """Fewer or more agents: every customer's journey (not its waits) stays the same."""
    lean, rich = (sim.run(journeys(n), seed=4).contacts for n in (5, 9))
    firsts = [c[c["origin"] == "first"].set_index("issue_id") for c in (lean, rich)]
    assert firsts[0].index.equals(firsts[1].index)
    columns = ["contact_type", "self_served", "misrouted", "transfers", "resolved", "hold"]
    same = firsts[0][columns[:-1]].eq(firsts[1][columns[:-1]]).all(axis=1)
    assert same.all(), firsts[0][~same].head()
    assert (firsts[0]["wait"] != firsts[1]["wait"]).mean() > 0.3  # the waits did change
    # the same repeat contacts come back (how many per issue of the measured days)
    measured = firsts[0].index[firsts[0]["arrival"] < 2 * 86400]
    per_issue = [c.groupby("issue_id").size().loc[measured] for c in (lean, rich)]
    assert per_issue[0].equals(per_issue[1])
    assert (per_issue[0] > 1).sum() > 100


def test_another_types_volume_changes_no_customer_of_this_type():
    """More fraud calls: every billing customer's journey stays the same.

    A customer's key was its place among all contact types' arrivals, so four more
    fraud calls an hour gave most billing customers another customer's decisions
    (transfers, resolution, repeats): a variant moving volume between types compared
    other people. Keys count each type's own arrivals now.
    """
    base, busier = journeys(9), journeys(9, fraud_rate="14/h")
    runs = [sim.run(s, seed=4).contacts for s in (base, busier)]
    firsts = [c[(c["origin"] == "first") & (c["contact_type"] == "billing")]
              .sort_values("arrival") for c in runs]
    assert (runs[0]["contact_type"] == "fraud").sum() < (runs[1]["contact_type"] == "fraud").sum()
    np.testing.assert_array_equal(firsts[0]["arrival"], firsts[1]["arrival"])
    columns = ["self_served", "misrouted", "transfers", "resolved"]
    same = (firsts[0][columns].to_numpy() == firsts[1][columns].to_numpy()).all(axis=1)
    assert same.all(), f"{(~same).sum()} of {same.size} billing customers changed"


def test_a_comeback_takes_over_the_numbers_keyed_uniform_gives_it():
    """ContactBook.adopt: a drawn contact's repeat gets, up front, its own keyed numbers."""
    from sim.contacts import ADOPTED, ContactBook, ContactDraws

    n = 50
    draws = ContactDraws(np.arange(n, dtype=float), np.zeros(n, np.int16), np.full(n, 60.0),
                         np.full(n, np.inf))
    book = ContactBook(draws, 12345, list(ADOPTED), True, ((keyed.COMEBACK, 0),))
    for parent in (0, 7, 49):
        kid_key = keyed.child(book.key[parent], keyed.COMEBACK)
        c = book.new_contact(0, parent, 2, 0, 60.0, np.inf, 100.0, kid_key)
        assert c >= n and not book.numbered[c] and not book.quiet[c]
        book.adopt(c, parent, consult=0.3, transfer=0.2)
        assert book.numbered[c]
        for purpose in ADOPTED:
            step = purpose if isinstance(purpose, tuple) else (purpose, 0)
            assert book.first_numbers[purpose][c] == keyed.uniform(kid_key, *step), purpose
        patience, handle = (numbers[parent] for numbers in book.comeback_numbers)
        assert (patience, handle) == (keyed.uniform(kid_key, keyed.PATIENCE),
                                      keyed.uniform(kid_key, keyed.HANDLE))
        quiet = (keyed.uniform(kid_key, keyed.CONSULT, 1) >= 0.3
                 and keyed.uniform(kid_key, keyed.TRANSFER, 1) >= 0.2)
        assert book.quiet[c] == quiet
    assert not any(book.numbered[c] for c in range(book.n, book.capacity))  # blank rows


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=scenarios(), seed=st.integers(0, 2**32 - 1))
def test_one_types_volume_leaves_every_other_types_keys(data, seed):
    """Double one type's arrivals: every other type's customers keep their keys.

    On random scenarios, arrival by arrival: who they are for every keyed decision.
    """
    types = list(data["contact_types"])
    assume(len(types) > 1)
    busier = copy.deepcopy(data)
    arrivals = busier["contact_types"][types[0]]["arrivals"]
    if "rate" in arrivals:
        arrivals["rate"] = f"{2 * float(arrivals['rate'].split('/')[0]):g}/h"
    else:
        arrivals["per_interval"] = [2 * v + 1 for v in arrivals["per_interval"]]

    def others(scenario_data):
        draws = draw_contacts(sim.scenario_from_dict(scenario_data), seed, 0)
        keys = keyed.issue_keys(keyed.root(seed, 0), draws.who)
        mine = draws.contact_type != 0
        return draws.contact_type[mine], draws.arrival[mine], keys[mine]

    for got, want in zip(others(busier), others(data)):
        np.testing.assert_array_equal(got, want)
