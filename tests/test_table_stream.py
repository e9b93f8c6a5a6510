"""Contacts and legs written while a run runs, raw tables stacked only when read.

`sim.table_stream` writes; `sim.replicate.Stacked` stacks.

Parity: what `ccsim run` streams to disk reads back as exactly the tables `sim.run`
returns and the ones written in one piece after the run (same rows, order, columns and
types), for plain calls and journeys, all replications kept or only some. A run that
fails leaves the folder as it was: its earlier results sealed and readable, no temporary
file behind.
"""

import os
import pickle
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from helpers import assert_same_table

import sim
from sim import output
from sim import replicate as replicate_module
from sim.cli import main
from sim.replicate import Parts
from sim.results_folder import read_run, table_metadata, write_run
from sim.table_stream import TableStream

ROOT = Path(__file__).resolve().parents[1]
CASES = [("small_bank", None), ("fraud_consult", None), ("refund_vs_relations", 2)]


def _cli(*args: str) -> None:
    result = CliRunner().invoke(main, list(args))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(("name", "keep"), CASES)
def test_streamed_files_hold_the_run_tables(tmp_path, name, keep):
    path = ROOT / "scenarios" / f"{name}.yaml"
    scenario = sim.load_scenario(path, overrides={"days": 1})
    out = tmp_path / "streamed"
    keep_args = ["--keep-contacts", str(keep)] if keep else []
    _cli("run", str(path), "--set", "days=1", "-r", "3", "--seed", "5", "--workers", "1",
         "--no-report", "-q", "--out", str(out), *keep_args)
    result = sim.run(scenario, seed=5, replications=3, keep_contacts=keep)
    whole = tmp_path / "whole"
    write_run(result, whole)  # the tables stacked, then written in one piece
    for table in ("contacts", "legs"):
        streamed_file, whole_file = out / f"{table}.parquet", whole / f"{table}.parquet"
        assert streamed_file.exists() == whole_file.exists(), table
        if not whole_file.exists():
            assert table == "legs" and len(result.legs) == 0
            continue
        streamed = pd.read_parquet(streamed_file)
        assert_same_table(streamed, pd.read_parquet(whole_file))
        # the same schema, metadata included (contacts: the run's week, sim.saved_week)
        assert pq.read_schema(streamed_file) == pq.read_schema(whole_file)
        assert (pq.read_schema(streamed_file).metadata
                == pq.read_schema(whole_file).metadata), table
        assert_same_table(streamed, getattr(result, table))
    assert output.verify(out)["files"].keys() == output.verify(whole)["files"].keys()
    # the report's redraw measures the streamed tables again: the run's KPIs, to the bit
    assert read_run(out).summary == result.summary


def test_a_failed_run_leaves_the_earlier_results_and_no_temporaries(tmp_path, monkeypatch):
    path = ROOT / "scenarios" / "small_bank.yaml"
    out = tmp_path / "run"
    _cli("run", str(path), "--set", "days=1", "-r", "2", "--no-report", "-q", "--out", str(out),
         "--workers", "1")
    before = output.verify(out)
    added = replicate_module.Collector.add

    def fail_on_the_third(self, tables):
        if tables.replication == 2:
            raise RuntimeError("simulated failure")
        added(self, tables)

    monkeypatch.setattr(replicate_module.Collector, "add", fail_on_the_third)
    result = CliRunner().invoke(main, ["run", str(path), "--set", "days=1", "-r", "4",
                                       "--seed", "9", "--no-report", "-q", "--out", str(out),
                                       "--workers", "1"])
    assert result.exit_code != 0
    assert not list(out.glob(".*.tmp"))  # two replications had been streamed: removed
    assert output.verify(out) == before  # the earlier run: still sealed, unchanged


