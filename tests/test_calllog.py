"""Reading call logs: the same data read alike whatever its file format or its oddities."""

from __future__ import annotations

import pandas as pd
import pytest

import sim
from sim.calllog import read_call_log
from sim.fit import fit_log


class TestSameData:
    """CSV and Parquet of one table are one log."""

    def test_ccsim_contacts_as_csv_read_like_the_parquet(self, tmp_path):
        """Contacts of ccsim saved as CSV (all text) give the parquet's log, row for row."""
        result = sim.run(sim.load_scenario("scenarios/erlang_a.yaml"), seed=1)
        result.contacts.to_parquet(tmp_path / "contacts.parquet")
        result.contacts.to_csv(tmp_path / "contacts.csv", index=False)
        parquet = read_call_log(tmp_path / "contacts.parquet").table
        csv = read_call_log(tmp_path / "contacts.csv").table
        pd.testing.assert_frame_equal(csv.astype({"customer": str}),
                                      parquet.astype({"customer": str}),
                                      check_exact=False, rtol=1e-12)


class TestCustomers:
    """Repeat contacts are the same known customer's; an unknown caller is nobody's repeat."""

    ROWS = (("2026-03-02T08:00:00", None), ("2026-03-02T09:00:00", None),
            ("2026-03-02T10:00:00", "b"), ("2026-03-02T11:00:00", None),
            ("2026-03-02T12:00:00", "b"))

    def frame(self) -> pd.DataFrame:
        """Five answered calls: two of customer b, three with no customer id."""
        return pd.DataFrame({"arrival": [a for a, _ in self.ROWS], "wait": 1.0,
                             "outcome": "answered", "handle": 60.0,
                             "customer": [c for _, c in self.ROWS]})

    @pytest.mark.parametrize("suffix", ["csv", "parquet"])
    def test_missing_customers_are_not_one_customer(self, tmp_path, suffix):
        """Blank (CSV) or null (Parquet) ids: only b's second call is a repeat (1 of 5)."""
        path = tmp_path / f"log.{suffix}"
        if suffix == "csv":
            self.frame().to_csv(path, index=False)
        else:
            self.frame().to_parquet(path)
        calls = fit_log(read_call_log(path), 3600.0).types["calls"]
        assert calls.repeat_share == pytest.approx(1 / len(self.ROWS))
        assert calls.repeat_delay == pytest.approx(2 * 3600.0)
