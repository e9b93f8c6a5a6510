"""Engine against exact Markov chains for features the theory tests leave thin.

Checked: non-preemptive priority with class-dependent handle times and patience; chat
concurrency with a slowdown and patience; warm transfers holding the first agent; cold
transfers with priority (Cobham); balking with redials after balking and abandoning; and
one FCFS queue across two types with different handle times. Each chain is built and
solved here with numpy/scipy on a truncated state space (BFS, pi Q = 0, no ccsim code);
the truncated mass is asserted negligible. The simulation must be within 4 standard
errors over replications (not tuned). Written by an outside check of the features
against Markov chains; all agreed.
"""

import math

import numpy as np
from scipy import sparse
from scipy.sparse.linalg import spsolve

import sim

WARM = 7200.0


def expo(m):
    """Return an exponential distribution of mean ``m`` minutes."""
    return {"dist": "exponential", "mean": f"{m}m"}


def stationary(start, moves):
    """Solve pi Q = 0 on the states reachable from ``start`` by ``moves``.

    ``moves(state)`` gives (target, rate) pairs; returns the states and their probabilities.
    """
    index, states, rows, cols, vals = {start: 0}, [start], [], [], []
    i = 0
    while i < len(states):
        for t, r in moves(states[i]):
            if r <= 0 or t == states[i]:
                continue
            if t not in index:
                index[t] = len(states)
                states.append(t)
            rows.append(i)
            cols.append(index[t])
            vals.append(r)
        i += 1
    n = len(states)
    q_mat = sparse.coo_matrix((vals, (rows, cols)), shape=(n, n)).tocsr()
    q_mat = q_mat - sparse.diags(np.asarray(q_mat.sum(axis=1)).ravel())
    a_mat = q_mat.T.tolil()
    a_mat[0, :] = 1.0
    b = np.zeros(n)
    b[0] = 1.0
    return states, spsolve(a_mat.tocsc(), b)


def agree(name, values, theory, k=4.0):
    """Assert the mean of ``values`` is within ``k`` standard errors of ``theory``."""
    v = np.asarray(values, float)
    m, se = v.mean(), v.std(ddof=1) / math.sqrt(len(v))
    assert abs(m - theory) <= k * se, f"{name}: sim {m:.5g} ± {se:.3g} (SE), chain {theory:.5g}"


def per_rep(contacts, f):
    """Apply ``f`` to each replication's contacts."""
    return contacts.groupby("replication").apply(f).to_numpy()


def agree_queue(name, contacts, queued, lam, theta):
    """A class's mean wait and abandon rate against its chain's mean queue ``queued``.

    Little's law: mean wait = E[queued] / lam (minutes here, seconds in the run), and an
    exponential patience of rate ``theta`` abandons E[queued] * theta of lam.
    """
    agree(f"{name} mean wait", per_rep(contacts, lambda x: x.wait.mean()), queued / lam * 60)
    agree(f"{name} abandon", per_rep(contacts, lambda x: x.abandoned.mean()),
          queued * theta / lam)


