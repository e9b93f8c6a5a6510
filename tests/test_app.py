"""``ccsim app`` without a browser: controls -> overrides, runs, pin/compare, views, server.

The browser drives the same session in tests/test_app_browser.py; here every piece is
checked against an independent path: the loader's own reading of the overridden
scenario, the CLI's own error lines, ``sim.compare``'s paired differences, Erlang A.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from helpers import app_server
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from scipy import stats
from strategies import scenarios

from sim import erlang
from sim import kpis as registry
from sim.app import hockey, views
from sim.app import settings as controls
from sim.app.model import Session
from sim.app.server import STATIC
from sim.compare import paired_difference
from sim.features import features
from sim.features import note as left_out_note
from sim.loader import load_scenario, scenario_from_dict, with_overrides
from sim.replicate import run
from sim.scenario_errors import ScenarioError

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def applied(scenario, wanted):
    """The scenario the page would simulate with these settings."""
    return with_overrides(scenario, controls.overrides(scenario, wanted))


class TestOverrides:
    @pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
    def test_defaults_change_nothing_but_days(self, path):
        """The scenario's own controls give the scenario itself, simulating one day."""
        sc = load_scenario(path).model_copy(update={"variants": {}})
        over = controls.overrides(sc, controls.defaults(sc))
        assert over.pop("days") == 1
        data = sc.model_dump(mode="json")
        for path, value in over.items():  # only lists for every day, cut to the first
            node = data
            for key in path.split("."):
                node = node[key]
            assert isinstance(value, list) and node[:len(value)] == value
        assert applied(sc, controls.defaults(sc)) == with_overrides(sc, {**over, "days": 1})

    @given(data=scenarios(), delta=st.integers(-3, 5), factor=st.floats(0.2, 3.0),
           stretch=st.floats(0.3, 3.0))
    @settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @example(data={  # the only group answering t1's consults with t2 cut to none
        "name": "random", "seed": 1, "days": 1, "open": "06:00", "close": "08:00",
        "interval": "30m", "contact_types": {
            "t0": {"arrivals": {"rate": "1/h"}, "handle": {"dist": "exponential", "mean": 20}},
            "t1": {"arrivals": {"rate": "1/h"}, "handle": {"dist": "exponential", "mean": 20},
                   "consult": {"probability": 0.2, "to": "t2",
                               "talk": {"dist": "exponential", "mean": 10}}},
            "t2": {"arrivals": {"rate": "1/h"}, "handle": {"dist": "exponential", "mean": 20}}},
        "agents": {"g0": {"skills": ["t0", "t1", "t2"], "staff": 2},
                   "g1": {"skills": ["t0", "t1"], "staff": 1}}},
        delta=-2, factor=1.0, stretch=1.0)
    def test_controls_read_back(self, data, delta, factor, stretch):
        """Agents, calls per hour, handle time and patience read back as set, any scenario."""
        sc = scenario_from_dict(data)
        base = controls.defaults(sc)
        group = next(iter(sc.agents))
        target = base.agents[group] + delta
        group_def = sc.agents[group]
        lowest = (min(s.count for s in group_def.shifts) if group_def.shifts
                  else min(group_def.staff) if isinstance(group_def.staff, list)
                  else group_def.staff)
        if lowest + delta < 0 or (group_def.shifts and max(
                s.count for s in group_def.shifts) + delta < 0):
            return  # the loader refuses it: TestBadInput
        wanted = controls.Settings(**{
            **base.as_dict(), "agents": {**base.agents, group: target},
            "arrival_factor": factor,
            "aht": base.aht * stretch,
            "patience": None if base.patience is None else base.patience * stretch})
        refused = None
        try:
            new = applied(sc, wanted)
        except ScenarioError as error:
            refused = str(error)
        if refused is not None:  # a group cut to none may leave a consult unanswered:
            # refused as the CLI refuses it (the page shows the line: TestBadInput)
            assert lowest + delta == 0 and "would never be answered" in refused, refused
            return
        assert controls.peak_agents(new.agents[group], sc.intervals_per_day) == target
        assert controls.calls_per_hour(new) == pytest.approx(
            factor * controls.calls_per_hour(sc), rel=1e-9)
        assume(round(wanted.aht, 1) != round(base.aht, 1))  # the page shows tenths of s
        assert controls.mean_of(new, "handle") == pytest.approx(wanted.aht, rel=1e-9)
        if base.patience is not None and round(wanted.patience, 1) != round(base.patience, 1):
            assert controls.mean_of(new, "patience") == pytest.approx(wanted.patience,
                                                                      rel=1e-9)

    def test_switches(self):
        """Cap, self-service and callbacks land on every type they apply to."""
        sc = load_scenario(ROOT / "scenarios/self_service_shift.yaml")
        wanted = controls.Settings(**{**controls.defaults(sc).as_dict(), "handle_cap": 300,
                                      "self_service": 0.3, "callbacks": True})
        new = applied(sc, wanted)
        for ct in new.contact_types.values():
            assert ct.handle_cap.max == 300 and ct.ivr.self_service == 0.3
            assert ct.callback is not None and ct.callback.threshold == 120
        back = applied(new, controls.Settings(**{**controls.defaults(new).as_dict(),
                                                  "handle_cap": None, "callbacks": False}))
        assert all(ct.handle_cap is None and ct.callback is None
                   for ct in back.contact_types.values())


