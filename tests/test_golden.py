"""Golden record digests of the bundled scenarios, pinned to ``RESULTS_VERSION``.

``sim.engine.RESULTS_VERSION`` is bumped by any change that alters the records of a
scenario and seed, and only then (resumable sweeps refuse to mix versions). These tests
hold the engine to it: while the version is the one the digests were made for, every
bundled scenario (and variant) must give bit-identical records, replications 0 and 1;
once it is bumped, the digests must be renewed with ``python tests/golden.py --update``.
See :mod:`golden` for how the digests are made.
"""

from __future__ import annotations

import warnings

import golden
import numpy as np
import pytest

from sim.engine import RESULTS_VERSION

STORED = golden.load()
CASES = golden.cases()


@pytest.mark.parametrize("key", list(CASES))
def test_records_match_the_golden_digests(key):
    """The same records as pinned, unless RESULTS_VERSION says they may differ."""
    if STORED["results_version"] != RESULTS_VERSION:
        pytest.fail(f"RESULTS_VERSION is {RESULTS_VERSION} but the golden digests are for "
                    f"{STORED['results_version']}: run `python tests/golden.py --update` "
                    "and commit tests/data/golden_records.json")
    if key not in STORED["cases"]:
        pytest.fail(f"{key} is not pinned: run `python tests/golden.py --update`")
    digest, arrays = golden.digests(CASES[key])
    if digest == STORED["cases"][key]["digest"]:
        return
    changed, new = golden.compare(STORED["cases"][key]["arrays"], arrays)
    assert not changed, (
        f"records of {key} changed without a RESULTS_VERSION bump "
        f"(still {RESULTS_VERSION}): {golden.listing(changed, len(arrays))}. If the change "
        "is meant, bump sim.engine.RESULTS_VERSION and run `python tests/golden.py --update`")
    if new:
        warnings.warn(f"{key}: arrays not pinned yet ({', '.join(new)}): run "
                      "`python tests/golden.py --update`", stacklevel=1)


def test_every_pinned_case_is_still_bundled():
    """A scenario or variant removed from scenarios/ is removed from the golden file."""
    gone = sorted(set(STORED["cases"]) - set(CASES))
    assert not gone, f"pinned but no longer bundled: {gone}; run tests/golden.py --update"


def test_golden_file_matches_its_settings():
    """The digests were made with the script's seed, replications and overrides."""
    assert (STORED["seed"], STORED["replications"], STORED["overrides"]) == (
        golden.SEED, list(golden.REPLICATIONS), golden.OVERRIDES)


class TestCanonicalBytes:
    def test_byte_order_does_not_matter(self):
        """A big-endian array hashes like the little-endian one with the same values."""
        values = np.array([1.5, np.nan, -2.0])
        assert golden.canonical(values.astype(">f8")) == golden.canonical(values)
        codes = np.array([3, -1, 7])
        assert golden.canonical(codes.astype(">i4")) == golden.canonical(codes)

    def test_storage_type_does_not_matter(self):
        """Values kept in int16, uint8 or int64 (or float32 vs 64) give the same bytes."""
        assert golden.canonical(np.array([1, 2], np.int16)) == golden.canonical(
            np.array([1, 2], np.uint8))
        assert golden.canonical(np.array([0.5], np.float32)) == golden.canonical(
            np.array([0.5]))

    def test_values_matter(self):
        """A different value, or NaN for a number, changes the bytes."""
        assert golden.canonical(np.array([1.0])) != golden.canonical(np.array([np.nan]))
        assert golden.canonical(np.array([1, 2])) != golden.canonical(np.array([2, 1]))
