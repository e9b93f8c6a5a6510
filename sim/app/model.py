"""The trainer's page without the browser: a session of runs, pins and comparisons.

A :class:`Session` holds what the page shows: the scenario open, the controls, the last
result, a pinned result and the run under way. ``run(payload)`` starts a simulation off
the caller's thread and returns at once; a new run cancels the one under way (which stops
after its current replication) and starts when it has stopped. ``state()`` is everything
the page needs, as JSON-ready data, at any moment; the HTTP server only passes it on.

Bad input never costs the previous result: a negative agent count or a scenario with
errors sets ``error`` (the CLI's own lines, naming the file, the field and the reason;
``state()["field_errors"]`` says which page field each is about, :mod:`sim.app.refusals`)
and keeps what was there.
"""

from __future__ import annotations

import threading
import time
import traceback
from pathlib import Path
from typing import Any

from sim import limits, memory_limit
from sim.app import hockey, refusals, views
from sim.app import settings as controls
from sim.app.runs import CancelledError, Job, Outcome
from sim.errors import SimulationError
from sim.loader import ScenarioError, load_scenario, scenario_from_yaml, with_overrides
from sim.replicate import run
from sim.safe_yaml import MAX_BYTES
from sim.scenario import Scenario
from sim.schedule import unanswerable

BUNDLED = Path(__file__).resolve().parent.parent.parent / "scenarios"
HOCKEY_SPAN = 3  # simulated points: the current agents -3 .. +3 (first agent group)
# seconds between redraws of the hockey stick while its points come in (a matplotlib
# redraw takes about 0.25 s, as long as a point of a small scenario); the first drawing
# and the last, with every point, are always made
HOCKEY_REDRAW = 1.0
KEEP = 1  # raw tables kept per run: the floor plays replication 1, the rest reads KPIs
# where a section the scenario lacks can be given whole, for the hint of a control that
# reaches one (sim.overrides): ``ccsim app`` has no --set, ``ccsim run`` has
OVERRIDES_OPTION = "ccsim run SCENARIO --set"


