"""Results folders: writing and reading back a run's folder and a comparison's.

What ``ccsim run`` and ``ccsim compare`` leave on disk, and what ``ccsim report`` reads,
in one place:

- a **run folder**: ``summary.json``, ``contacts.parquet``, ``intervals.csv``,
  ``replications.csv``, ``scenario.json``, ``staff.parquet`` and, sometimes,
  ``legs.parquet``, ``traces.parquet``, ``rules.csv``, ``measures.json`` and
  ``intervals_by_replication.parquet``; sealed last by ``manifest.json``
  (:func:`write_run`, :func:`read_run`);
- a **comparison folder**: one run folder per variant, ``comparison.csv`` and, last,
  the seal ``comparison.json`` (:func:`write_comparison`, :func:`read_comparison`).

:func:`read_results` reads either. Every file is written atomically and every folder is
sealed by a manifest of digests (:mod:`sim.output` holds those mechanics), so a reader
refuses a folder that a killed or later run left inconsistent.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from sim import output
from sim.compare import Comparison
from sim.frames import empty_legs_frame, empty_rules_frame
from sim.intervals import INTERVAL_COUNTS, INTERVAL_SUMS
from sim.loader import scenario_from_dict
from sim.measure import ReplicationTables, measure
from sim.output import COMPARISON_MANIFEST, MANIFEST, OPTIONAL, REPORT, ResultsError
from sim.replayed_logs import log_entries, run_logs
from sim.replicate import Collector, RunResult
from sim.saved_week import week_metadata
from sim.scenario import Scenario
from sim.table_stream import TableStream, write_parquet

RUN_FILES = ("summary.json", "scenario.json", "contacts.parquet", "intervals.csv",
             "replications.csv")
"""The files every run folder has (and the manifest lists)."""


# ---- a run ---------------------------------------------------------------------------


def summary_dict(result: RunResult) -> dict[str, Any]:
    """The ``summary.json`` document (see DESIGN.md, "Outputs").

    Beyond the contract's keys: ``policy`` (the user's routing policy that ran: class,
    module, file and the file's SHA-256, :mod:`sim.policy_source`), ``stopping`` (how
    many replications a ``--precision`` run took and why it stopped) and
    ``contacts_replications`` (the replications whose raw tables were kept, when not all
    were).
    """
    document = {
        "scenario": result.scenario.name,
        "seed": result.seed,
        "replications": result.n_replications,
        "kpis": result.summary,
        "ci": result.ci,
        "by_type": result.by_type,
        "by_group": result.by_group,
    }
    if result.policy is not None:
        document["policy"] = result.policy
    if result.stopping is not None:
        document["stopping"] = result.stopping.as_dict()
    if not kept_all(result):
        document["contacts_replications"] = result.kept_replications
    return output.plain(document)


def kept_all(result: RunResult) -> bool:
    """Whether the result holds the raw tables of every replication."""
    kept = getattr(result, "kept_replications", None)
    return kept is None or len(kept) == result.n_replications


def table_metadata(scenario: Scenario) -> dict[str, dict[bytes, bytes]]:
    """The Parquet schema metadata of a run's tables, by table (given to a TableStream).

    ``contacts.parquet`` carries its run's week (:mod:`sim.saved_week`): copied out of its
    folder, it is still read back with its days on their weekdays.
    """
    return {"contacts": week_metadata(scenario)}


def write_run(result: RunResult, out: str | Path, stream: TableStream | None = None
              ) -> list[Path]:
    """:func:`_write_run` with Ctrl-C and ``kill`` held back until the folder is sealed."""
    with output.deferred_signals():
        return _write_run(result, out, stream)


def _write_run(result: RunResult, out: str | Path, stream: TableStream | None = None
               ) -> list[Path]:
    """Write summary.json, contacts.parquet, intervals.csv, replications.csv into ``out``.

    Also scenario.json, staff.parquet (agents on duty), legs.parquet (when contacts had
    several legs), rules.csv (every change of a real-time rule, when the scenario has
    rules) and, when the run was traced, traces.parquet: enough to redraw the
    report later (:func:`read_run`).

    Args:
        result: The run.
        out: The folder.
        stream: The stream that already wrote the run's contacts and legs into ``out``
            (given to :func:`sim.replicate.run`): its files are moved into place instead.
    """
    out = Path(out)
    if stream is not None and stream.out.resolve() != out.resolve():
        raise ValueError(f"the stream wrote into {stream.out}, not {out}")
    metadata = table_metadata(result.scenario)
    if stream is not None and stream.metadata != metadata:
        raise ValueError(f"the stream's tables carry {stream.metadata}, not this run's "
                         f"{metadata}: give TableStream table_metadata(scenario)")
    output.unseal(out, OPTIONAL + REPORT)  # a stream's files are live: left to it
    streamed = stream.commit() if stream is not None else {}
    text = json.dumps(summary_dict(result), indent=2)
    written = [
        output.write_atomic(out / "summary.json",
                            lambda p: p.write_text(text + "\n", encoding="utf-8")),
        streamed.get("contacts") or output.write_atomic(
            out / "contacts.parquet",
            lambda p: write_parquet(result.contacts, p, metadata["contacts"])),
        output.write_atomic(out / "intervals.csv",
                            lambda p: result.intervals.round(4).to_csv(p, index=False)),
        output.write_atomic(out / "replications.csv",
                            lambda p: result.replications.to_csv(p, index=False)),
        # what `ccsim report DIR` needs to redraw the figures without re-running
        output.write_atomic(out / "scenario.json", lambda p: p.write_text(
            result.scenario.model_dump_json(indent=2) + "\n", encoding="utf-8")),
        output.write_atomic(out / "staff.parquet",
                            lambda p: write_parquet(result.staff, p)),
    ]
    if result.traces:
        written.append(output.write_atomic(out / "traces.parquet", lambda p: write_parquet(
            pd.concat(result.traces, ignore_index=True), p)))
    rules = getattr(result, "rules", None)
    if result.scenario.rules and rules is not None:  # every change of a real-time rule
        written.append(output.write_atomic(out / "rules.csv",
                                           lambda p: rules.to_csv(p, index=False)))
    if "legs" in streamed:
        written.append(streamed["legs"])
    elif stream is None and (legs := getattr(result, "legs", None)) is not None and len(legs):
        written.append(output.write_atomic(out / "legs.parquet",
                                           lambda p: write_parquet(legs, p)))
    if not kept_all(result):  # what the redraw needs of the replications without contacts
        measures = json.dumps(output.plain(replication_measures(result)))
        written += [
            output.write_atomic(out / "measures.json",
                                lambda p: p.write_text(measures + "\n", encoding="utf-8")),
            output.write_atomic(
                out / "intervals_by_replication.parquet",
                lambda p: write_parquet(result.intervals_by_replication, p)),
        ]
    about = {"seed": result.seed, "replications": result.n_replications}
    if logs := log_entries(result.scenario):  # where a redraw reads the replayed logs
        about["logs"] = logs
    written.append(output.seal(out, written, about))
    return written


def replication_measures(result: RunResult) -> dict[str, Any]:
    """Per replication: its KPIs and its measures by contact type and agent group."""
    return {str(r): {"kpis": kpis, **measures}
            for r, kpis, measures in zip(
                result.replications["replication"],
                result.replications.drop(columns="replication").to_dict("records"),
                result.replication_measures)}


def read_run(folder: str | Path) -> RunResult:
    """Read back what ``ccsim run`` (:func:`write_run`) wrote into ``folder``.

    The folder is first checked against its manifest (:func:`sim.output.verify`): a run
    killed while writing, a file truncated, emptied or replaced since is refused, and so
    is a replayed call log changed since (it is read where the run read it, wherever
    the reader runs). The saved tables (contacts, legs, staffing log, traces) are
    measured again by the step every run takes (:func:`sim.measure.measure`), one
    replication at a time, so the result has the KPIs, interval tables and issues of the
    run itself, to the bit; the rounded ``intervals.csv`` is for people and is not read.

    Raises:
        FileNotFoundError: If a file the report needs is missing.
        ResultsError: If the folder does not match its manifest or a file cannot be read.
        ScenarioError: If the saved scenario no longer validates.
    """
    folder = Path(folder)
    needed = list(RUN_FILES)
    missing = [name for name in needed if not (folder / name).is_file()]
    if missing:
        raise FileNotFoundError(f"{folder}: not a ccsim results folder, missing "
                                f"{', '.join(missing)}")
    manifest = output.verify(folder)
    listed = manifest["files"]
    unlisted = [name for name in needed if name not in listed]
    if unlisted:
        raise ResultsError(f"{folder / MANIFEST}: does not list {', '.join(unlisted)}; "
                           "run it again")

    def read(name: str, reader: Callable[[Path], Any], default: Any = None) -> Any:
        if name not in listed:  # optional, and not written by this run
            return default
        try:
            return reader(folder / name)
        except Exception as exc:  # any reader's complaint: the file is not what we wrote
            raise ResultsError(f"{folder / name}: cannot be read "
                               f"({type(exc).__name__}: {' '.join(str(exc).split())})"
                               ) from None

    summary = read("summary.json", lambda p: json.loads(p.read_text(encoding="utf-8")))
    scenario = scenario_from_dict(
        run_logs(read("scenario.json", lambda p: json.loads(p.read_text(encoding="utf-8"))),
                 manifest.get("logs"), folder / MANIFEST),
        source=str(folder / "scenario.json"))
    contacts = read("contacts.parquet", pd.read_parquet)
    staff = read("staff.parquet", pd.read_parquet,
                 pd.DataFrame(columns=["replication", "time", "group", "agents", "slots"]))
    legs = read("legs.parquet", pd.read_parquet, empty_legs_frame())
    traces = read("traces.parquet", pd.read_parquet)
    rules = read("rules.csv", pd.read_csv, empty_rules_frame())
    replications = read("replications.csv", pd.read_csv)
    kept = summary.get("contacts_replications")
    saved = {}
    if kept is not None:  # the measures of the replications without contacts, saved by the run
        saved = {"measures": read("measures.json",
                                  lambda p: json.loads(p.read_text(encoding="utf-8"))),
                 "intervals": read("intervals_by_replication.parquet", pd.read_parquet)}
        if saved["measures"] is None or saved["intervals"] is None:
            raise ResultsError(f"{folder}: kept the contacts of some replications only, but "
                               "measures.json or intervals_by_replication.parquet is missing; "
                               "run it again")
        # an older ccsim's tables lack later columns: pooled, they would count as zeros
        absent = [c for c in (*INTERVAL_COUNTS, *INTERVAL_SUMS) if c not in saved["intervals"]]
        if absent:
            raise ResultsError(f"{folder / 'intervals_by_replication.parquet'}: written by an "
                               f"older ccsim, without the column {absent[0]!r}; run it again")
    collector = Collector(scenario, int(summary["seed"]),
                          None if kept is None else max(len(kept), 1))
    for r in replications["replication"].astype(int):
        if kept is not None and r not in kept:  # its measures, saved by the run
            collector.add(_measured_only(r, saved))
            continue
        trace = None if traces is None else _rows_of(traces, r)
        collector.add(measure(scenario, r, _rows_of(contacts, r), _rows_of(legs, r),
                              _rows_of(staff, r), trace if trace is not None and len(trace)
                              else None, _rows_of(rules, r) if scenario.rules else None))
    result = collector.result()
    result.policy = summary.get("policy")
    if summary.get("stopping"):  # (how a --precision run stopped: its report says)
        from sim.precision import Stopping

        result.stopping = Stopping.from_dict(summary["stopping"])
    return result


def _measured_only(r: int, saved: dict[str, Any]) -> ReplicationTables:
    """A replication whose raw tables were not kept: its saved measures, no rows."""
    m = saved["measures"][str(r)]
    nan = float("nan")
    kpis = {k: nan if v is None else v for k, v in m["kpis"].items()}

    def numbers(nested: dict) -> dict:
        return {name: {k: nan if v is None else v for k, v in inner.items()}
                for name, inner in nested.items()}
    intervals = saved["intervals"]
    rows = intervals[intervals["replication"].to_numpy() == r].reset_index(drop=True)
    empty = pd.DataFrame()
    return ReplicationTables(
        replication=r, contacts=empty, legs=empty, staff=empty, kpis=kpis,
        by_type=numbers(m["by_type"]), by_group=numbers(m["by_group"]), intervals=rows)


def _rows_of(table: pd.DataFrame, replication: int) -> pd.DataFrame:
    """One replication's rows of a table of all replications, indexed from 0 as written."""
    if not len(table):
        return table
    return table[table["replication"].to_numpy() == replication].reset_index(drop=True)



