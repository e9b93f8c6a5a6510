"""The idiomatic SimPy model of the Erlang A center that the engine is measured against.

``scenarios/erlang_a.yaml`` written the way SimPy's own examples would: M/M/42+M, 600
calls/h, mean handle time 4 min, mean patience 3 min (40 Erlangs on 42 agents). Shared by
``bench_compare.py`` (side by side with Ciw and ccsim, checked against Erlang A) and
``bench_engine.py`` (the speed ratio in the same run).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np
import simpy

RATE, AHT, AGENTS, PATIENCE = 600 / 3600, 240.0, 42, 180.0


@dataclass
class Callers:
    """What happened to each caller of one implementation's run."""

    arrival: np.ndarray  # seconds from the start
    wait: np.ndarray  # until answered, or until hanging up, seconds
    abandoned: np.ndarray  # bool

    @property
    def n(self) -> int:
        """Number of callers."""
        return int(self.arrival.size)


def simpy_erlang_a(horizon: float, seed: int, draws: str = "random") -> Callers:
    """Idiomatic SimPy M/M/c+M: a process per caller racing its request against patience.

    Args:
        horizon: No arrivals after this time, seconds; the run goes on until all are done.
        seed: Seed of the random numbers.
        draws: ``random`` (``random.Random.expovariate``, as in SimPy's own examples) or
            ``numpy`` (scalar draws from a ``numpy.random.Generator``).
    """
    if draws == "random":
        expovariate = random.Random(seed).expovariate  # takes a rate
    else:
        generator = np.random.default_rng(seed)

        def expovariate(rate: float) -> float:
            return generator.exponential(1 / rate)

    env = simpy.Environment()
    agents = simpy.Resource(env, capacity=AGENTS)
    arrivals, waits, abandons = [], [], []

    def caller(env: simpy.Environment):
        arrived = env.now
        with agents.request() as request:
            result = yield request | env.timeout(expovariate(1 / PATIENCE))
            arrivals.append(arrived)
            waits.append(env.now - arrived)
            if request in result:
                abandons.append(False)
                yield env.timeout(expovariate(1 / AHT))
            else:
                abandons.append(True)

    def source(env: simpy.Environment):
        while True:
            yield env.timeout(expovariate(RATE))
            if env.now >= horizon:
                return
            env.process(caller(env))

    env.process(source(env))
    env.run()
    return Callers(np.array(arrivals), np.array(waits), np.array(abandons, dtype=bool))
