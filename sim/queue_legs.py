"""Second legs per queue: the waits a transfer, escalation or consult starts, counted per interval.

A contact's first wait is what the contact KPIs judge (``wait``, ``service_level``). Its
later queue visits (a transfer, an escalation, a misrouted call sent on to the right
queue) and the consult requests an agent places wait in other queues, often ones with
no first contacts of their own: a specialist desk reached only by transfer. An ACD judges
every call offered to a queue; a staffing search that judged first waits only would leave
such a desk empty and call the goal met while its customers wait for ever. Here, per
queue (contact type, scenario order) and interval of entry, the legs that entered it
other than as a contact's first leg: answered within the queue type's threshold, and the
service level's denominator by the scenario's definition, as for first contacts; then
when those counts were settled (as :func:`sim.plan_measures.settle_times`). A customer's
leg still waiting when the run ended is there too (reason ``unfinished``, answered NaN):
offered, not answered, as a first contact left so (a consult request is not).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.intervals import interval_index
from sim.metrics import measured_window
from sim.scenario import Scenario
from sim.scenario_contacts import ServiceLevelDefinition

# the sums of second legs a plan is judged by, then the two settle times (as SETTLED)
LEG_SUMS = ("leg_in_time", "leg_denominator")


def second_leg_sums(legs: pd.DataFrame, scenario: Scenario) -> np.ndarray:
    """:data:`LEG_SUMS` then settle times (in time, exit) per queue and interval (4 x types x n).

    ``legs``: one replication's legs table (:func:`sim.frames.legs_frame`; empty without
    journeys: zero counts, settle times -infinite). A contact's first leg is its earliest
    entry into a queue; consult requests (``contact_id`` -1) are second legs; a second
    answer by an uncoordinated team (``duplicate``) is no queue visit.
    """
    types = list(scenario.contact_types)
    n = scenario.intervals_per_day * scenario.days
    out = np.zeros((len(LEG_SUMS) + 2, len(types), n))
    out[len(LEG_SUMS):] = -np.inf
    if not len(legs):
        return out
    contact = legs["contact_id"].to_numpy()
    enqueued = legs["enqueued"].to_numpy(dtype=float)
    order = np.lexsort((enqueued, contact))
    first = np.zeros(contact.size, dtype=bool)
    sorted_contact = contact[order]
    first[order] = (sorted_contact >= 0) & np.r_[True, sorted_contact[1:] != sorted_contact[:-1]]
    second = ~first & (legs["reason"].to_numpy() != "duplicate")
    second &= measured_window(scenario).contacts(enqueued)
    queue = legs["queue"].cat.codes.to_numpy()
    answer = legs["answered"].to_numpy(dtype=float)
    wait = legs["wait"].to_numpy(dtype=float)
    exit_ = np.where(np.isnan(answer), legs["ended"].to_numpy(dtype=float), answer)
    index = interval_index(enqueued, scenario)
    definition = scenario.service_level.definition
    gave_up = legs["reason"].to_numpy() == "abandoned"  # a short abandon's (not unfinished)
    for t, name in enumerate(types):
        rows = second & (queue == t)
        if not rows.any():
            continue
        threshold = scenario.threshold(name)
        answered, within = ~np.isnan(answer[rows]), wait[rows] <= threshold
        counted = {ServiceLevelDefinition.OFFERED: np.ones_like(answered),
                   ServiceLevelDefinition.ANSWERED: answered,
                   ServiceLevelDefinition.SHORT_ABANDONS_EXCLUDED: ~(gave_up[rows] & within),
                   }[definition]
        at = index[rows]
        out[0, t] = np.bincount(at[answered & within], minlength=n)
        out[1, t] = np.bincount(at[counted], minlength=n)
        np.maximum.at(out[2, t], at, np.minimum(exit_[rows], enqueued[rows] + threshold))
        np.maximum.at(out[3, t], at, exit_[rows])
    return out
