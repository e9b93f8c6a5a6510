"""Each fitted scenario file keeps its own report: ``ccsim fit --out`` never overwrites another's.

``--out folder/a.yaml`` writes ``folder/a.fit_report.html``. The report was named after the
scenario file's stem, so ``--out folder/a.yml`` (or ``folder/a``) wrote the same report
name and silently replaced the first fit's report, though the first scenario stayed.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sim.cli import main
from sim.cli_fit import fit_report_path

ROWS = {"a": "2026-03-02T08:00:00,1,answered,100\n2026-03-02T08:10:00,2,answered,90\n",
        "b": "2026-03-03T09:00:00,1,answered,200\n2026-03-03T09:10:00,5,abandoned,\n"}


def fit(tmp_path, log: str, out):
    """``ccsim fit`` of the little log ``log`` (a key of ROWS) into ``out``."""
    path = tmp_path / f"{log}_calls.csv"
    path.write_text("arrival,wait,outcome,handle\n" + ROWS[log])
    return CliRunner().invoke(main, ["fit", str(path), "--out", str(out)])


@pytest.mark.parametrize(("name", "report"), [
    ("a.yaml", "a.fit_report.html"), ("a.yml", "a.yml.fit_report.html"),
    ("a.YAML", "a.YAML.fit_report.html"), ("a.b.yaml", "a.b.fit_report.html"),
    ("a", "a.fit_report.html")])
def test_the_report_is_named_after_the_whole_scenario_name_but_yaml(name, report):
    """``a.yaml`` keeps ``a.fit_report.html``; any other name keeps its suffix in the report's."""
    assert fit_report_path(f"folder/{name}").as_posix() == f"folder/{report}"


def test_a_yml_beside_a_yaml_keeps_both_reports(tmp_path):
    """``--out a.yaml`` then ``--out a.yml``: two scenarios, two reports, each naming its own."""
    for log, name in (("a", "a.yaml"), ("b", "a.yml")):
        result = fit(tmp_path, log, tmp_path / name)
        assert result.exit_code == 0, result.output
    first = (tmp_path / "a.fit_report.html").read_text()
    second = (tmp_path / "a.yml.fit_report.html").read_text()
    assert "The fitted scenario: a.yaml," in first and "b_calls.csv" not in first
    assert "The fitted scenario: a.yml," in second and "a_calls.csv" not in second


def test_a_report_of_another_scenario_file_is_not_overwritten(tmp_path):
    """``--out a`` would write ``a.fit_report.html``, a.yaml's report: one line, nothing written.

    A second fit into the same scenario file still replaces its own report.
    """
    assert fit(tmp_path, "a", tmp_path / "a.yaml").exit_code == 0
    assert fit(tmp_path, "a", tmp_path / "a.yaml").exit_code == 0  # its own: replaced
    report = tmp_path / "a.fit_report.html"
    before = report.read_text()
    result = fit(tmp_path, "b", tmp_path / "a")
    assert result.exit_code == 2, result.output
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line == (f"--out: {report} is the report of a.yaml, another scenario file: give "
                    "another --out, or --no-report"), line
    assert report.read_text() == before
    assert not (tmp_path / "a").exists()
    result = CliRunner().invoke(main, ["fit", str(tmp_path / "b_calls.csv"), "--out",
                                       str(tmp_path / "a"), "--no-report"])
    assert result.exit_code == 0, result.output
    assert report.read_text() == before
