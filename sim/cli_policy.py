"""``ccsim run --policy FILE.py:CLASS``: a researcher's routing policy from the command line.

The policy is the same object ``sim.run(scenario, policy=...)`` takes (see README,
"Routing policies"): a class with ``choose_agent`` and ``choose_contact``, made here with
no arguments. The file's folder goes first on ``sys.path`` and the file is imported by its
name, so worker processes (spawned, or forked from the fork server: either way handed this
``sys.path``) find the class by that name when the policy is pickled to them.

Everything that can be wrong with it is found while the option is read, before anything
is simulated, and told in click's one line (exit 2): no such file, an import that raised,
no such class, a constructor that raised, an object without the two methods, one that
cannot be copied for each replication or sent to the workers.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from sim.units import counted

F = TypeVar("F", bound=Callable[..., Any])


def _one_line(exc: BaseException) -> str:
    said = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {said}" if said else type(exc).__name__


class PolicyClass(click.ParamType):
    """``FILE.py:CLASS`` (or ``MODULE:CLASS``): an instance of that class, checked."""

    name = "FILE.py:CLASS"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> Any:
        """The policy object, or a one-line refusal saying what is wrong."""
        if not isinstance(value, str):
            return value
        where, colon, name = value.rpartition(":")
        if not colon or not where or not name.isidentifier():
            self.fail(f"{value!r}: expected FILE.py:CLASS or MODULE:CLASS", param, ctx)
        module = self._module(where, param, ctx)
        cls = getattr(module, name, None)
        if not isinstance(cls, type):
            found = sorted(k for k, v in vars(module).items()
                           if isinstance(v, type) and v.__module__ == module.__name__)
            self.fail(f"{where} has no class {name!r} (classes in it: "
                      f"{', '.join(found) or 'none'})", param, ctx)
        try:
            policy = cls()
        except (Exception, SystemExit) as exc:  # the user's code: say whose, in one line
            self.fail(f"{name}() raised {_one_line(exc)} (a policy is made with no "
                      "arguments)", param, ctx)
        from sim.parallel import picklable_for_workers
        from sim.routing import RoutingPolicy, replication_copy

        try:
            if not isinstance(policy, RoutingPolicy):
                raise TypeError(f"{name} needs the methods choose_agent and choose_contact "
                                "(sim.routing.RoutingPolicy)")
            replication_copy(policy)
            picklable_for_workers(policy)
        except TypeError as exc:
            self.fail(str(exc), param, ctx)
        return policy

    def _module(self, where: str, param, ctx):
        """The module ``where`` names: a ``.py`` file (imported by its name) or a module."""
        if where.endswith(".py"):
            path = Path(where)
            if not path.is_file():
                self.fail(f"{where}: no such file", param, ctx)
            folder, module_name = str(path.resolve().parent), path.stem
            if folder not in sys.path:
                sys.path.insert(0, folder)
        else:
            module_name = where
        try:
            module = importlib.import_module(module_name)
        except (Exception, SystemExit) as exc:  # a syntax error, a missing import, an exit
            self.fail(f"importing {where} raised {_one_line(exc)}", param, ctx)
        if where.endswith(".py") and Path(getattr(module, "__file__", "") or "").resolve() \
                != Path(where).resolve():
            self.fail(f"{where}: another module named {module_name!r} is imported instead "
                      f"({module.__file__}); rename the file", param, ctx)
        return module


def declined_warnings(result: Any, where: str = "") -> list[str]:
    """One ``warning:`` line per contact type the run's policy never chose (stderr).

    Args:
        result: A :class:`sim.replicate.RunResult`.
        where: Put before the policy, e.g. ``variant more: ``.
    """
    return declined_lines(result.declined, result.policy, result.n_replications, where)


def declined_lines(declined: dict[str, dict[str, int]], policy: dict[str, Any] | None,
                   replications: int, where: str = "") -> list[str]:
    """One ``warning:`` line per contact type in ``declined`` (stderr).

    Args:
        declined: Contact type -> ``{"replications": k, "contacts": n}``, as
            :attr:`sim.replicate.RunResult.declined` (or a staffing plan's, a schedule's).
        policy: The policy's :func:`sim.policy_source.policy_source`.
        replications: The replications ``k`` is out of.
        where: Put before the policy, e.g. ``plan found: ``.
    """
    name = (policy or {}).get("class", "")
    return [f"warning: {where}policy {name} never chose a contact of type {contact_type!r} "
            f"(in {seen['replications']} of {counted(replications, 'replication')}): "
            f"{seen['contacts']:,} of its contacts were never answered"
            for contact_type, seen in declined.items()]


def sweep_declined_warnings(result: Any, policy: object, replications: int) -> list[str]:
    """One ``warning:`` line per contact type the policy never chose at some sweep points.

    Args:
        result: A :class:`sim.sweep.SweepResult`.
        policy: The policy every point ran under.
        replications: Replications per point.
    """
    types = sorted({name for per_type in result.declined.values() for name in per_type})
    points = result.summary[list(result.grid.paths)].to_dict("records")
    lines = []
    for contact_type in types:
        at = {p: seen[contact_type] for p, seen in sorted(result.declined.items())
              if contact_type in seen}
        reps = sum(seen["replications"] for seen in at.values())
        never = sum(seen["contacts"] for seen in at.values())
        where = (f"all {len(points)} points (" if len(at) == len(points) else
                 f"{len(at)} of {len(points)} points ({_points([points[p] for p in at])}; ")
        lines.append(
            f"warning: policy {type(policy).__qualname__} never chose a contact of type "
            f"{contact_type!r} at {where}in {reps} of their {len(at) * replications} "
            f"replications): {never:,} of its contacts were never answered")
    return lines


def _points(values: list[dict[str, Any]], most: int = 3) -> str:
    """``PATH=a, b, c`` for one grid parameter, else ``P=a Q=b, P=c Q=d``; the first few."""
    if len(values[0]) == 1:
        (path,) = values[0]
        shown = [str(v[path]) for v in values[:most]]
        return f"{path}={', '.join(shown)}" + (", ..." if len(values) > most else "")
    shown = [" ".join(f"{k}={v}" for k, v in point.items()) for point in values[:most]]
    return ", ".join(shown) + (", ..." if len(values) > most else "")


def policy_option(note: str = "") -> Callable[[F], F]:
    """``--policy FILE.py:CLASS``: route by a policy of your own (README, "Routing policies").

    Args:
        note: A sentence added to the help: what the command does with it.
    """
    return click.option(
        "--policy", "policy", type=PolicyClass(), default=None, metavar="FILE.py:CLASS",
        help="Route by your own policy: FILE.py:CLASS (or MODULE:CLASS), a class with "
             "choose_agent and choose_contact made with no arguments, in place of the "
             "scenario's routing_policy." + (f" {note}" if note else ""))
