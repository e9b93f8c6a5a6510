"""Distributions: samples against theory, units, validation, files."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from sim.distributions import parse_distribution

SPECS = [
    {"dist": "exponential", "mean": "4m"},
    {"dist": "lognormal", "mean": "4m", "cv": 0.7},
    {"dist": "gamma", "mean": 60, "cv": 2.0},
    {"dist": "erlang", "mean": 60, "k": 3},
    {"dist": "uniform", "low": 10, "high": 70},
    {"dist": "triangular", "low": 0, "mode": 30, "high": 90},
    {"dist": "deterministic", "value": "30s"},
    {"dist": "empirical", "values": [1, 2, 3, 10]},
]
N = 200_000


class TestMoments:
    @pytest.mark.parametrize("spec", SPECS, ids=[s["dist"] for s in SPECS])
    def test_sample_mean_and_variance(self, spec):
        """Sample mean and variance agree with the exact ones within 4 standard errors.

        se(mean) = sqrt(var / n); se(variance) ~ sqrt((m4 - var^2) / n) from the sample's
        fourth central moment. 4 se: a false alarm has probability < 1e-4 per check.
        """
        d = parse_distribution(spec)
        x = d.sample(np.random.default_rng(12345), N)
        assert x.dtype == np.float64 and x.shape == (N,)
        assert abs(x.mean() - d.mean) <= 4 * np.sqrt(d.variance / N) + 1e-12
        m4 = np.mean((x - x.mean()) ** 4)
        se_var = np.sqrt(max(m4 - x.var() ** 2, 0.0) / N)
        assert abs(x.var(ddof=1) - d.variance) <= 4 * se_var + 1e-9

    @pytest.mark.parametrize("spec", SPECS, ids=[s["dist"] for s in SPECS])
    def test_cv_consistent(self, spec):
        """Cv is the standard deviation over the mean."""
        d = parse_distribution(spec)
        assert d.cv == pytest.approx(np.sqrt(d.variance) / d.mean)

    def test_zero_samples(self):
        """N = 0 gives an empty array."""
        assert parse_distribution(SPECS[1]).sample(np.random.default_rng(1), 0).size == 0

    def test_reproducible(self):
        """The same Generator state gives the same samples."""
        d = parse_distribution(SPECS[2])
        a = d.sample(np.random.default_rng(7), 10)
        b = d.sample(np.random.default_rng(7), 10)
        assert np.array_equal(a, b)


class TestUnitsAndRepr:
    def test_units(self):
        """Durations with units become seconds."""
        assert parse_distribution({"dist": "lognormal", "mean": "4m", "cv": 0.7}).mean == 240.0

    def test_repr(self):
        """Repr reads like the scenario."""
        assert repr(parse_distribution(SPECS[1])) == "Lognormal(mean=4m, cv=0.7)"
        assert repr(parse_distribution(SPECS[4])) == "Uniform(low=10s, high=70s)"


class TestValidation:
    @pytest.mark.parametrize(
        ("spec", "match"),
        [
            ({"dist": "lognormal", "mean": 60, "cv": 0}, "greater than 0"),
            ({"dist": "exponential", "mean": -1}, "greater than 0"),
            ({"dist": "uniform", "low": 60, "high": 30}, "low must be < high"),
            ({"dist": "triangular", "low": 0, "mode": 100, "high": 90}, "low <= mode <= high"),
            ({"dist": "exponential", "mean": 60, "cv": 1}, "Extra inputs"),
            ({"dist": "weibull", "mean": 60}, "does not match any of the expected tags"),
            ({"dist": "erlang", "mean": 60, "k": 0}, "greater than or equal to 1"),
            ({"dist": "empirical", "values": []}, "at least one value"),
            ({"dist": "empirical", "values": [1], "file": "x.csv"}, "exactly one of"),
            ({"dist": "empirical"}, "exactly one of"),
            ({"dist": "empirical", "values": [1, -2]}, "greater than or equal to 0"),
            ({"dist": "exponential", "mean": "4 minutes"}, "duration like 30s"),
        ],
    )
    def test_rejects(self, spec, match):
        """Each rule rejects bad input with a message naming it."""
        with pytest.raises(ValidationError, match=match):
            parse_distribution(spec)


class TestEmpiricalFile:
    def test_with_header(self, tmp_path):
        """A CSV with a header line; values in the first column."""
        (tmp_path / "aht.csv").write_text("seconds,agent\n100,a\n200,b\n\n300,c\n")
        d = parse_distribution({"dist": "empirical", "file": "aht.csv"}, base_dir=tmp_path)
        assert d.values == (100.0, 200.0, 300.0)
        assert d.mean == 200.0

    def test_without_header(self, tmp_path):
        """Plain numbers, one per line."""
        (tmp_path / "p.txt").write_text("5\n15\n")
        d = parse_distribution({"dist": "empirical", "file": "p.txt"}, base_dir=tmp_path)
        assert set(d.sample(np.random.default_rng(0), 100)) <= {5.0, 15.0}

    def test_missing_file(self, tmp_path):
        """A file that is not there is named."""
        with pytest.raises(ValidationError, match=r"cannot read .nope\.csv."):
            parse_distribution({"dist": "empirical", "file": "nope.csv"}, base_dir=tmp_path)

    def test_bad_number(self, tmp_path):
        """A bad line is named by its number."""
        (tmp_path / "x.csv").write_text("1\n2\nabc\n")
        with pytest.raises(ValidationError, match="line 3: not a number"):
            parse_distribution({"dist": "empirical", "file": "x.csv"}, base_dir=tmp_path)


@settings(max_examples=50, deadline=None)
@given(mean=st.floats(0.1, 1e5), cv=st.floats(0.05, 5), which=st.sampled_from(["lognormal",
                                                                               "gamma"]))
def test_positive_samples_and_mean_kept(mean, cv, which):
    """Any valid (mean, cv): samples are >= 0 and the distribution's mean is the input."""
    d = parse_distribution({"dist": which, "mean": mean, "cv": cv})
    assert d.mean == mean
    assert (d.sample(np.random.default_rng(0), 1000) >= 0).all()
