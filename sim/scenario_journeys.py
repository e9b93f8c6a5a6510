"""Journey options: what may happen to a contact between arriving and being resolved.

A contact may pass a phone menu (:class:`IVR`), leave on arrival (:class:`Balking`),
take a callback offer (:class:`Callback`), be cut (:class:`HandleCap`), transferred
(:class:`Transfer`) or consulted on (:class:`Consult`); its issue may come back as a
repeat contact (:class:`Repeat`), a redial (:class:`Retrial`) or a public post
(:class:`Complaint`). Each is an optional field of a contact type
(:class:`sim.scenario_contacts.ContactType`); :mod:`sim.journey` plays them out.
"""

from __future__ import annotations

import itertools
from enum import Enum
from typing import Annotated, Any

from pydantic import Field, ValidationInfo, field_validator, model_validator

from sim.distributions import Distribution, Exponential
from sim.scenario_base import Name, Probability, _Frozen
from sim.units import Count, Duration

MAX_COMEBACKS = 100
"""Most contacts an issue may make by ``retrial.max_attempts`` or ``repeat.max_contacts``:
each multiplies the work of a contact, and a zero delay would make them all at once."""


class TransferMode(str, Enum):
    """How a transfer hands the customer over.

    Cold: the customer re-queues alone. Warm: the first agent stays on until answered.
    Conference: as warm, then the three of them talk for the transfer's ``conference``
    time (both agents busy) before the first agent leaves.
    """

    COLD = "cold"
    WARM = "warm"
    CONFERENCE = "conference"


class IVR(_Frozen):
    """The phone menu before the queue.

    ``time`` in the menu; with probability ``self_service`` the issue is solved there
    (never offered to agents); with probability ``misroute`` the customer picks a wrong
    queue (one of ``misroute_to``, default the other types of its channel callers dial:
    :func:`sim.scenario_contacts.misroute_targets`), is talked to for
    ``misroute_talk`` and transferred to the right queue.
    """

    time: Distribution
    self_service: Probability = 0.0
    misroute: Probability = 0.0
    misroute_to: tuple[Name, ...] = ()
    misroute_talk: Distribution = Field(default_factory=lambda: Exponential(mean=60.0))
    misroute_resolution: Probability = 1.0  # x resolution for a contact that was misrouted

    @model_validator(mode="after")
    def _total(self) -> IVR:
        if self.self_service + self.misroute > 1.0:
            raise ValueError(f"self_service + misroute must be <= 1, got "
                             f"{self.self_service:g} + {self.misroute:g}")
        return self


class Transfer(_Frozen):
    """After talking, send the contact to the queue of contact type ``to``.

    ``conference`` (required with ``mode: conference``, only then) is the three-way talk
    time once the second agent answers, before the first agent leaves.
    """

    probability: Probability
    to: Name
    mode: TransferMode = TransferMode.COLD
    priority: bool = False  # jump the target queue (served before those already waiting)
    conference: Distribution | None = None

    @model_validator(mode="after")
    def _conference_time(self) -> Transfer:
        if self.mode is TransferMode.CONFERENCE and self.conference is None:
            raise ValueError("a transfer 'mode: conference' needs 'conference' (the three-way "
                             "talk time)")
        if self.mode is not TransferMode.CONFERENCE and self.conference is not None:
            raise ValueError(f"'conference' is the three-way talk of 'mode: conference', "
                             f"got mode {self.mode.value!r}")
        return self


class Consult(_Frozen):
    """Put the customer on hold and ask a specialist queue (``to``) for ``talk`` seconds.

    The agent waits in that queue too and both agents are busy during the consult. The
    customer hangs up after ``hold_patience`` on hold (omit: never).
    """

    probability: Probability
    to: Name
    talk: Distribution
    hold_patience: Distribution | None = None


class HandleCap(_Frozen):
    """Cut calls at ``max`` seconds; a cut call resolves with ``resolution x factor``."""

    max: Annotated[Duration, Field(gt=0.0)]
    resolution_factor: Probability = 1.0


class Repeat(_Frozen):
    """An unresolved issue comes back after ``delay`` (a new contact, same issue).

    With probability ``probability`` per unresolved contact, until resolved or
    ``max_contacts`` contacts; ``switch_to`` another contact type (e.g. chat) with
    probability ``switch``.
    """

    probability: Probability = 1.0
    delay: Distribution
    max_contacts: Annotated[Count, Field(ge=1, le=MAX_COMEBACKS)] = 5
    switch_to: Name | None = None
    switch: Probability = 0.0


class Retrial(_Frozen):
    """A customer who abandoned or got a busy signal redials (same issue) after ``delay``.

    A caller answered and then hung up (on hold, or queued again after a transfer)
    redials as one who abandoned (``after_abandon``).

    ``probability`` is the chance to redial after either; ``after_busy`` and
    ``after_abandon`` set one cause's own chance (each defaults to ``probability``, and
    to 0 without it), ``after_balk`` the chance after balking (default 0). Each chance
    is multiplied by ``decay`` for every redial the issue has already made: the k-th
    redial happens with ``chance x decay ** (k - 1)``. At most ``max_attempts`` redials.
    """

    probability: Probability | None = None
    after_busy: Probability | None = None
    after_abandon: Probability | None = None
    after_balk: Probability = 0.0
    decay: Probability = 1.0
    delay: Distribution
    max_attempts: Annotated[Count, Field(ge=1, le=MAX_COMEBACKS)] = 3

    @model_validator(mode="after")
    def _some_chance(self) -> Retrial:
        if self.probability is None and self.after_busy is None and self.after_abandon is None:
            raise ValueError("give 'probability' (after a busy signal or abandoning) or "
                             "'after_busy' and/or 'after_abandon'")
        return self

    def chance(self, cause: str) -> float:
        """The first redial's chance after ``cause``: ``busy``, ``abandon`` or ``balk``."""
        if cause == "balk":
            return self.after_balk
        own = self.after_busy if cause == "busy" else self.after_abandon
        if own is not None:
            return own
        return self.probability if self.probability is not None else 0.0


