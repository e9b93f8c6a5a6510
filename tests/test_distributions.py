"""Distributions: closed forms, samples against theory, units, validation, files."""

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from sim.distributions import (
    Deterministic,
    Distribution,
    Empirical,
    Erlang,
    Exponential,
    Gamma,
    Lognormal,
    Triangular,
    Uniform,
    parse_distribution,
)

# (spec, class, exact mean s, exact variance s²) worked out by hand from the closed forms
CASES = [
    ({"dist": "exponential", "mean": "4m"}, Exponential, 240.0, 240.0**2),
    ({"dist": "lognormal", "mean": "4m", "cv": 0.7}, Lognormal, 240.0, (240.0 * 0.7) ** 2),
    ({"dist": "gamma", "mean": 60, "cv": 2.0}, Gamma, 60.0, 120.0**2),
    ({"dist": "gamma", "mean": 60, "cv": 0.3}, Gamma, 60.0, 18.0**2),
    ({"dist": "erlang", "mean": 60, "k": 3}, Erlang, 60.0, 1200.0),
    ({"dist": "uniform", "low": 10, "high": 70}, Uniform, 40.0, 300.0),
    ({"dist": "triangular", "low": 0, "mode": 30, "high": 90}, Triangular, 40.0, 350.0),
    ({"dist": "triangular", "low": 10, "mode": 10, "high": 40}, Triangular, 20.0, 50.0),
    ({"dist": "deterministic", "value": "30s"}, Deterministic, 30.0, 0.0),
    ({"dist": "empirical", "values": [1, 2, 3, 10]}, Empirical, 4.0, 12.5),
]
IDS = [f"{c[0]['dist']}-{i}" for i, c in enumerate(CASES)]
SPECS = [c[0] for c in CASES]
N = 200_000


class TestClosedForms:
    @pytest.mark.parametrize(("spec", "cls", "mean", "variance"), CASES, ids=IDS)
    def test_mean_variance_cv(self, spec, cls, mean, variance):
        """Mean, variance and cv equal the hand-computed closed forms."""
        d = parse_distribution(spec)
        assert type(d) is cls
        assert d.mean == pytest.approx(mean, rel=1e-12)
        assert d.variance == pytest.approx(variance, rel=1e-12)
        assert d.cv == pytest.approx(math.sqrt(variance) / mean, rel=1e-12)

    def test_erlang_cv(self):
        """An Erlang with k phases has cv 1/sqrt(k)."""
        assert Erlang(mean=60, k=4).cv == pytest.approx(0.5)

    def test_deterministic_cv_zero(self):
        """A deterministic time has cv 0, also at value 0."""
        assert Deterministic(value=0).cv == 0.0


class TestSamplesAgainstTheory:
    @pytest.mark.parametrize("spec", SPECS, ids=IDS)
    def test_sample_mean(self, spec):
        """The sample mean of 200,000 draws is within 4 standard errors of the mean."""
        d = parse_distribution(spec)
        x = d.sample(np.random.default_rng(12345), N)
        # se of the mean = sqrt(variance / n); 4 se is exceeded with probability < 1e-4
        # under the CLT. The 1e-12 slack only covers rounding for the zero-variance case.
        assert abs(x.mean() - d.mean) <= 4 * math.sqrt(d.variance / N) + 1e-12

    @pytest.mark.parametrize("spec", SPECS, ids=IDS)
    def test_sample_variance(self, spec):
        """The sample variance is within 4 standard errors of the variance."""
        d = parse_distribution(spec)
        x = d.sample(np.random.default_rng(12345), N)
        s2 = x.var(ddof=1)
        # se of the sample variance ≈ sqrt((m4 - s⁴) / n), m4 the sample's fourth central
        # moment (delta method); 4 se as for the mean. Slack for the zero-variance case.
        m4 = np.mean((x - x.mean()) ** 4)
        se = math.sqrt(max(m4 - s2**2, 0.0) / N)
        assert abs(s2 - d.variance) <= 4 * se + 1e-9

    def test_empirical_draws_only_its_values(self):
        """Empirical draws are the given values, each about equally often."""
        x = Empirical(values=(5, 15, 25)).sample(np.random.default_rng(3), 30_000)
        values, counts = np.unique(x, return_counts=True)
        assert values.tolist() == [5.0, 15.0, 25.0]
        # Binomial(30000, 1/3): sd ≈ 82, so 4 sd ≈ 330
        assert np.all(np.abs(counts - 10_000) < 330)


