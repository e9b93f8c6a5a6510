"""A page field refuses what a person never writes for a number, as the command line does.

``float()`` took ``1_0`` as 10 and full-width digits: typed in the handle-time field,
``1_0`` ran 10-second calls (the command line refuses both since 1508175).
"""

from __future__ import annotations

import pytest

from sim.app.fields import read_number


@pytest.mark.parametrize("typed", ["1_0", "１０", "infinity", "nan", "0x10", "1,5", "abc"])
def test_what_a_person_never_writes_is_refused(typed):
    problems = []
    assert read_number("aht", typed, problems) is None
    assert problems and problems[0][0] == "aht"
    assert problems[0][1].endswith(f"got {typed!r}")


@pytest.mark.parametrize(("typed", "value"), [("10", 10.0), (" 12.5 ", 12.5), (".5", 0.5),
                                              ("1e3", 1000.0), ("+2", 2.0), (7, 7.0),
                                              (0.25, 0.25)])
def test_numbers_as_people_write_them_are_read(typed, value):
    problems = []
    assert read_number("aht", typed, problems) == value
    assert problems == []
