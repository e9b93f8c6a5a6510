"""The readers of a run's outputs against independent recomputations from the records.

The readers: the report, its redraw, the animation, day.png and the app's floor.

Each reader is checked against what the records themselves say, recomputed here without
the reader's code: chats in progress and agents on duty from the legs and the staffing
log, confidence half-widths from the per-replication counts with Student's t, the
replayed call log from its bytes.
"""

from __future__ import annotations

import gc
import hashlib
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from calllog_gen import generate_log
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sim
from sim import kpis, report
from sim.animate import build_animation
from sim.app import views
from sim.cli import main
from sim.loader import scenario_from_yaml
from sim.plots.floor import day_figure
from sim.results_folder import read_results

REPLAY = """\
name: replay
seed: 3
days: 1
open: "08:00"
close: "10:00"
interval: 30m
contact_types:
  calls:
    arrivals: {trace: calls.csv}
    handle: {dist: exponential, mean: 4m}
    patience: {dist: exponential, mean: 3m}
agents:
  pool: {skills: [calls], staff: 5}
"""


def call_log(seed: int, per_interval: float) -> str:
    """A day's call log, 08:00 to 10:00 (CSV text), from the tests' own generator."""
    return generate_log(np.random.default_rng(seed), per_interval=[per_interval] * 4,
                        interval=1800, open_s=8 * 3600, days=1, agents=5, handle_mean=240,
                        patience_mean=180).to_csv(index=False)


class TestReplayedLogRedraw:
    """`ccsim report` redraws a run that replayed a call log given by a relative path."""

    @pytest.fixture
    def run_folder(self, tmp_path, monkeypatch):
        scn = tmp_path / "scn"
        scn.mkdir()
        (scn / "replay.yaml").write_text(REPLAY)
        (scn / "calls.csv").write_text(call_log(1, 40))
        monkeypatch.chdir(tmp_path)
        res = CliRunner().invoke(main, ["run", "scn/replay.yaml", "--out", "out", "-r", "2",
                                        "-q", "--no-report"])
        assert res.exit_code == 0, res.output
        elsewhere = tmp_path / "elsewhere"
        elsewhere.mkdir()
        # a decoy of the same name where the redraw runs: it must not be read
        (elsewhere / "calls.csv").write_text(call_log(2, 10))
        monkeypatch.chdir(elsewhere)
        return tmp_path / "out", scn / "calls.csv"

    def test_manifest_names_the_log(self, run_folder):
        """The manifest holds the log's absolute path and the SHA-256 of its bytes."""
        out, log = run_folder
        manifest = json.loads((out / "manifest.json").read_text())
        entry = manifest["logs"]["calls"]
        assert entry["path"] == str(log.resolve())
        assert entry["sha256"] == hashlib.sha256(log.read_bytes()).hexdigest()

    @pytest.mark.parametrize("decoy", [False, True])
    def test_redraw_reads_the_runs_log(self, run_folder, decoy):
        """From another folder (a decoy log of that name there, or none): the run's log."""
        out, log = run_folder
        if not decoy:
            (Path.cwd() / "calls.csv").unlink()
        if not decoy:  # `ccsim report` itself (which reads the folder as below)
            res = CliRunner().invoke(main, ["report", str(out), "--no-png"])
            assert res.exit_code == 0, res.output
        summary = json.loads((out / "summary.json").read_text())
        back = read_results(out)
        assert back.summary["offered"] == summary["kpis"]["offered"]
        assert back.summary["asa"] == pytest.approx(summary["kpis"]["asa"], rel=1e-12)
        ran = sim.load_scenario(log.parent / "replay.yaml").contact_types["calls"].arrivals
        assert back.scenario.contact_types["calls"].arrivals.trace_digest() == ran.trace_digest()

    def test_changed_log_is_refused(self, run_folder):
        """A log changed since the run: one line naming it, exit 2."""
        out, log = run_folder
        log.write_text(call_log(3, 40))
        res = CliRunner().invoke(main, ["report", str(out), "--no-png"])
        assert res.exit_code == 2
        lines = res.output.strip().splitlines()
        assert len(lines) == 1 and str(log.resolve()) in lines[0] and "changed" in lines[0]


# ---- chat desks -----------------------------------------------------------------------

CHAT = """\
name: chat desk
seed: 5
days: 1
open: "08:00"
close: "11:00"
interval: 30m
contact_types:
  calls:
    arrivals: {rate: 40/h}
    handle: {dist: exponential, mean: 5m}
    patience: {dist: exponential, mean: 5m}
    consult:
      probability: 0.3
      to: network
      talk: {dist: exponential, mean: 2m}
      hold_patience: {dist: exponential, mean: 3m}
  network:
    arrivals: {rate: 0}
    handle: {dist: exponential, mean: 2m}
  chats:
    channel: chat
    arrivals: {rate: 60/h}
    handle: {dist: exponential, mean: 8m}
    patience: {dist: exponential, mean: 10m}
agents:
  phones: {skills: [calls], staff: 4}
  desk: {skills: [chats], staff: 3, concurrency: 3}
  network_team: {skills: [network], staff: 1}
"""