def test_stale_temporaries_go_but_the_streams_own_stay(tmp_path):
    scenario = sim.load_scenario(ROOT / "scenarios" / "small_bank.yaml", overrides={"days": 1})
    out = tmp_path / "run"
    out.mkdir()
    stale = out / ".contacts.parquet.killed.tmp"  # from a run killed while writing
    stale.write_bytes(b"half a file")
    stream = TableStream(out, table_metadata(scenario))
    result = sim.run(scenario, seed=3, replications=2, stream=stream)
    streaming = list(out.glob(".*.pid*.tmp"))
    assert [p.name.split(".pid")[0] for p in streaming] == [".contacts.parquet"]  # no legs
    write_run(result, out, stream)
    assert isinstance(vars(result)["contacts"], Parts)  # written without being stacked
    assert not stale.exists() and not list(out.glob(".*.tmp"))
    assert pq.ParquetFile(out / "contacts.parquet").metadata.num_rows == len(result.contacts)
    assert_same_table(pd.read_parquet(out / "contacts.parquet"), result.contacts)


def test_a_stream_without_the_runs_week_is_refused(tmp_path):
    """The contacts must carry their run's week: a stream opened without it is not moved in."""
    scenario = sim.load_scenario(ROOT / "scenarios" / "small_bank.yaml", overrides={"days": 1})
    with TableStream(tmp_path) as stream:
        result = sim.run(scenario, seed=3, replications=1, stream=stream)
        with pytest.raises(ValueError, match="give TableStream table_metadata"):
            write_run(result, tmp_path, stream)
    assert not (tmp_path / "contacts.parquet").exists()


def test_raw_tables_are_stacked_when_first_read():
    scenario = sim.load_scenario(ROOT / "scenarios" / "fraud_consult.yaml",
                                 overrides={"days": 1})
    result = sim.run(scenario, seed=2, replications=3)
    assert all(isinstance(vars(result)[t], Parts) for t in ("contacts", "issues", "legs", "staff"))
    copy = pickle.loads(pickle.dumps(result))  # sent between processes unstacked
    again = sim.RunResult(**vars(result))  # built from another's fields
    parts = [sim.run(scenario, seed=2, replications=1).contacts]  # replication 0 alone
    for table in ("contacts", "issues", "legs", "staff"):
        stacked = getattr(result, table)
        assert isinstance(stacked, pd.DataFrame) and vars(result)[table] is stacked
        assert getattr(result, table) is stacked  # stacked once
        assert list(stacked["replication"].unique()) == [0, 1, 2]
        assert isinstance(stacked.index, pd.RangeIndex) and stacked.index.start == 0
        assert_same_table(getattr(copy, table), stacked)
        assert_same_table(getattr(again, table), stacked)
    first = result.contacts[result.contacts["replication"] == 0]
    assert_same_table(first, parts[0])


def test_a_run_to_a_precision_streams_every_batch(tmp_path):
    """Replications run in batches until the target is met: every batch reaches the file."""
    path = ROOT / "scenarios" / "small_bank.yaml"
    out = tmp_path / "precise"
    _cli("run", str(path), "--set", "days=2", "-r", "10", "--precision", "asa=10%",
         "--max-replications", "30", "--seed", "4", "--workers", "2", "--no-report", "-q",
         "--out", str(out))
    scenario = sim.load_scenario(path, overrides={"days": 2})  # over 100,000: 2 workers
    result = sim.run(scenario, seed=4, replications=10, precision={"asa": "10%"},
                     max_replications=30)
    assert result.n_replications > 10  # more than one batch
    streamed = pd.read_parquet(out / "contacts.parquet")
    assert streamed["replication"].nunique() == result.n_replications
    assert_same_table(streamed, result.contacts)


