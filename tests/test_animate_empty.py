"""An animation of a replication without contacts: an empty floor and queue, and a note.

A day without contacts (a center closed that day, or no demand in a small scenario) is
something to show, not an error: the agents on duty sit idle, the queue stays at zero,
and a note says why nothing moves. It was refused as 'no replication 1 in these results'
because the replication was looked for among the contacts.
"""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from PIL import Image

import sim
from sim.animate import animate, build_animation
from sim.cli import main
from sim.loader import scenario_from_dict

QUIET = {"name": "quiet", "days": 1, "open": "08:00", "close": "12:00", "interval": "1h",
         "contact_types": {"calls": {"arrivals": {"per_interval": [0, 0, 0, 0]},
                                     "handle": {"dist": "exponential", "mean": "4m"}}},
         "agents": {"pool": {"skills": ["calls"], "staff": 3}}}


def _texts(anim) -> list[str]:
    return [t.get_text() for t in anim._fig.findobj(match=lambda a: hasattr(a, "get_text"))]


def test_a_replication_without_contacts_is_drawn_with_a_note(tmp_path):
    """Every frame drawn; the note says the day had no contacts; 3 idle seats."""
    result = sim.run(scenario_from_dict(QUIET), seed=1, replications=2)
    assert result.contacts.empty and result.n_replications == 2
    anim = build_animation(result, replication=1, step=1800.0)
    assert any("No contacts" in text for text in _texts(anim)), _texts(anim)
    assert any("0 of 3 agents busy, 0 waiting" in text for text in _texts(anim))
    path = animate(result, tmp_path / "day.gif", replication=1, step=1800.0)
    with Image.open(path) as gif:
        assert gif.n_frames == 9  # 08:00 to 12:00 every half hour


def test_a_replication_not_run_is_still_refused():
    """Replication 3 of a run of 2: refused, as before."""
    result = sim.run(scenario_from_dict(QUIET), seed=1, replications=2)
    with pytest.raises(ValueError, match=r"^no replication 3 in these results$"):
        build_animation(result, replication=2, step=1800.0)


def test_cli_animates_a_day_without_contacts(tmp_path):
    """`ccsim animate` writes the file, exit 0."""
    import yaml

    path = tmp_path / "quiet.yaml"
    path.write_text(yaml.safe_dump(QUIET))
    out = tmp_path / "day.gif"
    done = CliRunner().invoke(main, ["animate", str(path), "--out", str(out),
                                             "--step", "1h", "--quiet"])
    assert done.exit_code == 0, done.output
    assert out.is_file()
