"""Which routing policy a run used: its class, module, file and the file's SHA-256.

A run with a user's policy (``sim.run(policy=...)``, ``ccsim run --policy FILE.py:CLASS``)
depends on code outside the scenario. Its results folder says which: ``summary.json``
has ``"policy": {"class", "module", "file", "sha256"}`` and the report's first lines
name it, so that a run can be repeated with the same code, and a changed file is noticed
(its digest differs). Only the file that defines the class is digested: code it imports
from elsewhere is not. A class without a file (defined in a notebook cell or an
interactive session) has ``file`` and ``sha256`` null.
"""

from __future__ import annotations

import hashlib
import inspect
from pathlib import Path
from typing import Any


def policy_source(policy: object | None) -> dict[str, Any] | None:
    """``{"class", "module", "file", "sha256"}`` of ``policy``'s class (see the module doc).

    ``file`` is the absolute path of the module file that defines the class, ``sha256``
    the hex digest of its bytes as they are now; both None when there is no such file.
    None without a policy (the scenario's own routing).
    """
    if policy is None:
        return None
    cls = type(policy)
    try:
        file = inspect.getsourcefile(cls)
    except (TypeError, OSError):  # built in, or defined where no file is (__main__ of a REPL)
        file = None
    path = Path(file).resolve() if file else None
    digest = None
    if path is not None:
        try:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:  # removed since it was imported
            path = None
    return {"class": cls.__qualname__, "module": cls.__module__,
            "file": None if path is None else str(path), "sha256": digest}


def describe(source: dict[str, Any] | None) -> str:
    """``routing policy CLASS (FILE, sha256 0123456789ab)`` for a report; '' without one."""
    if not source:
        return ""
    where = (f"{source['file']}, sha256 {source['sha256'][:12]}"
             if source.get("file") and source.get("sha256") else "no file")
    return f"routing policy {source['class']} ({where})"