class Session:
    """The page's state: scenario, controls, results, pin and the run under way.

    Args:
        path: A scenario file to open first (default: the first bundled scenario).
        bundled: Folder of the scenarios the page offers.
    """

    def __init__(self, path: str | Path | None = None, bundled: Path = BUNDLED):
        self.bundled = bundled
        self._lock = threading.Lock()
        self._jobs = 0
        self._opened = 0  # scenarios opened: the page starts afresh on each, same file or not
        self._job: Job | None = None
        self._thread: threading.Thread | None = None
        self.error: list[str] = []
        self._fields: dict[str, str] = {}  # a line of ``error`` -> the page field it is about
        self.warnings: list[str] = []
        self.result: Outcome | None = None
        self.pinned: Outcome | None = None
        self.source = ""
        self.bundled_name: str | None = None  # the bundled scenario open, if one is
        self.scenario: Scenario | None = None
        first = path or next(iter(self.scenarios().values()), None)
        if first is not None:
            self.open_file(str(first))

    # ---- scenarios ---------------------------------------------------------------

    def scenarios(self) -> dict[str, Path]:
        """The bundled scenarios: name (file stem) -> path."""
        return {p.stem: p for p in sorted(self.bundled.glob("*.yaml"))}

    def open_bundled(self, name: str) -> bool:
        """Open a bundled scenario by name; the page opens no other file of this machine.

        A page shared on the LAN (``--host``) must not read the server's files; a
        trainer's own scenario comes as text (:meth:`open_yaml`).
        """
        if name not in self.scenarios():
            known = ", ".join(self.scenarios())
            return self._refuse([f"{name}: no such bundled scenario (known: {known})"])
        return self.open_file(str(self.scenarios()[name]))

    def open_file(self, path: str) -> bool:
        """Open a scenario file; on errors keep the open one and set ``error``."""
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            return self._refuse(exc.lines())
        bundled = {p.resolve(): name for name, p in self.scenarios().items()}
        return self._adopt(scenario, self._shown(path), bundled.get(Path(path).resolve()))

    def open_yaml(self, text: str, name: str) -> bool:
        """Open a scenario given as YAML text (a file the trainer picked on the page)."""
        name = Path(name or "uploaded.yaml").name
        if len(text.encode("utf-8", "replace")) > MAX_BYTES:
            return self._refuse([f"{name}: the file is larger than "
                                 f"{MAX_BYTES // 1024 // 1024} MB"])
        try:
            scenario = scenario_from_yaml(text, source=name)
        except ScenarioError as exc:
            return self._refuse(exc.lines())
        return self._adopt(scenario, name)

    def _shown(self, path: str) -> str:
        try:
            return str(Path(path).resolve().relative_to(Path.cwd()))
        except ValueError:
            return path

    def _adopt(self, scenario: Scenario, source: str, bundled: str | None = None) -> bool:
        """``bundled``: the bundled scenario's name, if it is one (the list shows it)."""
        with self._lock:
            self._cancel()
            self._opened += 1
            self.scenario = scenario.model_copy(update={"variants": {}})
            self.source, self.bundled_name = source, bundled
            self.result = self.pinned = None
            self.error = []
            self.warnings = [f"{source}: warning: {f}: {r}" for f, r in unanswerable(scenario)]
        return True

    def _refuse(self, lines: list[str], fields: dict[str, str] | None = None) -> bool:
        """``fields``: a line -> the page field it is about (:mod:`sim.app.refusals`)."""
        with self._lock:
            self.error, self._fields = list(lines), dict(fields or {})
        return False

    # ---- runs --------------------------------------------------------------------

    def run(self, payload: dict[str, Any]) -> int | None:
        """Start a run with these controls off this thread; cancel the one under way.

        Controls that do not give a valid scenario are refused at once (``error`` says
        why, in the CLI's words) and the run under way goes on; controls accepted clear
        ``error`` at once (the last refusal's line no longer applies).

        Returns:
            The run's number (``state()["job"]["number"]``), None if refused.
        """
        try:
            self._prepare(payload)
        except (ScenarioError, controls.SettingsError) as exc:
            self._refuse(exc.lines(), refusals.by_line(exc, self.scenario, payload))
            return None
        with self._lock:
            self._cancel()
            self.error = []  # a refused setting's line goes as this run is accepted
            self._jobs += 1
            job = Job(self._jobs, dict(payload))
            previous, self._job = self._thread, job
            self._thread = threading.Thread(target=self._work, args=(job, previous),
                                            name=f"ccsim-app-run-{job.number}", daemon=True)
            self._thread.start()
        return job.number

    def _cancel(self) -> None:
        if self._job is not None and self._job.phase not in ("done", "failed"):
            self._job.cancelled.set()

    def close(self, timeout: float = 30.0) -> None:
        """Cancel the run under way and wait for it to stop (the page is going away).

        A run left behind would go on simulating in its thread after the server stopped.
        """
        with self._lock:
            self._cancel()
        self.wait(timeout)

    def wait(self, timeout: float = 120.0) -> None:
        """Block until the latest run has finished (for scripts and tests)."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def _work(self, job: Job, previous: threading.Thread | None) -> None:
        if previous is not None:
            previous.join()  # one simulation at a time: queue behind the cancelled one
        try:
            self._simulate(job)
        except CancelledError:
            job.phase = "cancelled"
        except (ScenarioError, controls.SettingsError) as exc:
            self._fail(job, exc.lines(), refusals.by_line(exc, self.scenario, job.payload))
        except SimulationError as exc:
            self._fail(job, [f"{self.source}: {exc}"])
        except Exception as exc:  # the server must outlive any run
            traceback.print_exc()
            self._fail(job, [f"{self.source}: internal error: {exc}"])

    def _fail(self, job: Job, lines: list[str], fields: dict[str, str] | None = None) -> None:
        with self._lock:
            job.phase = "failed"
            if job is self._job:
                self.error, self._fields = lines, dict(fields or {})

    def _prepare(self, payload: dict[str, Any]
                 ) -> tuple[Scenario, controls.Settings, dict[str, Any], Scenario]:
        """(open scenario, settings, overrides, scenario to run), or the reason why not.

        Raises:
            SettingsError, ScenarioError: As the CLI words them.
        """
        base, source = self.scenario, self.source
        if base is None:
            raise controls.SettingsError("ccsim app", [("scenario", "open a scenario first")])
        wanted = controls.read_settings(payload, base, source)
        changes = controls.overrides(base, wanted)
        scenario = with_overrides(base, changes, source=source, option=OVERRIDES_OPTION)
        per_replication = sum(limits.expected_contacts(scenario).values())
        problems = limits.run_problems(per_replication, wanted.replications,
                                       runs=1 + 2 * HOCKEY_SPAN, option="replications")
        if not problems:  # one replication at a time, here in the page's process
            try:
                reason = memory_limit.replication_problem(per_replication)
            except ValueError as exc:  # CCSIM_MAX_MEMORY_MB is not a number
                reason = str(exc)
            problems = [("", reason)] if reason else []
        if problems:
            raise controls.SettingsError(source, problems)
        return base, wanted, changes, scenario

    def _simulate(self, job: Job) -> None:
        base, wanted, changes, scenario = self._prepare(job.payload)
        job.phase = "simulating"
        started = time.perf_counter()
        result = run(scenario, replications=wanted.replications, progress=job.progress,
                     keep_contacts=KEEP)
        outcome = Outcome(wanted, changes, result, time.perf_counter() - started, job.number)
        outcome.floor = views.floor_frames(result)
        with self._lock:
            if job.cancelled.is_set():
                raise CancelledError
            self.result, self.error = outcome, []
        job.phase = "hockey"
        self._hockey(job, base, wanted, outcome)
        job.phase = "done"

    def _hockey(self, job: Job, base: Scenario, wanted: controls.Settings,
                outcome: Outcome) -> None:
        """Simulated points around the current agents (first group), and Erlang's curve."""
        scenario = outcome.result.scenario
        group = next(iter(base.agents))
        total = sum(wanted.agents.values())
        mine = wanted.agents[group]
        fewest = max(0, controls.fewest_agents(base, group, wanted.days)[0])
        deltas = [d for d in range(-HOCKEY_SPAN, HOCKEY_SPAN + 1)
                  if mine + d >= fewest and total + d >= 1]
        points = {0: hockey.hockey_point(total, outcome.result)}
        load = hockey.offered_load(scenario, outcome.result.intervals)
        sl = scenario.service_level
        curve_agents = range(max(1, total - 3 * HOCKEY_SPAN), total + 3 * HOCKEY_SPAN + 1)
        unfit = hockey.erlang_fits(scenario)
        curve = [] if unfit else hockey.erlang_curve(load, curve_agents, sl.threshold)
        model = (f"no Erlang curve: {unfit}" if unfit
                 else f"{'Erlang A' if load['patience'] else 'Erlang C'} at the mean load")

        axis = hockey.agents_axis(scenario)
        drawn_at = [-float("inf")]

        def publish(last: bool) -> None:
            if not last and time.monotonic() - drawn_at[0] < HOCKEY_REDRAW:
                return  # points come faster than redraws: the next one shows them
            shown = [points[d] for d in sorted(points)]
            svg = hockey.hockey_figure(shown, curve, total, sl.target, sl.threshold, model, axis)
            with self._lock:
                if not job.cancelled.is_set():
                    outcome.hockey = {"points": shown, "curve": curve, "current": total,
                                      "model": model, "svg": svg, "group": group, "axis": axis,
                                      "planned": len(deltas)}
            drawn_at[0] = time.monotonic()

        others = [d for d in sorted(deltas, key=abs) if d != 0]
        job.done, job.total = 0, len(others)
        publish(last=not others)
        for k, d in enumerate(others):
            job.progress(k, len(others))
            other = controls.Settings(**{**wanted.as_dict(),
                                         "agents": {**wanted.agents, group: mine + d}})
            varied = with_overrides(base, controls.overrides(base, other), source=self.source,
                                    option=OVERRIDES_OPTION)
            points[d] = hockey.hockey_point(total + d, run(
                varied, seed=outcome.result.seed, replications=wanted.replications,
                keep_contacts=KEEP, progress=lambda *_, k=k: job.progress(k, len(others))))
            job.done = k + 1
            publish(last=k + 1 == len(others))

    # ---- pin and compare ---------------------------------------------------------

    def pin(self) -> bool:
        """Pin the current result as the 'before' of a comparison."""
        with self._lock:
            if self.result is None:
                self.error = ["pin: run a simulation first"]
                return False
            self.pinned, self.error = self.result, []
        return True

    def unpin(self) -> None:
        """Forget the pinned result."""
        with self._lock:
            self.pinned = None

    def comparison(self) -> dict[str, Any] | None:
        """Pinned vs current with paired differences, or why there is none.

        ``rows`` leave out the KPIs neither run models; ``left_out`` is the line naming them.
        """
        if self.pinned is None or self.result is None:
            return None
        before, after = self.pinned, self.result
        changed = controls.changes(before.settings.as_dict(), after.settings.as_dict())
        try:
            rows, left = views.comparison(before.result, after.result)
        except ValueError as exc:
            return {"changes": changed, "rows": [], "left_out": "", "problem": str(exc)}
        return {"changes": changed, "rows": rows, "left_out": left, "problem": None,
                "same": before is after}

    # ---- the page's view -----------------------------------------------------------

    def state(self, floor: int | None = None) -> dict[str, Any]:
        """Everything the page shows, as JSON-ready data.

        Args:
            floor: A run's number: add its floor's frames if it is the result shown
                (``result["number"]``); a newer result has another floor, and none is sent.
        """
        with self._lock:
            sc, job, result = self.scenario, self._job, self.result
            out: dict[str, Any] = {
                "scenarios": list(self.scenarios()), "source": self.source,
                "bundled": self.bundled_name,
                "opened": self._opened,
                "name": sc.name if sc else None, "error": list(self.error),
                "field_errors": refusals.grouped(self.error, self._fields),
                "warnings": list(self.warnings)}
            if sc is not None:
                out["defaults"] = controls.defaults(sc).as_dict()
                out["calls_per_hour"] = controls.calls_per_hour(sc)
                out["threshold"] = sc.service_level.threshold
                out["target"] = sc.service_level.target
                out["days"] = sc.days
            out["job"] = None if job is None else {
                "number": job.number, "phase": job.phase, "done": job.done,
                "total": job.total}
            out["result"] = None if result is None else {**result.summary(),
                                                         "hockey": result.hockey}
            out["pinned"] = None if self.pinned is None else self.pinned.summary()
            if floor is not None and result is not None and result.number == floor:
                out["floor"] = result.floor
        out["comparison"] = self.comparison()
        return out
