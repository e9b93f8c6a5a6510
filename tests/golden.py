"""Golden record digests: what every bundled scenario produces, pinned to RESULTS_VERSION.

``sim.engine.RESULTS_VERSION`` promises that the same scenario and seed give the same
records until it is bumped (resumable sweeps rely on it). This script computes, for
every scenario in ``scenarios/`` and each of its variants, a SHA-256 digest of the raw
bytes of every array of :class:`sim.records.Records` (contacts, legs and the staff log),
for a fixed seed and replications 0 and 1, and stores them with the version in
``tests/data/golden_records.json``; ``tests/test_golden.py`` checks them.

Run ``python tests/golden.py --update`` after bumping ``RESULTS_VERSION``. With the
version unchanged, ``--update`` only adds what is not pinned yet (a new scenario,
variant or array) and refuses to change a pinned digest: records that change need a
bump (to re-pin after changing how digests are made, delete the file first).
``python tests/golden.py`` alone reports what differs.

Digests are platform-stable: each array is converted to a fixed little-endian dtype
(float64 for floats, int64 for integers and flags) before hashing, so a change of
storage type that keeps the values keeps the digest, and the byte order of the machine
does not matter. Large scenarios run with fewer days (:data:`OVERRIDES`) to stay fast.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import fields
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script from anywhere: this checkout's `sim`
    sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.engine import RESULTS_VERSION, run_replication  # noqa: E402
from sim.records import Records  # noqa: E402

GOLDEN = ROOT / "tests" / "data" / "golden_records.json"
SCENARIOS = ROOT / "scenarios"
SEED = 20240601
REPLICATIONS = (0, 1)
# fewer days where a scenario takes long; repeat contacts still cross a day
OVERRIDES = {
    "refund_vs_relations.yaml": {"days": 2},
    "small_bank.yaml": {"days": 2},
    "social_backlash.yaml": {"days": 1},
    "speed_vs_resolution.yaml": {"days": 2},
}


def canonical(values: np.ndarray) -> bytes:
    """The array's values as little-endian float64 (floats) or int64 (anything else)."""
    values = np.asarray(values)
    dtype = "<f8" if values.dtype.kind == "f" else "<i8"
    return np.ascontiguousarray(values, dtype=dtype).tobytes()


def arrays(records: Records) -> dict[str, bytes]:
    """Every array of the records by name (``legs.<column>`` for legs), as canonical bytes.

    The names, group names and slots per group are one more item, ``names``, as JSON.
    """
    out: dict[str, bytes] = {}
    for f in fields(Records):
        value = getattr(records, f.name)
        if f.name == "legs":
            out.update({f"legs.{k}": canonical(v) for k, v in value.items()})
        elif isinstance(value, np.ndarray):
            out[f.name] = canonical(value)
    if records.trace:
        out.update({f"trace.{k}": canonical(v) for k, v in records.trace.items()})
    names = {"types": records.type_names, "groups": records.group_names,
             "slots": list(records.slots)}
    out["names"] = json.dumps(names, sort_keys=True).encode("utf-8")
    return out


def records_digest(records: Records) -> str:
    """SHA-256 over every array of one replication's records (names sorted), as digests use."""
    whole = hashlib.sha256()
    for name, data in sorted(arrays(records).items()):
        whole.update(name.encode("utf-8") + b"\0" + data)
    return whole.hexdigest()


def cases() -> dict[str, sim.Scenario]:
    """Every bundled scenario and each of its variants, by a readable key."""
    out = {}
    for path in sorted(SCENARIOS.glob("*.yaml")):
        scenario = sim.load_scenario(path, overrides=OVERRIDES.get(path.name))
        out[path.name] = scenario
        for name in scenario.variants:
            out[f"{path.name} [{name}]"] = sim.variant(scenario, name)
    return out


def digests(scenario: sim.Scenario) -> tuple[str, dict[str, str]]:
    """(digest, per-array digests) of a case, replications :data:`REPLICATIONS`.

    The digest is SHA-256 over every array's name and canonical bytes, in sorted order of
    the names (``r<replication>.<array>``); the per-array digests (its first 16 hex
    digits, enough to tell a change) say which array changed.
    """
    parts = {}
    for r in REPLICATIONS:
        parts.update({f"r{r}.{name}": data
                      for name, data in arrays(run_replication(scenario, SEED, r)).items()})
    whole = hashlib.sha256()
    for name in sorted(parts):
        whole.update(name.encode("utf-8") + b"\0" + parts[name])
    return whole.hexdigest(), {name: hashlib.sha256(parts[name]).hexdigest()[:16]
                               for name in sorted(parts)}


def load() -> dict:
    """The stored golden file (empty cases if there is none yet)."""
    if not GOLDEN.exists():
        return {"results_version": None, "seed": SEED, "cases": {}}
    return json.loads(GOLDEN.read_text(encoding="utf-8"))


def compare(stored: dict[str, str], now: dict[str, str]) -> tuple[list[str], list[str]]:
    """(changed or gone arrays, arrays not pinned yet) between two cases' digests."""
    changed = sorted(k for k in stored if now.get(k) != stored[k])
    new = sorted(k for k in now if k not in stored)
    return changed, new


def listing(names: list[str], out_of: int) -> str:
    """A few array names for a person, and how many of how many."""
    shown = ", ".join(names[:6]) + (", ..." if len(names) > 6 else "")
    return f"{shown} ({len(names)} of {out_of} arrays)"


def main(argv: list[str] | None = None) -> int:
    """Check (default) or ``--update`` the golden digests; exit 1 if anything differs."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--update", action="store_true",
                        help="write tests/data/golden_records.json (see the module doc)")
    args = parser.parse_args(argv)
    golden = load()
    bumped = golden["results_version"] != RESULTS_VERSION
    if bumped:
        print(f"RESULTS_VERSION is {RESULTS_VERSION}, the digests are for "
              f"{golden['results_version']}")
    cases_now = {key: digests(scenario) for key, scenario in cases().items()}
    refused = []
    for key, (digest, now) in cases_now.items():
        stored = golden["cases"].get(key, {}).get("arrays", {})
        if golden["cases"].get(key, {}).get("digest") == digest:
            continue
        changed, new = compare(stored, now)
        if changed:
            print(f"{key}: changed {listing(changed, len(stored))}")
            if not bumped:
                refused.append(key)
        if new and stored:
            print(f"{key}: not pinned yet {listing(new, len(now))}")
    for key in sorted(set(golden["cases"]) - set(cases_now)):
        print(f"{key}: no longer bundled")
    if not args.update:
        return 1 if refused or bumped else 0
    if refused:
        print(f"refused: RESULTS_VERSION is still {RESULTS_VERSION} but the records of "
              f"{', '.join(refused)} changed; bump sim.engine.RESULTS_VERSION first")
        return 1
    GOLDEN.write_text(json.dumps({
        "results_version": RESULTS_VERSION,
        "seed": SEED,
        "replications": list(REPLICATIONS),
        "overrides": OVERRIDES,
        "cases": {key: {"digest": digest, "arrays": now}
                  for key, (digest, now) in cases_now.items()},
    }, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN.relative_to(ROOT)}: {len(cases_now)} cases, "
          f"RESULTS_VERSION {RESULTS_VERSION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