@pytest.fixture(scope="module")
def lesson():
    """Erlang A on the page: run, pin, one agent fewer, run (5 replications each)."""
    session = Session(str(ROOT / "scenarios/erlang_a.yaml"))
    session.run({})
    session.wait()
    first = session.state()
    session.pin()
    session.run({"agents": {"pool": 41}})
    session.wait()
    return session, first


class TestLesson:
    def test_run_answers_with_cis(self, lesson):
        """The first run shows every card KPI with a 95% half-width."""
        _, first = lesson
        assert first["error"] == [] and first["job"]["phase"] == "done"
        for kpi in views.CARD_KPIS:
            assert first["result"]["kpis"][kpi]["ci"] is not None

    def test_compare_is_paired(self, lesson):
        """The before/after rows are sim.compare's paired differences of the two runs."""
        session, _ = lesson
        cmp = session.comparison()
        assert cmp["changes"] == {"agents": ({"pool": 42}, {"pool": 41})}
        before, after = session.pinned.result, session.result.result
        for row in cmp["rows"]:
            diff, _ci = paired_difference(after.replications[row["kpi"]],
                                         before.replications[row["kpi"]])
            assert row["diff"] == pytest.approx(diff, nan_ok=True)
        asa = next(r for r in cmp["rows"] if r["kpi"] == "asa")
        assert asa["significant"] and asa["diff"] > 0  # one agent fewer: longer waits

    def test_hockey_stick_agrees_with_erlang_a(self, lesson):
        """Each simulated point's CI covers Erlang A at its agent count.

        The 95% half-widths are widened to a 99.9% family over the 14 checks (Bonferroni),
        so the test fails by chance once in a thousand runs, not once in three.
        """
        session, _ = lesson
        hockey = session.result.hockey
        sc = session.result.result.scenario
        points = hockey["points"]
        assert [p["agents"] for p in points] == list(range(38, 45))
        n = session.result.result.n_replications
        widen = (stats.t.ppf(1 - 0.001 / (2 * 2 * len(points)), n - 1)
                 / stats.t.ppf(0.975, n - 1))
        ct = sc.contact_types["calls"]
        for p in points:
            m = erlang.erlang_a_metrics(ct.arrivals.rate, ct.handle.mean, p["agents"],
                                        ct.patience.mean, sc.service_level.threshold)
            assert abs(p["service_level"] - m.service_level) <= widen * p["service_level_ci"]
            assert abs(p["mean_wait"] - m.mean_wait) <= widen * p["mean_wait_ci"]
        curve = {c["agents"]: c for c in hockey["curve"]}
        assert curve[42]["service_level"] == pytest.approx(erlang.erlang_a_metrics(
            ct.arrivals.rate, ct.handle.mean, 42, ct.patience.mean, 20).service_level)
        assert "<svg" in hockey["svg"]

    def test_floor_frames(self, lesson):
        """The floor is consistent at every frame.

        Holds within talks within seats, the longest waits first, counts that only grow,
        and the day's answered contacts at the last frame, from the end of the warm-up
        (tests/test_app_floor.py checks the KPIs so far against the run's).
        """
        session, _ = lesson
        floor = session.state(floor=session.result.number)["floor"]
        frames = floor["frames"]
        assert len(frames) == views.MAX_FRAMES and frames[0]["t"] == 0
        for before, f in itertools.pairwise(frames):
            assert f["answered"] >= before["answered"]
            assert f["abandoned"] >= before["abandoned"]
        for f in frames:
            _duty, talking, holding, wrapping = f["groups"]["pool"]
            assert 0 <= holding <= talking <= talking + wrapping <= floor["seats"]["pool"]
            assert f["waits"] == sorted(f["waits"], reverse=True)
            assert len(f["waits"]) == min(f["queue"], views.MAX_WAITING)
            assert all(w <= f["t"] + 1 for w in f["waits"])
        c = session.result.result.contacts
        warmup = session.result.result.scenario.warmup  # counted from its end, as the cards
        assert floor["measured_from"] == (warmup if warmup > 0 else None)
        day = c[(c["replication"] == 0) & (c["answer"] <= frames[-1]["t"])
                & (c["arrival"] >= warmup)]
        assert frames[-1]["answered"] == len(day)