def test_priority_unequal_handle_and_patience():
    """Non-preemptive priority, class-dependent handle and patience.

    Chain (b1, b2, n1, n2).
    """
    staff, cut = 3, 60
    lam, mu, theta = (0.8, 1.0), (1 / 1.5, 1.0), (1 / 2.0, 1 / 4.0)

    def moves(s):
        b1, b2, n1, n2 = s
        out = []
        if b1 + b2 < staff:
            out += [((b1 + 1, b2, n1, n2), lam[0]), ((b1, b2 + 1, n1, n2), lam[1])]
        else:
            if n1 < cut:
                out.append(((b1, b2, n1 + 1, n2), lam[0]))
            if n2 < cut:
                out.append(((b1, b2, n1, n2 + 1), lam[1]))
        for k, bb in enumerate((b1, b2)):
            if bb:
                nb = [b1, b2]
                nb[k] -= 1
                t = (
                    (nb[0] + 1, nb[1], n1 - 1, n2)
                    if n1
                    else (nb[0], nb[1] + 1, n1, n2 - 1)
                    if n2
                    else (nb[0], nb[1], 0, 0)
                )
                out.append((t, bb * mu[k]))
        if n1:
            out.append(((b1, b2, n1 - 1, n2), n1 * theta[0]))
        if n2:
            out.append(((b1, b2, n1, n2 - 1), n2 * theta[1]))
        return out

    states, pi = stationary((0, 0, 0, 0), moves)
    sm = np.array(states)
    assert pi[(sm[:, 2] == cut) | (sm[:, 3] == cut)].sum() < 1e-5
    sc = sim.scenario_from_dict(
        {
            "name": "prio",
            "days": 2,
            "interval": "1h",
            "warmup": "2h",
            "contact_types": {
                "lo": {"arrivals": {"rate": "60/h"}, "handle": expo(1), "patience": expo(4)},
                "hi": {"arrivals": {"rate": "48/h"}, "handle": expo(1.5), "patience": expo(2)},
            },
            "agents": {"pool": {"skills": {"hi": 1, "lo": 2}, "staff": staff}},
        }
    )
    r = sim.run(sc, seed=3, replications=20)
    c = r.contacts[r.contacts.arrival >= WARM]
    for k, name in ((0, "hi"), (1, "lo")):
        d = c[c.contact_type == name]
        agree_queue(name, d, (pi * sm[:, 2 + k]).sum(), lam[k], theta[k])
        agree(
            f"{name} P(wait)",
            per_rep(d, lambda x: (x.wait > 0).mean()),
            pi[sm[:, 0] + sm[:, 1] == staff].sum(),
        )
    agree("occupancy", r.replications.occupancy, (pi * (sm[:, 0] + sm[:, 1])).sum() / staff)


def test_chat_concurrency_with_slowdown_and_patience():
    """2 agents x 3 chats, each 1.3x slower: Erlang A on 6 slots at rate 1/(1.3 h)."""
    agents, conc, slow, handle, pat, lam, cut = 2, 3, 1.3, 5.0, 3.0, 0.8, 80
    n_s, mu = agents * conc, 1 / (handle * slow)

    def moves(s):
        b, n = s
        out = []
        if b < n_s:
            out.append(((b + 1, 0), lam))
        elif n < cut:
            out.append(((b, n + 1), lam))
        if b:
            out.append((((b, n - 1) if n else (b - 1, 0)), b * mu))
        if n:
            out.append(((b, n - 1), n / pat))
        return out

    states, pi = stationary((0, 0), moves)
    sm = np.array(states)
    e_n = (pi * sm[:, 1]).sum()
    sc = sim.scenario_from_dict(
        {
            "name": "chat",
            "days": 2,
            "interval": "1h",
            "warmup": "2h",
            "contact_types": {
                "chat": {
                    "channel": "chat",
                    "arrivals": {"rate": f"{lam * 60:g}/h"},
                    "handle": expo(handle),
                    "patience": expo(pat),
                }
            },
            "agents": {
                "desk": {
                    "skills": ["chat"],
                    "staff": agents,
                    "concurrency": conc,
                    "concurrency_slowdown": slow,
                }
            },
        }
    )
    r = sim.run(sc, seed=3, replications=20)
    c = r.contacts[r.contacts.arrival >= WARM]
    agree("mean wait", per_rep(c, lambda x: x.wait.mean()), e_n / lam * 60)
    agree("abandon", per_rep(c, lambda x: x.abandoned.mean()), e_n / pat / lam)
    agree("P(wait)", per_rep(c, lambda x: (x.wait > 0).mean()), pi[sm[:, 0] == n_s].sum())
    agree("occupancy (slots)", r.replications.occupancy, (pi * sm[:, 0]).sum() / n_s)


