"""``ccsim staff --out``: what it prints for its plan is ``ccsim run``'s of the file it writes.

With shrinkage (and absenteeism) the file's ``staff`` is agents on duty, and the simulator
puts ``round_half_up(n x (1 - shrinkage))`` of ``n`` on the phones
(:func:`sim.schedule.on_phones`). The search simulates the plan on the phones; a file
grossed up by ``ceil(plan / (1 - shrinkage))`` put one agent more to work (4 at 25% is 6
scheduled, 4.5 -> 5 on the phones), so the printed service levels and costs were not the
file's (an outside check: total 4,162.63 printed, 4,143.25 run). Here each printed number
is checked against a run of the written file with the same seed and replications.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.schedule import on_phones

SEED, REPLICATIONS = 3, 3


def document(shrinkage: float, absenteeism: float) -> dict:
    """One group, one day of four hourly intervals of different loads, with costs."""
    group = {"skills": ["calls"], "staff": 8, "shrinkage": shrinkage}
    if absenteeism:
        group["absenteeism"] = absenteeism
    return {"name": "shrunk", "seed": SEED, "days": 1, "open": "08:00", "close": "12:00",
            "interval": "1h", "service_level": {"threshold": "20s", "target": 0.8},
            "contact_types": {"calls": {"arrivals": {"per_interval": [15, 60, 120, 40]},
                                        "handle": {"dist": "exponential", "mean": "4m"},
                                        "patience": {"dist": "exponential", "mean": "3m"}}},
            "agents": {"pool": group},
            "costs": {"agents": {"pool": {"hourly": 30}}, "per_abandon": 5,
                      "per_wait_minute": 0.5}}


def staff(tmp_path, data: dict, *options: str) -> tuple[str, pd.DataFrame, sim.RunResult]:
    """``ccsim staff --out``'s output and table, and ``sim.run`` of the file it wrote."""
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    done = CliRunner().invoke(main, ["staff", str(tmp_path / "s.yaml"), "-r",
                                     str(REPLICATIONS), "--holdout", "0", "-w", "1", "-q",
                                     "--out", str(tmp_path / "f.yaml"), *options])
    assert done.exit_code == 0, done.output
    written = sim.load_scenario(tmp_path / "f.yaml")
    return (done.output, pd.read_csv(tmp_path / "f.csv"),
            sim.run(written, seed=SEED, replications=REPLICATIONS))


CASES = [(0.1, 0.0), (0.25, 0.0), (0.35, 0.0), (0.25, 0.1), (0.3, 0.2)]


@pytest.mark.parametrize(("shrinkage", "absenteeism"), CASES)
def test_printed_service_levels_are_the_written_files(tmp_path, shrinkage, absenteeism):
    """The table's service level and abandon rate per interval: the run's of the file."""
    _, table, run = staff(tmp_path, document(shrinkage, absenteeism))
    rows = run.intervals[run.intervals.contact_type == "calls"]
    np.testing.assert_allclose(table.service_level, rows.service_level, rtol=1e-9)
    np.testing.assert_allclose(table.abandon_rate, rows.abandon_rate, rtol=1e-9)


@pytest.mark.parametrize(("shrinkage", "absenteeism"), [(0.25, 0.0), (0.35, 0.0), (0.3, 0.2)])
def test_printed_costs_are_the_written_files(tmp_path, shrinkage, absenteeism):
    """``--objective cost``'s cost line: the run's total and parts, to the cent."""
    output, _, run = staff(tmp_path, document(shrinkage, absenteeism), "--objective", "cost")
    line = re.search(r"total cost ([\d,.]+) \(staff ([\d,.]+), abandon ([\d,.]+), "
                     r"wait ([\d,.]+)\)", output)
    assert line, output
    printed = [float(x.replace(",", "")) for x in line.groups()]
    wanted = [run.summary[k] for k in ("total_cost", "staff_cost", "abandon_cost", "wait_cost")]
    assert printed == pytest.approx(wanted, abs=0.006)


@pytest.mark.parametrize(("shrinkage", "absenteeism"), CASES)
def test_simulated_is_on_the_phones_of_the_written_staff(tmp_path, shrinkage, absenteeism):
    """``simulated``: the file's agents on the phones (before absences, and so headed)."""
    output, table, run = staff(tmp_path, document(shrinkage, absenteeism))
    written = run.scenario.agents["pool"]
    assert [on_phones(n, shrinkage) for n in written.staff] == table.simulated.tolist()
    assert ("before absences" in output.splitlines()[1]) == (absenteeism > 0)
