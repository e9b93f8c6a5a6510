"""The week a saved run's contacts carry: which weekday each day of the run stood for.

A run whose day factors name the days of the week (:mod:`sim.weekdays`) stands for a
definite week: a Monday-to-Friday run's day 5 is the next Monday. Read back as a call log
(``ccsim fit``, ``ccsim backtest``), its ``contacts.parquet`` must be dated so, wherever
the file has been copied. ccsim writes the run's week into the file's own Parquet schema
metadata, under :data:`RUN_WEEK_KEY`, as JSON:

- ``{"cycle": [0, 1, 2, 3, 4]}``: the weekdays (0 = Monday) the run's days stand for, in
  order; run day ``d`` is ``cycle[d % len(cycle)]``;
- with ``"listed": [...]`` too: the weekday of each of the first run days (a scenario's
  ``weekdays``, a backtest's log dates), the cycle continuing after them;
- ``{"cycle": null}``: the run named no weekdays (day ``d`` is ``d`` days after day 0).

A few numbers per run day at most, never per contact, and enough to date any day of the
run (:class:`sim.weekdays.RunWeek`). Beside it, under :data:`RUN_DAYS_KEY`, the run's
measured ``days``: a cooldown's contacts, after them, are no day of the log; under
:data:`RUN_WARMUP_KEY` its ``warmup``, whose contacts a reader is told of. A file
without the keys (an older ccsim's, or one saved again by another program) is dated by
the ``scenario.json`` beside it, as before; with neither, the reader cannot tell
(:func:`saved_week`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from sim.weekdays import RunWeek, run_week

if TYPE_CHECKING:
    from collections.abc import Callable

    from sim.scenario import Scenario

T = TypeVar("T")

RUN_WEEK_KEY = b"ccsim.run_week"
"""The key of the run's week in ``contacts.parquet``'s schema metadata."""
RUN_DAYS_KEY = b"ccsim.run_days"
"""The key of the run's measured ``days`` (a whole number, as text) in the same metadata:
contacts arriving after them are its cooldown's (:func:`saved_days`)."""
RUN_WARMUP_KEY = b"ccsim.run_warmup"
"""The key of the run's ``warmup`` (seconds, as text) in the same metadata: contacts
arriving before it are its warm-up's (:func:`saved_warmup`)."""


class SavedWeekError(ValueError):
    """The week a file carries, or its folder's scenario.json, cannot be read."""


def week_metadata(scenario: Scenario) -> dict[bytes, bytes]:
    """The schema metadata that tells a run's week (:data:`RUN_WEEK_KEY`: JSON) and days."""
    week = run_week(scenario)
    document: dict = {"cycle": None if week is None else list(week.cycle)}
    if week is not None and week.listed:
        document["listed"] = list(week.listed)
    return {RUN_WEEK_KEY: json.dumps(document, separators=(",", ":")).encode(),
            RUN_DAYS_KEY: str(scenario.days).encode(),
            RUN_WARMUP_KEY: repr(float(scenario.warmup)).encode()}


