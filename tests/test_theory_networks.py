"""Journeys against queueing theory: transfers and repeat contacts as queueing networks.

Two departments (contact types ``a`` and ``b``, each answered by its own group) with
Poisson arrivals around the clock, exponential handle times, nobody hanging up, and
Bernoulli routing: after each talk a department transfers cold to the other with its
own chance; an unresolved contact comes back after an exponential delay (an
infinite-server delay station) with the repeat's chance.

- Transfers alone, uncapped (``max_transfers`` 100: a 101st leg has chance
  (p_a p_b)^50): an open Jackson network (Jackson 1957). The traffic equations
  Lambda = lambda + P' Lambda give each department's arrival rate (first legs plus
  transfers in), and each department is an M/M/c queue: its legs' mean wait is Erlang
  C's at Lambda_i, its agents' occupancy Lambda_i / (c_i mu_i) (Little's law for busy
  agents), and a contact makes (I - P)^-1 legs in each department (for a contact of
  ``a``: 1 / (1 - p_a p_b) in ``a``, p_a / (1 - p_a p_b) in ``b``).
- With repeats and both caps small (``max_contacts`` 3, ``max_transfers`` 1), routing
  depends on how many transfers and contacts a customer has made: a multi-class Kelly
  network (Kelly 1975, *Networks of queues with customers of different types*). Every
  department still serves every class FCFS at one exponential rate (a later leg's
  handle time is drawn from its queue's type, :mod:`sim.leg_steps` ``customer``), so
  each is again M/M/c at its total arrival rate: an issue of type x makes
  (1 - f^M) / (1 - f) contacts (f = (1 - resolution) x repeat chance, M = max_contacts)
  and each contact 1 + p_x legs. The run is open round the clock, so the engine never
  moves a comeback into opening hours.
- Repeats that switch department (``switch_to``), an IVR before one queue (another
  infinite-server delay, whose self-service resolves the issue) and a group's resolution
  factor: the same Kelly argument, with the contacts of each type summed along the
  comeback chain.

Each run starts empty: statistics count legs queued (contacts arriving) from the end of
a warm-up of many mean waits and repeat delays to the end of the last day, and a
cooldown lets the measured contacts' transfers and repeats happen. Tolerances are those
of ``tests/test_theory.py`` (3 Student-t 95% half-widths over the replications, not
tuned), and each check shows it tells the theory from a nearby wrong one (a department
with one agent more or fewer, a cap one higher or lower, a transfer chance 2 points up).
"""

import numpy as np
import pytest
from helpers import assert_agrees

import sim
from sim import erlang

DEPARTMENTS = ("a", "b")
RATE = np.array([240.0, 120.0]) / 3600  # first contacts per second
AHT = np.array([180.0, 300.0])  # seconds
TRANSFER = np.array([0.25, 0.2])  # each department's chance to transfer to the other
STAFF = (16, 18)
WARMUP, COOLDOWN = 3 * 3600.0, 3 * 3600.0
DAYS, REPLICATIONS = 2, 20
END = DAYS * 86400.0


def routing(transfer=TRANSFER) -> np.ndarray:
    """P[i, j]: the chance that a leg in department i is followed by one in j."""
    return np.array([[0.0, transfer[0]], [transfer[1], 0.0]])


def visits(transfer=TRANSFER, max_transfers: int | None = None) -> np.ndarray:
    """V[x, i]: expected legs in department i of one contact of department x.

    Uncapped, (I - P)^-1 (the traffic equations); with at most K transfers, I + P + ...
    + P^K (a leg after the K-th transfer is never transferred).
    """
    p = routing(transfer)
    if max_transfers is None:
        return np.linalg.inv(np.eye(2) - p)
    return sum(np.linalg.matrix_power(p, k) for k in range(max_transfers + 1))


def contacts_per_issue(resolution, repeat, max_contacts: int) -> np.ndarray:
    """Expected contacts of an issue: 1 + f + ... + f^(M-1), f = P(unresolved and back)."""
    f = (1.0 - np.asarray(resolution)) * np.asarray(repeat)
    return (1.0 - f**max_contacts) / (1.0 - f)


