"""``ccsim app``: what a trainer types or a script posts that the page must refuse or survive.

Out-of-range handle times, wrongly typed API payloads, an old error left on screen while a
valid run is queued, and a floor fetched for one result while another is shown.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from helpers import app_server

from sim import limits
from sim.app import hockey
from sim.app import settings as controls
from sim.app.model import Session

ROOT = Path(__file__).resolve().parent.parent
ERLANG_A = str(ROOT / "scenarios/erlang_a.yaml")
# an accepted run where what it simulates does not matter: a tenth of the calls, quicker
QUICK = {"replications": 2, "arrival_factor": 0.1}


def post(url: str, path: str, body: object) -> tuple[int, dict]:
    """POST ``body`` as JSON; the status and the JSON answer (errors included)."""
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                     method="POST")
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def get(url: str, path: str) -> dict:
    return json.loads(urllib.request.urlopen(url + path).read())


class TestHandleTime:
    def test_huge_handle_time_is_refused_on_its_control(self, capfd):
        """An AHT of 1e300 s is one line naming ``aht`` and its limit; nothing runs.

        Before, the run was simulated and shown, then the Erlang A curve divided by zero:
        "internal error: float division by zero" under the result and a traceback in the
        terminal. The limit is ``ccsim erlang``'s: an offered load in Erlangs over the
        limit on agents (600 calls an hour: 100,000 Erlangs is 600,000 s).
        """
        session = Session(ERLANG_A)
        assert session.run({"aht": 1e300, "replications": 2}) is None
        most = limits.AGENTS.value() * 3600 / controls.calls_per_hour(session.scenario)
        assert session.state()["error"] == [
            f"{session.source}: aht: must be <= {most:,.0f} s (600 calls an hour x this "
            f"handle time is more Erlangs than the limit of {limits.AGENTS.value():,} "
            f"agents could answer; set {limits.AGENTS.env} to raise the limit), got 1e+300"]
        assert session.state()["job"] is None
        assert "Traceback" not in capfd.readouterr().err

    def test_handle_time_at_the_limit_runs(self):
        """The largest AHT the control takes runs, hockey stick and all, without an error."""
        session = Session(ERLANG_A)
        most = limits.AGENTS.value() * 3600 / controls.calls_per_hour(session.scenario)
        assert session.run({"aht": most, "replications": 2}) is not None
        session.wait()
        state = session.state()
        assert state["error"] == [] and state["job"]["phase"] == "done"
        assert session.run({"aht": most * 1.001, "replications": 2}) is None

    def test_huge_handle_time_and_arrivals_each_named(self):
        """Both absurd: a line for each against the scenario's other, never 6e-295 s.

        Before, the handle time was blamed at the arrivals typed with it: "aht: must be <=
        6e-295 s (6e+302 calls an hour x this handle time ...)".
        """
        session = Session(ERLANG_A)
        assert session.run({"aht": 1e300, "arrival_factor": 1e300}) is None
        agents = limits.AGENTS.value()
        tail = (f"is more Erlangs than the limit of {agents:,} agents could answer; set "
                f"{limits.AGENTS.env} to raise the limit)")
        assert session.state()["error"] == [
            f"{session.source}: arrival_factor: must be <= {agents * 3600 / (600 * 240):.4g} "
            f"(a handle time of 240 s x this many calls {tail}, got 1e+300",
            f"{session.source}: aht: must be <= {agents * 3600 / 600:,.0f} s (600 calls an "
            f"hour x this handle time {tail}, got 1e+300"]

    def test_handle_time_and_arrivals_over_together(self):
        """Each within the limit alone, over it together: the handle time is named.

        Its limit is at the arrivals typed, and never below the scenario's own handle time.
        """
        session = Session(ERLANG_A)
        agents = limits.AGENTS.value()
        aht = 0.8 * agents * 3600 / 600  # 80% of the limit alone
        assert session.run({"aht": aht, "arrival_factor": 2}) is None
        most = agents * 3600 / 1200
        assert most >= 240
        assert session.state()["error"] == [
            f"{session.source}: aht: must be <= {most:,.0f} s (1,200 calls an "
            f"hour x this handle time is more Erlangs than the limit of {agents:,} agents "
            f"could answer; set {limits.AGENTS.env} to raise the limit), got {aht:g}"]

    def test_a_huge_arrival_factor_is_blamed_on_itself(self):
        """The same limit names the arrivals when they, not the handle time, were changed."""
        session = Session(ERLANG_A)
        assert session.run({"arrival_factor": 1e300}) is None
        most = limits.AGENTS.value() * 3600 / (600 * 240)
        assert session.state()["error"] == [
            f"{session.source}: arrival_factor: must be <= {most:.4g} (a handle time of "
            f"240 s x this many calls is more Erlangs than the limit of "
            f"{limits.AGENTS.value():,} agents could answer; set {limits.AGENTS.env} to "
            "raise the limit), got 1e+300"]

    def test_erlang_curve_skips_what_it_cannot_compute(self):
        """A load the formulas cannot evaluate leaves points out, never raises.

        Erlang A at an AHT of 1e300 s divided by zero (every caller abandons: no one is
        served, and the mean wait of the served is 0/0).
        """
        load = {"rate": 600 / 3600, "aht": 1e300, "patience": 180.0}
        curve = hockey.erlang_curve(load, range(1, 10), 20.0)
        assert all(0 <= c["service_level"] <= 1 for c in curve)
        sane = {"rate": 600 / 3600, "aht": 240.0, "patience": 180.0}
        assert [c["agents"] for c in hockey.erlang_curve(sane, range(40, 45), 20.0)] == [
            40, 41, 42, 43, 44]


class TestPayloadTypes:
    """Hand-made API calls: every wrongly typed field is one line naming it."""

    @pytest.mark.parametrize(("payload", "line"), [
        ({"agents": [41]}, "agents: must be an object of agent group -> number, got [41]"),
        ({"agents": "41"}, "agents: must be an object of agent group -> number, got '41'"),
        ({"callbacks": "false"}, "callbacks: must be true or false, got 'false'"),
        ({"callbacks": 0}, "callbacks: must be true or false, got 0"),
        ({"agent": {"pool": 41}}, "agent: no such setting (known: agents, arrival_factor, "
         "aht, patience, handle_cap, self_service, callbacks, replications, days, calls_per_hour)"),
    ])
    def test_session_names_the_field(self, payload, line):
        session = Session(ERLANG_A)
        assert session.run(payload) is None
        assert session.state()["error"] == [f"{session.source}: {line}"]
        assert session.state()["job"] is None

    def test_a_run_beyond_memory_is_refused(self, monkeypatch):
        """The page's run is checked against the memory as the command line's is.

        Erlang A's 14,400 contacts a day need about 14 MB at 1 KB a contact: with 10 MB
        to plan with it is refused in one line; before, it ran.
        """
        monkeypatch.setenv("CCSIM_MAX_MEMORY_MB", "10")
        session = Session(ERLANG_A)
        assert session.run({}) is None
        (line,) = session.state()["error"]
        assert line.startswith(f"{session.source}: about 14,400 contacts in one replication "
                               "need about 14 MB of memory"), line
        monkeypatch.setenv("CCSIM_MAX_MEMORY_MB", "lots")
        assert session.run({}) is None
        assert session.state()["error"] == [
            f"{session.source}: CCSIM_MAX_MEMORY_MB must be a positive number, got 'lots'"]

    def test_callbacks_false_is_off(self):
        """JSON false turns callbacks off (erlang_a has none: nothing is overridden)."""
        session = Session(ERLANG_A)
        wanted = controls.read_settings({"callbacks": False}, session.scenario, "x")
        assert wanted.callbacks is False
        assert controls.read_settings({"callbacks": True}, session.scenario, "x").callbacks

    def test_server_answers_in_one_line(self, capfd):
        """Before, ``agents`` as a list killed the request with a traceback (no answer)."""
        with app_server(ERLANG_A) as url:
            status, state = post(url, "/api/run", {"settings": {"agents": [41]}})
            assert status == 422 and state["error"] == [
                f"{state['source']}: agents: must be an object of agent group -> number, "
                "got [41]"]
            for path, body, line in [
                    ("/api/run", {"settings": [1]},
                     "bad request: settings: must be an object, got [1]"),
                    ("/api/open", {"scenario": ["erlang_c"]},
                     "bad request: scenario: must be text, got ['erlang_c']"),
                    ("/api/open", {"yaml": 5, "name": "x.yaml"},
                     "bad request: yaml: must be text, got 5"),
                    ("/api/open", {"yaml": "name: x", "name": 5},
                     "bad request: name: must be text, got 5")]:
                status, answer = post(url, path, body)
                assert (status, answer) == (400, {"error": [line]}), path
            assert get(url, "/api/state")["source"].endswith("erlang_a.yaml")
        assert "Traceback" not in capfd.readouterr().err


    def test_bad_length_and_floor_are_answered(self, capfd):
        """A Content-Length that is no number is a 400; ``?floor=`` of odd text no floor."""
        import http.client

        with app_server(ERLANG_A) as url:
            host, port = url.removeprefix("http://").split(":")
            connection = http.client.HTTPConnection(host, int(port), timeout=30)
            connection.putrequest("POST", "/api/run")
            connection.putheader("Content-Length", "abc")
            connection.endheaders()
            answer = connection.getresponse()
            assert answer.status == 400 and json.loads(answer.read()) == {
                "error": ["bad request: Content-Length: must be a whole number >= 0, "
                          "got 'abc'"]}
            connection.close()
            for odd in ("\u00b2", "-1", "1" * 40, "x"):
                state = get(url, "/api/state?floor=" + urllib.parse.quote(odd))
                assert "floor" not in state
        assert "Traceback" not in capfd.readouterr().err


class TestStatus:
    """Refused input is answered 4xx (the state, with its one-line error, as the body)."""

    def test_refused_input_is_422(self):
        """A refused run or open was answered 200 OK; accepted ones still are."""
        with app_server(ERLANG_A) as url:
            status, state = post(url, "/api/run", {"settings": {"agents": {"pool": -1}}})
            assert status == 422 and state["error"] == [
                f"{state['source']}: agents.pool.staff: must be >= 0, got -1"]
            assert state["job"] is None
            status, state = post(url, "/api/open", {"yaml": "name: x\ndays: 0\n",
                                                    "name": "broken.yaml"})
            assert status == 422 and state["error"][0].startswith("broken.yaml: ")
            status, state = post(url, "/api/open", {"scenario": "nothere"})
            assert status == 422 and state["error"][0].startswith(
                "nothere: no such bundled scenario")
            status, state = post(url, "/api/pin", {})
            assert status == 409 and state["error"] == ["pin: run a simulation first"]
            status, state = post(url, "/api/run", {"settings": QUICK})
            assert status == 200 and state["error"] == [] and state["job"] is not None
            wait_done(url)
            assert post(url, "/api/pin", {})[0] == 200
            assert post(url, "/api/open", {"scenario": "erlang_c"})[0] == 200


class TestErrorCleared:
    def test_valid_run_clears_the_old_error_at_once(self):
        """A refused setting's line goes when the next valid run is accepted.

        Before, it stayed on screen while the new run was queued and simulated.
        """
        session = Session(ERLANG_A)
        assert session.run({"agents": {"pool": -1}}) is None
        assert session.state()["error"]
        try:
            assert session.run({"replications": 50}) is not None
            state = session.state()
            assert state["job"]["phase"] in ("queued", "simulating")  # not finished yet
            assert state["error"] == []
        finally:
            session.close()


class TestFloorOfTheResultShown:
    def test_floor_is_that_of_the_run_asked_for(self):
        """``?floor=N`` gives run N's floor, or none if another result is shown now.

        Before, ``?floor=1`` gave the floor of whatever result was current, so a page
        showing run 1 could fetch run 2's floor if run 2 finished in between.
        """
        with app_server(ERLANG_A) as url:
            first = post(url, "/api/run", {"settings": QUICK})[1]["job"]
            wait_done(url)
            assert get(url, "/api/state")["result"]["number"] == first["number"]
            second = post(url, "/api/run", {"settings": {**QUICK,
                                                          "agents": {"pool": 40}}})[1]["job"]
            wait_done(url)
            state = get(url, f"/api/state?floor={first['number']}")
            assert state["result"]["number"] == second["number"]
            assert state.get("floor") is None  # run 1's floor is gone; never run 2's
            state = get(url, f"/api/state?floor={second['number']}")
            assert state["result"]["number"] == second["number"] and state["floor"]["frames"]


def wait_done(url: str, timeout: float = 120.0) -> None:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = get(url, "/api/state")["job"]
        if job["phase"] in ("done", "failed", "cancelled"):
            assert job["phase"] == "done"
            return
        time.sleep(0.05)
    raise AssertionError("the run did not finish")