def week_from_metadata(value: bytes) -> RunWeek | None:
    """The week :func:`week_metadata` wrote (None: the run named no weekdays).

    Raises:
        ValueError: It is not what ccsim writes (the reason, in one line).
    """
    try:
        document = json.loads(value.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ValueError(f"not JSON ({' '.join(str(exc).split())})") from None
    if not isinstance(document, dict) or "cycle" not in document:
        raise ValueError(f"must be an object with a 'cycle', got {value[:60]!r}")
    if document["cycle"] is None:
        return None
    cycle, listed = document["cycle"], document.get("listed", [])
    if not isinstance(cycle, list) or not isinstance(listed, list):
        raise ValueError(f"'cycle' and 'listed' must be lists of weekdays, got {value[:60]!r}")
    return RunWeek(tuple(cycle), tuple(listed))


def saved_week(contacts: str | Path) -> tuple[RunWeek | None, bool]:
    """The week of the run that wrote ``contacts``, and whether anything said so.

    Read from the file's own metadata (:data:`RUN_WEEK_KEY`, Parquet only), else from
    the ``scenario.json`` beside it. ``(None, True)``: the run named no weekdays;
    ``(None, False)``: neither says (the file cannot be dated by its weekdays).

    Raises:
        SavedWeekError: The metadata is damaged, or the scenario.json cannot be read
            (the message says which, to follow the contacts file's name).
        ScenarioError: The scenario.json no longer validates.
    """
    path = Path(contacts)
    value = _metadata(path, RUN_WEEK_KEY)
    if value is not None:
        try:
            return week_from_metadata(value), True
        except ValueError as exc:
            raise SavedWeekError(f"{RUN_WEEK_KEY.decode()}: {exc}") from None
    return _scenario_week(path.with_name("scenario.json"))


def _metadata(path: Path, key: bytes) -> bytes | None:
    """The value of ``key`` in a Parquet file's schema metadata (None: absent, or a CSV)."""
    with open(path, "rb") as file:
        if file.read(4) != b"PAR1":
            return None
    import pyarrow.parquet as pq

    return (pq.read_schema(path).metadata or {}).get(key)


def _scenario_week(saved: Path) -> tuple[RunWeek | None, bool]:
    """The week of the ``scenario.json`` a run left beside its contacts (see :func:`saved_week`)."""
    if not saved.is_file():
        return None, False
    try:
        data = json.loads(saved.read_text(encoding="utf-8"))
        factors = [ct["arrivals"].get("day_factors") for ct in data["contact_types"].values()]
    except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
        raise SavedWeekError(f"its run's days cannot be dated: {saved}: cannot be read "
                             f"({type(exc).__name__}: {exc})") from None
    if not any(isinstance(f, dict) for f in factors):  # no weekdays: nothing else to read
        return None, True
    from sim.loader import scenario_from_dict

    return run_week(scenario_from_dict(data, source=str(saved))), True


def saved_days(contacts: str | Path) -> int | None:
    """The days the run that wrote ``contacts`` measured (None: nothing says).

    A run with a ``cooldown`` goes on after its last day, and its contacts file has the
    cooldown's contacts too: read as a call log they would be more days (a partial one
    where the cooldown ends within opening hours). Read from the file's own metadata
    (:data:`RUN_DAYS_KEY`, Parquet only), else from the ``scenario.json`` beside it.

    Raises:
        SavedWeekError: The metadata or the scenario.json's ``days`` is damaged.
    """
    return _saved(Path(contacts), RUN_DAYS_KEY, "days", _whole_days)


def saved_warmup(contacts: str | Path) -> float | None:
    """The warm-up (seconds) of the run that wrote ``contacts`` (None: nothing says).

    Read as :func:`saved_days` is (:data:`RUN_WARMUP_KEY`, else the ``scenario.json``).

    Raises:
        SavedWeekError: The metadata or the scenario.json's ``warmup`` is damaged.
    """
    return _saved(Path(contacts), RUN_WARMUP_KEY, "warmup", _seconds)


def _saved(path: Path, key: bytes, field: str, parse: Callable[[str, str], T]) -> T | None:
    """A run's ``field``, from the file's metadata ``key``, else its scenario.json."""
    value = _metadata(path, key)
    if value is not None:
        return parse(value.decode("utf-8", "replace"), key.decode())
    saved = path.with_name("scenario.json")
    if not saved.is_file():
        return None
    try:
        found = json.loads(saved.read_text(encoding="utf-8"))[field]
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise SavedWeekError(f"its run's {field} cannot be told: {saved}: cannot be read "
                             f"({type(exc).__name__}: {exc})") from None
    return parse(str(found), f"{saved}: {field}")


def _seconds(text: str, where: str) -> float:
    """A run's warm-up from its text, or a :class:`SavedWeekError` naming ``where``."""
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise SavedWeekError(f"{where}: must be seconds >= 0, got {text[:30]!r}")
    return seconds


def _whole_days(text: str, where: str) -> int:
    """A run's measured days from their text, or a :class:`SavedWeekError` naming ``where``."""
    if not text.strip().isdigit() or int(text) < 1:
        raise SavedWeekError(f"{where}: must be a whole number of days >= 1, got {text[:30]!r}")
    return int(text)
