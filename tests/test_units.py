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

    @pytest.mark.parametrize("bad", ["4 minutes", "m", "", "4mm", True, None, [1], "inf", math.nan])
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

    @pytest.mark.parametrize("bad", ["600", "600/week", "/h", "fast"])
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
