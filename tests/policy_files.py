"""A researcher's policy file and a two-type scenario, written where a test wants them.

Shared by the tests of ``--policy`` in the commands that search (staff, schedule) and
sweep: ``MailsFirst`` (free agents take mails before calls: the calls wait),
``NoMails`` (a mail is never chosen, on arrival or from a free agent's queues),
``MailsWhenIdle`` (a mail only while ``IDLE`` agents of the group are free: calls first)
and ``LateMails`` (a mail only once it has waited ``LATE`` seconds: never in time).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

POLICIES = '''
"""Mails before calls (the calls wait); or no mail ever chosen."""


class MailsFirst:
    def choose_agent(self, contact, agents, now):
        return 0

    def choose_contact(self, agent, queues, now):
        return min(range(len(queues)), key=lambda i: (queues[i].contact_type != "mails",
                                                      queues[i].since))


class NoMails(MailsFirst):
    def choose_agent(self, contact, agents, now):
        return None if contact.contact_type == "mails" else 0

    def choose_contact(self, agent, queues, now):
        calls = [i for i, q in enumerate(queues) if q.contact_type != "mails"]
        return calls[0] if calls else None


class MailsWhenIdle(NoMails):
    IDLE = 10

    def choose_agent(self, contact, agents, now):
        if contact.contact_type != "mails":
            return 0
        return 0 if agents[0].idle_in_group >= self.IDLE else None

    def choose_contact(self, agent, queues, now):
        calls = [i for i, q in enumerate(queues) if q.contact_type != "mails"]
        if calls:
            return calls[0]
        return 0 if agent.idle_in_group + 1 >= self.IDLE else None


class LateMails(NoMails):
    LATE = 60.0

    def choose_contact(self, agent, queues, now):
        calls = [i for i, q in enumerate(queues) if q.contact_type != "mails"]
        late = [i for i, q in enumerate(queues) if now - q.since >= self.LATE]
        return (calls or late or [None])[0]
'''

# service level over answered contacts: under NoMails the mails, never answered, leave
# the goal judging the calls only, so a staffing search ends (over offered ones it could
# not: more agents never answer a mail)
CALLS_MAILS = {
    "name": "calls and mails", "seed": 3, "days": 1, "open": "08:00", "close": "10:00",
    "interval": "1h",
    "service_level": {"threshold": "20s", "target": 0.8, "definition": "answered"},
    "contact_types": {
        "calls": {"arrivals": {"rate": "80/h"},
                  "handle": {"dist": "exponential", "mean": "2m"},
                  "patience": {"dist": "exponential", "mean": "2m"}},
        "mails": {"arrivals": {"rate": "40/h"},
                  "handle": {"dist": "exponential", "mean": "2m"}}},
    "agents": {"pool": {"skills": ["calls", "mails"], "staff": 4}},
}


@contextmanager
def policy_files(folder: Path, module: str, scenario: dict | None = None,
                 policies: str = POLICIES) -> Iterator[tuple[Path, Path]]:
    """(scenario file, policy file ``MODULE.py``) in ``folder``, importable meanwhile.

    ``scenario``: the scenario written (default :data:`CALLS_MAILS`); ``policies``: the
    module's source (default :data:`POLICIES`). The folder goes
    first on ``sys.path``, as the CLI puts it reading ``--policy``; the module is
    forgotten afterwards (each test file its own name: one import each).
    """
    (folder / f"{module}.py").write_text(policies)
    path = folder / "calls_mails.yaml"
    path.write_text(yaml.safe_dump(CALLS_MAILS if scenario is None else scenario))
    sys.path.insert(0, str(folder))
    try:
        yield path, folder / f"{module}.py"
    finally:
        sys.modules.pop(module, None)
        sys.path[:] = [p for p in sys.path if p != str(folder)]


def policy(module: str, name: str) -> object:
    """A new ``name`` of the policy module ``module`` (imported from its folder)."""
    return getattr(__import__(module), name)()
