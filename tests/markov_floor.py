"""Exact Markov chains of two floors the README describes (no ccsim code; :mod:`markov` solves).

:class:`WrapUpCenter`: c agents, Poisson arrivals, exponential talk, after-call work and
patience, optional trunk lines. State (agents talking, agents wrapping up, callers
waiting). An agent wrapping up takes no call; the customer has gone, so the line is
free once the talk ends: a call is blocked when talking + waiting callers fill the lines
(``line_until_free`` holds the line through the wrap-up instead: a wrong model, for the
tests to tell apart). The service level comes from the tagged caller's absorbing chain
(state: talking, wrapping, callers ahead; an agent free after a wrap-up takes the head).

:class:`HelpingGroups`: contact types A and B; group ``ga`` answers A, group ``gb``
answers B first (skill priority 1) and A (priority 2), at its own ``speed`` (talk =
handle / speed). An arriving contact goes to the agent idle longest among the groups
that may answer it (README "How the engine works"), so the state keeps the order in
which idle agents went idle (a tuple of group names, longest idle first), the busy
agents per (group, type) and the two queues' lengths. ``group_order`` sends an
arriving A to ``ga`` whenever one of its agents is idle (a wrong model).

:class:`OwnSpeeds`: one group whose agents each talk at their own speed (``speed_cv``),
longest idle agent first: the state is the idle agents in the order they went idle
(agent numbers) and the callers waiting. :class:`Blended`: a blending backlog (below).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from markov import absorbed_by, generator, stationary

SERVED, GONE = "served", "gone"  # the tagged caller's ends


def answered_in_time(joins: dict, tagged, threshold: float) -> float:
    """Sum over start states s of joins[s] x P(``tagged`` goes from s to SERVED in time)."""
    _, index, q = generator([SERVED, *joins], tagged)
    u = absorbed_by(q, index[SERVED], threshold)
    return float(sum(p * u[index[s]] for s, p in joins.items()))


@dataclass(frozen=True)
class WrapKpis:
    """Steady-state KPIs of :class:`WrapUpCenter`, as the README defines them."""

    block_rate: float  # blocked / arrived
    abandon_rate: float  # abandoned / offered
    mean_wait: float  # mean wait of all offered, s (Little's law)
    p_wait: float  # offered callers who found no agent free / offered
    service_level: float  # answered within the threshold / offered
    occupancy: float  # agents talking or wrapping up / agents
    talking: float  # agents talking / agents (occupancy without the wrap-up: wrong)
    cut: float  # share of arrivals lost to the queue's cut (must be tiny)


@dataclass(frozen=True)
class WrapUpCenter:
    """M/M/c+M whose agents wrap up (exponential) after each talk, with ``lines`` trunks."""

    arrival_rate: float
    talk: float  # mean, s
    wrap_up: float  # mean, s
    agents: int
    patience: float = math.inf
    lines: float = math.inf
    line_until_free: bool = False  # the wrong model: the line held through the wrap-up
    max_queue: int = 80

    def on_lines(self, talking: int, wrapping: int, waiting: int) -> int:
        return talking + waiting + (wrapping if self.line_until_free else 0)

    def transitions(self, state):
        t, w, q = state
        out = []
        if self.on_lines(t, w, q) < self.lines:
            if t + w < self.agents:
                out.append(((t + 1, w, q), self.arrival_rate))
            elif q < self.max_queue:
                out.append(((t, w, q + 1), self.arrival_rate))
        out.append(((t - 1, w + 1, q), t / self.talk))
        out.append((((t + 1, w - 1, q - 1) if q else (t, w - 1, q)), w / self.wrap_up))
        if self.patience < math.inf:
            out.append(((t, w, q - 1), q / self.patience))
        return out

    def solve(self, threshold: float) -> WrapKpis:
        states, pi = stationary((0, 0, 0), self.transitions)
        blocked = cut = waits = waiting = busy = talking = 0.0
        joins: dict = {}  # (talking, wrapping, callers ahead) -> P(an arrival joins so)
        for (t, w, q), p in zip(states, pi):
            waiting += p * q
            busy += p * (t + w)
            talking += p * t
            if self.on_lines(t, w, q) >= self.lines:
                blocked += p
            elif t + w == self.agents:
                waits += p
                if q >= self.max_queue:
                    cut += p
                else:
                    joins[(t, w, q)] = joins.get((t, w, q), 0.0) + p
        offered = self.arrival_rate * (1.0 - blocked - cut)
        at_once = self.arrival_rate * (1.0 - blocked - waits)
        in_time = self.arrival_rate * self._answered_in_time(joins, threshold)
        return WrapKpis(
            block_rate=blocked, abandon_rate=waiting / self.patience / offered,
            mean_wait=waiting / offered, p_wait=self.arrival_rate * (waits - cut) / offered,
            service_level=(at_once + in_time) / offered, occupancy=busy / self.agents,
            talking=talking / self.agents, cut=cut)

    def _answered_in_time(self, joins: dict, threshold: float) -> float:
        """P(arrive, wait, be answered within ``threshold``), summed over where one joins."""
        theta = 1.0 / self.patience

        def tagged(state):
            if state in (SERVED, GONE):
                return []
            t, w, ahead = state
            out = [((t - 1, w + 1, ahead), t / self.talk),
                   (((t + 1, w - 1, ahead - 1) if ahead else SERVED), w / self.wrap_up)]
            if theta > 0.0:
                out += [(GONE, theta), ((t, w, ahead - 1), ahead * theta)]
            return out

        return answered_in_time(joins, tagged, threshold)


@dataclass(frozen=True)
class GroupKpis:
    """Steady-state KPIs of :class:`HelpingGroups`, per type and per group."""

    mean_wait: dict  # type -> mean wait of its offered contacts, s
    abandon_rate: dict  # type -> abandoned / offered
    helped: float  # A contacts answered by gb / A contacts answered
    occupancy: dict  # group -> busy agents / agents
    cut: float  # share of arrivals lost to the queues' cut (must be tiny)


@dataclass(frozen=True)
class HelpingGroups:
    """Groups ``ga`` (A) and ``gb`` (B, then A), longest idle agent first.

    Rates per second; ``handle`` and ``patience`` means per type ``(A, B)``, seconds;
    ``agents`` and ``speed`` per group ``(ga, gb)``.
    """

    rates: tuple[float, float]
    handle: tuple[float, float]
    patience: tuple[float, float]
    agents: tuple[int, int]
    speed: tuple[float, float] = (1.0, 1.0)
    group_order: bool = False  # the wrong model: an arriving A tries ga first
    max_queue: int = 40

    def transitions(self, state):
        idle, (aa, ab, bb), (qa, qb) = state
        rate_a, rate_b = self.rates
        out = []
        # an arriving A: the agent idle longest of either group (or ga first)
        if idle:
            i = idle.index("a") if self.group_order and "a" in idle else 0
            busy = (aa + 1, ab, bb) if idle[i] == "a" else (aa, ab + 1, bb)
            out.append(((idle[:i] + idle[i + 1:], busy, (qa, qb)), rate_a))
        elif qa < self.max_queue:
            out.append(((idle, (aa, ab, bb), (qa + 1, qb)), rate_a))
        if "b" in idle:  # an arriving B: gb's agent idle longest
            i = idle.index("b")
            out.append(((idle[:i] + idle[i + 1:], (aa, ab, bb + 1), (qa, qb)), rate_b))
        elif qb < self.max_queue:
            out.append(((idle, (aa, ab, bb), (qa, qb + 1)), rate_b))
        # ga's agent done: the next A, or idle
        done = ((idle, (aa, ab, bb), (qa - 1, qb)) if qa
                else ((*idle, "a"), (aa - 1, ab, bb), (qa, qb)))
        out.append((done, aa * self.speed[0] / self.handle[0]))
        # gb's agent done (an A or a B): the next B, else the next A, else idle
        for finished, rate in (((aa, ab - 1, bb), ab / self.handle[0]),
                               ((aa, ab, bb - 1), bb / self.handle[1])):
            a, b, c = finished
            done = ((idle, (a, b, c + 1), (qa, qb - 1)) if qb
                    else (idle, (a, b + 1, c), (qa - 1, qb)) if qa
                    else ((*idle, "b"), finished, (qa, qb)))
            out.append((done, rate * self.speed[1]))
        out += [((idle, (aa, ab, bb), (qa - 1, qb)), qa / self.patience[0]),
                ((idle, (aa, ab, bb), (qa, qb - 1)), qb / self.patience[1])]
        return out

    def solve(self) -> GroupKpis:
        start = (("a",) * self.agents[0] + ("b",) * self.agents[1], (0, 0, 0), (0, 0))
        states, pi = stationary(start, self.transitions)
        mean = {k: 0.0 for k in ("aa", "ab", "bb", "qa", "qb")}
        cut = [0.0, 0.0]
        for (idle, busy, queues), p in zip(states, pi):
            for k, v in zip(("aa", "ab", "bb", "qa", "qb"), (*busy, *queues)):
                mean[k] += p * v
            cut[0] += p * (not idle and queues[0] >= self.max_queue)
            cut[1] += p * ("b" not in idle and queues[1] >= self.max_queue)
        offered = [r * (1.0 - c) for r, c in zip(self.rates, cut)]
        waiting = (mean["qa"], mean["qb"])
        by_ga, by_gb = mean["aa"] * self.speed[0], mean["ab"] * self.speed[1]  # x 1 / handle
        return GroupKpis(
            mean_wait={t: waiting[i] / offered[i] for i, t in enumerate("AB")},
            abandon_rate={t: waiting[i] / self.patience[i] / offered[i]
                          for i, t in enumerate("AB")},
            helped=by_gb / (by_ga + by_gb),
            occupancy={"ga": mean["aa"] / self.agents[0],
                       "gb": (mean["ab"] + mean["bb"]) / self.agents[1]},
            cut=max(c * r for c, r in zip(cut, self.rates)) / sum(self.rates))


@dataclass(frozen=True)
class BlendKpis:
    """Steady-state KPIs of :class:`Blended`."""

    call_wait: float  # mean wait of offered calls, s
    call_abandon: float  # abandoned calls / offered calls
    call_level: float  # calls answered within the threshold / offered calls
    backlog_wait: float  # mean wait of the backlog's contacts, s
    occupancy: float  # busy agents / agents
    cut: float  # share of arrivals lost to the queues' cut (must be tiny)


@dataclass(frozen=True)
class Blended:
    """One group: calls (with patience) first, a backlog (no patience) kept off ``reserve``.

    README "Journeys", blending: the backlog is worked after every other skill, and only
    while ``reserve`` other agents stay idle: an arriving backlog contact is taken if more
    than ``reserve`` agents are idle; a freed agent with no call waiting takes one if at
    least ``reserve`` others are idle. State (on calls, on the backlog, calls waiting,
    backlog waiting); ``(mean handle, rate)`` of calls and of the backlog.
    """

    calls: tuple[float, float]
    backlog: tuple[float, float]
    patience: float
    agents: int
    reserve: int
    max_calls: int = 40
    max_backlog: int = 400

    def transitions(self, state):
        c, e, qc, qe = state
        idle = self.agents - c - e
        (call_aht, call_rate), (mail_aht, mail_rate) = self.calls, self.backlog
        out = []
        if idle:
            out.append(((c + 1, e, qc, qe), call_rate))
        elif qc < self.max_calls:
            out.append(((c, e, qc + 1, qe), call_rate))
        if idle > self.reserve:
            out.append(((c, e + 1, qc, qe), mail_rate))
        elif qe < self.max_backlog:
            out.append(((c, e, qc, qe + 1), mail_rate))
        for done, rate in (((c - 1, e), c / call_aht), ((c, e - 1), e / mail_aht)):
            a, b = done  # one agent freed, idle others: agents - a - b - 1
            nxt = ((a + 1, b, qc - 1, qe) if qc
                   else (a, b + 1, qc, qe - 1) if qe and self.agents - a - b - 1 >= self.reserve
                   else (a, b, qc, qe))
            out.append((nxt, rate))
        out.append(((c, e, qc - 1, qe), qc / self.patience))
        return out

    def solve(self, threshold: float) -> BlendKpis:
        states, pi = stationary((0, 0, 0, 0), self.transitions)
        call_rate, mail_rate = self.calls[1], self.backlog[1]
        qc = qe = busy = at_once = cut_c = cut_e = 0.0
        joins: dict = {}  # (on calls, on backlog, calls ahead) -> P(a call joins so)
        for (c, e, n, m), p in zip(states, pi):
            qc, qe, busy = qc + p * n, qe + p * m, busy + p * (c + e)
            if c + e < self.agents:
                at_once += p
            elif n >= self.max_calls:
                cut_c += p
            else:
                joins[(c, e, n)] = joins.get((c, e, n), 0.0) + p
            if self.agents - c - e <= self.reserve and m >= self.max_backlog:
                cut_e += p
        offered = call_rate * (1.0 - cut_c)
        in_time = self._answered_in_time(joins, threshold)
        return BlendKpis(call_wait=qc / offered, call_abandon=qc / self.patience / offered,
                         call_level=call_rate * (at_once + in_time) / offered,
                         backlog_wait=qe / (mail_rate * (1.0 - cut_e)),
                         occupancy=busy / self.agents, cut=max(cut_c, cut_e))

    def _answered_in_time(self, joins: dict, threshold: float) -> float:
        """P(a call waits, then is answered within ``threshold``), summed over where it joins.

        While it waits every agent is busy, and a freed one takes the head call.
        """
        rates = (1.0 / self.calls[0], 1.0 / self.backlog[0])

        def tagged(state):
            if state in (SERVED, GONE):
                return []
            c, e, ahead = state
            head = ((c + 1, e - 1, ahead - 1), (c, e, ahead - 1)) if ahead else (SERVED, SERVED)
            return [(head[1], c * rates[0]), (head[0], e * rates[1]),
                    (GONE, 1.0 / self.patience), ((c, e, ahead - 1), ahead / self.patience)]

        return answered_in_time(joins, tagged, threshold)


@dataclass(frozen=True)
class OwnSpeeds:
    """M/M/n+M whose agent i finishes at speeds[i] / handle; arrivals to the longest idle."""

    arrival_rate: float
    handle: float
    patience: float
    speeds: tuple[float, ...]
    max_queue: int = 40

    def transitions(self, state):
        idle, q = state
        out = [(((idle[1:], q) if idle else (idle, q + 1)), self.arrival_rate)
               if idle or q < self.max_queue else ((idle, q), 0.0)]
        for agent, speed in enumerate(self.speeds):
            if agent not in idle:  # busy: done, then the next caller or idle (the newest)
                out.append((((idle, q - 1) if q else ((*idle, agent), q)), speed / self.handle))
        out.append(((idle, q - 1), q / self.patience))
        return out

    def solve(self) -> dict[str, float]:
        """``mean_wait`` (s), ``abandon_rate``, ``occupancy`` and ``cut`` (must be tiny)."""
        states, pi = stationary((tuple(range(len(self.speeds))), 0), self.transitions)
        waiting = sum(p * q for (_, q), p in zip(states, pi))
        busy = sum(p * (len(self.speeds) - len(idle)) for (idle, _), p in zip(states, pi))
        cut = sum(p for (idle, q), p in zip(states, pi) if not idle and q >= self.max_queue)
        offered = self.arrival_rate * (1.0 - cut)
        return {"mean_wait": waiting / offered, "abandon_rate": waiting / self.patience / offered,
                "occupancy": busy / len(self.speeds), "cut": cut}


@dataclass(frozen=True)
class IvrLines:
    """M/M/c+M behind an exponential IVR menu (``self_service`` solved there), on ``lines``.

    State (callers in the menu, agents talking, callers waiting). A call takes a line on
    arrival and keeps it through the menu (``line_in_menu`` False frees it there: a wrong
    model, the menu cut at 30 callers), the queue and the talk.
    """

    arrival_rate: float
    menu: float  # mean, s
    self_service: float
    handle: float
    patience: float
    agents: int
    lines: int
    line_in_menu: bool = True

    def on_lines(self, state) -> int:
        i, t, q = state
        return t + q + (i if self.line_in_menu else 0)

    def transitions(self, state):
        i, t, q = state
        out = [((i + 1, t, q), self.arrival_rate)] if self.on_lines(state) < self.lines \
            and i < 30 else []
        left = (i - 1, t + 1, q) if t < self.agents else (i - 1, t, q + 1)
        out += [((i - 1, t, q), i / self.menu * self.self_service),
                (left, i / self.menu * (1.0 - self.self_service)),
                (((i, t, q - 1) if q else (i, t - 1, q)), t / self.handle),
                ((i, t, q - 1), q / self.patience)]
        return out

    def solve(self) -> dict[str, float]:
        """``block_rate`` (of arrivals), ``abandon_rate`` and ``mean_wait`` (of offered)."""
        states, pi = stationary((0, 0, 0), self.transitions)
        blocked = sum(p for s, p in zip(states, pi) if self.on_lines(s) >= self.lines)
        waiting = sum(p * s[2] for s, p in zip(states, pi))
        offered = self.arrival_rate * (1.0 - blocked) * (1.0 - self.self_service)
        return {"block_rate": blocked, "abandon_rate": waiting / self.patience / offered,
                "mean_wait": waiting / offered}