# ---- a comparison -------------------------------------------------------------------


def write_comparison(comparison: Comparison, out: str | Path) -> list[Path]:
    """Write a comparison into ``out``, every file atomically.

    ``comparison.csv`` (one row per KPI and variant: mean, ci, diff, diff_ci,
    significant), each variant's run files in ``out/<variant>/`` (see
    :func:`write_run`) and, last, ``comparison.json`` (baseline, variants in
    order, what each changes, seed, replications, and the digests of comparison.csv and
    of each variant's manifest), which is removed first: a comparison killed while
    writing leaves a folder that ``ccsim report`` refuses.

    Returns:
        The files written.
    """
    with output.deferred_signals():  # (Ctrl-C and kill held back until it is sealed)
        return _write_comparison(comparison, Path(out))


def _write_comparison(comparison: Comparison, out: Path) -> list[Path]:
    output.unseal(out, (COMPARISON_MANIFEST, *REPORT))  # not a comparison until the end
    written: list[Path] = []
    for name, result in comparison.results.items():
        written += write_run(result, out / name)
    # the KPIs every variant measured (cost KPIs only if all have costs), as printed
    table = comparison.table()
    manifest = {
        "baseline": comparison.baseline, "variants": comparison.names,
        "changes": comparison.changes, "seed": comparison.seed,
        "replications": comparison.replications, "confidence": comparison.confidence,
    }
    if comparison.stopping is not None:
        manifest["stopping"] = comparison.stopping
    written.append(output.write_atomic(out / "comparison.csv",
                                lambda p: table.to_csv(p, index=False)))
    # the seal, last: comparison.csv and each variant's own seal, with their digests
    sealed = [out / "comparison.csv"] + [out / name / MANIFEST for name in comparison.names]
    written.append(output.seal(out, sealed, json.loads(json.dumps(manifest, default=str)),
                        name=COMPARISON_MANIFEST))
    return written