def test_interrupted_while_opening_its_file_leaves_nothing(tmp_path, monkeypatch):
    """Ctrl-C after the temporary file exists but before its writer is kept: it goes too.

    Before, the temporary (and so the folder made for it) stayed: the window in which
    ``test_a_killed_run_leaves_nothing_behind`` once failed.
    """
    scenario = sim.load_scenario(ROOT / "scenarios" / "small_bank.yaml",
                                 overrides={"days": 1})
    out = tmp_path / "new" / "run"

    def interrupted(*_args, **_kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(pq, "ParquetWriter", interrupted)
    with pytest.raises(KeyboardInterrupt), TableStream(out) as stream:
        sim.run(scenario, seed=1, replications=1, stream=stream)
    assert not (tmp_path / "new").exists(), list(tmp_path.rglob("*"))


def test_two_runs_into_one_folder_the_last_to_finish_wins(tmp_path):
    """A run finishing while another streams into the same folder leaves the other's files.

    Before, the first to finish removed the other's temporaries as stale, the other then
    unsealed the folder and failed: both results lost.
    """
    scenario = sim.load_scenario(ROOT / "scenarios" / "fraud_consult.yaml",
                                 overrides={"days": 1})
    out = tmp_path / "shared"
    first, second = (TableStream(out, table_metadata(scenario)) for _ in range(2))
    result_a = sim.run(scenario, seed=1, replications=2, stream=first)  # still streaming
    result_b = sim.run(scenario, seed=2, replications=2, stream=second)
    write_run(result_b, out, second)
    assert output.verify(out)
    write_run(result_a, out, first)  # finishes last
    assert read_run(out).summary == result_a.summary
    assert_same_table(pd.read_parquet(out / "legs.parquet"), result_a.legs)
    assert not list(out.glob(".*.tmp"))


def test_a_temporary_of_a_finished_process_is_stale(tmp_path):
    """What a killed run left is removed; what a live process writes is not."""
    import subprocess
    import sys

    out = tmp_path / "run"
    out.mkdir()
    done = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    dead = out / f".contacts.parquet.pid{done.stdout.strip()}.abc.tmp"
    live = out / f".contacts.parquet.pid{os.getppid()}.abc.tmp"  # the test runner's parent
    old_style = out / ".contacts.parquet.abc.tmp"
    for path in (dead, live, old_style):
        path.write_bytes(b"x")
    output.clean_stale(out)
    assert live.exists() and not dead.exists() and not old_style.exists()


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGINT"])
def test_a_killed_run_leaves_nothing_behind(tmp_path, signal_name):
    """`kill` or Ctrl-C while contacts are being streamed: no temporary, no new folder."""
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "new" / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "small_bank.yaml"),
         "--set", "days=30", "-r", "40", "--workers", "1", "--no-report", "-q",
         "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while not (out.exists() and list(out.glob(".*.tmp"))):
        assert process.poll() is None and time.monotonic() < deadline, "never streamed"
        time.sleep(0.05)
    process.send_signal(getattr(signal, signal_name))
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0, stderr.decode()[-2000:]
    assert not (tmp_path / "new").exists(), (list((tmp_path / "new").rglob("*")),
                                             stderr.decode()[-2000:])


def test_a_killed_run_on_two_workers_leaves_no_handoff_folder(tmp_path):
    """`kill` while workers hand tables back through files (sim.handoff): the folder goes."""
    import signal
    import subprocess
    import sys
    import time

    from sim.handoff import PREFIX, handoff_root

    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(ROOT / "scenarios" / "small_bank.yaml"),
         "--set", "days=30", "-r", "40", "--workers", "2", "--no-report", "-q",
         "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    folders = f"{PREFIX}pid{process.pid}.*"
    deadline = time.monotonic() + 60
    while not (out.exists() and list(out.glob(".*.tmp"))):  # the first tables came back
        assert process.poll() is None and time.monotonic() < deadline, "never streamed"
        time.sleep(0.05)
    assert list(handoff_root().glob(folders))
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode != 0, stderr.decode()[-2000:]
    assert not list(handoff_root().glob(folders)), stderr.decode()[-2000:]


def test_stacked_tables_can_be_deleted_and_read_when_missing():
    scenario = sim.load_scenario(ROOT / "scenarios" / "small_bank.yaml", overrides={"days": 1})
    result = sim.run(scenario, seed=1, replications=2)
    del result.contacts  # to free memory
    assert "contacts" not in vars(result)
    with pytest.raises(AttributeError):
        result.contacts  # noqa: B018
    assert getattr(object.__new__(sim.RunResult), "legs", None) is None


