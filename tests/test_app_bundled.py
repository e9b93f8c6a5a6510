"""The page names a bundled scenario wherever the server was started from.

The page recognised one only by a source starting ``scenarios/``: started outside the
project (an installed ccsim, an absolute path), the list showed "(your file)".
"""

from __future__ import annotations

from pathlib import Path

from sim.app.model import Session

ROOT = Path(__file__).resolve().parents[1] / "scenarios"


def test_a_bundled_scenario_is_named_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # (not the project: its source is an absolute path)
    session = Session(str(ROOT / "erlang_a.yaml"))
    state = session.state()
    assert state["source"] == str(ROOT / "erlang_a.yaml") and state["bundled"] == "erlang_a"
    assert session.open_bundled("small_bank") and session.state()["bundled"] == "small_bank"
    text = (ROOT / "erlang_c.yaml").read_text()
    assert session.open_yaml(text, "erlang_c.yaml") and session.state()["bundled"] is None