def test_warm_transfer_holds_first_agent():
    """Warm transfers a -> b (b has no own callers).

    Chain (queue a, talking a, holding a, busy b).
    """
    ca, cb, lam, ha, hb, p, cut = 5, 2, 1.0, 3.0, 4.0, 0.3, 80

    def free(q, t, h):
        return (q - 1, t + 1, h) if q else (q, t, h)

    def moves(s):
        q, t, h, b = s
        out = []
        if t + h < ca:
            out.append(((q, t + 1, h, b), lam))
        elif q < cut:
            out.append(((q + 1, t, h, b), lam))
        if t:
            out.append(((*free(q, t - 1, h), b), t / ha * (1 - p)))
            target = (*free(q, t - 1, h), b + 1) if b < cb else (q, t - 1, h + 1, b)
            out.append((target, t / ha * p))
        if b:
            out.append((((*free(q, t, h - 1), b) if h else (q, t, h, b - 1)), b / hb))
        return out

    states, pi = stationary((0, 0, 0, 0), moves)
    sm = np.array(states)
    assert pi[sm[:, 0] == cut].sum() < 1e-5
    e_q, e_t, e_h, e_b = (pi[:, None] * sm).sum(0)
    sc = sim.scenario_from_dict(
        {
            "name": "warm",
            "days": 2,
            "interval": "1h",
            "warmup": "2h",
            "contact_types": {
                "a": {
                    "arrivals": {"rate": f"{lam * 60:g}/h"},
                    "handle": expo(ha),
                    "transfer": {"probability": p, "to": "b", "mode": "warm"},
                },
                "b": {"arrivals": {"rate": "0/h"}, "handle": expo(hb)},
            },
            "agents": {
                "ga": {"skills": ["a"], "staff": ca},
                "gb": {"skills": ["b"], "staff": cb},
            },
        }
    )
    r = sim.run(sc, seed=3, replications=20)
    c = r.contacts[r.contacts.arrival >= WARM]
    agree("first wait", per_rep(c, lambda x: x.wait.mean()), e_q / lam * 60)
    agree("queue time", per_rep(c, lambda x: x.queue_time.mean()), (e_q + e_h) / lam * 60)
    bg = r.by_group_replications
    agree("ga occupancy (talk + hold)", bg[bg.group == "ga"].occupancy, (e_t + e_h) / ca)
    agree("gb occupancy", bg[bg.group == "gb"].occupancy, e_b / cb)


def test_priority_cold_transfer_is_cobham():
    """Cold transfers with priority: true into b: Poisson (Burke) priority class, Cobham."""
    ca, cb, la, lb, ha, hb, p = 6, 3, 1.5, 1.0, 3.0, 1.2, 0.5
    lam1, lam2, mu = la * p, lb, 1 / hb
    a = (lam1 + lam2) / mu
    s = sum(a**k / math.factorial(k) for k in range(cb))
    t = a**cb / math.factorial(cb) * cb / (cb - a)
    wait = t / (s + t)
    s1, s2 = lam1 / (cb * mu), (lam1 + lam2) / (cb * mu)
    sc = sim.scenario_from_dict(
        {
            "name": "prio-tr",
            "days": 2,
            "interval": "1h",
            "warmup": "2h",
            "contact_types": {
                "a": {
                    "arrivals": {"rate": f"{la * 60:g}/h"},
                    "handle": expo(ha),
                    "transfer": {"probability": p, "to": "b", "mode": "cold", "priority": True},
                },
                "b": {"arrivals": {"rate": f"{lb * 60:g}/h"}, "handle": expo(hb)},
            },
            "agents": {
                "ga": {"skills": ["a"], "staff": ca},
                "gb": {"skills": ["b"], "staff": cb},
            },
        }
    )
    r = sim.run(sc, seed=9, replications=60)
    legs = r.legs[(r.legs.enqueued >= WARM) & (r.legs.queue == "b")]
    c = r.contacts
    own = set(zip(c[c.contact_type == "b"].replication, c[c.contact_type == "b"].contact_id))
    mine = np.array([(x, y) in own for x, y in zip(legs.replication, legs.contact_id)])
    agree(
        "transferred wait in b",
        legs[~mine].groupby("replication").wait.mean(),
        wait / (cb * mu * (1 - s1)) * 60,
    )
    agree(
        "own wait in b",
        legs[mine].groupby("replication").wait.mean(),
        wait / (cb * mu * (1 - s1) * (1 - s2)) * 60,
    )


