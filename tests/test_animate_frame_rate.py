"""A GIF is refused a frame rate browsers will not play: more than 50 frames a second.

A GIF stores each frame's delay in hundredths of a second, and Chromium and Firefox show
a frame of 1/100 s or less for 1/10 s (against flicker). `ccsim animate --fps 60 --out
day.gif` (--fps allows 1 to 60) wrote frames of 1/100 s and said '9 frames, 0.1s at 60
fps': in a browser the film played at 10 frames a second, six times slower than said.
HTML and MP4 play 60 frames a second, as asked.
"""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner

import sim
from sim.animate import animate
from sim.cli import main
from sim.loader import scenario_from_dict

SMALL = {"name": "small", "days": 1, "open": "08:00", "close": "10:00", "interval": "1h",
         "contact_types": {"calls": {"arrivals": {"rate": "30/h"},
                                     "handle": {"dist": "exponential", "mean": "4m"}}},
         "agents": {"pool": {"skills": ["calls"], "staff": 3}}}


@pytest.mark.parametrize("fps", [51, 60])
def test_cli_refuses_a_gif_faster_than_browsers_play(tmp_path, fps):
    """One line naming --fps and the limit, exit 2, nothing written."""
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    out = tmp_path / "day.gif"
    done = CliRunner().invoke(main, ["animate", str(path), "--out", str(out), "--fps",
                                     str(fps), "--step", "1h", "--quiet"])
    assert done.exit_code == 2, done.output
    lines = done.output.strip().splitlines()
    assert len(lines) == 1 and "--fps" in lines[0] and "50" in lines[0], lines
    assert "Traceback" not in done.output
    assert list(tmp_path.iterdir()) == [path]


def test_cli_plays_60_frames_a_second_in_html(tmp_path):
    """The same --fps 60 into .html: written."""
    path = tmp_path / "small.yaml"
    path.write_text(yaml.safe_dump(SMALL))
    out = tmp_path / "day.html"
    done = CliRunner().invoke(main, ["animate", str(path), "--out", str(out), "--fps", "60",
                                     "--step", "1h", "--quiet"])
    assert done.exit_code == 0, done.output
    assert out.is_file()


def test_animate_refuses_a_fast_gif_before_drawing(tmp_path):
    """animate(fps=60) into a GIF: ValueError naming 'fps', no file."""
    result = sim.run(scenario_from_dict(SMALL), seed=1)
    with pytest.raises(ValueError, match=r"'fps'.*50.*got 60"):
        animate(result, tmp_path / "day.gif", step=3600.0, fps=60)
    assert list(tmp_path.iterdir()) == []
    assert animate(result, tmp_path / "day.gif", step=3600.0, fps=50).is_file()