class Announcement(str, Enum):
    """What a caller who must wait is told on arrival (the balking rule reads it).

    ``none``: nothing; the caller balks on the queue length (as in the classical model
    of a queue the customer can see). ``position``: their place in the queue (1: next).
    ``les``: the wait of the last caller of this queue to be answered (last to enter
    service). ``expected_wait``: the place in the queue times the mean handle time, over
    the agents on duty who may answer, an overflow group's from its delay on (the
    estimate a callback offer uses).
    """

    NONE = "none"
    POSITION = "position"
    LES = "les"
    EXPECTED_WAIT = "expected_wait"

    @property
    def is_wait(self) -> bool:
        """Whether the announcement is a wait in seconds (else a place in the queue)."""
        return self in (Announcement.LES, Announcement.EXPECTED_WAIT)


class Balking(_Frozen):
    """A caller who would have to wait may leave at once, on what they are told.

    Exactly one rule gives the chance to balk from the announced value: ``per_position``
    (chance per place in the queue, for ``announce: none`` or ``position``: a caller at
    place k balks with ``min(1, k x per_position)``), ``per_minute`` (chance per minute of
    announced wait, for ``les`` or ``expected_wait``) or ``curve``, points ``[value,
    chance]`` joined by straight lines and flat beyond the ends (values are places, or
    waits such as ``2m``); a repeated value makes a step (from it on, the later chance).
    Callers answered at once never balk, nor those who accept a callback.
    """

    announce: Announcement = Announcement.NONE
    per_position: Probability | None = None
    per_minute: Probability | None = None
    curve: tuple[tuple[Duration, Probability], ...] | None = None

    @field_validator("curve", mode="before")
    @classmethod
    def _places_are_numbers(cls, curve: Any, info: ValidationInfo) -> Any:
        """A place curve (announce: none or position) given a wait such as '2m' is a slip."""
        announce = info.data.get("announce")
        if announce is None or announce.is_wait or not isinstance(curve, list | tuple):
            return curve
        for i, point in enumerate(curve, 1):
            if isinstance(point, list | tuple) and point and isinstance(point[0], str):
                try:
                    float(point[0])
                except ValueError:
                    raise ValueError(
                        f"point {i}'s value is a place in the queue (announce: "
                        f"{announce.value}), got {point[0]!r} (a wait); to balk on an "
                        "announced wait use announce: les or expected_wait") from None
        return curve

    @model_validator(mode="after")
    def _one_rule(self) -> Balking:
        given = [n for n in ("per_position", "per_minute", "curve") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of 'per_position', 'per_minute' and 'curve', "
                             f"got {len(given)}" + (f" ({', '.join(given)})" if given else ""))
        wait = self.announce.is_wait
        if self.per_position is not None and wait:
            raise ValueError(f"'per_position' needs announce: none or position (a place in "
                             f"the queue), got announce: {self.announce.value}")
        if self.per_minute is not None and not wait:
            raise ValueError(f"'per_minute' needs announce: les or expected_wait (a wait), "
                             f"got announce: {self.announce.value}")
        if self.curve is not None and not self.curve:
            raise ValueError("curve needs at least one point [value, chance]")
        xs = [x for x, _ in self.curve or ()]
        if any(b < a for a, b in itertools.pairwise(xs)):
            raise ValueError(f"curve values must not decrease, got {[f'{x:g}' for x in xs]}")
        if any(x < 0 for x in xs):
            raise ValueError(f"curve values must be >= 0, got {min(xs):g}")
        return self


class Callback(_Frozen):
    """Virtual hold: when the expected wait is above ``threshold``, offer a callback.

    A customer who accepts (probability ``accept``) hangs up, keeps their place in the
    queue and is dialled by an agent when their turn comes: they never abandon, and the
    time until the call back is not spent on hold (it is not in customer effort). With
    ``queue``, accepted callbacks wait in that contact type's queue instead, e.g. one
    that agents work as a blending backlog (when no inbound contact waits).
    """

    threshold: Annotated[Duration, Field(ge=0.0)]
    accept: Probability
    queue: Name | None = None  # a contact type: wait there instead of keeping the place


class Complaint(_Frozen):
    """A customer whose experience crossed a line posts publicly, with ``probability``.

    Any one of the thresholds that is set counts: queue time over ``wait_over``, hold
    over ``hold_over``, having hung up before the end (``abandoned: true``: abandoned
    in a queue, or hung up on hold or after a transfer), more than
    ``transfers_over`` transfers, or more than ``contacts_over`` contacts for the issue.
    The post arrives ``delay`` later as a contact of type ``to`` (a social channel).
    """

    probability: Probability
    to: Name
    delay: Distribution = Field(default_factory=lambda: Exponential(mean=1800.0))
    wait_over: Annotated[Duration, Field(ge=0.0)] | None = None
    hold_over: Annotated[Duration, Field(ge=0.0)] | None = None
    abandoned: bool = False
    transfers_over: Annotated[Count, Field(ge=0)] | None = None
    contacts_over: Annotated[Count, Field(ge=1)] | None = None
