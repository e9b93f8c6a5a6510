"""How the staffing search judges plans: simulations under common random numbers, hold-out.

:class:`PlanEvaluator` simulates each plan once (results are cached), on the search's
replications; :func:`hold_out` checks the found plan on replications the search never
drew, adds agents where it misses, and checks again (see :mod:`sim.staffing`, step 4).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from sim.plan_evaluation import Evaluation, Goal, evaluate_plan, measured_intervals
from sim.routing import RoutingPolicy
from sim.scenario import Scenario

# (plan, hold-out evaluation, missed types x intervals) -> agents to add, groups x intervals
Repair = Callable[[np.ndarray, Evaluation, np.ndarray], np.ndarray]


class PlanEvaluator:
    """Simulates plans (each once: results are cached) under common random numbers."""

    def __init__(self, scenario: Scenario, goal: Goal, replications: int, seed: int,
                 executor: Executor | None, log: Callable[[str], None] | None,
                 policy: RoutingPolicy | None = None):
        self.scenario, self.goal, self.policy = scenario, goal, policy
        self.replications, self.seed = replications, seed
        self.executor, self.log = executor, log
        self.measured = measured_intervals(scenario)
        self.blocks = np.arange(self.measured.size)  # judged per interval unless set
        self.cache: dict[bytes, Evaluation] = {}

    def __call__(self, plan: np.ndarray) -> Evaluation:
        """The evaluation of ``plan`` (simulated on first use, then cached)."""
        key = plan.tobytes()
        if key not in self.cache:
            self.cache[key] = self._simulate(plan)
            if self.log is not None:
                failing = int(np.count_nonzero(~self.cache[key].ok))
                declined = ", ".join(map(repr, self.cache[key].declined))
                self.log(f"plan {len(self.cache)}: {int(plan.sum()):,} agent-intervals on the "
                         f"phones, {failing} interval x contact type below the goal"
                         # a goal over offered contacts of a type never chosen cannot be
                         # met by more agents: the search goes on, this says why
                         + (f"; policy {type(self.policy).__qualname__} never chose "
                            f"{declined}" if declined else ""))
        return self.cache[key]

    def _simulate(self, plan: np.ndarray) -> Evaluation:
        return evaluate_plan(self.scenario, plan, self.goal, self.replications, self.seed,
                             self.executor, blocks=self.blocks, full=False,
                             policy=self.policy)

    @property
    def count(self) -> int:
        """Plans simulated so far."""
        return len(self.cache)


@dataclass(frozen=True)
class HoldOut:
    """The hold-out check of a plan: fresh replications, repaired and repeated until it holds.

    The search simulates replications ``0 .. R - 1``; round ``k`` (from 1) of the check
    simulates the plan on replications ``R .. R + k H - 1`` of the same seed: the ``H``
    of earlier rounds again (the plan may have been repaired since) and ``H`` new ones.
    Each replication's random streams are keyed by (seed, replication number), so these
    are random numbers the search never drew, the same ones for the same seed. Judging on
    all the hold-out replications so far, rather than on the new ones alone, keeps the
    repeated check from chasing its own sampling noise: every round knows more.

    Attributes:
        evaluation: The last round's evaluation (the one that held, if any did).
        replications: Hold-out replications added per round (``H``).
        rounds: Rounds simulated.
        first_replication: Number of the first hold-out replication (``R``).
        held: Whether the last round met the goal in every interval.
    """

    evaluation: Evaluation
    replications: int
    rounds: int
    first_replication: int
    held: bool

    @property
    def last_replication(self) -> int:
        """Number of the last hold-out replication simulated."""
        return self.first_replication + self.rounds * self.replications - 1


def hold_out(search, plan: np.ndarray, replications: int, holdout: int,
             rounds: int, tolerance: float, share: float,
             repair_with: Repair | None = None) -> tuple[np.ndarray, HoldOut]:
    """Check ``plan`` on fresh replications; add agents where it misses; check again.

    Agents are added where ``repair_with(plan, check, missed)`` says (groups x
    intervals), by default to each missed type's group of the largest load share
    (``search.additions``); then, where the search's own evaluation of the repaired plan
    misses the goal (more agents in one interval change the queue the next inherits, and
    so its sample), as the up step adds them (``search.raise_until_met``; with
    ``repair_with``, where it says: the repair's choice of group holds for these agents
    too, which otherwise went to the group of the largest load share, a dear one as
    well), so the plan returned meets the goal on the search's replications as well.
    Once it holds, of the agents a round added to a cell several at a time, those neither
    evaluation needs are taken off again (:func:`give_back`): one fewer than a single
    agent added had missed.
    """
    evaluate = search.evaluate
    targets = evaluate.goal.targets(evaluate.scenario)
    floor = plan  # per cell, the fewest agents the give-back may leave
    for k in range(1, rounds + 1):
        def judge(trial: np.ndarray, k: int = k) -> tuple[Evaluation, np.ndarray]:
            check = evaluate_plan(evaluate.scenario, trial, evaluate.goal, k * holdout,
                                  evaluate.seed, evaluate.executor,
                                  first_replication=replications, blocks=search.blocks,
                                  full=False, policy=evaluate.policy)
            return check, holdout_misses(check, targets, evaluate.measured, tolerance, share)

        check, missed = judge(plan)
        if evaluate.log is not None:
            evaluate.log(f"hold-out {k}: replications {replications}-"
                         f"{replications + k * holdout - 1}, {int(missed.sum())} interval x "
                         "contact type below the goal")
        if not missed.any() and k > 1:  # the repairs may have added more than it needs
            plan, check = give_back(search, plan, floor, check, judge)
        if not missed.any() or k == rounds:
            return plan, HoldOut(check, holdout, k, replications, not missed.any())
        add = (search.additions(check, missed) if repair_with is None
               else repair_with(plan, check, missed))
        # more agents can lower another interval's result on the same random numbers (a
        # queue handed on differently): the plan must still meet the goal it reports
        before = plan
        plan, _ = search.raise_until_met(search.add(plan, add, check), repair_with)
        # one agent added: one fewer had just missed; several: all but one may be spare
        floor = np.where(plan - before == 1, plan,
                         np.where(plan - before > 1, np.maximum(floor, before + 1), floor))
    raise AssertionError("unreachable")  # pragma: no cover


def give_back(search, plan: np.ndarray, floor: np.ndarray, check: Evaluation,
              judge: Callable[[np.ndarray], tuple[Evaluation, np.ndarray]]
              ) -> tuple[np.ndarray, Evaluation]:
    """Take off again the agents the repairs added that no evaluation needs.

    A repair adds several agents to a cell far below its target (``step_size``), sized on
    one round's small hold-out sample, and nothing trimmed them: a quiet hour kept 9
    agents where 8 met the goal on the search's replications and on the hold-out's. One
    agent fewer at a time in each cell above ``floor``, in time order, kept where the plan
    still meets the goal on the search's replications and ``judge`` (the hold-out rule on
    this round's replications) rejects nothing; again until a pass keeps none. ``floor``
    (:func:`hold_out`) leaves alone the cells a round raised by one agent: one fewer had
    just missed there, and every trial costs a hold-out's replications.

    Returns:
        The plan and its hold-out evaluation.
    """
    removed, before = True, int(plan.sum())
    while removed:
        removed = False
        for g, b in sorted({(int(g), int(search.blocks[i]))
                            for g, i in zip(*np.nonzero(plan > floor))}, key=lambda c: c[::-1]):
            first = search.members[b][0]
            while plan[g, first] > floor[g, first]:
                trial = search.fewer(plan, [(g, b)])
                if not search.meets(trial):
                    break
                trial_check, missed = judge(trial)
                if missed.any():
                    break
                plan, check, removed = trial, trial_check, True
    if search.evaluate.log is not None and plan.sum() < before:
        search.evaluate.log(f"hold-out: gave back {before - int(plan.sum())} agent-intervals "
                            "its repairs added that neither the search's nor its own "
                            "replications need")
    return plan, check


def holdout_misses(check: Evaluation, target: float | np.ndarray, measured: np.ndarray,
                   tolerance: float, share: float) -> np.ndarray:
    """Contact type x interval cells the hold-out rejects (see :func:`find_staffing`).

    The goal (judged per block, as in the search), and for single intervals: none below
    the target less ``tolerance`` and at most ``share`` of them below the target; if more
    are, all those below their target are rejected. ``target``: one for all contact
    types, or each type's own (:meth:`Goal.targets`).
    """
    target = np.reshape(np.asarray(target, dtype=float), (-1, 1))  # types x 1
    levels = np.where(measured[None, :], check.service_level, np.nan)
    with np.errstate(invalid="ignore"):
        below = levels < target - 1e-12
        missed = ~check.ok | (levels < target - tolerance - 1e-12)
    counted = np.count_nonzero(~np.isnan(levels))
    if counted and np.count_nonzero(below) > share * counted + 1e-9:
        missed |= below
    return missed
