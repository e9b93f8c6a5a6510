"""The live page on a scenario that replays a call log (``arrivals: {trace: ...}``).

`ccsim run` runs such a scenario; the page failed every request with a TypeError (its
first day's contacts were read from ``per_interval``, None for a trace) and stayed blank
(found by an outside check of the page). It now counts the replayed contacts, runs the
scenario, and refuses an arrival factor on a replayed log in a line.
"""

from __future__ import annotations

import random

from sim.app.model import Session


def _replay(tmp_path):
    rng = random.Random(1)
    rows, t = ["arrival,contact_type,wait,outcome,handle"], 8 * 3600.0
    while True:
        t += rng.expovariate(100 / 3600)
        if t >= 12 * 3600:
            break
        rows.append(f"{t:.1f},calls,0,answered,200")
    (tmp_path / "calls.csv").write_text("\n".join(rows) + "\n")
    path = tmp_path / "replay.yaml"
    path.write_text("""name: replay
seed: 3
days: 1
open: "08:00"
close: "12:00"
interval: 30m
service_level: {threshold: 20s, target: 0.8}
contact_types:
  calls:
    arrivals: {trace: calls.csv}
    handle: {dist: exponential, mean: 4m}
    patience: {dist: exponential, mean: 3m}
agents:
  pool:
    skills: [calls]
    staff: 8
""")
    return path


def test_page_state_of_a_replayed_log(tmp_path):
    session = Session(_replay(tmp_path))
    assert session.error == []
    state = session.state()  # raised TypeError: the server answered nothing
    assert state["defaults"]["agents"] == {"pool": 8}
    rows = (tmp_path / "calls.csv").read_text().splitlines()[1:]
    assert state["calls_per_hour"] == len(rows) / 4  # the replayed day's, over 4 hours


def test_page_runs_a_replayed_log(tmp_path):
    session = Session(_replay(tmp_path))
    try:
        number = session.run({})  # raised TypeError out of the request
        session.wait(120)
        state = session.state()
        assert number is not None and state["result"] is not None and not state["error"]
        # the arrival control: a replayed log's arrivals are the log's, not scaled
        assert session.run({"arrival_factor": 1.5}) is None
        (line,) = session.state()["error"]
        assert "arrival_factor" in line and "replays a call log" in line, line
    finally:
        session.close()
