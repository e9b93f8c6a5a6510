"""The staffing search's moves: agents up where the goal is missed, down where it holds.

A plan is agents on the phones per group (rows) and interval (columns); every move is
made on a *cell*, a group in a whole block of intervals (:func:`sim.staffing.load_blocks`;
one interval per block when the search is not smoothed), so a block's intervals stay
equal. Up: add agents where an evaluation misses the goal, until it is met everywhere.
Down: remove one agent from a cell while the whole plan still meets the goal, until one
agent fewer in any cell would miss it: a local minimum of the search's own evaluation
(same seed, same replications), which ``tests/test_staffing_oracle.py`` checks from
outside, cell by cell.

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

**Joint trials first.** Far above the minimum most cells can lose an agent: one trial
removes one agent from the largest open group of every block at once and keeps the plan
if it meets the goal everywhere; else it leaves out the blocks that missed and tries
again, a few times. Then every open cell is tried alone, in time order, a block until
none of its cells is open, then the next: a change reopens only the cells whose proofs
it touches (the previous block's, mostly, whose last contacts waited into this one) and
those after it. Only plans that meet the goal everywhere are kept, so the down step
never needs the up step again. The price: at least one simulation per cell at the end
(a joint trial that misses proves nothing about any one cell), about three per cell in
all.
"""

from __future__ import annotations

import numpy as np

from sim.plan_evaluation import Evaluation
from sim.scenario import Scenario
from sim.schedule import interval_starts
from sim.staffing_check import PlanEvaluator
from sim.staffing_start import load_shares

MAX_STEP = 5  # most agents added to one cell in one round
JOINT_TRIES = 4  # most joint trials before a removal that meets the goal


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

    def __init__(self, scenario: Scenario, evaluate: PlanEvaluator, max_agents: int,
                 blocks: np.ndarray):
        self.scenario, self.evaluate, self.max_agents = scenario, evaluate, max_agents
        groups = list(scenario.agents)
        shares = load_shares(scenario)
        self.primary = [groups.index(max(shares[t], key=shares[t].get)) for t in shares]
        self.groups = len(groups)
        self.blocks = blocks
        self.members = [np.flatnonzero(blocks == b) for b in range(blocks.max() + 1)]
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

    def raise_until_met(self, plan: np.ndarray) -> tuple[np.ndarray, Evaluation]:
        """Add agents where the goal is missed until it is met everywhere."""
        result = self.evaluate(plan)
        while not result.ok.all():
            plan = self.add(plan, self.additions(result))
            result = self.evaluate(plan)
        return plan, result

    def add(self, plan: np.ndarray, add: np.ndarray) -> np.ndarray:
        """``plan + add``, refused above ``max_agents``."""
        plan = plan + add
        if plan.max() > self.max_agents:
            raise ValueError(f"no staffing up to {self.max_agents} agents per group meets "
                             "the goal in every interval")
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

    def joint(self, plan: np.ndarray, cells: list[tuple[int, int]]) -> np.ndarray | None:
        """One agent fewer in the first open cell of many blocks at once, if the plan meets.

        Starts with every block; after a miss, leaves out the blocks that missed (or, if
        none did, the last one before the first miss) and tries again, at most
        :data:`JOINT_TRIES` times. None if no trial met the goal.
        """
        chosen = list({b: (g, b) for g, b in reversed(cells)}.values())[::-1]
        for _ in range(JOINT_TRIES):
            if len(chosen) < 2:
                return None
            trial = self.fewer(plan, chosen)
            if self.meets(trial):
                return trial
            met = self.evaluate(trial).ok.all(axis=0)
            kept = [(g, b) for g, b in chosen if met[self.members[b]].all()]
            if len(kept) == len(chosen):  # missed elsewhere: leave out the last before
                first = int(np.flatnonzero(~met)[0])
                kept.pop(max(k for k, (_, b) in enumerate(chosen)
                             if self.members[b][0] <= first))
            chosen = kept
        return None

    def lower(self, plan: np.ndarray, max_rounds: int) -> tuple[np.ndarray, bool]:
        """Remove agents while the goal stays met; False if ``max_rounds`` ran out first.

        ``plan`` meets the goal; so does every plan kept. At most ``max_rounds`` joint
        trials (while they succeed), then cells tried alone in time order, each open cell
        of a block until none is left, then the first open block again: at most
        ``max_rounds`` trials per cell on average.
        """
        rounds = 0
        while rounds < max_rounds:
            trial = self.joint(plan, self.open_cells(plan))
            if trial is None:
                break
            plan, rounds = trial, rounds + 1
        budget = max_rounds * self.groups * len(self.measured_blocks)
        while cells := self.open_cells(plan):
            block = cells[0][1]
            for cell in [cell for cell in cells if cell[1] == block]:
                if budget == 0:
                    return plan, False
                budget -= 1
                trial = self.lose(plan, cell)
                plan = plan if trial is None else trial
        return plan, True
