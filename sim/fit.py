"""Fitting: estimate a scenario's arrivals, handle times and patience from a call log.

Three estimates per contact type, all from :mod:`scipy.stats`:

- arrivals: mean contacts per interval of the day, a factor per day of the week, and the
  day-level ``forecast_error`` (:mod:`sim.fit_arrivals`);
- handle time: exponential, lognormal and gamma fitted by maximum likelihood (location
  fixed at 0), the family with the lowest AIC chosen (exponential when within 2);
- patience from **censored** data: a caller who abandoned after waiting w had patience
  w; an answered caller who waited w had patience of *at least* w (right-censored), as
  had one still waiting after w when the log ended (ccsim's own ``unanswered``).
  Ignoring the answered (averaging abandon times only, the "naive" estimate) keeps only
  the impatient and underestimates patience many times over when few abandon.
  ``scipy.stats.CensoredData`` gives the censored maximum-likelihood fit and
  ``scipy.stats.ecdf`` the Kaplan-Meier curve.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy import stats

from sim.calllog import CallLog, CallLogError
from sim.fit_arrivals import ArrivalFit, fit_arrivals, open_days, opening_hours, outside_note
from sim.fit_capacity import agents_seen, chats_at_once, groups_seen, observed_lines, staff_seen
from sim.fit_repeats import journeys_note, repeat_gaps, repeat_share
from sim.fit_transfers import SecondLeg, TransferFit, skills_after, transfers_seen
from sim.logged_patience import on_phone

FAMILIES = ("exponential", "lognormal", "gamma")
_SCIPY = {"exponential": stats.expon, "lognormal": stats.lognorm, "gamma": stats.gamma}
_MIN_SECONDS = 1e-3  # a zero duration has no density under these families


@dataclass(frozen=True)
class DistFit:
    """One family fitted to durations.

    Attributes:
        family: ``exponential``, ``lognormal`` or ``gamma``.
        spec: The scenario form, e.g. ``{"dist": "lognormal", "mean": 240.0, "cv": 0.7}``.
        frozen: The fitted scipy distribution.
        aic: Akaike's information criterion, 2k - 2 log-likelihood.
        mean_ci: 95% confidence interval of the mean (seconds), from the observed
            Fisher information of the exponential fit or the data's standard error.
    """

    family: str
    spec: dict
    frozen: object
    aic: float
    mean_ci: tuple[float, float] = (float("nan"), float("nan"))


@dataclass(frozen=True)
class PatienceFit:
    """Patience from waits of abandoned (observed) and other offered (censored) callers.

    Attributes:
        best: The censored fit with the lowest AIC.
        fits: Every family's censored fit.
        naive_mean: Mean wait of the abandoned alone (the classic mistake), seconds.
        km: ``scipy.stats.ecdf`` result on the censored sample (Kaplan-Meier), or None.
        abandoned: Callers who abandoned.
        censored: Callers who waited and did not abandon (lower bounds of patience):
            answered, or still waiting when the log ended.
    """

    best: DistFit
    fits: list[DistFit]
    naive_mean: float
    km: object
    abandoned: int
    censored: int


@dataclass(frozen=True)
class TypeFit:
    """Everything estimated for one contact type."""

    name: str
    contacts: int
    arrivals: ArrivalFit
    handle: DistFit | None
    handle_fits: list[DistFit]
    handle_values: np.ndarray
    patience: PatienceFit | None
    abandon_rate: float
    repeat_share: float | None = None
    repeat_delay: float | None = None
    transfer_share: float | None = None
    menu: dict | None = None  # the IVR menu's time before the queue (spec), where told
    wrap_up: dict | None = None  # the agents' after-call work (spec), where told
    hold_mean: float | None = None  # on hold per answered contact (in the handle), where told
    transfer: TransferFit | None = None  # where its transferred contacts went (fitted)


def time_spec(values: np.ndarray) -> dict | None:
    """Durations (seconds) as a scenario's distribution: an ``ivr.time``, a ``wrap_up``.

    None where the log tells none (no times, or all 0); deterministic where one value
    (to the millisecond); else the durations' best family (:func:`fit_durations`).
    """
    values = np.round(values[~np.isnan(values)], 3)
    if not values.size or values.max() <= 0:
        return None
    if np.unique(values).size < 2:
        return {"dist": "deterministic", "value": float(values[0])}
    return fit_durations(values)[0].spec


def work_spec(values: np.ndarray, name: str, notes: list[str]) -> dict | None:
    """After-call work (seconds, one per answered contact) as the type's ``wrap_up``.

    As :func:`time_spec` where every contact has some; where some have none, a gamma of
    the mean and cv of all (a scenario's wrap-up follows every contact: it keeps the
    agents' mean work and its spread, where a family fitted to zeros raised to a
    millisecond was far off both), with a note in ``notes``.
    """
    none = values <= 0
    if not none.any() or none.all():
        return time_spec(values)
    mean, cv = float(values.mean()), float(values.std() / values.mean())
    notes.append(f"{name}: {none.mean():.0%} of answered contacts logged no after-call work; "
                 f"wrap_up is a gamma of the mean and cv of all ({mean:.1f} s, cv {cv:.2f}): a "
                 "scenario's wrap-up follows every contact")
    return {"dist": "gamma", "mean": round(mean, 3), "cv": round(cv, 4)}


@dataclass(frozen=True)
class Fit:
    """A fitted call log: the calendar, each contact type's estimates, and the capacity seen.

    ``staff``: agents seen busy at once per interval (a lower bound where the log has no
    transfers); ``staff_lower``: where it has some, the same counted on the contacts never
    transferred, a lower bound (``staff`` counts a transferred contact's legs back to back
    and can exceed the staff on duty); None without transfers; ``lines``: trunk lines
    told by busy signals (None: the log has none); ``agents_seen``: the agents the log
    names working per interval (None: it names none), the fitted staff where given;
    ``groups``: each group it names with agents, ``{name: (skills, staff)}``, the fitted
    groups where given (None: fewer than two); ``concurrency``: by fitted group (``agents``:
    the one pool), the contacts its agents take at once where more than one; see
    :mod:`sim.fit_capacity`. ``second_legs``: the types reached only by transfer, by name
    (:mod:`sim.fit_transfers`; a type's ``transfer`` says which reaches them).
    """

    log: CallLog
    interval: float
    open: float
    close: float
    types: dict[str, TypeFit]
    staff: list[int]
    notes: list[str] = field(default_factory=list)
    lines: int | None = None
    staff_lower: list[int] | None = None
    agents_seen: list[int] | None = None
    groups: dict[str, tuple[list[str], list[int]]] | None = None
    concurrency: dict[str, int] = field(default_factory=dict)
    second_legs: dict[str, SecondLeg] = field(default_factory=dict)

    @property
    def intervals_per_day(self) -> int:
        """Intervals between opening and closing."""
        return round((self.close - self.open) / self.interval)

    @property
    def open_days(self) -> int:
        """Days of the log with a contact in the opening hours (the others were closed)."""
        return len(next(iter(self.types.values())).arrivals.days)


def _spec(family: str, frozen) -> dict:
    mean, var = (float(v) for v in frozen.stats(moments="mv"))
    if family == "exponential":
        return {"dist": "exponential", "mean": round(mean, 3)}
    return {"dist": family, "mean": round(mean, 3), "cv": round(float(np.sqrt(var)) / mean, 4)}


def _by_aic(fits: list[DistFit]) -> list[DistFit]:
    """Best AIC first; exponential first when within 2 of the best.

    Exponential is gamma with shape 1: on exponential data the gamma fit's extra
    parameter wins by chance about one time in six. Models within 2 AIC units are
    equally supported (Burnham & Anderson, Model Selection, 2002, s. 2.6): take the
    simpler. A fit whose cv rounds to 0 (durations of no spread) is left out: a scenario
    refuses it, and the exponential is always there instead.
    """
    fits = sorted((f for f in fits if f.spec.get("cv", 1.0) > 0), key=lambda f: f.aic)
    simple = [f for f in fits if f.family == "exponential" and f.aic <= fits[0].aic + 2.0]
    return simple + [f for f in fits if f not in simple]


def fit_durations(values: np.ndarray) -> list[DistFit]:
    """Every family fitted to complete (uncensored) durations, best AIC first.

    Args:
        values: Durations in seconds (>= 0); zeros are raised to a millisecond.
    """
    x = np.maximum(np.asarray(values, dtype=float), _MIN_SECONDS)
    sem = x.std(ddof=1) / np.sqrt(x.size) if x.size > 1 else float("nan")
    ci = (x.mean() - 1.96 * sem, x.mean() + 1.96 * sem)
    fits = []
    for family in FAMILIES:
        dist = _SCIPY[family]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            params = dist.fit(x, floc=0)
        frozen = dist(*params)
        k = 1 if family == "exponential" else 2
        aic = 2 * k - 2 * float(np.sum(frozen.logpdf(x)))
        fits.append(DistFit(family, _spec(family, frozen), frozen, aic, ci))
    return _by_aic(fits)


def fit_patience(wait: np.ndarray, abandoned: np.ndarray) -> PatienceFit | None:
    """Censored fits of patience: abandoned waits observed, answered waits right-censored.

    Args:
        wait: Queue waits in seconds of offered contacts.
        abandoned: Whether each abandoned (else it was answered, or still waiting when
            the log ended: censored at its wait).

    Returns:
        None when nobody abandoned (patience cannot be told from infinite).
    """
    wait = np.maximum(np.asarray(wait, dtype=float), 0.0)
    abandoned = np.asarray(abandoned, dtype=bool)
    if abandoned.sum() < 2:
        return None
    observed = np.maximum(wait[abandoned], _MIN_SECONDS)
    censored = wait[~abandoned & (wait > 0)]  # waited 0: says nothing about patience
    data = stats.CensoredData(uncensored=observed, right=censored)
    fits = []
    for family in FAMILIES:
        dist = _SCIPY[family]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if family == "exponential":
                # closed form of the censored MLE; scipy's own fit agrees (tested)
                params = (0.0, (observed.sum() + censored.sum()) / observed.size)
            else:
                try:
                    params = dist.fit(data, floc=0)
                except (stats.FitError, ValueError):  # e.g. every abandon at one wait
                    # (or under a millisecond): no spread to fit
                    continue
        frozen = dist(*params)
        loglik = float(np.sum(frozen.logpdf(observed)) + np.sum(frozen.logsf(censored)))
        k = 1 if family == "exponential" else 2
        ci = (float("nan"), float("nan"))
        if family == "exponential":  # Fisher information: se(mean) = mean / sqrt(events)
            m = params[1]
            ci = (m * (1 - 1.96 / np.sqrt(observed.size)), m * (1 + 1.96 / np.sqrt(observed.size)))
        if np.isfinite(loglik):
            fits.append(DistFit(family, _spec(family, frozen), frozen, 2 * k - 2 * loglik, ci))
    fits = _by_aic(fits)
    km = stats.ecdf(data)
    return PatienceFit(fits[0], fits, float(observed.mean()), km, int(observed.size),
                       int(censored.size))


def fit_log(log: CallLog, interval: float) -> Fit:
    """Estimate every contact type's arrivals, handle time and patience from ``log``.

    Args:
        log: A checked call log.
        interval: Interval length in seconds (must divide a day).

    Raises:
        CallLogError: Two contact types would share a scenario name
            (:meth:`CallLog.type_names`), or no answered contact has a handle time.
    """
    timed = (log.table["outcome"] == "answered") & log.table["handle"].notna()
    if not timed.any():  # nothing to fit: a placeholder handle time would look like a fit
        raise CallLogError(f"{log.path}: handle: no answered contact has a handle time (give a "
                           "handle column, or answer and end timestamps): handle times "
                           "cannot be fitted")
    open_s, close_s = opening_hours(log, interval)
    n = round((close_s - open_s) / interval)
    all_days, closed = open_days(log, open_s, interval, n)  # (as the backtest counts them)
    outside = outside_note(log, open_s, interval, n, closed)
    names = log.type_names()
    types = {}
    table = log.table.reset_index(drop=True)  # rows matched to their repeat gaps by label
    on_call = log.on_call()  # (by row: the table's labels are its rows)
    gaps = repeat_gaps(table)
    groups = groups_seen(log, open_s, interval, n, names)
    moves, second_legs, notes = transfers_seen(log, names, groups)  # (sim.fit_transfers)
    notes += [outside] if outside else []
    for raw_name, rows in table.groupby("contact_type", sort=True):
        offered = rows[rows["outcome"] != "blocked"]
        answered = offered["outcome"] == "answered"
        name = names[str(raw_name)]
        # the first leg of a transfer fitted: the talk (and work) of the contacts not moved
        first = answered & (~moves[name].moved[offered.index] if name in moves else True)
        # on hold, caller and agent are on the call: a talk's time with its hold
        held = offered.loc[first, "hold"] if "hold" in offered else None  # (as the handle)
        handle = on_call[offered.index[first.to_numpy()]]
        handle = handle[~np.isnan(handle)]
        # a family needs spread to fit: constant (or single) times are deterministic
        handle_fits = (fit_durations(handle)
                       if np.unique(np.maximum(handle, _MIN_SECONDS)).size >= 2 else [])
        patience = fit_patience(on_phone(offered), (offered["outcome"] == "abandoned").to_numpy())
        if not handle.size:
            notes.append(f"{name}: no answered contact with a handle time; handle is a "
                         "placeholder of 1 s: set it yourself")
        elif not handle_fits:
            notes.append(f"{name}: fewer than 2 distinct handle times; handle is deterministic")
        repeats = repeat_share(rows, gaps)
        transfers = (float(offered.loc[answered, "transfers"].sum() / answered.sum())
                     if "transfers" in offered and answered.any() else None)
        rest = transfers if transfers is None or name not in moves else max(  # not modelled
            0.0, transfers - moves[name].probability)
        if (note := journeys_note(name, repeats, rest or None)):
            notes.append(note)
        types[name] = TypeFit(name=name, contacts=len(rows),
            arrivals=fit_arrivals(rows["arrival"], all_days, open_s, interval, n),
            handle=handle_fits[0] if handle_fits else None, handle_fits=handle_fits,
            handle_values=handle, patience=patience,
            abandon_rate=float((offered["outcome"] == "abandoned").mean()) if len(offered) else 0.0,
            repeat_share=repeats[0] if repeats else None,
            repeat_delay=repeats[1] if repeats else None,
            # transfers per answered contact, as the transfer_rate KPI counts them
            transfer_share=transfers,
            menu=time_spec(offered["menu"].to_numpy(dtype=float)) if "menu" in offered else None,
            wrap_up=(work_spec(offered.loc[first, "wrap_up"].to_numpy(dtype=float), name,
                               notes) if "wrap_up" in offered else None),
            transfer=moves.get(name),
            hold_mean=float(held.mean()) if held is not None and held.gt(0).any() else None)
    staff, lower = staff_seen(log, open_s, interval, n)
    named = agents_seen(log, open_s, interval, n)
    if named is not None:  # (one pool: at least an agent, as the busy count)
        named = [max(1, v) for v in named]
    at_once = chats_at_once(log, groups)  # (of the groups as the log shows them)
    return Fit(log, interval, open_s, close_s, types, staff, notes, observed_lines(log), lower,
               named, skills_after(groups, moves, second_legs), at_once, second_legs)