def department(rate: float, aht: float, transfer: float, to: str, **extra) -> dict:
    transfers = {"transfer": {"probability": transfer, "to": to}} if transfer else {}
    return {"arrivals": {"rate": f"{rate * 3600:g}/h"},
            "handle": {"dist": "exponential", "mean": f"{aht:g}s"}, **transfers, **extra}


def scenario(rate=RATE, staff=STAFF, transfer=TRANSFER, **extra) -> dict:
    """The two departments, open round the clock (the default hours), ``extra`` per type."""
    return {
        "name": "two departments", "days": DAYS, "interval": "1h",
        "warmup": WARMUP, "cooldown": COOLDOWN,
        "contact_types": {
            name: department(rate[i], AHT[i], transfer[i], DEPARTMENTS[1 - i],
                             **extra.get(name, {}))
            for i, name in enumerate(DEPARTMENTS)},
        "agents": {f"team_{name}": {"skills": [name], "staff": staff[i]}
                   for i, name in enumerate(DEPARTMENTS)},
    }


def measured_legs(result):
    legs = result.legs
    return legs[(legs["enqueued"] >= WARMUP) & (legs["enqueued"] < END)]


def measured_contacts(result):
    contacts = result.contacts
    return contacts[(contacts["arrival"] >= WARMUP) & (contacts["arrival"] < END)]


def per_replication(frame, column):
    return frame.groupby("replication", observed=True)[column].mean().to_numpy()


def legs_per_contact(result):
    """The measured contacts with their number of legs (``legs``)."""
    legs = result.legs
    counts = legs[legs["contact_id"] >= 0].groupby(["replication", "contact_id"]).size()
    return measured_contacts(result).join(counts.rename("legs"), on=["replication", "contact_id"])


def erlang_c_wait(rate: float, aht: float, agents: int) -> float:
    return erlang.erlang_c_metrics(rate, aht, agents, 20.0).asa


def check_departments(result, station_rate, staff=STAFF):
    """Per department: legs' mean wait (Erlang C) and occupancy (Little's law)."""
    legs = measured_legs(result)
    groups = result.by_group_replications
    for i, name in enumerate(DEPARTMENTS):
        agents = (staff[i], staff[i] - 1, staff[i] + 1)
        waits = [erlang_c_wait(station_rate[i], AHT[i], n) for n in agents]
        assert_agrees(f"wait in {name}", per_replication(legs[legs["queue"] == name], "wait"),
                      waits[0], wrong=waits[1:])
        load = station_rate[i] * AHT[i]
        occupancy = groups[groups["group"] == f"team_{name}"]["occupancy"].to_numpy()
        assert_agrees(f"occupancy of {name}", occupancy, load / agents[0],
                      wrong=[load / n for n in agents[1:]])


@pytest.fixture(scope="module")
def transfer_run():
    """Cold transfers both ways, uncapped in effect."""
    sc = sim.scenario_from_dict(scenario(a={"max_transfers": 100}, b={"max_transfers": 100}))
    return sim.run(sc, seed=21, replications=REPLICATIONS)


