"""Reports: self-contained HTML, results read back from disk, the run/report/animate CLI."""

import base64
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from PIL import Image

import sim
from sim import plots, report
from sim.animate import animate
from sim.cli import main
from sim.compare import compare, variant_scenarios
from sim.metrics import KPIS
from sim.output import write_run

PNG = b"\x89PNG\r\n\x1a\n"
ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"
RUN_FIGURES = ["wait_cdf", "intervals", "day", "occupancy", "journey", "fcr"]

SCENARIO = """\
name: report test
seed: 2
days: 1
open: "08:00"
close: "10:00"
interval: 30m
contact_types:
  calls:
    arrivals: {rate: 100/h}
    handle: {dist: exponential, mean: 4m}
    patience: {dist: exponential, mean: 3m}
agents:
  pool: {skills: [calls], staff: 7}
variants:
  plus_two: {agents.pool.staff: 9}
"""


class Page(HTMLParser):
    """What a browser would load: images, scripts, style sheets, links, tables."""

    def __init__(self, text: str):
        super().__init__()
        self.images: list[dict] = []
        self.tags: list[str] = []
        self.urls: list[str] = []
        self.feed(text)
        self.close()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append(tag)
        if tag == "img":
            self.images.append(attrs)
        for name in ("href", "src", "action"):
            if name in attrs and not attrs[name].startswith("data:"):
                self.urls.append(attrs[name])


def assert_self_contained(text: str, figures: int) -> Page:
    """Valid HTML, every figure embedded as a decodable PNG, nothing fetched from outside."""
    assert text.startswith("<!DOCTYPE html>")
    page = Page(text)
    assert page.tags.count("html") == page.tags.count("body") == 1
    assert "script" not in page.tags and "link" not in page.tags and "iframe" not in page.tags
    assert page.urls == []
    assert "http://" not in text and "https://" not in text and "url(" not in text
    assert len(page.images) == figures
    for image in page.images:
        head, data = image["src"].split(",", 1)
        assert head == "data:image/png;base64"
        assert base64.b64decode(data, validate=True).startswith(PNG)
        assert image["alt"]
    return page


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("sc") / "clinic.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture(scope="module")
def result(scenario_file):
    return sim.run(sim.load_scenario(scenario_file), replications=2, trace_every=60.0)