def read_comparison(folder: str | Path) -> Comparison:
    """Read back what ``ccsim compare`` (:func:`write_comparison`) wrote."""
    folder = Path(folder)
    manifest = output.verify(folder, COMPARISON_MANIFEST)
    variants = manifest.get("variants")
    if (not isinstance(variants, list) or not variants
            or not all(isinstance(name, str) for name in variants)
            or manifest.get("baseline") not in variants):
        raise ResultsError(f"{folder / COMPARISON_MANIFEST}: damaged (no valid 'variants' "
                           "and 'baseline'); run it again")
    results = {name: read_run(folder / name) for name in variants}
    return Comparison(results=results, baseline=manifest["baseline"],
                      changes=manifest.get("changes", {}),
                      confidence=manifest.get("confidence", 0.95))


def read_results(folder: str | Path) -> RunResult | Comparison:
    """A run or a comparison from its results folder, whichever it holds.

    Raises:
        FileNotFoundError: If the folder holds neither.
        ResultsError: If the folder does not match its manifest, or a file is unreadable.
        ScenarioError: If a saved scenario no longer validates.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such folder")
    if (folder / COMPARISON_MANIFEST).is_file():
        return read_comparison(folder)
    if not (folder / "summary.json").exists() and any(
            (sub / "summary.json").is_file() for sub in folder.iterdir() if sub.is_dir()):
        raise ResultsError(f"{folder}: no {COMPARISON_MANIFEST}: the comparison that wrote "
                           "this folder did not finish; run it again")
    return read_run(folder)

