"""``ccsim schedule``: each requirement source counts a group's absenteeism exactly once.

A group's ``absenteeism`` field is simulated: every run (the staffing search included)
makes each scheduled agent absent on a day with that probability (README "Absenteeism").
So a requirement that was simulated - ``search``, ``staff`` (the scenario's own
staffing) and the table ``ccsim staff --out`` writes - counts agents on the phones before
absences, and its absences are in it already: the schedule grosses it up for shrinkage
only. Erlang C knows no absences: ``erlang`` is grossed up by 1 / (1 - absenteeism) too.
``--absenteeism`` (groups without the field; the simulator makes nobody absent from it)
is a margin on every source.

Oracle: the fewest agents present ``m`` the simulator puts the requirement of on the
phones (``m (1 - shrinkage)`` rounded half up, as it rounds), then divided by ``1 - a``
and rounded up, worked by hand here: one rounding up in all, not one per gross-up.
"""

from __future__ import annotations

import math
from unittest.mock import patch

import pandas as pd
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure

from sim.cli import main

SETTINGS = settings(max_examples=6, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow,
                                           HealthCheck.function_scoped_fixture])


def on_duty(on_phones: int, shrinkage: float, absenteeism: float) -> int:
    """Fewest m with m (1 - s) rounded half up >= on_phones, divided by (1 - a), rounded up."""
    m = 0
    while math.floor(m * (1.0 - shrinkage) + 0.5) < on_phones:
        m += 1
    return math.ceil(m / (1.0 - absenteeism) - 1e-9)


def scenario(staff: list[int], shrinkage: float, absenteeism: float | None) -> dict:
    """One group, 4 hourly intervals, one day; ``absenteeism`` None: no field."""
    group = {"skills": ["calls"], "staff": staff, "shrinkage": shrinkage}
    if absenteeism is not None:
        group["absenteeism"] = absenteeism
    return {"name": "absent", "seed": 5, "days": 1, "open": "08:00", "close": "12:00",
            "interval": "1h", "service_level": {"threshold": "20s", "target": 0.8},
            "contact_types": {"calls": {"arrivals": {"rate": "20/h"},
                                        "handle": {"dist": "exponential", "mean": "4m"}}},
            "agents": {"pool": group}}


def coverage(tmp_path, document: dict, requirement: str, options=()) -> pd.DataFrame:
    """``ccsim schedule`` (one round, no figures) on ``document``: its coverage.csv."""
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    out = tmp_path / "out"
    with patch.multiple("sim.plots.shifts", coverage_figure=no_figure, gantt_figure=no_figure):
        done = CliRunner().invoke(main, [
            "schedule", str(tmp_path / "s.yaml"), "--requirement", requirement,
            "--lengths", "1h,4h", "-r", "1", "-w", "1", "--max-rounds", "1", "-q",
            "--out", str(out), *options])
    assert done.exit_code == 0, done.output
    return pd.read_csv(out / "coverage.csv")


def no_figure(result) -> Figure:
    """An empty figure: drawing the two is most of a schedule's time, tested elsewhere."""
    return Figure()


@SETTINGS
@given(staff=st.lists(st.integers(0, 12), min_size=4, max_size=4),
       shrinkage=st.sampled_from([0.0, 0.1, 0.25]),
       absenteeism=st.sampled_from([0.0, 0.06, 0.2, 0.5]))
@example(staff=[10, 10, 10, 10], shrinkage=0.1, absenteeism=0.2)  # was 13 on duty, not 10
def test_requirement_staff_keeps_the_scenarios_headcount(tmp_path_factory, staff, shrinkage,
                                                         absenteeism):
    """The scenario's ``staff`` already loses its absentees in the run: no second gross-up."""
    table = coverage(tmp_path_factory.mktemp("staff"), scenario(staff, shrinkage, absenteeism),
                     "staff")
    phones = [math.floor(n * (1 - shrinkage) + 0.5) for n in staff]
    assert table.required_on_phones.tolist() == phones
    assert table.required_on_duty.tolist() == [on_duty(n, shrinkage, 0.0) for n in phones]


@SETTINGS
@given(need=st.lists(st.integers(0, 12), min_size=4, max_size=4),
       absenteeism=st.sampled_from([0.06, 0.2, 0.5]), own=st.booleans())
def test_a_staff_table_is_grossed_up_by_the_option_only(tmp_path_factory, need, absenteeism,
                                                        own):
    """``ccsim staff``'s table was searched with the group's absences simulated.

    ``--absenteeism 0.1`` grosses up a group without the field, never one with its own.
    """
    tmp_path = tmp_path_factory.mktemp("table")
    rows = [{"start": 8 * 3600.0 + i * 3600.0, "group": "pool", "simulated": n}
            for i, n in enumerate(need)]
    pd.DataFrame(rows).to_csv(tmp_path / "need.csv", index=False)
    document = scenario([1] * 4, 0.1, absenteeism if own else None)
    table = coverage(tmp_path, document, str(tmp_path / "need.csv"), ["--absenteeism", "0.1"])
    margin = 0.0 if own else 0.1
    assert table.required_on_duty.tolist() == [on_duty(n, 0.1, margin) for n in need]


@SETTINGS
@given(absenteeism=st.sampled_from([0.0, 0.06, 0.2, 0.5]),
       shrinkage=st.sampled_from([0.0, 0.25]))
def test_erlang_is_grossed_up_by_the_groups_absenteeism(tmp_path_factory, absenteeism,
                                                        shrinkage):
    """Erlang C counts agents present: the group's absentees come on top, once."""
    table = coverage(tmp_path_factory.mktemp("erlang"),
                     scenario([1] * 4, shrinkage, absenteeism), "erlang")
    assert (table.required_on_phones > 0).all()
    assert table.required_on_duty.tolist() == [
        on_duty(n, shrinkage, absenteeism) for n in table.required_on_phones]


def test_shrinkage_and_absenteeism_round_up_once(tmp_path):
    """7 on the phones at 25% shrinkage and 10% absent: 10 on duty.

    9 present put 6.75 -> 7 on the phones, and 10 x 0.9 = 9 come. Rounding up for each
    (ceil(7 / 0.75) = 10, then ceil(10 / 0.9) = 12) scheduled two more than needed.
    """
    rows = [{"start": 8 * 3600.0 + i * 3600.0, "group": "pool", "simulated": 7}
            for i in range(4)]
    pd.DataFrame(rows).to_csv(tmp_path / "need.csv", index=False)
    table = coverage(tmp_path, scenario([1] * 4, 0.25, None), str(tmp_path / "need.csv"),
                     ["--absenteeism", "0.1"])
    assert table.required_on_duty.tolist() == [10] * 4


def test_a_searched_requirement_is_not_grossed_up_again(tmp_path):
    """``search`` simulated every plan with the group's absences: shrinkage only."""
    table = coverage(tmp_path, scenario([1] * 4, 0.1, 0.2), "search")
    assert (table.required_on_phones > 0).all()
    assert table.required_on_duty.tolist() == [
        on_duty(n, 0.1, 0.0) for n in table.required_on_phones]