@pytest.fixture(scope="module")
def chat_run():
    return sim.run(scenario_from_yaml(CHAT), seed=5, replications=1, trace_every=60.0)


def in_progress(result, group: str, times: np.ndarray) -> np.ndarray:
    """Contacts an agent of ``group`` handles at each of ``times``, from the raw legs."""
    legs = result.legs
    rows = legs[(legs["replication"] == 0) & (legs["group"].astype(str) == group)]
    if not len(rows):  # contacts of one leg each
        rows = result.contacts[(result.contacts["replication"] == 0)
                               & (result.contacts["group"].astype(str) == group)]
        a, e = rows["answer"].to_numpy(float), rows["end"].to_numpy(float)
    else:
        a, e = rows["answered"].to_numpy(float), rows["ended"].to_numpy(float)
    return np.array([np.sum((a <= t) & (t < e)) for t in times])


def on_duty(result, group: str, times: np.ndarray) -> np.ndarray:
    """Agents (people, not chat slots) of ``group`` on duty at each of ``times``."""
    log = result.staff[(result.staff["replication"] == 0)
                       & (result.staff["group"].astype(str) == group)]
    log = log.sort_values("time", kind="stable")
    out = []
    for t in times:
        before = log[log["time"] <= t]
        out.append(float(before["agents"].iloc[-1]) if len(before) else 0.0)
    return np.array(out)


class TestChatDesks:
    """A group of concurrency 3: chats are not agents."""

    def test_records_have_more_chats_than_agents(self, chat_run):
        """The case the readers must handle: more chats at once than agents on duty."""
        times = np.arange(8 * 3600, 11 * 3600, 300.0)
        assert (in_progress(chat_run, "desk", times) > on_duty(chat_run, "desk", times)).any()

    def test_floor_frames(self, chat_run):
        """The app's floor: busy never over capacity; capacity is agents x concurrency."""
        floor = views.floor_frames(chat_run)
        assert floor["concurrency"] == {"phones": 1, "desk": 3, "network_team": 1}
        times = np.array([f["t"] for f in floor["frames"]])
        for g, c in floor["concurrency"].items():
            duty = np.array([f["groups"][g][0] for f in floor["frames"]])
            talk = np.array([f["groups"][g][1] for f in floor["frames"]])
            assert (talk <= duty).all()
            np.testing.assert_array_equal(talk, in_progress(chat_run, g, times))
            np.testing.assert_array_equal(duty, c * on_duty(chat_run, g, times))
            assert floor["seats"][g] == max(1, int(duty.max()))

    @pytest.mark.filterwarnings("ignore:Animation was deleted without rendering")
    def test_animation_title_and_seats(self, chat_run):
        """Each frame's title: agents busy of on duty, a chat desk's chats of its slots."""
        anim = build_animation(chat_run, step=900.0, dpi=30)
        times = np.arange(8 * 3600, 11 * 3600 + 450, 900.0)
        title = anim._fig._suptitle
        for i, t in enumerate(times):
            anim._func(i)
            text = title.get_text()
            busy, duty = map(int, re.search(r"(\d+) of (\d+) agents busy", text).groups())
            chats, slots, people = map(int, re.search(
                r"(\d+) of (\d+) chat slots busy \((\d+) chat agents\)", text).groups())
            assert people == on_duty(chat_run, "desk", [t])[0]
            single = ("phones", "network_team")  # the groups of one contact at a time
            assert busy <= duty == sum(on_duty(chat_run, g, [t])[0] for g in single)
            assert busy == sum(in_progress(chat_run, g, [t])[0] for g in single)
            assert chats <= slots == 3 * on_duty(chat_run, "desk", [t])[0]
            assert chats == in_progress(chat_run, "desk", [t])[0]
        del anim, title  # never saved: let it go here, where its warning is expected
        gc.collect()

    def test_day_figure_busy_within_on_duty(self, chat_run):
        """day.png: each group's busy area stays under its on-duty line, in one unit."""
        fig = day_figure(chat_run)
        panels = [ax for ax in fig.axes if any("on duty" in (ln.get_label() or "")
                                               for ln in ax.get_lines())]
        assert len(panels) == 3
        for ax in panels:
            line = next(ln for ln in ax.get_lines() if "on duty" in ln.get_label())
            x, y = np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)
            for poly in ax.collections:
                for vx, vy in poly.get_paths()[0].vertices:
                    k = np.searchsorted(x, vx + 1e-9, side="right") - 1
                    assert vy <= y[max(k, 0)] + 1e-9, (ax.get_ylabel(), vx, vy)


# ---- money ----------------------------------------------------------------------------

TWO_DECIMALS = re.compile(r"^[+-]?\d{1,3}(,\d{3})*\.\d{2}$")