def test_issues_are_derived_from_the_contacts_when_first_read(monkeypatch):
    """No replication builds its issues table unless someone reads it.

    It took 26 ms of each 60-day replication of small_bank (a third of a job's bytes on
    the way back from a worker), for a table the command line never writes. Read, it is
    the table each replication's own contacts give, whether the contacts were stacked
    first or not, and after a pickle trip.
    """
    from sim import frames, measure, raw_tables

    built = []

    def counted(contacts):
        built.append(len(contacts))
        return frames.issues_frame(contacts)

    monkeypatch.setattr(measure, "issues_frame", counted, raising=False)
    monkeypatch.setattr(raw_tables, "issues_frame", counted)
    scenario = sim.load_scenario(ROOT / "scenarios" / "refund_vs_relations.yaml",
                                 overrides={"days": 2})
    result = sim.run(scenario, seed=4, replications=3)
    assert built == []
    each = [sim.run(scenario, seed=4, replications=1).contacts]  # replication 0 alone
    expected = pd.concat([frames.issues_frame(c) for c in
                          (pickle.loads(pickle.dumps(result)).contacts.pipe(
                              lambda c: [c[c.replication == r].reset_index(drop=True)
                                         for r in range(3)]))], ignore_index=True)
    assert (expected["contacts"] > 1).any()  # repeats and retrials: issues of several
    issues_first = pickle.loads(pickle.dumps(result))
    pd.testing.assert_frame_equal(issues_first.issues, expected)
    contacts_first = pickle.loads(pickle.dumps(result))
    assert len(contacts_first.contacts)  # stacked before the issues are read
    pd.testing.assert_frame_equal(contacts_first.issues, expected)
    pd.testing.assert_frame_equal(frames.issues_frame(each[0]),
                                  expected[expected.replication == 0])
    assert built == [len(c) for c in vars(result)["contacts"]] * 2  # one per replication


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # pandas 3.1: going, still there
def test_issues_stay_the_runs_whatever_is_done_to_the_contacts():
    """Issues made late are the run's, whatever the user did to ``result.contacts`` first.

    Replaced by a filtered table, reordered or edited in place, converted, deleted: each
    gave other issues, or none, once they were made from the live table.
    """
    scenario = sim.load_scenario(ROOT / "scenarios" / "refund_vs_relations.yaml",
                                 overrides={"days": 2})
    result = sim.run(scenario, seed=4, replications=2)
    expected = pickle.loads(pickle.dumps(result)).issues
    edits = {
        "filtered": lambda r: setattr(r, "contacts", r.contacts[r.contacts["answered"]]),
        "sorted in place": lambda r: r.contacts.sort_values("arrival", inplace=True,
                                                            ignore_index=True),
        "minutes": lambda r: r.contacts.__setitem__("handle", r.contacts["handle"] / 60),
        "written in place": lambda r: r.contacts.loc.__setitem__((slice(None), "arrival"), 0.0),
        "origin as text": lambda r: r.contacts.__setitem__(
            "origin", r.contacts["origin"].astype(str)),
        "deleted": lambda r: delattr(r, "contacts"),
    }
    for name, edit in edits.items():
        for stacked_first in (False, True):
            copy = pickle.loads(pickle.dumps(result))
            if stacked_first:
                assert len(copy.contacts)
            edit(copy)
            pd.testing.assert_frame_equal(copy.issues, expected, obj=name)
            if name != "deleted":  # a dataclass without one of its fields has no repr
                assert repr(copy)


def test_issue_types_taken_from_the_categories():
    """An issue's contact type, taken from the column's categories, is its first contact's.

    Same values and dtype as read through the rows; the same dtype with no contacts.
    """
    from sim.frames import issues_frame

    scenario = sim.load_scenario(ROOT / "scenarios" / "refund_vs_relations.yaml",
                                 overrides={"days": 2})
    contacts = sim.run(scenario, seed=1).contacts
    issues = issues_frame(contacts)
    first = contacts[contacts["origin"] == "first"]
    values = pd.DataFrame({"t": first["contact_type"].to_numpy()})["t"]
    pd.testing.assert_series_equal(issues["contact_type"], values, check_names=False)
    assert issues_frame(contacts.iloc[:0])["contact_type"].dtype == issues["contact_type"].dtype
