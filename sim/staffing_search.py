"""The staffing search's moves: agents up where the goal is missed, down where it holds.

A plan is agents on the phones per group (rows) and interval (columns); every move is
made on a *cell*, a group in a whole block of intervals (:func:`sim.staffing.load_blocks`;
one interval per block when the search is not smoothed), so a block's intervals stay
equal. Up: add agents where an evaluation misses the goal, until it is met everywhere.
Down, in two parts. The *descent* (:meth:`PlanSearch.lower`): one agent fewer in the
largest group of every block that meets the goal, all at once; the removals whose block
and next interval still meet it stay, the other cells are given up on for the descent,
and the plan is raised until it meets the goal again; cheap, but it leaves removable
agents (cells given up on after joint trials, plans changed since, smaller groups never
tried). The *trim* (:meth:`PlanSearch.trim`): one agent fewer in one cell at a time,
kept if the whole plan still meets the goal, the open cell with the most agent-hours
first, within a budget of simulated plans; without a bound it ends where one agent
fewer in any cell would miss the goal: a local minimum of the search's own evaluation
(same seed, same replications), which ``tests/test_staffing_oracle.py`` checks from
outside, cell by cell. It costs at least one simulation per cell (about ten times the
descent's plans on a day of ``small_bank.yaml``), so by default its budget is the plans
simulated before it (:class:`Trim` says how it ended).

**What a miss proves.** The down step must know, for every cell, that one agent fewer
there misses the goal in the plan as it is at the end, not as it was when that cell was
tried: a removal or an addition elsewhere changes what a cell's queue inherits, and under
common random numbers a change anywhere can tip an interval that barely met the goal
(removing one agent may even let another go). Time's arrow says which earlier trials
still stand. The simulation up to a moment depends on the staffing before it only, and an
interval's counts are settled when its contacts have left the queue or waited past the
threshold (:func:`sim.plan_measures.settle_times`, measured in every evaluation). So a
trial that missed the goal in block ``F`` proves that one agent fewer in that cell misses
it in *every* plan staffed alike in the intervals that start before ``F`` was settled
(:class:`Proofs`): the proof stands while nothing changes there, and the cell is tried
again when something does. (Keeping a cell "minimal" after a later change, or giving up
on every cell of a joint removal that failed, left removable agents in the plans.)

**Trim order.** A bounded trim spends its plans where an agent weighs most: the open
cell with the most agent-hours (ties: the earliest, the largest group). Only plans that
meet the goal everywhere are kept, so the trim never needs the up step again. A change
reopens only the cells whose proofs it touches (the previous block's, mostly, whose last
contacts waited into this one) and those after it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.plan_evaluation import Evaluation
from sim.scenario import Scenario
from sim.schedule import interval_starts
from sim.staffing_check import PlanEvaluator, Repair
from sim.staffing_limits import Ceiling, Stalls, ceiling_error, covering
from sim.staffing_start import load_shares

MAX_STEP = 5  # most agents added to one cell in one round


def step_size(shortfall: float) -> int:
    """Agents to add for a service level ``shortfall`` below target: 1, one more per 0.1."""
    return min(1 + (int(shortfall // 0.1) if shortfall > 0 else 0), MAX_STEP)


class Proofs:
    """For each cell, the plan that missed the goal without one of its agents (module docstring).

    Kept as its staffing up to the end (exclusive column) of the intervals that settle its
    first missed block: one agent fewer in that cell misses the goal in any plan staffed
    alike up there.
    """

    def __init__(self, scenario: Scenario, blocks: np.ndarray):
        self.starts = interval_starts(scenario)
        self.blocks = blocks
        self.proofs: dict[tuple[int, int], tuple[int, bytes]] = {}

    @staticmethod
    def _prefix(plan: np.ndarray, end: int) -> bytes:
        return np.ascontiguousarray(plan[:, :end], dtype=np.int64).tobytes()

    def record(self, cell: tuple[int, int], trial: np.ndarray, result: Evaluation) -> None:
        """Keep ``trial`` (one agent fewer in ``cell``) as proof if ``result`` missed the goal."""
        missed = np.flatnonzero(~result.ok.all(axis=0))
        if missed.size:
            end = self.starts.size
            if result.settled is not None:  # the intervals starting before it was settled
                settled = result.settled[self.blocks == self.blocks[missed[0]]].max()
                end = int(np.searchsorted(self.starts, settled, side="right"))
            self.proofs[cell] = end, self._prefix(trial, end)

    def proven(self, cell: tuple[int, int], trial: np.ndarray) -> bool:
        """Whether ``trial`` (one agent fewer in ``cell``) is staffed like its proof."""
        proof = self.proofs.get(cell)
        return proof is not None and self._prefix(trial, proof[0]) == proof[1]


class PlanSearch:
    """The up and down steps over a groups x intervals plan (see the module docstring)."""

    def __init__(self, scenario: Scenario, evaluate: PlanEvaluator, ceiling: Ceiling,
                 blocks: np.ndarray):
        self.scenario, self.evaluate, self.ceiling = scenario, evaluate, ceiling
        groups = list(scenario.agents)
        shares = load_shares(scenario)
        self.primary = [groups.index(max(shares[t], key=shares[t].get)) for t in shares]
        self.groups = len(groups)
        self.blocks = blocks
        self.members = [np.flatnonzero(blocks == b) for b in range(blocks.max() + 1)]
        n = blocks.size
        self.has_next = (np.arange(n) + 1) % scenario.intervals_per_day != 0
        self.given_up = np.zeros((self.groups, n), dtype=bool)  # by the descent, not proven
        self.targets = evaluate.goal.targets(scenario)  # each type's own
        self.proofs = Proofs(scenario, blocks)
        self.measured_blocks = [b for b, members in enumerate(self.members)
                                if evaluate.measured[members].all()]

    def meets(self, plan: np.ndarray) -> bool:
        """Whether ``plan`` meets the goal everywhere (simulated, or remembered)."""
        return bool(self.evaluate(plan).ok.all())

    def lose(self, plan: np.ndarray, cell: tuple[int, int]) -> np.ndarray | None:
        """``plan`` with one agent fewer in ``cell`` if it still meets the goal, else None.

        A miss is kept as the cell's proof.
        """
        trial = self.fewer(plan, [cell])
        result = self.evaluate(trial)
        if result.ok.all():
            return trial
        self.proofs.record(cell, trial, result)
        return None

    def tie(self, cells: np.ndarray) -> np.ndarray:
        """Each block's largest value in all its intervals (groups x intervals)."""
        tied = cells.copy()
        for members in self.members:
            tied[:, members] = cells[:, members].max(axis=1, keepdims=True)
        return tied

    def additions(self, result: Evaluation, missed: np.ndarray | None = None) -> np.ndarray:
        """Agents to add where ``result`` misses the goal, more the further it is below.

        ``missed`` (types x intervals), if given, says where instead of ``result.ok``.
        """
        add = np.zeros((self.groups, self.blocks.size), dtype=int)
        for t, i in zip(*np.nonzero(~result.ok if missed is None else missed)):
            g = self.primary[t]
            add[g, i] = max(add[g, i], step_size(self.targets[t] - result.service_level[t, i]))
        return self.tie(add)

    def raise_until_met(self, plan: np.ndarray, repair: Repair | None = None
                        ) -> tuple[np.ndarray, Evaluation]:
        """Add agents where the goal is missed until it is met everywhere.

        Where :meth:`additions` says, or ``repair(plan, result, missed)`` (a hold-out
        check's own rule, :func:`sim.staffing_check.hold_out`: the cost search's, where
        service costs least). A cell given one agent is given up on by the descent (one
        fewer just missed). A type the policy never chooses, which more agents cannot help,
        ends it with an error (:class:`sim.staffing_limits.Stalls`), as does a plan above
        the ceiling.
        """
        stalls = Stalls(self.scenario, self.evaluate.goal, self.evaluate.replications,
                        self.evaluate.measured, self.evaluate.policy)
        result = self.evaluate(plan)
        while not result.ok.all():
            stalls.check(plan, result)
            add = (self.additions(result) if repair is None
                   else repair(plan, result, ~result.ok))
            plan = self.add(plan, add, result)
            self.given_up |= add == 1
            result = self.evaluate(plan)
        return plan, result

    def add(self, plan: np.ndarray, add: np.ndarray,
            result: Evaluation | None = None) -> np.ndarray:
        """``plan + add``, refused above the ceiling (``result``: the evaluation it repairs)."""
        plan = plan + add
        ceiling = covering(self.scenario, self.ceiling, result)  # (repeats: more load)
        if plan.max() > ceiling.agents:
            raise ceiling_error(self.scenario, self.evaluate.goal, ceiling, result)
        return plan

    def fewer(self, plan: np.ndarray, cells: list[tuple[int, int]]) -> np.ndarray:
        """``plan`` with one agent fewer in each (group, block) of ``cells``."""
        trial = plan.copy()
        for g, b in cells:
            trial[g, self.members[b]] -= 1
        return trial

    def open_cells(self, plan: np.ndarray) -> list[tuple[int, int]]:
        """Cells that may lose an agent: staffed, measured, not proven to miss without it.

        In time order, the largest group of a block first.
        """
        return [(g, b) for b in self.measured_blocks
                for g in sorted(range(self.groups), key=lambda g: -plan[g, self.members[b][0]])
                if plan[g, self.members[b][0]] > 0
                and not self.proofs.proven((g, b), self.fewer(plan, [(g, b)]))]

    def candidates(self, plan: np.ndarray, result: Evaluation) -> list[tuple[int, int]]:
        """For the descent: the largest group not given up on, per block meeting the goal."""
        cells = set()
        for i in np.flatnonzero(self.evaluate.measured & result.ok.all(axis=0)):
            groups = [g for g in range(self.groups) if plan[g, i] > 0 and not self.given_up[g, i]]
            if groups:
                cells.add((max(groups, key=lambda g: plan[g, i]), int(self.blocks[i])))
        return sorted(cells)

    def lower(self, plan: np.ndarray, max_rounds: int) -> tuple[np.ndarray, bool]:
        """The descent: joint removals; False if ``max_rounds`` ran out first.

        Each round removes one agent from the largest group of every block that meets the
        goal, keeps the removals whose block and next interval still meet it, gives up on
        the others' cells (for the descent) and raises the plan until it meets the goal.
        """
        for _ in range(max_rounds):
            cells = self.candidates(plan, self.evaluate(plan))
            if not cells:
                return plan, True
            met = self.evaluate(self.fewer(plan, cells)).ok.all(axis=0)
            kept = []
            for g, b in cells:
                members = self.members[b]
                after = members[-1] + 1 if self.has_next[members[-1]] else members[-1]
                if met[members].all() and met[after]:
                    kept.append((g, b))
                else:
                    self.given_up[g, members] = True
            plan, _ = self.raise_until_met(self.fewer(plan, kept))
        return plan, False

    def trim(self, plan: np.ndarray, budget: float) -> tuple[np.ndarray, Trim]:
        """Cells tried alone until none is open or ``budget`` plans were simulated.

        The open cell with the most agent-hours first (ties: the earliest, the largest
        group), so a bounded trim spends its plans where an agent weighs most; without a
        bound it ends at a local minimum. ``plan`` meets the goal; so does every plan kept.
        """
        first, before = self.evaluate.count, int(plan.sum())
        hours = self.scenario.interval / 3600.0
        while cells := self.open_cells(plan):
            if self.evaluate.count - first >= budget:
                break
            cell = max(cells, key=lambda c: plan[c[0], self.members[c[1]]].sum())
            trial = self.lose(plan, cell)
            plan = plan if trial is None else trial
        return plan, Trim(budget, self.evaluate.count - first,
                          (before - int(plan.sum())) * hours, len(cells))


@dataclass(frozen=True)
class Trim:
    """The trim: one agent fewer in one cell at a time, within a budget of simulated plans.

    Attributes:
        budget: Most plans it could simulate (``math.inf``: no bound).
        plans: Plans it simulated.
        saved: Agent-hours on the phones it removed.
        open: Cells still untried when it stopped (0: a proven local minimum).
    """

    budget: float
    plans: int
    saved: float
    open: int

    @property
    def minimum(self) -> bool:
        """Whether the plan is a local minimum: one agent fewer in any cell misses the goal."""
        return self.open == 0