def test_balking_with_redials_after_balk_and_abandon():
    """Balking on the queue (place x 0.15) with redials after balking and abandoning.

    Chain (b, n, orbit).
    """
    staff, lam, handle, pat, per_pos = 3, 0.9, 3.0, 4.0, 0.15
    pb, pa, delay, nc, mc = 0.6, 0.4, 5.0, 40, 40

    def beta(n):
        return min(1.0, per_pos * (n + 1))

    def moves(s):
        b, n, m = s
        out = []
        for rate, dm in ((lam, 0), (m / delay, -1)):
            if rate == 0:
                continue
            mm = m + dm
            if b < staff:
                out.append(((b + 1, n, mm), rate))
                continue
            bb = beta(n)
            if mm < mc:
                out.append(((b, n, mm + 1), rate * bb * pb))
            out.append(((b, n, mm), rate * bb * (1 - pb if mm < mc else 1)))
            if n < nc:
                out.append(((b, n + 1, mm), rate * (1 - bb)))
        if b:
            out.append((((b, n - 1, m) if n else (b - 1, 0, m)), b / handle))
        if n:
            if m < mc:
                out.append(((b, n - 1, m + 1), n / pat * pa))
            out.append(((b, n - 1, m), n / pat * (1 - pa if m < mc else 1)))
        return out

    states, pi = stationary((0, 0, 0), moves)
    sm = np.array(states)
    assert pi[(sm[:, 1] == nc) | (sm[:, 2] == mc)].sum() < 1e-5
    e_m, e_n = (pi * sm[:, 2]).sum(), (pi * sm[:, 1]).sum()
    betas = np.array([beta(n) for n in sm[:, 1]])
    balk = (pi * (lam + sm[:, 2] / delay) * (sm[:, 0] == staff) * betas).sum()
    tot = lam + e_m / delay
    off = tot - balk
    sc = sim.scenario_from_dict(
        {
            "name": "balk-retrial",
            "days": 2,
            "interval": "1h",
            "warmup": "2h",
            "contact_types": {
                "calls": {
                    "arrivals": {"rate": f"{lam * 60:g}/h"},
                    "handle": expo(handle),
                    "patience": expo(pat),
                    "balking": {"announce": "none", "per_position": per_pos},
                    "retrial": {
                        "after_balk": pb,
                        "after_abandon": pa,
                        "after_busy": 0.0,
                        "delay": expo(delay),
                        "max_attempts": 100,
                    },
                }
            },
            "agents": {"pool": {"skills": ["calls"], "staff": staff}},
        }
    )
    r = sim.run(sc, seed=8, replications=100)
    c = r.contacts[r.contacts.arrival >= WARM]
    agree("balk_rate", r.replications.balk_rate, balk / tot)
    agree("abandon_rate", r.replications.abandon_rate, e_n / pat / off)
    agree("mean_wait", r.replications.mean_wait, e_n / off * 60)
    agree(
        "redial share",
        per_rep(c, lambda x: (x.origin == "retrial").mean()),
        e_m / delay / tot,
    )


def test_fcfs_across_types_with_different_handle_times():
    """Two types, same skill priority, one pool: one FCFS queue; chain keeps the queue's order."""
    staff, cut = 2, 9
    lam, mu, theta = (0.6, 0.5), (1 / 2.0, 1 / 0.8), (1 / 2.0, 1 / 4.0)

    def moves(s):
        b1, b2, q = s
        out = []
        b = [b1, b2]
        for k in (0, 1):
            if b1 + b2 < staff:
                nb = b[:]
                nb[k] += 1
                out.append(((nb[0], nb[1], q), lam[k]))
            elif len(q) < cut:
                out.append(((b1, b2, (*q, k)), lam[k]))
            if b[k]:
                nb = b[:]
                nb[k] -= 1
                if q:
                    nb[q[0]] += 1
                out.append(((nb[0], nb[1], q[1:]), b[k] * mu[k]))
        for i, k in enumerate(q):
            out.append(((b1, b2, q[:i] + q[i + 1 :]), theta[k]))
        return out

    states, pi = stationary((0, 0, ()), moves)
    # its effect on waits: far under 1 SE
    assert sum(p for s, p in zip(states, pi) if len(s[2]) == cut) < 1e-4
    sc = sim.scenario_from_dict(
        {
            "name": "fcfs",
            "days": 2,
            "interval": "1h",
            "warmup": "2h",
            "contact_types": {
                "x": {
                    "arrivals": {"rate": "36/h"},
                    "handle": expo(2.0),
                    "patience": expo(2.0),
                },
                "y": {
                    "arrivals": {"rate": "30/h"},
                    "handle": expo(0.8),
                    "patience": expo(4.0),
                },
            },
            "agents": {"pool": {"skills": ["x", "y"], "staff": staff}},
        }
    )
    r = sim.run(sc, seed=13, replications=150)
    c = r.contacts[r.contacts.arrival >= WARM]
    for k, name in ((0, "x"), (1, "y")):
        queued = sum(p * s[2].count(k) for s, p in zip(states, pi))
        agree_queue(name, c[c.contact_type == name], queued, lam[k], theta[k])