@pytest.fixture(scope="module")
def bank():
    """small_bank (of the features only patience) on the page: run, pin, callbacks on, run."""
    session = Session(str(ROOT / "scenarios/small_bank.yaml"))
    session.run({"replications": 2})
    session.wait()
    plain = session.state()
    session.pin()
    session.run({"replications": 2, "callbacks": True})
    session.wait()
    return session, plain


def needing_nothing(names):
    """Of ``names``, the KPIs small_bank models: those needing no feature, or its patience."""
    has = features(load_scenario(ROOT / "scenarios/small_bank.yaml"))
    assert {f.name for f in has} == {"patience"}
    return [k for k in names if registry.BY_NAME[k].needs in (None, *has)]


class TestLeftOut:
    """KPIs the run does not model get no card and no row, and a line names them.

    The rule is sim.features' (as `ccsim run`, `compare` and the report apply it); the
    page's settings count: callbacks switched on in the page are modelled.
    """

    def test_cards_of_a_scenario_without_features(self, bank):
        """No repeats: no repeat_rate card (0.0% read as a result), and a line says why."""
        _, plain = bank
        result = plain["result"]
        assert "repeat_rate" not in result["cards"]
        assert result["cards"] == needing_nothing(views.CARD_KPIS)
        left = [k for k in views.CARD_KPIS if k not in result["cards"]]
        assert result["left_out"] == left_out_note(left)
        assert "repeat_rate" in result["kpis"]  # the data keeps every KPI

    def test_cards_of_a_scenario_with_repeats(self):
        """A scenario with `repeat` shows the repeat rate, and no line."""
        scenario = load_scenario(ROOT / "scenarios/refund_vs_relations.yaml",
                                 overrides={"days": 1})
        cards, line = views.cards(run(scenario, seed=1, replications=1))
        # (no callbacks, lines, complaints; an IVR that serves nobody in its menu)
        left = ["live_asa", "block_rate", "self_service_rate", "complaints"]
        assert cards == [k for k in views.CARD_KPIS if k not in left]
        assert line == left_out_note(left)

    def test_busy_signals_where_the_scenario_has_lines(self):
        """A trunk limit: the busy-signal rate is a card, busy signals a before/after row.

        erlang_b ("7 Erlangs on 10 lines") showed service level 100.0%, ASA 0.0 s and not
        a word of its busy signals (6% of its callers); storm_surge's lesson ("the busy
        signals disappear" with callbacks) had no number on the page to show it.
        """
        scenario = load_scenario(ROOT / "scenarios/erlang_b.yaml", overrides={"days": 1})
        result = run(scenario, seed=1, replications=2)
        cards, _ = views.cards(result)
        assert "block_rate" in cards and result.summary["block_rate"] > 0.01
        rows, _ = views.comparison(result, result)
        assert "blocked" in [r["kpi"] for r in rows]

    def test_complaints_where_the_scenario_has_them(self, tmp_path):
        """`complaint:` in the scenario: a complaints card and row, the number `ccsim run`'s.

        social_backlash exists to show callers who give up and post public complaints,
        and the page showed no number of them: no card, no before/after row.
        """
        session = Session(str(ROOT / "scenarios/social_backlash.yaml"))
        session.run({"replications": 2})
        session.wait()
        session.pin()
        state = session.state()
        result = state["result"]
        assert "complaints" in result["cards"]
        assert "complaints" not in result["left_out"]
        assert "complaints" in [r["kpi"] for r in state["comparison"]["rows"]]
        out = tmp_path / "cli"
        done = subprocess.run(
            [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios/social_backlash.yaml"),
             "--set", "days=1", "--seed", str(result["seed"]), "-r", "2", "-w", "1", "-q",
             "-o", str(out)], env=ENV, capture_output=True, text=True, check=True)
        cli = json.loads((out / "summary.json").read_text())
        assert result["kpis"]["complaints"]["mean"] == pytest.approx(
            cli["kpis"]["complaints"], rel=1e-12)
        assert result["kpis"]["complaints"]["ci"] == pytest.approx(
            cli["ci"]["complaints"], rel=1e-12)
        assert f"complaints {cli['kpis']['complaints']:,.1f}" in " ".join(done.stdout.split())
        assert cli["kpis"]["complaints"] > 100

    def test_callbacks_switched_on_in_the_page_are_compared(self, bank):
        """Pinned without callbacks, run with: the callbacks row is there; repeats not."""
        session, _ = bank
        cmp = session.comparison()
        rows = {r["kpi"]: r for r in cmp["rows"]}
        assert "callbacks" in rows and rows["callbacks"]["current"] > 0
        assert rows["callbacks"]["pinned"] == 0
        assert "repeat_rate" not in rows
        assert list(rows) == [k for k in views.COMPARE_ROWS
                              if k not in ("repeat_rate", "block_rate", "blocked",
                                           "self_service_rate", "complaints")]
        assert cmp["left_out"] == left_out_note(["block_rate", "repeat_rate", "blocked",
                                                 "self_service_rate", "complaints"],
                                                "either run")
        assert session.state()["comparison"]["left_out"] == cmp["left_out"]

    def test_callbacks_on_show_the_wait_of_callers_on_the_line(self, bank):
        """With callbacks on, a card shows the ASA of callers who stayed on the line.

        ASA counts a callback's time until the call back (the README's lesson 3: ASA
        jumps); ``live_asa`` beside it is what the callers on the line waited.
        """
        session, plain = bank
        result = session.state()["result"]
        cards = result["cards"]
        assert cards[cards.index("asa") + 1] == "live_asa"
        assert result["kpis"]["live_asa"]["mean"] < result["kpis"]["asa"]["mean"]
        assert "live_asa" not in plain["result"]["cards"]

    def test_neither_run_with_callbacks(self, bank):
        """Two runs without callbacks compare no callbacks row."""
        session, _ = bank
        plain = session.pinned.result
        rows, line = views.comparison(plain, plain)
        assert [r["kpi"] for r in rows] == needing_nothing(views.COMPARE_ROWS)
        assert line == left_out_note(["live_asa", "block_rate", "repeat_rate", "blocked",
                                      "self_service_rate", "callbacks", "complaints"],
                                     "either run")


