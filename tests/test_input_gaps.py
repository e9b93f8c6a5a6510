"""Input that used to get past validation: each is refused in one line, or runs.

Found by mutating the bundled scenarios through `ccsim validate` and then `ccsim run`
(one replication, one day): what `validate` accepts, `run` must run, and a run must
measure something. Oracles are computed here, independently of the loader's rules.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sim.loader import ScenarioError, scenario_from_dict
from sim.units import DAY

HOUR = 3600


def _scenario(**fields) -> dict:
    data = {"name": "gap", "days": 1, "open": "08:00", "close": "09:00", "interval": "30m",
            "contact_types": {"calls": {"arrivals": {"rate": "20/h"},
                                        "handle": {"dist": "exponential", "mean": "4m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 2}}}
    data.update(fields)
    return data


def _problems(data: dict) -> list[str]:
    try:
        scenario_from_dict(data, source="gap.yaml")
    except ScenarioError as exc:
        return exc.lines()
    return []


class TestMeasuredWindow:
    @settings(derandomize=True, max_examples=60, deadline=None)
    @given(days=st.integers(1, 4), open_h=st.integers(0, 22), hours=st.integers(1, 24),
           warmup_h=st.integers(0, 4 * 24))
    def test_warmup_is_refused_exactly_when_it_leaves_no_opening_hours(
            self, days, open_h, hours, warmup_h):
        """A warmup is valid iff the window after it holds some opening time.

        Contacts arrive only in opening hours, so a warmup that ends at or after the last
        day's closing leaves a run that measures nothing (every KPI 0 or empty) and said
        nothing about why; it must be a one-line problem on `warmup` instead.
        """
        close_h = min(open_h + hours, 24)
        data = _scenario(days=days, open=open_h * HOUR, close=close_h * HOUR,
                         interval="1h", warmup=warmup_h * HOUR)
        # oracle: some day d has opening hours after the warmup
        measured = any(d * DAY + close_h * HOUR > warmup_h * HOUR for d in range(days))
        lines = _problems(data)
        if measured:
            assert lines == []
        else:
            assert len(lines) == 1 and lines[0].startswith("gap.yaml: warmup: "), lines