class TestTransfersJackson:
    """Departments a and b transfer to each other: an open Jackson network."""

    def test_traffic_equations_closed_form(self):
        """(I - P)^-1 is the closed form: 1 / (1 - p_a p_b) legs at home, p_x / (...) away."""
        round_trip = 1.0 - TRANSFER[0] * TRANSFER[1]
        expected = np.array([[1.0, TRANSFER[0]], [TRANSFER[1], 1.0]]) / round_trip
        np.testing.assert_allclose(visits(), expected)
        np.testing.assert_allclose(visits(max_transfers=100), expected)

    def test_wait_and_occupancy_per_department(self, transfer_run):
        """Each department is M/M/c at first legs + transfers in: Erlang C, Little's law."""
        check_departments(transfer_run, RATE @ visits())

    def test_legs_per_contact(self, transfer_run):
        """A contact of x makes (1 + p_x) / (1 - p_a p_b) legs; not one transfer at most."""
        contacts = legs_per_contact(transfer_run)
        for i, name in enumerate(DEPARTMENTS):
            theory = visits()[i].sum()
            higher = TRANSFER + np.array([0.02, 0.0] if i == 0 else [0.0, 0.02])
            wrong = (visits(max_transfers=1)[i].sum(), visits(higher)[i].sum())
            assert_agrees(f"legs per contact of {name}",
                          per_replication(contacts[contacts["contact_type"] == name], "legs"),
                          theory, wrong=wrong)

    def test_talk_is_the_departments_handle_time(self, transfer_run):
        """A leg's talk has its queue's mean handle time, whoever's contact it is.

        Were a transferred contact to keep its own type's handle time, department a's legs
        would average 180 s + (the share of legs transferred in from b) x 120 s.
        """
        legs = measured_legs(transfer_run)
        rates = RATE @ visits()
        for i, name in enumerate(DEPARTMENTS):
            other = 1 - i
            transferred_in = TRANSFER[other] * rates[other] / rates[i]
            mixed = AHT[i] + transferred_in * (AHT[other] - AHT[i])
            assert_agrees(f"talk in {name}", per_replication(legs[legs["queue"] == name], "talk"),
                          AHT[i], wrong=(mixed,))

    def test_queue_time_per_contact(self, transfer_run):
        """A contact's queue_time (all its queues) averages the sum over departments of V x W."""
        contacts = measured_contacts(transfer_run)
        rates = RATE @ visits()

        def total_wait(agents):
            waits = [erlang_c_wait(rates[j], AHT[j], agents[j]) for j in range(2)]
            return visits() @ np.array(waits)

        theory = total_wait(STAFF)
        for i, name in enumerate(DEPARTMENTS):
            # one agent fewer or more in the contact's own department
            wrong = [total_wait([n + (j == i) * step for j, n in enumerate(STAFF)])[i]
                     for step in (-1, 1)]
            assert_agrees(f"queue time of a contact of {name}",
                          per_replication(contacts[contacts["contact_type"] == name],
                                          "queue_time"),
                          theory[i], wrong=wrong)


# repeats: resolution, the chance to come back when unresolved, and the caps
RESOLUTION, REPEAT, MAX_CONTACTS, MAX_TRANSFERS = (0.6, 0.5), (0.75, 0.8), 3, 1
REPEAT_RATE = np.array([150.0, 80.0]) / 3600  # issues per second: fewer, for the repeats
REPEAT_STAFF = (14, 17)


@pytest.fixture(scope="module")
def repeat_run():
    """Transfers (at most one) and repeat contacts (at most three per issue)."""
    extra = {name: {"resolution": RESOLUTION[i], "max_transfers": MAX_TRANSFERS,
                    "repeat": {"probability": REPEAT[i], "max_contacts": MAX_CONTACTS,
                               "delay": {"dist": "exponential", "mean": f"{20 + 10 * i}m"}}}
             for i, name in enumerate(DEPARTMENTS)}
    sc = sim.scenario_from_dict(scenario(REPEAT_RATE, REPEAT_STAFF, **extra))
    return sim.run(sc, seed=22, replications=REPLICATIONS)


class TestRepeatsKelly:
    """Repeat contacts through a delay station, both caps binding: a Kelly network."""

    def test_contacts_per_issue(self, repeat_run):
        """An issue makes (1 - f^3) / (1 - f) contacts: max_contacts 3, not 2 or 4."""
        issues = repeat_run.issues
        issues = issues[(issues["first_arrival"] >= WARMUP) & (issues["first_arrival"] < END)]
        for i, name in enumerate(DEPARTMENTS):
            theory, *wrong = (contacts_per_issue(RESOLUTION[i], REPEAT[i], m)
                              for m in (MAX_CONTACTS, MAX_CONTACTS - 1, MAX_CONTACTS + 1))
            assert_agrees(f"contacts per issue of {name}",
                          per_replication(issues[issues["contact_type"] == name], "contacts"),
                          theory, wrong=wrong)

    def test_legs_per_contact(self, repeat_run):
        """Every contact (first or repeat) makes 1 + p_x legs: max_transfers 1, not 0 or 2."""
        contacts = legs_per_contact(repeat_run)
        for i, name in enumerate(DEPARTMENTS):
            theory, *wrong = (visits(max_transfers=k)[i].sum()
                              for k in (MAX_TRANSFERS, MAX_TRANSFERS - 1, MAX_TRANSFERS + 1))
            assert_agrees(f"legs per contact of {name}",
                          per_replication(contacts[contacts["contact_type"] == name], "legs"),
                          theory, wrong=wrong)

    def test_wait_and_occupancy_per_department(self, repeat_run):
        """Each department is M/M/c at issues x contacts per issue x legs there."""
        per_issue = contacts_per_issue(RESOLUTION, REPEAT, MAX_CONTACTS)
        station_rate = (REPEAT_RATE * per_issue) @ visits(max_transfers=MAX_TRANSFERS)
        check_departments(repeat_run, station_rate, REPEAT_STAFF)