class TestBadInput:
    @pytest.fixture(scope="class")
    @classmethod
    def shown(cls):
        """A session showing a result: Erlang A at a tenth of its calls, 2 replications.

        Refused input must keep whatever result is shown, and never reaches a simulation:
        any result will do. Not the lesson's, which ``--dist loadscope`` would run a second
        time on the worker given this class (about 13 s of CPU, this one 3 s).
        """
        session = Session(str(ROOT / "scenarios/erlang_a.yaml"))
        session.run({"replications": 2, "arrival_factor": 0.1})
        session.wait()
        assert session.state()["job"]["phase"] == "done" and session.result is not None
        return session

    def test_negative_agents_keeps_the_result(self, shown, tmp_path):
        """A negative agent count shows the CLI's own line; the last result stays."""
        session = shown
        kept = session.result
        assert kept is not None  # (a faulty test before this one may have dropped it)
        session.run({"agents": {"pool": -1}})
        session.wait()
        cli = subprocess.run([sys.executable, "-m", "sim", "run", "scenarios/erlang_a.yaml",
                              "--set", "agents.pool.staff=-1", "--out", str(tmp_path)],
                             capture_output=True, text=True, env=ENV, cwd=ROOT)
        assert cli.returncode == 2
        state = session.state()
        assert state["error"] == cli.stderr.strip().splitlines()
        assert session.result is kept

    @pytest.mark.parametrize("value", ["abc", "", "4.5"])
    def test_not_a_number(self, shown, value):
        """Text in a number field names the field; the last result stays."""
        session = shown
        kept = session.result
        assert kept is not None  # (a faulty test before this one may have dropped it)
        session.run({"agents": {"pool": value}})
        session.wait()
        assert session.state()["error"] == [
            f"{session.source}: agents.pool: must be a whole number, got {value!r}"]
        assert session.result is kept

    def test_agents_below_a_changing_staffs_reach(self):
        """Fewer agents than a changing staff allows: one line on the control, not six.

        small_bank's billing_team has 24 agents at its peak and 8 in its quietest interval;
        the control moves every interval by the same number, so 16 is the fewest. Before,
        7 gave the loader's lines on staff[0], staff[1], ... that the trainer never typed.
        """
        session = Session(str(ROOT / "scenarios/small_bank.yaml"))
        assert session.run({"agents": {"billing_team": 7}}) is None
        assert session.state()["error"] == [
            f"{session.source}: agents.billing_team: must be >= 16 (the staff moves by the "
            "same number in every interval, and the quietest has 8 agents), got 7"]

    def test_hockey_stick_stays_within_a_changing_staff(self):
        """A valid agent count near the fewest draws its hockey stick without an error.

        Before, 17 billing agents ran, then the hockey point at 14 (-3) made a negative
        interval: the page showed the loader's error under a good result and the stick
        stopped half drawn.
        """
        session = Session(str(ROOT / "scenarios/small_bank.yaml"))
        session.run({"agents": {"billing_team": 17}, "replications": 2})
        session.wait()
        state = session.state()
        assert state["error"] == [] and state["job"]["phase"] == "done"
        hockey = state["result"]["hockey"]
        total = sum(state["result"]["settings"]["agents"].values())
        assert [p["agents"] - total for p in hockey["points"]] == [-1, 0, 1, 2, 3]
        assert hockey["planned"] == len(hockey["points"])

    def test_yaml_with_errors(self, tmp_path):
        """A YAML with errors shows `ccsim validate`'s lines and keeps the open scenario."""
        bad = tmp_path / "bad.yaml"
        bad.write_text("name: x\ncontact_types: {calls: {arrivals: {rate: -5/h}, "
                       "handle: {dist: exponential, mean: 4m}}}\nagents: {a: {skills: "
                       "[calls], staff: -1}}\n")
        session = Session(str(ROOT / "scenarios/erlang_b.yaml"))
        assert not session.open_yaml(bad.read_text(), "bad.yaml")
        cli = subprocess.run([sys.executable, "-m", "sim", "validate", "bad.yaml"],
                             capture_output=True, text=True, env=ENV, cwd=tmp_path)
        assert cli.returncode == 2 and len(session.error) == 2
        assert session.error == cli.stderr.strip().splitlines()
        assert session.source.endswith("erlang_b.yaml")


