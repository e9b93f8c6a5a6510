"""What the server sends the page is what the page reads: no field the page never uses.

The state (:meth:`sim.app.model.Session.state`) is the page's only input. A key the page
does not read is dead weight that reads as a promise to a script: ``has_ivr`` was sent
with every state and read by nothing (the self-service controls come from
``defaults.self_service``). Keys kept for scripts only are named here, on purpose.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.app.model import Session
from sim.app.server import STATIC

ROOT = Path(__file__).resolve().parent.parent
# sent for scripts driving the JSON API, not drawn by the page
FOR_SCRIPTS = {"threshold", "target", "days"}


def test_every_key_of_the_state_is_read_by_the_page():
    """Each top-level key of the state is read by app.js as ``s.<key>`` (or is for scripts)."""
    session = Session(str(ROOT / "scenarios/self_service_shift.yaml"))  # (a scenario with an IVR)
    session.run({"replications": 1})
    session.wait()
    state = session.state(floor=session.result.number)
    session.close()
    script = (STATIC / "app.js").read_text()
    unread = [k for k in state if k not in FOR_SCRIPTS
              and not re.search(rf"\bs\.{re.escape(k)}\b", script)]
    assert unread == []


class TestFieldErrors:
    """A refused setting's line is sent with the page field it is about, to show beside it.

    Before, every refusal was one banner above the page: with two fields wrong, the
    trainer read two lines of paths and looked for the fields. ``field_errors`` maps a
    page field (``agents.<group>``, ``self_service.<type>``, ``aht``, ...) to its lines;
    a line about no field (a scenario file's error, an unknown setting) has none and
    stays in the banner. ``error`` keeps every line, for scripts.
    """

    def test_each_line_names_its_field(self):
        session = Session(str(ROOT / "scenarios/small_bank.yaml"))
        assert session.run({"agents": {"billing_team": 7}, "aht": "abc"}) is None
        state = session.state()
        src = session.source
        assert state["field_errors"] == {
            "aht": [f"{src}: aht: must be a number, got 'abc'"],
            "agents.billing_team": [
                f"{src}: agents.billing_team: must be >= 16 (the staff moves by the same "
                "number in every interval, and the quietest has 8 agents), got 7"]}
        assert sorted(state["error"]) == sorted(
            line for lines in state["field_errors"].values() for line in lines)

    def test_the_loaders_line_on_an_override_names_the_control(self):
        """-1 agents: the loader refuses ``agents.pool.staff``, the control typed is named."""
        session = Session(str(ROOT / "scenarios/erlang_a.yaml"))
        assert session.run({"agents": {"pool": -1}}) is None
        (line,) = session.state()["error"]
        assert ": agents.pool.staff: " in line
        assert session.state()["field_errors"] == {"agents.pool": [line]}

    @pytest.mark.parametrize(("payload", "field"), [
        ({"self_service": {"simple": 1.5}}, "self_service.simple"),
        ({"calls_per_hour": ""}, "calls_per_hour"),
        ({"replications": 0}, "replications"),
        ({"days": 9}, "days")])
    def test_other_fields(self, payload, field):
        session = Session(str(ROOT / "scenarios/self_service_shift.yaml"))
        assert session.run(payload) is None
        state = session.state()
        assert list(state["field_errors"]) == [field] and len(state["error"]) == 1

    def test_lines_about_no_field_stay_unplaced(self, tmp_path):
        """An unknown setting, a YAML with errors ('days' of the file, not the Days field)."""
        session = Session(str(ROOT / "scenarios/erlang_b.yaml"))
        assert session.run({"speed": 3}) is None
        assert session.state()["error"] and session.state()["field_errors"] == {}
        assert not session.open_yaml("name: broken\ndays: 0\n", "broken.yaml")
        assert session.state()["error"] and session.state()["field_errors"] == {}
        assert session.run({"agents": {"pool": 12}, "replications": 1}) is not None
        session.close()
        assert session.state()["error"] == [] and session.state()["field_errors"] == {}
