"""Durations, rates, clock times and limits refuse what a person never writes for a number.

The command line's options refuse ``1_0`` and full-width digits (1508175, 39a9f22);
durations, rates and clock times took full-width digits (``--aht ４m`` was 240 s,
``open: "０8:00"`` 08:00), and the ``CCSIM_MAX_*`` variables took ``1_0`` as 10, through
``float()`` (found by the reviews of those commits). One rule for every number typed.
"""

from __future__ import annotations

import pytest

from sim import limits
from sim.units import parse_clock, parse_duration, parse_rate


@pytest.mark.parametrize(("parse", "typed"), [
    (parse_duration, "４m"), (parse_duration, "1０s"), (parse_rate, "６0/h"),
    (parse_clock, "０8:00"), (parse_clock, "08:３0")])
def test_full_width_digits_are_refused(parse, typed):
    with pytest.raises(ValueError, match=f"got '{typed}'"):
        parse(typed)


@pytest.mark.parametrize(("parse", "typed", "value"), [
    (parse_duration, "4m", 240.0), (parse_duration, "1.5h", 5400.0),
    (parse_rate, "60/h", 60 / 3600), (parse_clock, "08:30", 30600.0)])
def test_ascii_forms_still_read(parse, typed, value):
    assert parse(typed) == pytest.approx(value)


@pytest.mark.parametrize("typed", ["1_0", "１０", "nan", "inf", "0x10"])
def test_a_limit_variable_refuses_them(monkeypatch, typed):
    monkeypatch.setenv(limits.DAYS.env, typed)
    with pytest.raises(ValueError, match=limits.DAYS.env):
        limits.DAYS.value()


@pytest.mark.parametrize(("typed", "value"), [("7320", 7320), (" 10 ", 10), ("1e4", 10_000)])
def test_a_limit_variable_reads_numbers(monkeypatch, typed, value):
    monkeypatch.setenv(limits.DAYS.env, typed)
    assert limits.DAYS.value() == value