class TestRuns:
    def test_new_run_cancels_the_old(self):
        """A Run during a long run cancels it; only the newer result is shown."""
        session = Session(str(ROOT / "scenarios/erlang_b.yaml"))
        first = session.run({"replications": 400})
        deadline = time.monotonic() + 120
        while session.state()["job"]["done"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert session.state()["job"]["phase"] == "simulating"  # under way, not finished
        second = session.run({"agents": {"pool": 9}, "replications": 2})
        session.wait()
        state = session.state()
        assert state["job"]["number"] == second > first
        assert state["result"]["settings"]["agents"] == {"pool": 9}
        assert state["result"]["replications"] == 2

    def test_memory_stays_flat_over_replications(self, monkeypatch):
        """Every run of the page keeps the raw tables of one replication, not of all.

        The floor plays replication 1 back and the cards and the hockey stick read the
        per-replication KPIs: before, the page kept every replication's contacts, legs and
        staff log of the run and of each hockey point, so a run the limits allow (about
        20,000 replications of erlang_a) would take tens of gigabytes.
        """
        from sim.app import model

        results, engine_run = [], model.run

        def recording_run(*args, **kwargs):
            results.append(engine_run(*args, **kwargs))
            return results[-1]

        monkeypatch.setattr(model, "run", recording_run)
        session = Session(str(ROOT / "scenarios/erlang_b.yaml"))
        session.run({"replications": 3})
        session.wait()
        assert session.state()["job"]["phase"] == "done", session.error
        assert len(results) == 1 + 2 * model.HOCKEY_SPAN
        assert [r.kept_replications for r in results] == [[0]] * len(results)
        assert session.result.result.n_replications == 3
        assert session.state(floor=session.result.number)["floor"]["frames"]

    def test_close_stops_the_run_under_way(self):
        """Closing the page's session stops its simulation instead of leaving it running."""
        session = Session(str(ROOT / "scenarios/erlang_b.yaml"))
        session.run({"replications": 400})
        deadline = time.monotonic() + 120
        while session.state()["job"]["done"] < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert session.state()["job"]["phase"] == "simulating"
        session.close()
        assert not session._thread.is_alive()
        assert session.state()["job"]["phase"] == "cancelled"
        assert session.state()["job"]["done"] < 400


class TestServer:
    @pytest.fixture(scope="class")
    @classmethod
    def url(cls):
        with app_server(str(ROOT / "scenarios/erlang_b.yaml")) as base:
            yield base

    def test_hooks_and_offline_assets(self, url):
        """The page has the issue's data-testid hooks and loads only its own assets."""
        page = urllib.request.urlopen(url + "/").read().decode()
        for hook in ("run", "hockey-stick", "floor"):
            assert f'data-testid="{hook}"' in page
        script = urllib.request.urlopen(url + "/static/app.js").read().decode()
        assert 'data-testid="kpi-${k}"' in script and '"agents" : "agents-"' in script
        for name in ("index.html", "app.js", "app.css"):
            text = (STATIC / name).read_text()
            assert "http://" not in text and "https://" not in text and "//cdn" not in text

    def test_opens_only_bundled_files(self, url):
        """The page opens bundled scenarios by name, never a path on the server."""
        def open_(name):
            request = urllib.request.Request(
                url + "/api/open", data=json.dumps({"scenario": name}).encode(),
                method="POST")
            try:
                with urllib.request.urlopen(request) as answer:
                    return answer.status, json.loads(answer.read())
            except urllib.error.HTTPError as exc:  # refused: the state is the body
                return exc.code, json.loads(exc.read())

        status, state = open_("/etc/passwd")
        assert status == 422
        assert state["error"][0].startswith("/etc/passwd: no such bundled scenario")
        assert state["source"].endswith("erlang_b.yaml")
        assert open_("erlang_c")[1]["source"].endswith("erlang_c.yaml")
        assert open_("erlang_b")[1]["error"] == []

    def test_bad_request_does_not_kill_the_server(self, url):
        """Malformed JSON is a 400; the server answers the next request."""
        request = urllib.request.Request(url + "/api/run", data=b"{nope", method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request)
        assert info.value.code == 400
        state = json.loads(urllib.request.urlopen(url + "/api/state").read())
        assert state["source"].endswith("erlang_b.yaml")
        with pytest.raises(urllib.error.HTTPError) as info:  # only the page's own files
            urllib.request.urlopen(url + "/static/../model.py")
        assert info.value.code == 404


class TestCommand:
    def test_bad_scenario_is_one_line(self, tmp_path):
        """`ccsim app bad.yaml` prints the loader's line and exits 2, serving nothing."""
        bad = tmp_path / "bad.yaml"
        bad.write_text("days: 0\n")
        res = subprocess.run([sys.executable, "-m", "sim", "app", str(bad), "--no-browser"],
                             capture_output=True, text=True, env=ENV, timeout=60)
        assert res.returncode == 2 and "Traceback" not in res.stderr
        assert res.stderr.startswith(f"{bad}: ")

    def test_port_in_use_is_one_line(self):
        """A port already taken is one line and exit 2."""
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            res = subprocess.run([sys.executable, "-m", "sim", "app", "--no-browser",
                                  "--port", str(port)], capture_output=True, text=True,
                                 env=ENV, timeout=60)
        assert res.returncode == 2
        assert res.stderr.strip() == (f"app: --port: cannot listen on 127.0.0.1:{port}: "
                                      "address already in use")

    @pytest.mark.parametrize("host", ["999.1.1.1", "192.0.2.123"])
    def test_bad_host_names_host(self, host):
        """A host that is no name or address of this machine: `--host`, not `--port`."""
        res = subprocess.run([sys.executable, "-m", "sim", "app", "--no-browser",
                              "--host", host, "--port", "0"], capture_output=True, text=True,
                             env=ENV, timeout=60)
        assert res.returncode == 2 and len(res.stderr.strip().splitlines()) == 1
        assert res.stderr.startswith(f"app: --host: cannot listen on {host}:0: "), res.stderr

    def test_serves_and_stops_on_ctrl_c(self):
        """The page is served; Ctrl-C (SIGINT) stops the server cleanly, exit 0."""
        proc = subprocess.Popen([sys.executable, "-m", "sim", "app", "--no-browser",
                                 "--port", "0"], stderr=subprocess.PIPE, text=True, env=ENV)
        try:
            line = proc.stderr.readline()
            url = line.split(" on ")[1].split()[0]
            assert b"data-testid" in urllib.request.urlopen(url, timeout=30).read()
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=30) == 0
            assert "stopped" in proc.stderr.read()
        finally:
            proc.kill()

    def test_help_does_not_load_the_server(self):
        """`ccsim --help` imports neither the page's server nor its session."""
        code = ("import sys, sim.cli; print(any(m.startswith(('sim.app', 'http.server')) "
                "for m in sys.modules))")
        res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=ENV)
        assert res.stdout.strip() == "False"


def test_nan_is_none():
    """Undefined KPIs travel as null (JSON has no NaN)."""
    assert views.json_value(math.nan) is None and views.json_value(1.5) == 1.5


def test_the_hockey_stick_is_redrawn_at_most_so_often(monkeypatch):
    """Points come in as simulated; the SVG is redrawn at most every HOCKEY_REDRAW seconds.

    Each matplotlib redraw takes about 0.25 s, as long as a point of a small scenario:
    drawn after every point, the redraws were half of small_bank's hockey stick. The
    first drawing and the last (with every point) are always made.
    """
    from sim.app import model

    drawn = []
    real = hockey.hockey_figure

    def counted(points, *args, **kwargs):
        drawn.append(len(points))
        return real(points, *args, **kwargs)

    monkeypatch.setattr(hockey, "hockey_figure", counted)
    monkeypatch.setattr(model, "HOCKEY_REDRAW", 3600.0)
    session = Session(str(ROOT / "scenarios/small_bank.yaml"))
    try:
        session.run({"replications": 2})
        session.wait()
        stick = session.state()["result"]["hockey"]
    finally:
        session.close()
    assert drawn == [1, 7] and len(stick["points"]) == stick["planned"] == 7
    assert stick["svg"].count("<svg") == 1
