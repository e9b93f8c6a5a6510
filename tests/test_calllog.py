"""Reading call logs: the same data read alike whatever its file format or its oddities."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.calllog import EPOCH, CallLogError, parse_columns, read_call_log
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
        """Blank (CSV) or null (Parquet) ids: only b's second call is a repeat (1 of 5).

        Its delay: 2 h after b's first call arrived, less that call's 1 s wait and 60 s talk.
        """
        path = tmp_path / f"log.{suffix}"
        if suffix == "csv":
            self.frame().to_csv(path, index=False)
        else:
            self.frame().to_parquet(path)
        calls = fit_log(read_call_log(path), 3600.0).types["calls"]
        assert calls.repeat_share == pytest.approx(1 / len(self.ROWS))
        assert calls.repeat_delay == pytest.approx(2 * 3600.0 - 61.0)


def _write(tmp_path, frame: pd.DataFrame, suffix: str):
    path = tmp_path / f"log.{suffix}"
    if suffix == "csv":
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return path


class TestArrivalSeconds:
    """Arrival times in seconds from day 0 are seconds, whatever their size; dates are dates."""

    @pytest.mark.parametrize("suffix", ["csv", "parquet"])
    def test_four_digit_seconds_are_not_years(self, tmp_path, suffix):
        """1999 s is 00:33:19 of day 0, not the year 1999 (nor 3600 the year 3600)."""
        seconds = [500, 1999, 3600, 86400 + 9999]
        frame = pd.DataFrame({"arrival": seconds, "wait": 1.0, "outcome": "answered",
                              "handle": 60.0})
        arrival = read_call_log(_write(tmp_path, frame, suffix)).table["arrival"]
        assert list(arrival) == [EPOCH + pd.Timedelta(seconds=s) for s in seconds]

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.integers(0, 14 * 86400), min_size=1, max_size=30),
           st.sampled_from(["int", "float"]))
    def test_any_seconds_read_back(self, tmp_path_factory, seconds, kind):
        """Whole or fractional seconds of any size, written as text, read back exactly."""
        values = np.asarray(seconds, dtype=int if kind == "int" else float)
        if kind == "float":
            values = values + 0.25
        frame = pd.DataFrame({"arrival": values, "wait": 1.0, "outcome": "answered",
                              "handle": 60.0})
        path = _write(tmp_path_factory.mktemp("log"), frame, "csv")
        arrival = read_call_log(path).table["arrival"]
        expected = sorted(EPOCH + pd.to_timedelta(values, unit="s"))
        assert list(arrival) == expected

    @settings(max_examples=40, deadline=None)
    @given(st.lists(st.datetimes(min_value=pd.Timestamp("1990-01-01").to_pydatetime(),
                                 max_value=pd.Timestamp("2100-01-01").to_pydatetime()),
                    min_size=1, max_size=30),
           st.sampled_from(["%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%d %H:%M:%S.%f"]))
    def test_date_times_read_back(self, tmp_path_factory, times, form):
        """ISO date-times (with T or a space) read back as the same local clock times."""
        stamps = pd.Series(pd.to_datetime(times)).dt.floor("us")
        frame = pd.DataFrame({"arrival": stamps.dt.strftime(form), "wait": 1.0,
                              "outcome": "answered", "handle": 60.0})
        path = _write(tmp_path_factory.mktemp("log"), frame, "csv")
        arrival = read_call_log(path).table["arrival"]
        assert list(arrival) == sorted(stamps)

    @pytest.mark.parametrize(("rows", "message"), [
        ("500\n2026-03-02T08:00:00\n", "row 2: arrival: not a number of seconds"),
        ("\n500\n", "row 1: arrival: not a number of seconds"),
        ("-5\n", "row 1: arrival: must be seconds from day 0, >= 0 and within a century"),
        ("inf\n", "row 1: arrival: must be seconds from day 0, >= 0 and within a century"),
    ])
    def test_bad_seconds_refused(self, tmp_path, rows, message):
        """In a column of seconds, a date-time, a blank or an impossible number is named."""
        path = tmp_path / "log.csv"
        path.write_text("arrival,wait,outcome\n" + "".join(
            f"{r},1,answered\n" for r in rows.splitlines()))
        with pytest.raises(CallLogError, match=f"^{path}: {message}"):
            read_call_log(path)

    def test_seconds_among_date_times_refused(self, tmp_path):
        """A column mixing seconds and date-times has no one day 0: row and column named."""
        path = tmp_path / "log.csv"
        path.write_text("arrival,wait,outcome\n2026-03-02T08:00:00,1,answered\n"
                        "1999,1,answered\n")
        with pytest.raises(CallLogError, match=r"^.*log.csv: row 2: arrival: seconds among "
                                               r"date-times, got '1999'$"):
            read_call_log(path)


class TestTypeNames:
    """Contact types that would share one scenario name are refused, never merged or lost."""

    LOG = ("arrival,contact_type,wait,outcome,handle\n"
           "2026-03-02T08:00:00,a b,1,answered,60\n"
           "2026-03-02T08:10:00,a_b,2,answered,70\n"
           "2026-03-02T08:20:00,a b,3,answered,80\n")
    LINE = "contact_type: 'a b' and 'a_b' both become the scenario name 'a_b'"

    def test_colliding_names_refused(self, tmp_path):
        """'a b' and 'a_b' both become a_b: one line naming both, not one type's rows lost."""
        path = tmp_path / "log.csv"
        path.write_text(self.LOG)
        with pytest.raises(CallLogError, match=f"^{path}: {self.LINE}; rename one"):
            fit_log(read_call_log(path), 1800.0)

    def test_cli_colliding_names_exit_2(self, tmp_path):
        """`ccsim fit` on such a log: one line, exit 2, no scenario written."""
        import subprocess
        import sys

        path = tmp_path / "log.csv"
        path.write_text(self.LOG)
        out = tmp_path / "f.yaml"
        done = subprocess.run([sys.executable, "-m", "sim", "fit", str(path), "--out",
                               str(out), "--no-report"], capture_output=True, text=True)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.splitlines()
        assert line.startswith(f"{path}: {self.LINE}"), line
        assert not out.exists()

    def test_distinct_names_all_counted(self, tmp_path):
        """Types of distinct scenario names keep every row: contacts add up to the log's."""
        path = tmp_path / "log.csv"
        path.write_text(self.LOG.replace(",a_b,", ",a-b,"))
        fit = fit_log(read_call_log(path), 1800.0)
        assert {n: t.contacts for n, t in fit.types.items()} == {"a_b": 2, "a-b": 1}


