"""Reading call logs: the same data read alike whatever its file format or its oddities."""

from __future__ import annotations

import pandas as pd

import sim
from sim.calllog import read_call_log


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