@pytest.fixture(scope="module")
def run_folder(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    write_run(result, out)
    written, problems = report.write_report(result, out)
    return out, written, problems


class TestRunReport:
    def test_valid_self_contained_html(self, run_folder):
        """report.html parses, embeds every figure and loads nothing from outside."""
        out, _, problems = run_folder
        assert problems == []
        page = assert_self_contained((out / "report.html").read_text(), len(RUN_FIGURES))
        assert page.tags.count("table") == 3  # KPIs, by type, by group

    def test_pngs_next_to_it(self, run_folder):
        """Each figure is also a PNG file, and nothing half-written is left behind."""
        out, written, _ = run_folder
        assert [p.name for p in written] == [f"{n}.png" for n in RUN_FIGURES] + ["report.html"]
        for name in RUN_FIGURES:
            assert (out / f"{name}.png").read_bytes().startswith(PNG)
        assert not list(out.glob(".*.tmp"))

    def test_kpis_in_the_table(self, run_folder, result):
        """The KPI table shows the run's numbers with units."""
        text = (run_folder[0] / "report.html").read_text()
        assert f">{report.format_kpi('asa', result.summary['asa'])}<" in text
        assert report.format_kpi("service_level", 0.8123) == "81.2%"
        assert report.format_kpi("asa", 12.34) == "12.3 s"
        assert report.format_ci("service_level", 0.021) == "± 2.1 pts"

    def test_rows_of_features_not_modelled_are_left_out(self, result):
        """KPIs of features the scenario lacks (always 0) are no rows; a line names them.

        The scenario has no trunk lines, callbacks, transfers...: "complaints 0 ± 0"
        would read as complaints modelled and none made.
        """
        text = report.run_html(result, [])
        tables = text.split("<h2>By contact type</h2>")
        for row in ("complaints", "blocked", "live_service_level", "hold_time"):
            assert f"<td class='name'>{row}</td>" not in text, row
        for row in ("offered", "abandoned", "unanswered", "service_level", "aht"):
            assert f"<td class='name'>{row}</td>" in tables[0], row
            assert f"<td class='name'>{row}</td>" in tables[1], row
        key_figures = tables[0].rsplit("<p class='left'>", 1)[1]
        assert key_figures.startswith("Not in this scenario (always 0 or –; "
                                      "live_service_level = service_level, live_asa = asa)")
        assert "blocked, block_rate (no <code>lines</code>)" in key_figures
        assert text.count("<p class='left'>") == 3  # key figures, by type, by group
        by_type = tables[1].split("<p class='left'>", 1)[1]  # names only: said above why
        assert by_type.startswith("Left out, as above (not in this scenario): hung_up, ")
        assert "complaints" in by_type and "(no " not in by_type

    def test_every_rate_is_a_share(self):
        """Every rate, the resolution rate and the callback KPIs included, shows in %."""
        for kpi in ("resolution_rate", "callback_rate", "live_service_level", "block_rate"):
            assert report.format_kpi(kpi, 0.9) == "90.0%", kpi
        assert report.format_kpi("callback_wait", 312.25) == "312.2 s"
        assert report.format_kpi("live_asa", 4.0) == "4.0 s"

    def test_every_kpi_is_described(self):
        """Each KPI has a label, a meaning in the report and a row in the README's table."""
        readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
        for kpi in KPIS:
            assert kpi in plots.KPI_LABELS and kpi in report.KPI_MEANINGS, kpi
            assert f"`{kpi}`" in readme, kpi

    @pytest.mark.parametrize(("diff", "ci", "text"), [
        (-0.00004, 0.00003, "-0.004 pts ± 0.003 pts"), (0.05, 0.02, "+5.0 pts ± 2.0 pts"),
        (-0.0012, 0.0004, "-0.12 pts ± 0.04 pts"), (0.0, 0.0, "+0.0 pts ± 0.0 pts")])
    def test_differences_get_enough_digits(self, diff, ci, text):
        """A difference and its CI show as many decimals as needed to be non-zero."""
        d = report.enough_decimals("service_level", diff, ci)
        got = (f"{report.format_kpi('service_level', diff, signed=True, decimals=d)} "
               f"{report.format_ci('service_level', ci, decimals=d)}")
        assert got == text

    def test_a_failing_figure_is_reported_not_fatal(self, result, tmp_path, monkeypatch):
        """One figure that cannot be drawn leaves a note; the others are still there."""
        def broken(*args, **kwargs):
            raise RuntimeError("no ink")

        monkeypatch.setattr(plots, "fcr_figure", broken)
        written, problems = report.write_report(result, tmp_path, png=False)
        assert [p.name for p in written] == ["report.html"]
        assert problems == ["First-contact resolution and repeat contacts: RuntimeError: no ink"]
        text = (tmp_path / "report.html").read_text()
        assert_self_contained(text, len(RUN_FIGURES) - 1)
        assert "Not drawn: RuntimeError: no ink" in text


class TestLoadRun:
    def test_round_trip(self, run_folder, result):
        """A results folder reads back into the same KPIs, contacts and traces."""
        back = report.load_results(run_folder[0])
        assert isinstance(back, sim.RunResult)
        assert back.scenario == result.scenario
        assert back.summary == pytest.approx(result.summary, nan_ok=True)
        pd.testing.assert_frame_equal(back.contacts, result.contacts)
        pd.testing.assert_frame_equal(back.replications, result.replications)
        assert len(back.traces) == len(result.traces)

    def test_not_a_results_folder(self, tmp_path):
        """A folder without results says what is missing."""
        with pytest.raises(FileNotFoundError, match=r"missing summary\.json, scenario\.json"):
            report.load_results(tmp_path)


class TestRedraw:
    """`ccsim report` on a results folder draws exactly what the run drew."""

    @staticmethod
    def assert_redraw_identical(out: Path, tmp_path: Path) -> None:
        copy = tmp_path / "copy"
        shutil.copytree(out, copy)
        res = CliRunner().invoke(main, ["report", str(copy)])
        assert res.exit_code == 0, res.output
        drawn = sorted(p.relative_to(out) for p in out.rglob("*.png"))
        assert drawn and drawn == sorted(p.relative_to(copy) for p in copy.rglob("*.png"))
        for name in [*drawn, Path("report.html")]:
            assert (copy / name).read_bytes() == (out / name).read_bytes(), f"{name} differs"

    def test_run(self, tmp_path):
        """A run with repeat contacts over two days: every PNG and the page byte for byte."""
        out = tmp_path / "run"
        res = CliRunner().invoke(main, ["run", str(SCENARIOS / "refund_vs_relations.yaml"),
                                        "-r", "2", "--set", "days=2", "--out", str(out), "-q"])
        assert res.exit_code == 0, res.output
        self.assert_redraw_identical(out, tmp_path)

    def test_comparison(self, tmp_path):
        """A comparison (overflow, shifts): the same, byte for byte."""
        out = tmp_path / "cmp"
        res = CliRunner().invoke(main, ["compare", str(SCENARIOS / "small_bank.yaml"),
                                        "--variant", "no_overflow_delay", "-r", "2", "--set",
                                        "days=1", "--out", str(out), "-q"])
        assert res.exit_code == 0, res.output
        self.assert_redraw_identical(out, tmp_path)

    def test_issues_stay_per_replication(self, run_folder):
        """Issue ids restart in every replication: read back, no issue takes 2+ contacts."""
        back = report.load_results(run_folder[0])
        assert back.n_replications == 2
        assert list(plots.contacts_per_issue(back)) == [1.0, 0.0, 0.0, 0.0]


class TestFigureBytes:
    def test_png_has_no_version_stamp(self, result):
        """Figures carry fixed metadata: no software version that changes with upgrades."""
        png = report.render_png(plots.occupancy_figure(result))
        assert png.startswith(PNG) and b"Matplotlib" not in png and b"Software" not in png

    @pytest.mark.parametrize("figure", ["wait_cdf", "interval_figure", "fcr_figure"])
    def test_pixels_are_savefigs(self, result, figure, tmp_path):
        """One draw instead of savefig's two: the same pixels, size and dpi as savefig's."""
        make = getattr(plots, figure)
        make(result).savefig(tmp_path / "saved.png", dpi=plots.DPI)
        with Image.open(tmp_path / "saved.png") as saved, \
                Image.open(io.BytesIO(report.render_png(make(result)))) as drawn:
            assert drawn.size == saved.size and drawn.info["dpi"] == saved.info["dpi"]
            assert np.array_equal(np.asarray(drawn.convert("RGBA")),
                                  np.asarray(saved.convert("RGBA")))

    def test_opaque_figure_is_rgb(self, result):
        """An opaque figure carries no alpha channel: a quarter fewer bytes to compress."""
        png = report.render_png(plots.occupancy_figure(result))
        with Image.open(io.BytesIO(png)) as image:
            assert image.mode == "RGB"

    def test_transparent_figure_keeps_alpha(self, result):
        """A figure with see-through parts keeps them."""
        fig = plots.occupancy_figure(result)
        fig.patch.set_alpha(0.0)
        with Image.open(io.BytesIO(report.render_png(fig))) as image:
            assert image.mode == "RGBA" and image.getextrema()[3][0] == 0

    def test_other_canvas_same_bytes(self, result):
        """A figure on another canvas (a GUI's, SVG) is drawn by Agg, and keeps its canvas."""
        from matplotlib.backends.backend_svg import FigureCanvasSVG

        fig = plots.occupancy_figure(result)
        canvas = FigureCanvasSVG(fig)
        assert report.render_png(fig) == report.render_png(plots.occupancy_figure(result))
        assert fig.canvas is canvas

    def test_figure_dpi_restored(self, result):
        """Rendering at the report's dpi leaves the figure's own dpi as it was."""
        fig = plots.occupancy_figure(result)
        before = fig.dpi
        report.render_png(fig, dpi=60)
        assert fig.dpi == before


class TestComparisonReport:
    @pytest.fixture(scope="class")
    @classmethod
    def comparison(cls, scenario_file):
        scenarios = variant_scenarios(sim.load_scenario(scenario_file))
        return compare(scenarios, replications=3, trace_every=60.0,
                       changes={"plus_two": {"agents.pool.staff": 9}})

    def test_valid_html_with_differences(self, comparison, tmp_path):
        """Comparison page: all figures embedded, variants and significant differences shown."""
        written, problems = report.write_report(comparison, tmp_path, workers=2)  # forked
        assert problems == []
        figures = ["kpis", "differences", "wait_cdf", "intervals", "occupancy", "journey", "fcr",
                   "day_baseline", "day_plus_two"]
        assert [p.name for p in written] == [f"{n}.png" for n in figures] + ["report.html"]
        text = (tmp_path / "report.html").read_text()
        assert_self_contained(text, len(figures))
        assert "agents.pool.staff = 9" in text
        assert "class='better'" in text  # ASA falls with two more agents: significant, better

    def test_a_row_any_variant_models_is_shown(self, scenario_file):
        """A comparison leaves a row out only if no variant has its feature."""
        from sim.cli_report import format_comparison

        base = sim.load_scenario(scenario_file)
        scenarios = {"baseline": base, "lines": sim.with_overrides(base, {"lines": 6})}
        comparison = compare(scenarios, replications=2)
        assert comparison.results["lines"].summary["blocked"] > 0
        text = report.comparison_html(comparison, [])
        printed = format_comparison(comparison)
        for shown in (text, printed):
            assert "blocked" in shown and "block_rate" in shown
            assert "complaints" in shown  # in the note only
        assert "<td class='name'>complaints</td>" not in text
        assert "<td class='name'>blocked</td>" in text
        rows = [line.split()[0] for line in printed.split("\n\n")[0].splitlines()[3:]
                if not line.startswith("   ")]
        assert "blocked" in rows and "complaints" not in rows and "callbacks" not in rows
        note = " ".join(printed.split("\n\n")[1].split())
        assert note.startswith("Not in any variant (always 0 or –") and "(no `lines`)" not in note

    def test_printed_differences_are_never_zero_when_found(self, comparison):
        """`compare` never prints a significant difference as 0 (``diff -0.0 pts ... *``)."""
        from sim.cli_report import format_comparison

        lines = [line for line in format_comparison(comparison).splitlines()
                 if line.endswith(" *")]
        assert lines
        for line in lines:
            diff = line.split("diff", 1)[1].split()[0]
            assert float(diff.replace(",", "")) != 0, line


class TestRunCommand:
    def test_run_writes_report_by_default(self, scenario_file, tmp_path):
        """`ccsim run` writes report.html and the figures, and the folder can be re-reported."""
        out = tmp_path / "r"
        res = CliRunner().invoke(main, ["run", str(scenario_file), "--out", str(out), "-q"])
        assert res.exit_code == 0, res.output
        assert_self_contained((out / "report.html").read_text(), len(RUN_FIGURES))
        assert (out / "day.png").is_file() and (out / "traces.parquet").is_file()
        (out / "report.html").unlink()
        res = CliRunner().invoke(main, ["report", str(out), "--no-png"])
        assert res.exit_code == 0, res.output
        assert_self_contained((out / "report.html").read_text(), len(RUN_FIGURES))

    def test_no_report(self, scenario_file, tmp_path):
        """--no-report skips the page and the figures."""
        out = tmp_path / "r"
        res = CliRunner().invoke(main, ["run", str(scenario_file), "--out", str(out), "-q",
                                        "--no-report"])
        assert res.exit_code == 0, res.output
        assert (out / "summary.json").is_file()
        assert not (out / "report.html").exists() and not list(out.glob("*.png"))

    def test_compare_then_report(self, scenario_file, tmp_path):
        """`ccsim report` redraws a comparison folder."""
        out = tmp_path / "c"
        res = CliRunner().invoke(main, ["compare", str(scenario_file), "-r", "2", "--out",
                                        str(out), "-q", "--no-report"])
        assert res.exit_code == 0, res.output
        res = CliRunner().invoke(main, ["report", str(out)])
        assert res.exit_code == 0, res.output
        # --no-report skipped the queue trace: the two "day at a glance" figures say so
        text = (out / "report.html").read_text()
        assert_self_contained(text, 7)
        assert text.count("Not drawn: no queue trace") == 2
        assert "record one unless given --no-report" in text  # what left it out, and how not to
        assert "warning: figure not drawn: A day at a glance: baseline" in res.output
        assert json.loads((out / "comparison.json").read_text())["baseline"] == "baseline"

    def test_report_of_a_non_results_folder(self, tmp_path):
        """One line and exit 2 for a folder that holds no results."""
        res = CliRunner().invoke(main, ["report", str(tmp_path)])
        assert res.exit_code == 2
        assert res.output.strip().endswith("missing summary.json, scenario.json, "
                                           "contacts.parquet, intervals.csv, replications.csv")


class TestAnimate:
    def test_gif_short_and_small(self, result, tmp_path):
        """A day at 10 minutes a frame, 8 fps: under 10 s and 5 MB."""
        path = animate(result, tmp_path / "day.gif")
        with Image.open(path) as gif:
            frames = gif.n_frames
            assert frames == 13  # 08:00 to 10:00 every 10 minutes
            assert frames * gif.info["duration"] / 1000 < 10
        assert path.stat().st_size < 5e6

    def test_html_is_self_contained(self, result, tmp_path):
        """The .html animation embeds its frames (its own player script, no links)."""
        path = animate(result, tmp_path / "day.html", step=1800.0)
        text = path.read_text()
        assert text.count("data:image/png;base64") == 5  # 08:00 to 10:00, every 30 min
        assert "http://" not in text and "https://" not in text and "<link" not in text
        assert "&#x25B6;" in text  # the play button, drawn without an icon font

    @pytest.mark.parametrize("name", ["day.gif", "day.html"])
    def test_mode_like_every_other_output(self, result, tmp_path, name):
        """An animation is written with the mode of the other outputs (0666 less umask)."""
        mask = os.umask(0o022)
        try:
            path = animate(result, tmp_path / name, step=3600.0)
            summary = write_run(result, tmp_path / "run")[0]
        finally:
            os.umask(mask)
        assert path.stat().st_mode & 0o777 == summary.stat().st_mode & 0o777 == 0o644

    def test_html_is_a_full_document_with_a_title(self, result, tmp_path):
        """The .html animation is a page of its own: doctype, html, head, title, body."""
        text = animate(result, tmp_path / "day.html", step=3600.0).read_text()
        assert text.lstrip().lower().startswith("<!doctype html>")
        page = Page(text)
        assert page.tags.count("html") == page.tags.count("body") == page.tags.count("title") == 1
        assert f"<title>{result.scenario.name}: day 1, replication 1</title>" in text
        assert not any("://" in url for url in page.urls) and text.rstrip().endswith("</html>")

    def test_legend_leaves_the_queue_visible(self, tmp_path):
        """storm_surge: the queue panel's legend sits above the highest queue of the day."""
        from sim.animate import build_animation, frame_count

        sc = sim.load_scenario(Path(__file__).resolve().parents[1] / "scenarios"
                               / "storm_surge.yaml")
        anim = build_animation(sim.run(sc, replications=1), step=1800.0)
        fig = anim._fig
        fig.canvas.draw()  # (drawing the canvas starts the animation at frame 0)
        anim._func(frame_count(sc, 1800.0) - 1)  # the last frame: the whole day drawn
        queue = next(ax for ax in fig.axes if ax.get_title() == "Queue")
        box = queue.get_legend().get_window_extent(fig.canvas.get_renderer())
        top = max(float(np.max(line.get_ydata(), initial=0)) for line in queue.get_lines()
                  if len(line.get_xdata()) > 1)
        assert top > 10  # the surge's queue is drawn
        assert box.y0 >= queue.transData.transform((queue.get_xlim()[0], top))[1]

    def test_unknown_format(self, result, tmp_path):
        """Only .gif, .mp4 and .html."""
        with pytest.raises(ValueError, match=r"unknown animation format '\.avi'"):
            animate(result, tmp_path / "day.avi")

    def test_hold_shows_in_the_middle_of_the_call(self, result):
        """A held call counts as on hold for its middle `hold` seconds."""
        from sim.animate import _talks_and_holds

        contacts = result.contacts.copy()
        first = contacts.index[contacts.answered & (contacts.replication == 0)][0]
        contacts.loc[first, ["hold", "transfers"]] = (30.0, 0)
        fake = sim.RunResult(**{**result.__dict__, "contacts": contacts,
                                "legs": pd.DataFrame()})
        _, holds = _talks_and_holds(fake, 0)
        row = contacts.loc[first]
        middle = (row.answer + row.end) / 2
        counts = holds["pool"].count(pd.Series([middle - 16, middle, middle + 14]).to_numpy())
        assert list(counts) == [0, 1, 1]

    def test_holds_from_legs(self, tmp_path):
        """With consults, every leg's hold is shown, in the middle of the leg."""
        from sim.animate import _talks_and_holds

        scenario = sim.load_scenario(SCENARIOS / "fraud_consult.yaml",
                                     overrides={"close": "09:00"})
        consults = sim.run(scenario, seed=1)
        assert len(consults.legs) and consults.legs["hold"].sum() > 0
        _, holds = _talks_and_holds(consults, 0)
        shown = sum(float((h.end - h.start).sum()) for h in holds.values())
        assert shown == pytest.approx(float(consults.legs["hold"].sum()))
        path = animate(consults, tmp_path / "consults.gif", step=1800.0)
        assert path.read_bytes()[:6] == b"GIF89a"

    def test_too_many_frames_refused(self, result, tmp_path):
        """More frames than max_frames is a ValueError naming 'step', before any drawing."""
        with pytest.raises(ValueError, match=r"'step' of 1m makes 121 frames over the 2 hours "
                                             r"open, more than 'max_frames' = 100"):
            animate(result, tmp_path / "day.gif", step=60.0, max_frames=100)
        assert list(tmp_path.iterdir()) == []

    def test_progress(self, result, tmp_path):
        """The progress callback hears of every frame drawn, with the total."""
        told = []
        animate(result, tmp_path / "day.gif", step=1800.0,
                progress=lambda done, total: told.append((done, total)))
        assert told == [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]
        told.clear()
        animate(result, tmp_path / "day.html", step=3600.0,
                progress=lambda done, total: told.append((done, total)))
        assert told == [(1, 3), (2, 3), (3, 3)]

    @pytest.mark.parametrize(("name", "stop_at"), [("day.gif", 1), ("day.gif", 3),
                                                    ("day.html", 1), ("day.html", 3)])
    def test_interrupted_save_leaves_nothing(self, result, tmp_path, name, stop_at):
        """Stopped while drawing: the interrupt comes through and no file is left.

        Neither the animation nor a temporary file, whether the stop comes before the first
        frame is kept or later.
        """

        def stop(done, total):
            if done == stop_at:
                raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            animate(result, tmp_path / name, step=1800.0, progress=stop)
        assert list(tmp_path.iterdir()) == []

    def test_cli_refuses_a_step_that_makes_too_many_frames(self, tmp_path):
        """`--step 10` on a 24-hour day: one line naming --step, the frames and the limit.

        Exit 2 within seconds, before simulating, and no file written (it used to start
        drawing 8,641 frames and grow past 4.6 GB).
        """
        out = tmp_path / "anim" / "day.gif"
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "sim", "animate", str(SCENARIOS / "erlang_c.yaml"),
             "--step", "10", "--out", str(out)],
            capture_output=True, text=True, timeout=60, cwd=ROOT)  # ROOT: this tree's sim
        assert done.returncode == 2, done.stderr
        assert time.monotonic() - started < 30
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in done.stderr
        assert lines[0].startswith(f"{SCENARIOS / 'erlang_c.yaml'}: --step: 10s a frame makes "
                                   "8,641 frames over the 24 hours open, more than the limit "
                                   "of 2,000")
        assert "--max-frames 8641" in lines[0]
        assert not out.parent.exists()

    def test_cli_max_frames(self, scenario_file, tmp_path):
        """--max-frames lowers or raises the limit."""
        out = tmp_path / "day.gif"
        command = ["animate", str(scenario_file), "--step", "30m", "--out", str(out)]
        res = CliRunner().invoke(main, [*command, "--max-frames", "4"])
        assert res.exit_code == 2
        assert "makes 5 frames over the 2 hours open, more than the limit of 4" in res.stderr
        assert not out.exists()
        res = CliRunner().invoke(main, [*command, "--max-frames", "5"])
        assert res.exit_code == 0, res.output
        with Image.open(out) as gif:
            assert gif.n_frames == 5

    def test_sigterm_leaves_no_file(self, scenario_file, tmp_path):
        """`kill` during a render stops it like Ctrl-C: exit 130, no temporary or output file."""
        folder = tmp_path / "anim"
        command = [sys.executable, "-m", "sim", "animate", str(scenario_file), "--step", "30s",
                   "--out", str(folder / "day.gif")]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   cwd=ROOT)  # python -m sim: this tree's sim
        try:
            deadline = time.monotonic() + 60
            while not (folder.exists() and any(folder.iterdir())):  # drawing has begun
                assert process.poll() is None, process.stderr.read().decode()
                assert time.monotonic() < deadline, "no temporary file within 60 s"
                time.sleep(0.02)
            time.sleep(0.5)  # a few frames in
            os.kill(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert process.returncode == 130, process.stderr.read().decode()
        assert list(folder.iterdir()) == []
        assert "interrupted" in process.stderr.read().decode()

    def test_cli(self, scenario_file, tmp_path):
        """`ccsim animate` writes the GIF; a wrong day is one line and exit 2."""
        out = tmp_path / "day.gif"
        res = CliRunner().invoke(main, ["animate", str(scenario_file), "--out", str(out),
                                        "--step", "30m"])
        assert res.exit_code == 0, res.output
        assert Path(out).read_bytes()[:6] == b"GIF89a"
        res = CliRunner().invoke(main, ["animate", str(scenario_file), "--day", "3",
                                        "--out", str(out)])
        assert res.exit_code == 2
        assert "the scenario has 1 day, got 3" in res.output