class TestTransfers:
    """``transfers`` is a count: a blank is none, anything but a whole number >= 0 refused."""

    def log(self, tmp_path, cell: str):
        path = tmp_path / "log.csv"
        path.write_text("arrival,wait,outcome,handle,transfers\n"
                        "2026-03-02T08:00:00,1,answered,60,2\n"
                        f"2026-03-02T08:10:00,1,answered,60,{cell}\n")
        return path

    @pytest.mark.parametrize("cell", ["x", "1.5", "-1", "inf", "nan"])
    def test_not_a_count_refused(self, tmp_path, cell):
        """'x' is not 0 transfers: one line naming row and column."""
        path = self.log(tmp_path, cell)
        with pytest.raises(CallLogError, match=f"^{path}: row 2: transfers: must be a whole "
                                               f"number >= 0, got '{cell}'$"):
            read_call_log(path)

    def test_blank_is_none(self, tmp_path):
        """A blank cell is no transfer (as the README says): 2 transfers over 2 answered."""
        calls = fit_log(read_call_log(self.log(tmp_path, "")), 1800.0).types["calls"]
        assert calls.transfer_share == pytest.approx(2 / 2)


class TestDuplicateColumns:
    """A column named twice is refused: which one was meant? never the second renamed."""

    LOG = ("arrival,wait,outcome,handle,outcome\n"
           "2026-03-02T08:00:00,1,answered,60,abandoned\n"
           "2026-03-02T08:10:00,2,answered,70,abandoned\n")
    LINE = r"outcome: the header names this column twice \(columns 3 and 5\)"

    def test_csv_refused(self, tmp_path):
        """Two `outcome`s: the second was read as `outcome.1`, the log as all answered."""
        path = tmp_path / "log.csv"
        path.write_text(self.LOG)
        with pytest.raises(CallLogError, match=f"^{path}: {self.LINE}; keep one$"):
            read_call_log(path)

    def test_parquet_refused(self, tmp_path):
        """A Parquet file's schema may name a column twice: the same line."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        path = tmp_path / "log.parquet"
        pq.write_table(pa.table([pa.array(["2026-03-02T08:00:00"]), pa.array([1.0]),
                                 pa.array(["answered"]), pa.array([60.0]),
                                 pa.array(["abandoned"])],
                                names=["arrival", "wait", "outcome", "handle", "outcome"]),
                       path)
        with pytest.raises(CallLogError, match=f"^{path}: {self.LINE}; keep one$"):
            read_call_log(path)

    def test_blank_header_cells_are_not_duplicates(self, tmp_path):
        """Trailing commas (blank names, never read) in an exported header are no fault."""
        path = tmp_path / "log.csv"
        path.write_text("arrival,wait,outcome,,\n2026-03-02T08:00:00,1,answered,,\n")
        assert read_call_log(path).table["outcome"].tolist() == ["answered"]

    def test_mapped_onto_a_column_of_that_name_refused(self, tmp_path):
        """--columns arrival=CallStart in a log that has an `arrival` too: two arrivals."""
        path = tmp_path / "log.csv"
        path.write_text("arrival,CallStart,wait,outcome\n"
                        "2026-03-02T08:00:00,2026-03-02T09:00:00,1,answered\n")
        with pytest.raises(CallLogError, match=f"^{path}: arrival: the log has a column "
                                               "'arrival' and --columns maps 'CallStart' to "
                                               "it; map the one meant, rename the other$"):
            read_call_log(path, {"arrival": "CallStart"})

    def test_mapped_column_missing_refused(self, tmp_path):
        """--columns arrival=Strat (a typo) was ignored and the log's own `arrival` read."""
        path = tmp_path / "log.csv"
        path.write_text("arrival,Start,wait,outcome\n"
                        "2026-03-02T08:00:00,2026-03-02T09:00:00,1,answered\n")
        with pytest.raises(CallLogError, match=f"^{path}: arrival: --columns maps 'Strat' "
                                               "to it, but the log has no such column "
                                               r"\(columns: arrival, Start, wait, outcome\)$"):
            read_call_log(path, {"arrival": "Strat"})

    def test_one_column_mapped_to_two_names_refused(self):
        """wait=Q,handle=Q: the file's Q can be read as one of them only; the first was lost."""
        with pytest.raises(ValueError, match=r"^'Q' is mapped twice \('wait', then 'handle'\)$"):
            parse_columns("arrival=A,wait=Q,handle=Q")

    @pytest.mark.parametrize("command", ["fit", "backtest", "trace"])
    def test_cli_exit_2(self, tmp_path, command):
        """`ccsim fit`, `ccsim backtest` and a scenario replaying the log: one line, exit 2."""
        import subprocess
        import sys

        path = tmp_path / "log.csv"
        path.write_text(self.LOG)
        scenario = tmp_path / "s.yaml"
        scenario.write_text(
            "name: s\nopen: '08:00'\nclose: '09:00'\ncontact_types:\n  calls:\n"
            "    arrivals: {" + ("trace: log.csv" if command == "trace" else "rate: 5/h")
            + "}\n    handle: {dist: exponential, mean: 1m}\n"
            "agents:\n  pool: {skills: [calls], staff: 1}\n")
        args = {"fit": ["fit", str(path), "--out", str(tmp_path / "f.yaml"), "--no-report"],
                "backtest": ["backtest", str(scenario), str(path), "--out",
                             str(tmp_path / "b.png")],
                "trace": ["validate", str(scenario)]}[command]
        done = subprocess.run([sys.executable, "-m", "sim", *args], capture_output=True,
                              text=True)
        assert done.returncode == 2, done.stderr
        (line,) = done.stderr.splitlines()
        shown = "log.csv" if command == "trace" else str(path)
        assert re.search(f"{re.escape(shown)}: {self.LINE}", line), line


