"""The KPI registry (sim.kpis) is the single source of what a KPI is and how it shows.

Every KPI the metrics compute is registered and every registered KPI is computed; the
README's tables are the registry's; the CLI table, the comparison table, the report and
the figures read the registry's unit, format and direction (changing an entry changes
them all).
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim import kpis, metrics
from sim.kpis import REGISTRY, Better, Scope
from sim.loader import scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent

COSTED = {
    "name": "costed", "days": 1, "open": "08:00", "close": "12:00", "interval": "1h",
    "contact_types": {
        "calls": {"arrivals": {"rate": "60/h"}, "handle": {"dist": "exponential", "mean": "4m"},
                  "patience": {"dist": "exponential", "mean": "2m"}, "resolution": 0.8,
                  "repeat": {"probability": 0.3, "delay": {"dist": "exponential",
                                                           "mean": "10m"}}},
        "mail": {"channel": "email", "arrivals": {"rate": "10/h"},
                 "handle": {"dist": "exponential", "mean": "3m"}},
    },
    "agents": {"front": {"skills": ["calls"], "staff": 4},
               "back": {"skills": ["calls", "mail"], "staff": 1}},
    "costs": {"agents": {"front": {"hourly": 20}, "back": {"hourly": 25}},
              "per_abandon": 3, "per_wait_minute": 0.2},
}


@pytest.fixture(scope="module")
def result():
    return sim.run(scenario_from_dict(COSTED), seed=3, replications=2)


class TestRegistry:
    def test_names_unique_and_complete(self):
        """Each KPI is registered once, with a label, a one-sentence meaning and a unit."""
        names = [kpi.name for kpi in REGISTRY]
        assert len(names) == len(set(names))
        for kpi in REGISTRY:
            assert kpi.label and kpi.meaning and kpi.population, kpi.name
            assert "\n" not in kpi.meaning and not kpi.meaning.endswith("."), kpi.name
            assert kpi.unit in kpis.UNITS, kpi.name

    def test_metrics_names_derive_from_the_registry(self):
        """metrics.KPIS and metrics.COST_KPIS are the registry's, in registry order."""
        assert tuple(k.name for k in REGISTRY if k.scope is Scope.RUN) == metrics.KPIS
        assert tuple(k.name for k in REGISTRY if k.scope is Scope.COST) == metrics.COST_KPIS
        assert set(kpis.GROUP_KPIS) <= set(kpis.BY_NAME)

    def test_rates_are_ratios_and_times_seconds(self):
        """A KPI named a rate or a level is a ratio; a wait or time, seconds; costs money."""
        for kpi in REGISTRY:
            if kpi.name.endswith(("_rate", "service_level")) or kpi.name in ("fcr", "occupancy"):
                assert kpi.unit is kpis.RATIO, kpi.name
            if kpi.name.endswith(("_wait", "_time", "asa")) or kpi.name.startswith("wait_p"):
                assert kpi.unit is kpis.SECONDS, kpi.name
            if kpi.scope is Scope.COST:
                assert kpi.unit is kpis.MONEY, kpi.name

    def test_unknown_kpi(self):
        """get() names an unknown KPI; the display helpers show it as a plain count."""
        with pytest.raises(KeyError, match="unknown KPI 'nope'"):
            kpis.get("nope")
        assert kpis.kpi_scale("nope") == (1.0, "contacts")
        assert kpis.label("nope") == "nope" and kpis.better("nope") == 0

    def test_pure_python(self):
        """Importing the registry loads neither numpy nor pandas (the CLI starts lazily)."""
        code = ("import sys, sim.kpis; heavy = {'numpy', 'pandas', 'matplotlib', 'scipy'}; "
                "print(sorted(heavy & set(sys.modules)))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=ROOT)
        assert out.stdout.strip() == "[]"


class TestComputedIsRegistered:
    def test_summary_kpis(self, result):
        """The run's KPIs are exactly the registry's run and cost KPIs, in registry order."""
        assert tuple(result.summary) == kpis.RUN_KPIS + kpis.COST_KPIS
        assert tuple(result.ci) == kpis.RUN_KPIS + kpis.COST_KPIS

    def test_by_type_and_by_group(self, result):
        """Per type: every run KPI; per group: exactly the registry's group KPIs."""
        for values in result.by_type.values():
            assert set(kpis.RUN_KPIS) <= set(values) <= set(kpis.BY_NAME)
        for values in result.by_group.values():
            assert tuple(values) == kpis.GROUP_KPIS

    def test_contact_kpis_are_registered(self, result):
        """What metrics.contact_kpis computes (plus occupancy) is the registry's run KPIs."""
        contacts = result.contacts[result.contacts["replication"] == 0]
        cols = metrics.columns(contacts, None, result.scenario)
        computed = metrics.contact_kpis(cols, cols.arrival >= 0, result.scenario)
        assert set(computed) | {"occupancy"} == set(kpis.RUN_KPIS)


class TestReadme:
    README = (ROOT / "README.md").read_text(encoding="utf-8")

    @pytest.mark.parametrize("scope", list(Scope))
    def test_tables_are_the_registry(self, scope):
        """The README's KPI tables are the registry's, row for row."""
        assert kpis.markdown_table(scope) in self.README

    def test_every_kpi_documented_once(self):
        """Each KPI has exactly one row in the README's tables (no stale extra rows)."""
        for kpi in REGISTRY:
            assert self.README.count(f"| `{kpi.name}` |") == 1, kpi.name


def _flipped(monkeypatch, name: str, **changes) -> None:
    """Change one registry entry for the test (as a new KPI's author would)."""
    entry = dataclasses.replace(kpis.BY_NAME[name], **changes)
    monkeypatch.setitem(kpis.BY_NAME, name, entry)


class TestConsumersReadTheRegistry:
    def test_cli_table(self, result, monkeypatch):
        """`ccsim run`'s table prints each KPI in the registry's format, in its order."""
        from sim.cli import format_summary
        from sim.features import left_out

        def table_rows() -> list[str]:  # the lines between the head and the note
            return format_summary(result).split("\n\n")[0].splitlines()[2:]

        lines = table_rows()
        earnings = ("revenue", "profit")  # COSTED earns no revenue: left out of the table
        # and it models repeats only: busy signals, callbacks... are always 0, left out
        left = left_out(kpis.RUN_KPIS + kpis.COST_KPIS, [result.scenario], [result.summary])
        assert "blocked" in left and "repeat_rate" not in left
        shown = [k for k in kpis.RUN_KPIS + kpis.COST_KPIS if k not in earnings + left]
        assert [line.split()[0] for line in lines] == shown
        row = shown.index("asa")
        assert kpis.format_kpi("asa", result.summary["asa"]) in lines[row]
        _flipped(monkeypatch, "asa", unit=kpis.RATIO)
        changed = table_rows()
        assert kpis.format_kpi("asa", result.summary["asa"]).endswith("%")
        assert kpis.format_kpi("asa", result.summary["asa"]) in changed[row]

    def test_sweep_and_backtest_tables(self, monkeypatch):
        """`ccsim sweep` and `ccsim backtest` print KPIs in the registry's format too."""
        from types import SimpleNamespace

        import pandas as pd

        from sim.cli_fit import _cell
        from sim.cli_sweep import SHOWN_KPIS, format_sweep

        values = {"service_level": 0.8123, "abandon_rate": 0.05, "asa": 12.34,
                  "occupancy": 0.9}
        summary = pd.DataFrame({"agents.pool.staff": [10, 11],
                                **{k: [v, math.nan] for k, v in values.items()},
                                **{f"{k}_ci": [v / 10, math.nan] for k, v in values.items()}})
        point = SimpleNamespace(summary=summary,
                                grid=SimpleNamespace(paths=["agents.pool.staff"]))
        header, first, second = format_sweep(point).splitlines()
        assert header.split() == ["agents.pool.staff", *SHOWN_KPIS]
        for kpi, value in values.items():
            shown = f"{kpis.format_kpi(kpi, value)} {kpis.format_ci(kpi, value / 10)}"
            assert shown in first, kpi
            assert _cell(kpi, value) == kpis.format_kpi(kpi, value)
        assert second.split() == ["11"] + ["–"] * len(SHOWN_KPIS)
        _flipped(monkeypatch, "asa", unit=kpis.RATIO)
        assert "1234.0% ± 123.4 pts" in format_sweep(point)
        assert _cell("asa", 12.34) == "1234.0%"

    def test_formats_per_unit(self):
        """Each unit's format: shares in %, points as differences, times in s, money."""
        assert kpis.format_kpi("service_level", 0.8123) == "81.2%"
        assert kpis.format_kpi("service_level", 0.012, signed=True) == "+1.2 pts"
        assert kpis.format_ci("service_level", 0.021) == "± 2.1 pts"
        assert kpis.format_kpi("asa", 12.34) == "12.3 s"
        assert kpis.format_kpi("offered", 12345.0) == "12,345"
        assert kpis.format_kpi("offered", 12.25) == "12.2"
        assert kpis.format_kpi("contacts_per_issue", 1.23456) == "1.235"
        assert kpis.format_kpi("profit", 1234.5) == "1,234.50"
        assert kpis.format_kpi("asa", math.nan) == "–" and kpis.format_ci("asa", math.nan) == ""

    def test_report_colours_follow_direction(self, monkeypatch):
        """The report colours a significant difference by the registry's direction."""
        from sim import report
        from sim.compare import compare

        assert {k.name: k.better.value for k in REGISTRY
                                 if k.better is not Better.NONE} == report.BETTER
        assert {k.name: k.meaning for k in REGISTRY} == report.KPI_MEANINGS
        # three days, six replications: 4 or 8 agents differ significantly on any seed
        # (20 of 20 checked); one day and four replications did on some seeds only
        base = scenario_from_dict({**COSTED, "days": 3})
        more = scenario_from_dict({**COSTED, "days": 3, "agents": {
            **COSTED["agents"], "front": {"skills": ["calls"], "staff": 8}}})
        comparison = compare({"baseline": base, "more": more}, seed=1, replications=6)
        row = comparison.table(["asa"]).set_index("variant").loc["more"]
        assert row["significant"] and row["diff"] < 0  # eight agents answer faster

        def asa_cell(html: str) -> str:
            return html.split("<td class='name'>asa</td>")[1].split("</tr>")[0]

        assert "class='better'" in asa_cell(report._comparison_table(comparison))
        _flipped(monkeypatch, "asa", better=Better.HIGHER)
        assert "class='worse'" in asa_cell(report._comparison_table(comparison))

    def test_precision_knows_every_kpi(self):
        """--precision accepts every run and cost KPI of the registry and nothing else."""
        from sim.precision import Target

        for name in kpis.RUN_KPIS + kpis.COST_KPIS:
            Target(name, 0.1)
        with pytest.raises(ValueError, match="unknown KPI 'resolution'"):
            Target("resolution", 0.1)

    def test_figure_labels(self):
        """Figures title and scale a KPI by the registry (sweep axes included)."""
        from sim import plots
        from sim.sweep_plots import kpi_style

        assert {k.name: k.label for k in REGISTRY} == plots.KPI_LABELS
        assert plots.kpi_scale("abandon_rate") == (100.0, "%")
        style = kpi_style("abandon_rate")
        assert style.label == "Abandon rate (%)" and style.scale == 100.0
        assert kpi_style("asa").label == "ASA (seconds)"
        assert kpi_style("service_level", 20.0).label == "Service level (% within 20s)"

    def test_sweep_heatmap_colours_follow_direction(self, tmp_path, monkeypatch):
        """A sweep heatmap is bright where the KPI is better, by the registry's direction."""
        import pandas as pd

        from sim import sweep_plots

        figures = []
        monkeypatch.setattr(sweep_plots, "_save", lambda fig, path: figures.append(fig))
        summary = pd.DataFrame({"a": [1, 2, 1, 2], "b": [1, 1, 2, 2],
                                "service_level": [0.5, 0.6, 0.7, 0.8],
                                "abandon_rate": [0.1, 0.08, 0.06, 0.04]})

        def cmaps() -> list[str]:
            sweep_plots.plot_heatmap(summary, ["a", "b"], tmp_path / "h.png")
            return [ax.images[0].get_cmap().name for ax in figures.pop().axes if ax.images]

        assert cmaps() == ["viridis", "viridis_r"]
        _flipped(monkeypatch, "abandon_rate", better=Better.HIGHER)
        assert cmaps() == ["viridis", "viridis"]

    def test_app_shows_registry_labels(self, result):
        """The trainer's page gets each KPI's label and kind from the registry."""
        from sim.app import views

        shown = views.kpis(result)
        assert shown["fcr"]["label"] == kpis.label("fcr") and shown["fcr"]["kind"] == "pct"
        assert shown["asa"]["kind"] == "s" and shown["offered"]["kind"] == "n"
