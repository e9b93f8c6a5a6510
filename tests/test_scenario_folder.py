"""A file a scenario names (an empirical ``file``) is read from the scenario's folder.

On every path that builds a scenario again from a loaded one (a variant for ``ccsim
compare``, a grid point, the app's controls: :func:`sim.loader.with_overrides`), not only
when the file is loaded: ``ccsim validate`` found the variant's file beside the scenario,
then ``ccsim compare`` looked for it in the working folder (and failed, or would have read
another file of the same name there).
"""

from __future__ import annotations

import textwrap

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.loader import load_scenario, variant, with_overrides

SCENARIO = textwrap.dedent("""\
    name: measured handle times
    seed: 1
    days: 1
    open: "08:00"
    close: "09:00"
    interval: 30m
    service_level: {threshold: 20s, target: 0.8}
    contact_types:
      a:
        arrivals: {rate: 20/h}
        handle: {dist: exponential, mean: 3m}
        patience: {dist: exponential, mean: 5m}
    variants:
      measured:
        contact_types.a.handle: {dist: empirical, file: times.csv}
    agents:
      pool: {skills: [a], staff: 2}
    """)
MEASURED = {"dist": "empirical", "file": "times.csv"}


@pytest.fixture
def elsewhere(tmp_path, monkeypatch):
    """The scenario in its own folder beside its times file; the working folder another.

    The working folder holds a times file of the same name with other values: read by
    mistake, it shows.
    """
    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "times.csv").write_text("seconds\n100\n200\n300\n")
    (folder / "s.yaml").write_text(SCENARIO)
    work = tmp_path / "work"
    work.mkdir()
    (work / "times.csv").write_text("seconds\n5000\n")
    monkeypatch.chdir(work)
    return folder / "s.yaml"


def test_a_variant_reads_its_file_beside_the_scenario(elsewhere):
    scenario = load_scenario(elsewhere)
    assert variant(scenario, "measured").contact_types["a"].handle.mean == 200.0


def test_an_override_reads_its_file_beside_the_scenario(elsewhere):
    scenario = load_scenario(elsewhere)
    changed = with_overrides(scenario, {"contact_types.a.handle": MEASURED})
    assert changed.contact_types["a"].handle.mean == 200.0
    # and a scenario built from that one again (a point of a point, a copy) likewise
    again = with_overrides(changed.model_copy(), {"contact_types.a.handle": MEASURED})
    assert again.contact_types["a"].handle.mean == 200.0


def test_compare_runs_the_variant_from_another_folder(elsewhere, tmp_path):
    (tmp_path / "work" / "times.csv").unlink()  # (the working folder has none: it failed)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(elsewhere), "-r", "2", "--workers", "1",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert (out / "comparison.csv").exists()
