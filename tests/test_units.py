"""Units: durations, rates and clock times."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.units import format_duration, parse_clock, parse_duration, parse_rate


class TestParseDuration:
    @pytest.mark.parametrize(
        ("text", "seconds"),
        [("30s", 30), ("4m", 240), ("1.5h", 5400), ("2d", 172800), (45, 45), ("90", 90),
         (" 2 min ", 120), (".5m", 30)],
    )
    def test_units(self, text, seconds):
        """Each unit converts to seconds."""
        assert parse_duration(text) == seconds

    @pytest.mark.parametrize(
        ("text", "seconds"),
        [("30sec", 30), ("30 secs", 30), ("1 second", 1), ("4min", 240), ("4 mins", 240),
         ("4 minutes", 240), ("1 minute", 60), ("2hr", 7200), ("2hrs", 7200), ("2 hours", 7200),
         ("1 hour", 3600), ("1 day", 86400), ("2days", 172800), ("4 Min", 240)],
    )
    def test_common_spellings(self, text, seconds):
        """The unit spellings people type (sec, min, hr, hours, days...) mean what they say."""
        assert parse_duration(text) == seconds

    @pytest.mark.parametrize("bad", ["4 fortnights", "m", "", "4mm", "4 mon", "4 ms", True, None,
                                     [1], "inf", math.nan])
    def test_rejects(self, bad):
        """Anything that is not a finite number with a known unit is rejected with an example."""
        with pytest.raises(ValueError, match="duration like 30s"):
            parse_duration(bad)

    @given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
    def test_number_with_unit_roundtrip(self, minutes):
        """'<x>m' is x * 60 seconds for any x."""
        assert parse_duration(f"{minutes!r}m") == pytest.approx(minutes * 60)


class TestParseRate:
    @pytest.mark.parametrize(
        ("text", "per_second"),
        [("600/h", 600 / 3600), ("10/m", 10 / 60), ("14400/d", 14400 / 86400), (0.5, 0.5),
         ("3 / s", 3.0)],
    )
    def test_units(self, text, per_second):
        """Rates convert to events per second."""
        assert parse_rate(text) == pytest.approx(per_second)

    @pytest.mark.parametrize(
        ("text", "per_second"),
        [("600/hr", 600 / 3600), ("600 / hour", 600 / 3600), ("10/min", 10 / 60),
         ("10/minute", 10 / 60), ("3/sec", 3.0), ("14400/day", 14400 / 86400)],
    )
    def test_common_spellings(self, text, per_second):
        """Rates accept the same unit spellings as durations (600/hr, 10/min)."""
        assert parse_rate(text) == pytest.approx(per_second)

    @pytest.mark.parametrize("bad", ["600", "600/week", "/h", "fast", "600/hrs x"])
    def test_rejects(self, bad):
        """A rate needs a number and a time unit."""
        with pytest.raises(ValueError, match="rate like 600/h"):
            parse_rate(bad)


class TestParseClock:
    @pytest.mark.parametrize(
        ("text", "seconds"), [("08:00", 28800), ("8:30", 30600), ("24:00", 86400), ("00:00:30", 30)]
    )
    def test_clock(self, text, seconds):
        """Clock times are seconds after midnight."""
        assert parse_clock(text) == seconds

    @pytest.mark.parametrize("bad", ["25:00", "8h", "08:60", "noon", -1])
    def test_rejects(self, bad):
        """Times outside one day or not HH:MM are rejected."""
        with pytest.raises(ValueError, match="clock time"):
            parse_clock(bad)


class TestFormatDuration:
    @pytest.mark.parametrize(("seconds", "text"), [(45, "45s"), (240, "4m"), (5400, "1.5h"),
                                                   (86400, "1d")])
    def test_format(self, seconds, text):
        """Durations print in the largest sensible unit."""
        assert format_duration(seconds) == text