class TestRaggedRows:
    """A row with more fields than the header: a trailing comma is no fault, a value is.

    pandas took rows one field longer than the header as an index column and read every
    column one to the left, so a log exported with a trailing comma on each row was
    refused with `outcome: ... got '60'` (the handle), and one longer row in the middle
    with pandas' own `Error tokenizing data ... line 3`, not the row and the reason.
    """

    HEADER = "arrival,wait,outcome,handle\n"

    def write(self, tmp_path, rows: str):
        """The log of these rows under :attr:`HEADER`."""
        path = tmp_path / "log.csv"
        path.write_text(self.HEADER + rows)
        return path

    @pytest.mark.parametrize("rows", [
        "2026-03-02T08:00:00,1,answered,60,\n2026-03-02T08:01:00,2,answered,70,\n",
        "2026-03-02T08:00:00,1,answered,60\n2026-03-02T08:01:00,2,answered,70, ,\n",
    ])
    def test_trailing_blank_fields_read(self, tmp_path, rows):
        """Blank fields after the header's last column are not read, as blank header cells."""
        table = read_call_log(self.write(tmp_path, rows)).table
        assert table["outcome"].tolist() == ["answered"] * 2
        assert table["handle"].tolist() == [60.0, 70.0]
        assert table["wait"].tolist() == [1.0, 2.0]

    @pytest.mark.parametrize("rows", [
        "2026-03-02T08:00:00,1,answered,60,x\n2026-03-02T08:01:00,2,answered,70,y\n",
        "2026-03-02T08:00:00,1,answered,60\n2026-03-02T08:01:00,2,answered,70,y\n",
    ])
    def test_values_beyond_the_header_refused(self, tmp_path, rows):
        """A value beyond the header's columns: which column was it? one line, the row."""
        path = self.write(tmp_path, rows)
        row = 1 if rows.startswith("2026-03-02T08:00:00,1,answered,60,x") else 2
        with pytest.raises(CallLogError, match=(
                f"^{re.escape(str(path))}: row {row}: 5 fields, but the header names 4 "
                "columns; a column's name is missing from the header, or a value has a "
                "comma unquoted$")):
            read_call_log(path)


