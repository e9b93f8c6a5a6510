"""Writing a run's big tables while it runs: contacts and legs, one replication at a time.

``ccsim run`` used to wait for the last replication, stack every replication's contacts
into one frame (a copy of every row) and only then encode ``contacts.parquet``: about a
second for a million contacts, spent while the worker processes sat idle. A
:class:`TableStream` is handed each kept replication's tables as it arrives, in
replication order (:class:`sim.replicate.Collector`), and appends them to the Parquet
files as row groups while the workers simulate the next ones.

The files grow under temporary names in the results folder; :func:`sim.results_folder.write_run`
moves them into place after it has unsealed the folder, and seals it last, as for every
other file. A run that fails or is interrupted (Ctrl-C, ``kill``) removes them, and the
folders it created (:meth:`TableStream.discard`); one killed outright (``kill -9``) leaves
``.NAME.pidPID.XXXX.tmp`` files that the next run into the folder removes, once that
process is gone (:func:`sim.output.clean_stale`). Until the move, the folder's earlier
results stay sealed and readable; of two runs into one folder, the last to finish wins.

Read back, the files hold exactly the stacked tables (:class:`sim.replicate.RunResult`'s
``contacts`` and ``legs``): same rows, order, columns and types.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pandas as pd

from sim.measure import ReplicationTables
from sim.output import release, temporary_file

STREAMED = ("contacts", "legs")
"""The tables a stream writes (the rest are small, written at the end)."""


def dictionary_columns(columns) -> list[str]:
    """The columns to give dictionary pages: categories and text, which repeat.

    For times and counts, Parquet's default dictionary pages doubled the encoding time
    and made the file larger, not smaller.

    Args:
        columns: An Arrow schema, or a pandas frame.
    """
    if isinstance(columns, pd.DataFrame):
        return [name for name, dtype in columns.dtypes.items()
                if isinstance(dtype, pd.CategoricalDtype) or dtype.kind in "OUST"]
    import pyarrow as pa

    return [f.name for f in columns if pa.types.is_dictionary(f.type)
            or pa.types.is_string(f.type) or pa.types.is_large_string(f.type)]


def write_parquet(frame: pd.DataFrame, path: str | Path,
                  metadata: dict[bytes, bytes] | None = None) -> None:
    """Write ``frame`` to Parquet (no index), dictionary pages for its categories and text only.

    Args:
        frame: The table.
        path: The file.
        metadata: Added to the schema's metadata (beside pandas' own).
    """
    import pyarrow.parquet as pq

    pq.write_table(_arrow(frame, metadata), path, compression="snappy",
                   use_dictionary=dictionary_columns(frame))


def _arrow(frame: pd.DataFrame, metadata: dict[bytes, bytes] | None):
    """``frame`` as pandas would write it to Parquet, with ``metadata`` in its schema."""
    import pyarrow as pa

    table = pa.Table.from_pandas(frame, preserve_index=False)
    if metadata:
        table = table.replace_schema_metadata({**(table.schema.metadata or {}), **metadata})
    return table


class TableStream:
    """Appends each replication's contacts and legs to Parquet files under temporary names.

    Use it as a context manager (or call :meth:`discard`) so that a failure removes what
    it wrote; after :meth:`commit` there is nothing left to remove.

    Args:
        out: The results folder the files are for (created if missing).
        metadata: Schema metadata by table name (``contacts``: the run's week, see
            :func:`sim.results_folder.table_metadata`).
    """

    def __init__(self, out: str | Path, metadata: dict[str, dict[bytes, bytes]] | None = None):
        self.out = Path(out)
        self.metadata = dict(metadata or {})
        self._writers: dict[str, object] = {}
        self._paths: dict[str, Path] = {}
        self._created: list[Path] = []  # folders made for the files, outermost first

    def __enter__(self) -> TableStream:
        return self

    def __exit__(self, *_exc) -> None:
        self.discard()

    def add(self, tables: ReplicationTables) -> None:
        """Append one replication's contacts and legs (legs only when there are some)."""
        for name in STREAMED:
            frame: pd.DataFrame = getattr(tables, name)
            if name == "contacts" or len(frame):
                self._append(name, frame)

    def _append(self, name: str, frame: pd.DataFrame) -> None:
        import pyarrow.parquet as pq

        table = _arrow(frame, self.metadata.get(name))
        writer = self._writers.get(name)
        if writer is None:
            if not self.out.is_dir():  # (known before made: an interrupt may come between)
                missing = [self.out, *(p for p in self.out.parents if not p.exists())]
                self._created = sorted(missing, key=lambda p: len(p.parts))
                self.out.mkdir(parents=True, exist_ok=True)
            tmp = self._paths[name] = temporary_file(self.out / f"{name}.parquet")
            writer = self._writers[name] = pq.ParquetWriter(
                tmp, table.schema, compression="snappy",
                use_dictionary=dictionary_columns(table.schema))
        writer.write_table(table)

    def commit(self) -> dict[str, Path]:
        """Close the files and move them to their names (``contacts.parquet``, ...).

        Call it once the folder is unsealed. Returns table name -> final path.
        """
        done = {}
        for name, writer in self._writers.items():
            writer.close()
            final = self.out / f"{name}.parquet"
            os.replace(self._paths[name], final)
            release(self._paths[name])
            done[name] = final
        self._writers, self._paths, self._created = {}, {}, []
        return done

    def discard(self) -> None:
        """Close and remove the files, and the folders made for them (the run failed).

        Never raises: it runs while another error is on its way to the user.
        """
        for name, path in self._paths.items():  # (a file whose writer never opened too)
            writer = self._writers.get(name)
            if writer is not None:  # the file goes anyway; the first error matters
                with contextlib.suppress(Exception):
                    writer.close()
            path.unlink(missing_ok=True)
            release(path)
        for folder in reversed(self._created):  # innermost first, only if left empty
            try:
                folder.rmdir()
            except OSError:
                break
        self._writers, self._paths, self._created = {}, {}, []
