"""The version of what the engine records, and why each version changed it.

:func:`sim.engine.run_replication` is a pure function of the scenario, the seed and the
replication; its records change only on purpose, and every such change raises
:data:`RESULTS_VERSION` with its reason below (``tests/golden.py`` pins the records of
every bundled scenario; sweeps store the version they were run with, so a resumed sweep
never mixes records of two versions).
"""

# Version of the engine's results: bumped by any change that alters the records of a
# scenario and seed (a fix, a new decision drawn), never by one that only makes the engine
# faster. Resumable sweeps refuse to mix results of different versions.
# 2: the end of a plain call is scheduled when it is answered, so where two events fall on
# exactly the same instant (constant handle times, hand-given arrivals) it may come first
# 3: journey decisions and durations keyed by the customer and step (not drawn in event
# order); only phone contacts take trunk lines; idle agents go home at closing; an
# abandoned leg ends when the customer hung up; a callback served from another type's
# queue keeps its own type's handle cap
# 4: a last-to-enter-service announcement tells the wait of callers only (a consult
# request or a callback answered from the queue no longer counts)
# 5: a journey's leg begins when it is answered (not one event later), and a contact whose
# first leg neither consults nor is handed on (its drawn numbers say so) is served as a
# plain call: where two events fall on exactly the same instant the order may differ, and
# a handoff at probability 0 now gives the records of none (11% fewer instructions per
# contact on the journey scenarios)
# 6: a drawn contact of a type with an IVR (and no trunk lines or second answers) enters
# straight out of the menu at arrival + menu time, one event instead of two: where two
# events fall on exactly the same instant the order may differ (9% fewer instructions
# per contact on refund_vs_relations); and the arrival stream's event falls on the drawn
# time itself, not a rounding off it (now + (t - now): at the first arrival of a day)
# 7: a caller answered and then hung up (on hold, or queued again after a transfer) ends
# as `hung_up` (answered), no longer as `abandoned` as well: the abandon rate is of callers
# no agent answered, and answered + abandoned <= offered (a new KPI counts `hung_up`)
# 8: a repeat or retrial is made when it is decided (its row, its numbers), not when it
# arrives, so comebacks are numbered in that order; it arrives at the time decided itself
# (not now + (time - now), an ulp off), and one whose type's IVR menu folds (6) enters
# straight out of its menu, one event fewer: where two events fall on exactly the same
# instant the order may differ (3% fewer instructions per contact on refund_vs_relations)
# 9: a caller answered, then queued again (a transfer) and still waiting at the end ends
# as `unfinished` (answered, as the KPIs count it), no longer as `unanswered` (never
# answered)
# 10: a consult request called off (its customer hung up on hold while it waited) leaves
# its queue as any hang-up does: an `abandoned` leg (it left none), its end and wait, and
# real-time rules watching that queue no longer count it as waiting; and the queue trace
# counts a post answered twice once (its second answer is a work item, not a contact)
# 11: a drawn customer's keyed numbers follow its place among its own contact type's
# arrivals (sim.contacts.identities), not among all types': another type's volume no
# longer changes its decisions (transfers, resolution, repeats...), so a variant moving
# calls between types compares the same people
# 12: legs in the order they ended (ties by contact, then as recorded), not as recorded (a
# lazily noticed abandoned leg stands where it ended): a plain contact's leg is no longer
# recorded in the run (8% of its time; sim.leg_table); legs, contacts and KPIs unchanged
# 13: a replayed trace's contacts outside the opening hours are not replayed (as no drawn
# contact arrives then; staffing's expected counts already left them out): before, one
# after closing was answered at once by agents gone home and one before opening waited
# for it
# 14: with day factors named by weekday, a shift's numbered days are weekdays (0 = Monday)
# of the run's days (sim.weekdays.weekday_of), not d % 7: a Mon-Fri run's day 5 is a Monday
# for its shifts as for its arrivals (list factors, or no shift days: as before)
# 15: a called-back caller transferred on waits in the next queue on the phone: that wait
# is queue time (`queue_time`, customer effort, wait cost, complaints' `wait_over`), as
# only the wait until the call back is not; and a callback never called back (nobody could
# answer) has no queue time (its `wait` still runs until the end)
# 16: a retrial or complaint post whose customer's hang-up (or abandonment) was found after
# closing, when it was due already, comes at the next opening, not at once into the closed
# center (outside every interval); found open, it comes at once as before
# 17: agents a real-time rule calls in on overtime go home for good at closing: a call-in
# whose length ran past the next opening brought them back that morning until it ran out
# (unpaid); it now ends at the next closing for the night (open round the clock, it runs
# on past midnight as before)
# 18: a group's target under real-time rules is max(scheduled + rules' agents, 0), worked out
# again at each rule action (Shifts.retarget), and agents come on duty only as far as it
# has room: agents moved back to a group whose schedule had dropped below what the move
# took (kept at 0) joined it anyway, above its schedule, and a call-in brought new agents
# on beside agents still finishing past their time (who now stay on instead)
# 19: agents a move owes another group (busy when it came on) hold no place in their old
# group's target: a call-in or a schedule rise there while they finish brought nobody on
# (the call-in paid, its agents missing), and one owed agent stayed behind for good
# 20: a move takes at most the agents its source has when it comes on (on its roster, not
# owed to another move nor leaving; none at night): one asking for more owed the rest
# for as long as it held, and agents called in to the source (or a schedule rise there)
# filled it, a called-in agent staying on the other group past its call-in; the rules
# log's `agents` of a move is what it took (on) and sent back (off), not the rule's
# 21: a contact that has waited a group's overflow delay is given to that group's idle agent
# even when a transfer with `priority` stands ahead of it, not yet due there: before, the
# group's agents took nothing from the queue until that transfer left it, and from then on
# only what the group's own agents freed up to pull (an idle group stayed idle)
# 22: a group's speed (and speed_cv) divides every talk of its agents, as documented: a
# misrouted call's short talk and a consult's talk the group answers took their drawn
# length whatever the speed
# 23: under a routing policy, an idle agent working the blending backlog is the policy's
# decision too (a reservation keeps agents from it): the backlog went to idle agents
# past the policy
# 24: a contact waiting at closing for a group it may take only after an overflow delay:
# when the delay is up, one of the group's agents who went home comes back for it (as
# for work reaching a closed center's queues); before, with no other group to answer
# it, it waited for ever (unanswered), and beside a busy one it waited for that one
# 25: when a real-time rule opens a type to a group, each idle agent that looks for work
# is not counted among the idle others a blending reserve (or a policy's reservation)
# keeps: the group's last idle agent took backlog work the reserve kept it from
# 26: a drawn customer's identity for its keyed numbers names its contact type by the name's
# CRC-32 (as the type's streams do), not by its place in the file: the same types listed in
# another order, or a type added ahead of them, changed every later customer decision (a
# comparison of a file with itself reordered found ASA "significantly" different)
# 27: a callback offer estimates the expected wait from the callers still waiting ahead
# (QueueState.waiting), not the queue's length, which counted callers who had hung up
# (lazily left in it until an agent reaches them): too many callbacks were offered
# 28: overflow groups count in the expected wait of a callback offer and of an
# expected_wait announcement (from their delay on); under a routing policy an overflow
# decision is asked about the contact the agent takes, with its own wait and draw (it was
# the contact whose delay ran out, often not the one taken); a conference transfer's
# three-way talk is divided by the transferring agent's pace, as its other talk
# 29: the expected wait of a callback offer and of an expected_wait announcement counts
# each group's agents at their pace (talk / speed, x concurrency_slowdown on a chat desk):
# at speed 2 callbacks were offered on twice the wait agents would take (0.215 of calls
# against 0.075 from the Markov chain), on a chat desk at slowdown 2 half of it
# 30: a customer who hangs up on hold while the consulted agent is already talking calls
# the consult off (as one still queued, 10): the consulted agent's leg ends then, and a
# consult it holds in turn; before, the asking agent went on to other work while the
# consult talk went on to its end with nobody on the other line (fraud_consult: 112 of 699
# consult requests outlived their hold; its hold_time 66.3 s, now 58.0 s)
# 31: a customer's second leg (transfer, escalation, misroute) still waiting when
# the run ended is a leg (reason `unfinished`, unanswered, ended at the run's end); before,
# it was in no legs table, so the staffing search judged a queue nobody could answer as
# having no legs (service level NaN, goal met)
# 32: a post's second answer by an uncoordinated team (duplicate_answers) still queued when
# the run ended is a leg (reason `duplicate`, unanswered, ended at the run's end, no
# group); before, that work item left no trace in any table (no bundled scenario changes)
# 33: a misroute's default queues are the other contact types of its channel that have
# arrivals of their own (sim.scenario_contacts.misroute_targets): every other type was, so
# a mixed center sent phone calls into its social-media posts queue and into desks only
# agents consult (no bundled scenario changes: refund_vs_relations names two phone types)
# 34: an overflow a real-time rule opens answers only while the rule holds (a contact's
# timer set while it held took it after the rule cleared, `after` seconds on) and times the
# contacts already waiting when it opens (they had none: the group's agents sat idle)
# 35: an agent's own speed (speed_cv) is keyed by its group's name and its seat there, not
# by a run-wide agent number: more agents in one group re-drew every later agent's speed in
# the others (one group's runs keep their numbers: there the seat is the agent number)
# 36: with a cooldown, nobody comes on duty after the run ends (the cooldown's last day was
# staffed to its closing): the run's end is a closing, idle agents go home then, busy ones
# once they have served what waits for them; a contact that needs a group gone home after
# it (a transfer, a menu left) is answered by an agent called back, as after any closing,
# not by one kept on (no bundled scenario changes)
RESULTS_VERSION = 36
