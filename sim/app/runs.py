"""One run the page asked for (:class:`Job`), and what it answered (:class:`Outcome`).

A :class:`~sim.app.model.Session` starts a :class:`Job` per Run pressed; the job records
how far its simulation got and whether a newer Run cancelled it (then it stops after its
current replication, raising :class:`CancelledError`). A finished run becomes an
:class:`Outcome`: the settings, the overrides they stand for and the result, which the
page shows as cards (:mod:`sim.app.views`), a hockey stick and a floor.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sim.app import settings as controls
from sim.app import views
from sim.replicate import RunResult


class CancelledError(Exception):
    """A newer run replaced this one."""


@dataclass
class Outcome:
    """A finished run as the page shows it."""

    settings: controls.Settings
    overrides: dict[str, Any]
    result: RunResult
    seconds: float
    number: int = 0  # the run's number: the page asks for this result's floor by it
    hockey: dict[str, Any] = field(default_factory=dict)
    floor: dict[str, Any] | None = None

    def summary(self) -> dict[str, Any]:
        """The JSON the page reads: ``cards`` the KPIs shown, ``left_out`` the line on the rest."""
        cards, left = views.cards(self.result)
        return {"settings": self.settings.as_dict(), "overrides": self.overrides,
                "kpis": views.kpis(self.result), "cards": cards, "left_out": left,
                "seconds": round(self.seconds, 2), "number": self.number,
                "seed": self.result.seed, "replications": self.result.n_replications}


@dataclass
class Job:
    """One run request: its number, whether it was cancelled, how far it got."""

    number: int
    payload: dict[str, Any]
    cancelled: threading.Event = field(default_factory=threading.Event)
    phase: str = "queued"
    done: int = 0
    total: int = 1

    def progress(self, done: int, total: int) -> None:
        """Record progress; stop here if a newer run replaced this one."""
        if self.cancelled.is_set():
            raise CancelledError
        self.done, self.total = done, total