@settings(derandomize=True, max_examples=200)
@given(value=st.one_of(st.integers(-10**9, 10**9).map(float),
                       st.floats(-1e9, 1e9, allow_nan=False)),
       kpi=st.sampled_from([k.name for k in kpis.REGISTRY if k.unit is kpis.MONEY]))
def test_money_has_two_decimals(value, kpi):
    """Every money amount, whole or not, prints with exactly two decimals."""
    assert TWO_DECIMALS.match(kpis.format_kpi(kpi, value)), kpis.format_kpi(kpi, value)
    assert TWO_DECIMALS.match(kpis.format_kpi(kpi, value, signed=True))
    assert TWO_DECIMALS.match(kpis.format_ci(kpi, abs(value)).removeprefix("± "))
    assert views._shown(kpi)["kind"] == "money"  # the app's page: its two decimals too


def test_cost_sentences_two_decimals():
    """The comparison's cost sentences print every amount with two decimals."""
    from sim.cost_sentences import _money

    for value in (0.0, 3.0, 12.0, 365.4, 1234.5, 640.0, 1e6 + 0.25):
        assert TWO_DECIMALS.match(_money(value)), _money(value)


# ---- confidence intervals per type and group -------------------------------------------

BANK = """\
name: two types
seed: 11
days: 1
open: "08:00"
close: "11:00"
interval: 30m
contact_types:
  billing:
    arrivals: {rate: 90/h}
    handle: {dist: exponential, mean: 4m}
    patience: {dist: exponential, mean: 3m}
  cards:
    arrivals: {rate: 50/h}
    handle: {dist: exponential, mean: 5m}
    patience: {dist: exponential, mean: 4m}
agents:
  team_a: {skills: [billing], staff: 6}
  team_b: {skills: [cards, billing], staff: 4}
"""


def t_half_width(values: np.ndarray) -> float:
    values = np.asarray(values, float)
    return float(stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1)
                 / math.sqrt(values.size))


def table_cells(html: str, heading: str) -> dict[str, dict[str, str]]:
    """The table under ``heading``: row name -> column name -> cell text."""
    part = html.split(f"<h2>{heading}</h2>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", part, re.S)
    head = [re.sub("<[^>]+>", "", c) for c in re.findall(r"<th[^>]*>(.*?)</th>", rows[0])]
    out = {}
    for row in rows[1:]:
        cells = [re.sub("<[^>]+>", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        out[cells[0]] = dict(zip(head[1:], cells[1:]))
    return out


def printed_ci(cell: str) -> float:
    return float(re.search(r"± ([\d,.]+)", cell).group(1).replace(",", ""))


class TestNestedConfidence:
    """The report's per-type and per-group tables give 95% CIs over replications."""

    @pytest.fixture(scope="class")
    @classmethod
    def bank(cls):
        result = sim.run(scenario_from_yaml(BANK), seed=11, replications=4)
        return result, report.run_html(result, figures=[])

    @pytest.mark.parametrize(("heading", "column", "names"), [
        ("By contact type", "contact_type", ("billing", "cards")),
        ("By agent group", "group", ("team_a", "team_b"))])  # the group that ended it
    def test_answered(self, bank, heading, column, names):
        """``answered``: the t half-width of the per-replication counts from the contacts."""
        result, html = bank
        cells = table_cells(html, heading)
        c = result.contacts
        counts = c[c["answered"]].groupby([column, "replication"],
                                          observed=True).size().unstack(fill_value=0)
        for name in names:
            want = t_half_width(counts.loc[name].to_numpy())
            # printed to 1 decimal: half a unit of the last place
            assert printed_ci(cells["answered"][name]) == pytest.approx(want, abs=0.051)


# ---- abandoned customers on the floor --------------------------------------------------


def test_abandoned_never_served(chat_run):
    """No seat is busy with a customer who was never answered; they wait until they go."""
    from sim.animation_timelines import _talks_and_holds, _waits

    c = chat_run.contacts
    never = c[c["answer"].isna()]
    talks, _ = _talks_and_holds(chat_run, 0)
    legs = chat_run.legs
    served = legs[legs["answered"].notna() & (legs["contact_id"] >= 0)]
    assert not served["contact_id"].isin(never["contact_id"]).any()
    times = np.arange(8 * 3600, 11 * 3600, 120.0)
    for g in chat_run.scenario.agents:
        np.testing.assert_array_equal(talks[g].count(times), in_progress(chat_run, g, times))
    waits, _ = _waits(chat_run, 0)
    ab = never[never["abandoned"]]
    assert len(ab)  # the case at hand
    for arrival, wait in zip(ab["arrival"], ab["wait"]):
        # waiting from arrival until their patience ran out, then gone from the queue
        mine = waits.start == arrival
        assert mine.sum() == 1 and waits.end[mine][0] == pytest.approx(arrival + wait)