class TestSample:
    @pytest.mark.parametrize("spec", SPECS, ids=IDS)
    def test_shape_and_dtype(self, spec):
        """Samples are a float64 array of shape (n,), all >= 0."""
        x = parse_distribution(spec).sample(np.random.default_rng(1), 7)
        assert x.dtype == np.float64 and x.shape == (7,) and (x >= 0).all()

    @pytest.mark.parametrize("spec", SPECS, ids=IDS)
    def test_zero_samples(self, spec):
        """N = 0 gives an empty float64 array."""
        x = parse_distribution(spec).sample(np.random.default_rng(1), 0)
        assert x.shape == (0,) and x.dtype == np.float64

    @pytest.mark.parametrize("spec", SPECS, ids=IDS)
    def test_reproducible(self, spec):
        """The same Generator state gives the same samples, another seed other samples."""
        d = parse_distribution(spec)
        a = d.sample(np.random.default_rng(7), 50)
        assert np.array_equal(a, d.sample(np.random.default_rng(7), 50))
        if d.variance > 0:
            assert not np.array_equal(a, d.sample(np.random.default_rng(8), 50))

    def test_negative_n(self):
        """A negative sample size is refused with its value."""
        with pytest.raises(ValueError, match="n must be >= 0, got -1"):
            Exponential(mean=1).sample(np.random.default_rng(1), -1)


class TestUnits:
    def test_lognormal_minutes(self):
        """A mean written as 4m is 240 seconds."""
        assert parse_distribution({"dist": "lognormal", "mean": "4m", "cv": 0.7}).mean == 240.0

    def test_every_time_field(self):
        """Low, mode, high, value and values all take units."""
        t = parse_distribution({"dist": "triangular", "low": "30s", "mode": "1m", "high": "0.5h"})
        assert (t.low, t.mode, t.high) == (30.0, 60.0, 1800.0)
        assert parse_distribution({"dist": "deterministic", "value": "1.5h"}).value == 5400.0
        e = parse_distribution({"dist": "empirical", "values": ["30s", "2m", 10]})
        assert e.values == (30.0, 120.0, 10.0)


class TestValidation:
    @pytest.mark.parametrize(
        ("spec", "match"),
        [
            ({"dist": "lognormal", "mean": 60, "cv": 0}, "must be > 0, got 0 .*deterministic"),
            ({"dist": "gamma", "mean": 60, "cv": 0}, "must be > 0, got 0"),
            ({"dist": "gamma", "mean": 60, "cv": -1}, "must be > 0, got -1"),
            ({"dist": "gamma", "mean": 60, "cv": float("inf")}, "must be a finite number"),
            ({"dist": "exponential", "mean": -1}, "greater than 0"),
            ({"dist": "exponential", "mean": 0}, "greater than 0"),
            ({"dist": "exponential"}, "mean\n  Field required"),
            ({"dist": "exponential", "mean": "4 fortnights"}, "duration like 30s"),
            (
                {"dist": "uniform", "low": 60, "high": 30},
                "low must be < high, got low=60.0, high=30.0",
            ),
            ({"dist": "uniform", "low": 30, "high": 30}, "low must be < high"),
            ({"dist": "uniform", "low": -5, "high": 30}, "greater than or equal to 0"),
            ({"dist": "triangular", "low": 0, "mode": 100, "high": 90}, "mode must be within"),
            ({"dist": "triangular", "low": 90, "mode": 90, "high": 0}, "low must be < high"),
            ({"dist": "deterministic", "value": -1}, "greater than or equal to 0"),
            ({"dist": "exponential", "mean": 60, "cv": 1}, "cv\n  Extra inputs"),
            ({"dist": "weibull", "mean": 60}, "does not match any of the expected tags"),
            ({"mean": 60}, "Unable to extract tag using discriminator 'dist'"),
            ({"dist": "erlang", "mean": 60, "k": 0}, "greater than or equal to 1"),
            ({"dist": "erlang", "mean": 60, "k": 2.5}, "k\n  Input should be a valid integer"),
            ({"dist": "empirical", "values": []}, "needs at least one value"),
            ({"dist": "empirical", "values": [1, -2]}, "greater than or equal to 0"),
            ({"dist": "empirical", "values": [1], "file": "x.csv"}, "exactly one of"),
            ({"dist": "empirical"}, "exactly one of 'values' and 'file'"),
        ],
    )
    def test_rejects(self, spec, match):
        """Each rule rejects bad input with a message naming it."""
        with pytest.raises(ValidationError, match=match):
            parse_distribution(spec)

    def test_frozen(self):
        """A built distribution cannot be changed."""
        d = Exponential(mean=60)
        with pytest.raises(ValidationError, match="frozen"):
            d.mean = 30  # type: ignore[misc]


