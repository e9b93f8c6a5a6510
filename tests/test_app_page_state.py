"""What the server sends the page is what the page reads: no field the page never uses.

The state (:meth:`sim.app.model.Session.state`) is the page's only input. A key the page
does not read is dead weight that reads as a promise to a script: ``has_ivr`` was sent
with every state and read by nothing (the self-service controls come from
``defaults.self_service``). Keys kept for scripts only are named here, on purpose.
"""

from __future__ import annotations

import re
from pathlib import Path

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