# repeats of a that switch to b: each a contact's IVR serves 10% itself (resolved, the
# issue ends); a's agents resolve with 0.6 x 1.2; an unresolved a contact comes back with
# 0.75, half of those as b contacts (which then repeat as b's do)
SELF_SERVICE, SWITCH, RESOLUTION_FACTOR = (0.1, 0.0), 0.5, (1.2, 1.0)
SWITCH_RATE = np.array([200.0, 100.0]) / 3600
SWITCH_STAFF = (14, 18)


def contacts_by_type(switch: float, max_contacts: int) -> np.ndarray:
    """Contacts per second of each type: issues' first contacts, then each comeback.

    The k+1-th contact of an issue follows the k-th if the k-th was neither served in
    the IVR nor resolved, and the customer comes back; an a contact comes back as b with
    the chance ``switch``. The cap counts the issue's contacts of either type.
    """
    resolution = np.array(RESOLUTION) * RESOLUTION_FACTOR
    back = (1.0 - np.array(SELF_SERVICE)) * (1.0 - resolution) * np.array(REPEAT)
    moves = np.array([[1.0 - switch, switch], [0.0, 1.0]])
    rate, total = SWITCH_RATE, np.zeros(2)
    for _ in range(max_contacts):
        total = total + rate
        rate = (rate * back) @ moves
    return total


@pytest.fixture(scope="module")
def switch_run():
    """Repeats through an IVR delay and self-service, switching department; no transfers."""
    extra = {name: {"resolution": RESOLUTION[i],
                    "repeat": {"probability": REPEAT[i], "max_contacts": MAX_CONTACTS,
                               "delay": {"dist": "exponential", "mean": f"{20 + 10 * i}m"}}}
             for i, name in enumerate(DEPARTMENTS)}
    extra["a"]["repeat"].update(switch_to="b", switch=SWITCH)
    extra["a"]["ivr"] = {"time": {"dist": "uniform", "low": "30s", "high": "90s"},
                         "self_service": SELF_SERVICE[0]}
    data = scenario(SWITCH_RATE, SWITCH_STAFF, (0.0, 0.0), **extra)
    data["agents"]["team_a"]["resolution_factor"] = RESOLUTION_FACTOR[0]
    return sim.run(sim.scenario_from_dict(data), seed=23, replications=REPLICATIONS)


class TestRepeatsSwitchingDepartments:
    """Repeats that change department, behind an IVR: a Kelly network with a delay station."""

    def test_contacts_per_hour(self, switch_run):
        """Contacts arriving per hour of each type: not without the switch, nor with cap 4."""
        contacts = measured_contacts(switch_run)
        hours = (END - WARMUP) / 3600
        for i, name in enumerate(DEPARTMENTS):
            counts = contacts[contacts["contact_type"] == name].groupby("replication").size()
            theory, *wrong = (3600 * contacts_by_type(s, m)[i]
                              for s, m in ((SWITCH, MAX_CONTACTS), (0.0, MAX_CONTACTS),
                                           (SWITCH, MAX_CONTACTS + 1)))
            assert_agrees(f"{name} contacts per hour", counts.to_numpy() / hours, theory,
                          wrong=wrong[:1] if i == 0 else wrong)

    def test_wait_and_occupancy_per_department(self, switch_run):
        """Each department is M/M/c at the contacts it is offered (not served in the IVR)."""
        offered = contacts_by_type(SWITCH, MAX_CONTACTS) * (1.0 - np.array(SELF_SERVICE))
        check_departments(switch_run, offered, SWITCH_STAFF)