class TestEmpiricalFile:
    def test_with_header(self, tmp_path):
        """A header line is skipped; blank lines are ignored."""
        (tmp_path / "aht.csv").write_text("handle_time_s\n100\n200\n\n300\n")
        d = parse_distribution({"dist": "empirical", "file": "aht.csv"}, base_dir=tmp_path)
        assert d.values == (100.0, 200.0, 300.0) and d.mean == 200.0

    def test_without_header(self, tmp_path):
        """Plain numbers, one per line, with or without units."""
        (tmp_path / "p.txt").write_text("5\n15\n1m\n")
        d = parse_distribution({"dist": "empirical", "file": "p.txt"}, base_dir=tmp_path)
        assert d.values == (5.0, 15.0, 60.0)

    def test_relative_to_base_dir(self, tmp_path, monkeypatch):
        """A relative path is read from base_dir, not from the current directory."""
        (tmp_path / "data").mkdir()
        (tmp_path / "data" / "p.txt").write_text("7\n")
        (tmp_path / "p.txt").write_text("99\n")
        monkeypatch.chdir(tmp_path)
        spec = {"dist": "empirical", "file": "p.txt"}
        assert parse_distribution(spec, base_dir=tmp_path / "data").values == (7.0,)
        assert parse_distribution(spec).values == (99.0,)

    def test_absolute_path(self, tmp_path):
        """An absolute path ignores base_dir."""
        (tmp_path / "p.txt").write_text("8\n")
        spec = {"dist": "empirical", "file": str(tmp_path / "p.txt")}
        assert parse_distribution(spec, base_dir=Path("/nonexistent")).values == (8.0,)

    def test_missing_file(self, tmp_path):
        """A file that is not there is named, with the reason."""
        with pytest.raises(ValidationError, match=r"cannot read 'nope\.csv': No such file"):
            parse_distribution({"dist": "empirical", "file": "nope.csv"}, base_dir=tmp_path)

    def test_bad_number(self, tmp_path):
        """A line that is not a number is named by its line number."""
        (tmp_path / "x.csv").write_text("1\n2\nabc\n")
        with pytest.raises(ValidationError, match=r"'x\.csv' line 3: expected a duration"):
            parse_distribution({"dist": "empirical", "file": "x.csv"}, base_dir=tmp_path)

    def test_negative_number(self, tmp_path):
        """A negative time in the file is named by its line number."""
        (tmp_path / "x.csv").write_text("seconds\n1\n-2\n")
        with pytest.raises(ValidationError, match=r"'x\.csv' line 3: must be >= 0, got -2"):
            parse_distribution({"dist": "empirical", "file": "x.csv"}, base_dir=tmp_path)

    def test_header_only(self, tmp_path):
        """A file with no numbers is refused."""
        (tmp_path / "x.csv").write_text("seconds\n\n")
        with pytest.raises(ValidationError, match=r"'x\.csv' holds no numbers"):
            parse_distribution({"dist": "empirical", "file": "x.csv"}, base_dir=tmp_path)

    def test_dump_is_self_contained(self, tmp_path):
        """The dump holds the values, not the file, and validates again without it."""
        (tmp_path / "p.txt").write_text("5\n15\n")
        d = parse_distribution({"dist": "empirical", "file": "p.txt"}, base_dir=tmp_path)
        assert d.model_dump() == {"dist": "empirical", "values": (5.0, 15.0)}
        assert parse_distribution(d.model_dump()).values == d.values