class TestAbsurdDurations:
    """A wait or handle time beyond a year is no contact's: refused, never fitted or run."""

    YEAR = 366 * 86400.0

    def log(self, folder, column: str = "wait", cell: str = "1") -> str:
        """Two days of 30 calls each; row 8 (answered) has ``cell`` in ``column``."""
        rows = ["arrival,wait,outcome,handle"]
        for i in range(60):
            day, k = divmod(i, 30)
            outcome = "abandoned" if k % 6 == 0 else "answered"
            rows.append(f"2026-03-0{2 + day}T{8 + k // 10:02d}:{k % 10 * 6:02d}:00,"
                        f"{5 + k % 7},{outcome},{'' if outcome == 'abandoned' else 60 + 9 * k}")
        cells = rows[8].split(",")
        cells[{"wait": 1, "handle": 3}[column]] = cell
        rows[8] = ",".join(cells)
        (folder / "log.csv").write_text("\n".join(rows) + "\n")
        (folder / "s.yaml").write_text(
            "name: s\ndays: 2\nopen: '08:00'\nclose: '11:00'\ninterval: 30m\n"
            "contact_types:\n  calls:\n    arrivals: {trace: log.csv, trace_handle: true}\n"
            "    handle: {dist: exponential, mean: 2m}\n"
            "    patience: {dist: exponential, mean: 1m}\n"
            "agents:\n  pool: {skills: [calls], staff: 2}\n")
        return str(folder / "log.csv")

    @staticmethod
    def ccsim(*args: str):
        """Run ccsim with every warning an error (numpy's overflow warnings too)."""
        import subprocess
        import sys

        return subprocess.run([sys.executable, "-W", "error", "-m", "sim", *args],
                              capture_output=True, text=True)

    @pytest.mark.parametrize("column", ["wait", "handle"])
    @pytest.mark.parametrize("cell", ["1e308", "1e12", "31622401"])
    def test_refused(self, tmp_path, column, cell):
        """1e308 s overflowed in the fit (and in a replay's occupancy): row and column named."""
        path = self.log(tmp_path, column, cell)
        with pytest.raises(CallLogError, match=f"^{path}: row 8: {column}: must be under a "
                                               rf"year \(366 days\), got '{cell}'$"):
            read_call_log(path)

    TIMED = ("arrival,answer,end,outcome",
             "2026-03-02T08:00:00,2026-03-02T08:00:10,2026-03-02T08:02:00,answered")
    # an end beside a handle column times the contact too (a repeat's delay runs from it)
    ENDED = ("arrival,wait,handle,end,outcome",
             "2026-03-02T08:00:00,10,110,2026-03-02T08:02:00,answered")

    @pytest.mark.parametrize(("log", "second", "message"), [
        (TIMED, "2026-03-02T08:01:00,2062-03-02T08:01:10,2062-03-02T08:03:00,answered",
         "answer: must be under a year after arrival, got '2062-03-02T08:01:10'"),
        (TIMED, "2026-03-02T08:01:00,2026-03-02T08:01:10,2062-03-02T08:03:00,answered",
         "end: must be under a year after answer, got '2062-03-02T08:03:00'"),
        (ENDED, "2026-03-02T08:01:00,10,110,2026-03-02T07:59:00,answered",
         "end: must not be before arrival, got '2026-03-02T07:59:00'"),
        (ENDED, "2026-03-02T08:01:00,10,110,2062-03-02T08:03:00,answered",
         "end: must be under a year after arrival, got '2062-03-02T08:03:00'"),
    ])
    def test_timestamps_a_year_apart_refused(self, tmp_path, log, second, message):
        """An answer or end typed 2062 for 2026 is no wait or handle time; nor an early end.

        An end before the arrival, or a year after it, times no contact either.
        """
        path = tmp_path / "log.csv"
        path.write_text("\n".join((*log, second)) + "\n")
        with pytest.raises(CallLogError, match=f"^{path}: row 2: {message}$"):
            read_call_log(path)

    @pytest.mark.parametrize("column", ["wait", "handle"])
    def test_cli_exit_2_without_warnings(self, tmp_path, column):
        """`ccsim fit` and a replay of the log under -W error: one line, exit 2."""
        path = self.log(tmp_path, column, "1e308")
        for args, shown in ((["fit", path, "--out", str(tmp_path / "f.yaml"), "--no-report"],
                             path),
                            (["run", str(tmp_path / "s.yaml"), "--no-report", "--out",
                              str(tmp_path / "run")], "s.yaml: contact_types.calls.arrivals.trace: "
                                                      "log.csv")):
            done = self.ccsim(*args)
            assert done.returncode == 2, done.stderr
            (line,) = done.stderr.splitlines()
            assert f"{shown}: row 8: {column}: must be under a year" in line, line

    @pytest.mark.parametrize("column", ["wait", "handle"])
    def test_longest_accepted_runs_without_warnings(self, tmp_path, column):
        """A year less a second in either column: fit, backtest and replay warn of nothing."""
        path = self.log(tmp_path, column, str(self.YEAR - 1))
        fitted = str(tmp_path / "f.yaml")
        for args in (["fit", path, "--out", fitted],
                     ["backtest", fitted, path, "--replications", "2", "--out",
                      str(tmp_path / "b.png")],
                     ["run", str(tmp_path / "s.yaml"), "--no-report", "--out",
                      str(tmp_path / "run")]):
            done = self.ccsim(*args)
            assert done.returncode == 0, done.stderr
            assert "Warning" not in done.stderr, done.stderr