class Contact(BaseModel):
    handle: Distribution
    patience: Distribution | None = None


class TestAsFieldType:
    def test_discriminates(self):
        """As a field type, the dist name picks the class."""
        c = Contact.model_validate({"handle": {"dist": "gamma", "mean": "3m", "cv": 0.5}})
        assert isinstance(c.handle, Gamma) and c.patience is None

    def test_base_dir_from_context(self, tmp_path):
        """The validation context's base_dir reaches a nested empirical file."""
        (tmp_path / "p.txt").write_text("42\n")
        data = {"handle": {"dist": "empirical", "file": "p.txt"}}
        c = Contact.model_validate(data, context={"base_dir": tmp_path})
        assert c.handle.values == (42.0,)

    def test_error_path(self):
        """An error names the field path down to the bad parameter."""
        with pytest.raises(ValidationError, match=r"handle\.lognormal\.cv"):
            Contact.model_validate({"handle": {"dist": "lognormal", "mean": 60, "cv": 0}})


class TestRepr:
    @pytest.mark.parametrize(
        ("spec", "text"),
        [
            ({"dist": "exponential", "mean": 180}, "Exponential(mean=3m)"),
            ({"dist": "lognormal", "mean": "4m", "cv": 0.7}, "Lognormal(mean=4m, cv=0.7)"),
            ({"dist": "gamma", "mean": 45, "cv": 1.5}, "Gamma(mean=45s, cv=1.5)"),
            ({"dist": "erlang", "mean": "1h", "k": 3}, "Erlang(mean=1h, k=3)"),
            ({"dist": "uniform", "low": 10, "high": 70}, "Uniform(low=10s, high=70s)"),
            (
                {"dist": "triangular", "low": 0, "mode": 30, "high": 90},
                "Triangular(low=0s, mode=30s, high=1.5m)",
            ),
            ({"dist": "deterministic", "value": 30}, "Deterministic(value=30s)"),
            ({"dist": "empirical", "values": [1, 2, 3, 10]}, "Empirical(4 values, mean=4s)"),
        ],
    )
    def test_reads_like_the_scenario(self, spec, text):
        """Repr and str show the parameters with units."""
        d = parse_distribution(spec)
        assert repr(d) == text and str(d) == text

    def test_empirical_file(self, tmp_path):
        """An empirical repr names its file."""
        (tmp_path / "aht.csv").write_text("60\n180\n")
        d = parse_distribution({"dist": "empirical", "file": "aht.csv"}, base_dir=tmp_path)
        assert repr(d) == "Empirical(2 values from 'aht.csv', mean=2m)"


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(
        mean=st.floats(1e-3, 1e6),
        cv=st.floats(0.01, 10),
        which=st.sampled_from(["lognormal", "gamma"]),
        seed=st.integers(0, 2**32 - 1),
    )
    def test_nonnegative_and_mean_kept(self, mean, cv, which, seed):
        """For any valid (mean, cv), samples are finite and >= 0 and the mean is the input."""
        d = parse_distribution({"dist": which, "mean": mean, "cv": cv})
        assert d.mean == mean and d.cv == cv
        x = d.sample(np.random.default_rng(seed), 1000)
        assert np.isfinite(x).all() and (x >= 0).all()
