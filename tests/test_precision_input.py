"""``--precision`` values read as a person wrote them, and targets that say something.

Found by an outside check of ``--precision``: Python's ``float`` read ``asa=1_0`` as 10
(and a full-width ``１０`` as 10), where a person wrote no number at all.
"""

import types

import pytest
from click.testing import CliRunner
from oracle_stats import write_scenario

from sim.cli import main
from sim.precision import parse_target


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory):
    return write_scenario(tmp_path_factory.mktemp("scenario"))


def refusal(scenario_file, tmp_path, command, *options):
    """The output lines and exit code of a command that should refuse its options."""
    out = tmp_path / "out"
    done = CliRunner().invoke(main, [command, str(scenario_file), "-o", str(out), "-q",
                                     "-w", "1", "--no-report", *options])
    assert not out.exists()  # nothing simulated, nothing written
    return done.output.strip().splitlines(), done.exit_code


NOT_NUMBERS = ["1_0", "1_0%", "0.0_1", "１０", "infinity", "nan", "inf%", "0x10", "1.0.0"]


class TestNumbers:
    @pytest.mark.parametrize("value", NOT_NUMBERS)
    def test_what_float_takes_but_no_one_writes_is_refused(self, value):
        """An underscore, a full-width digit, infinity or NaN: not a half-width."""
        with pytest.raises(ValueError, match=f"--precision: asa: .*{value}"):
            parse_target(f"asa={value}")

    @pytest.mark.parametrize(("text", "value", "relative"), [
        ("asa=2", 2.0, False), ("asa= 2.5 ", 2.5, False), ("asa=.5", 0.5, False),
        ("service_level=1e-2", 0.01, False), ("asa=5%", 0.05, True),
        ("asa=2.5 %", 0.025, True), ("asa=+3", 3.0, False)])
    def test_numbers_as_people_write_them_still_read(self, text, value, relative):
        """Decimals, exponents and percentages read as before."""
        target = parse_target(text)
        assert (target.value, target.relative) == (pytest.approx(value), relative)

    @pytest.mark.parametrize("command", ["run", "compare"])
    def test_cli_refuses_an_underscore_in_one_line(self, scenario_file, tmp_path, command):
        """``--precision asa=1_0``: one line naming the option and the value, exit 2."""
        lines, code = refusal(scenario_file, tmp_path, command, "--precision", "asa=1_0")
        assert code == 2 and len(lines) == 1, lines
        assert "--precision: asa: expected a number or a percentage, got '1_0'" in lines[0]


class TestRelativeCeiling:
    """A share of the mean of 100% or more: the interval may hold 0 and twice the mean.

    Before, ``service_level=100%`` was accepted and met at once by almost any run.
    """

    @pytest.mark.parametrize("value", ["100%", "150%", "250%"])
    def test_refused_naming_option_and_value(self, value):
        with pytest.raises(ValueError, match=rf"^--precision: asa={value}: .*under 100%"):
            parse_target(f"asa={value}")

    def test_just_under_still_reads(self):
        assert parse_target("asa=99.5%").value == pytest.approx(0.995)

    def test_python_api_refuses_it_too(self, scenario_file):
        import sim

        with pytest.raises(ValueError, match="service_level=100%"):
            sim.run(sim.load_scenario(scenario_file), replications=10, workers=1,
                    precision={"service_level": "100%"})

    @pytest.mark.parametrize("command", ["run", "compare"])
    def test_cli_refuses_it_in_one_line(self, scenario_file, tmp_path, command):
        lines, code = refusal(scenario_file, tmp_path, command,
                              "--precision", "service_level=100%")
        assert code == 2 and len(lines) == 1, lines
        assert "--precision: service_level=100%: " in lines[0], lines


class TestZeroMean:
    """A relative target on a KPI that is 0 in every replication is met, and says so.

    ± 5% of a mean of 0 is 0, and values all 0 have a half-width of 0: the rule counts it
    as met. Before, the stopping line read as if 5% had been reached on a real rate.
    """

    PATIENT = ("--set", "contact_types.calls.patience.mean=1000d")  # nobody hangs up

    def test_run_says_the_kpi_was_0_in_every_replication(self, scenario_file, tmp_path):
        done = CliRunner().invoke(main, ["run", str(scenario_file), "-o", str(tmp_path / "o"),
                                         "-q", "-w", "1", "--no-report", *self.PATIENT,
                                         "--precision", "abandon_rate=5%",
                                         "--precision", "asa=50%"])
        assert done.exit_code == 0, done.output
        assert ("stopped after 10 replications: every precision target met (abandon_rate "
                "± 5% of its mean: 0 in every replication; asa ± 50% of its mean)"
                in done.output), done.output

    def test_compare_says_in_which_variants(self):
        """Where the KPI was 0 in some variants only, the line names them.

        These ends held every variant's own mean (a folder written before compare held
        the paired differences): the line says so.
        """
        from sim.compare import Comparison
        from sim.precision import Stopping

        def end(abandon_rate: float, hw: float) -> Stopping:
            return Stopping("precision", 10, {"abandon_rate": "abandon_rate ± 5% of its mean"},
                            {"abandon_rate": hw}, {"abandon_rate": abandon_rate},
                            {"abandon_rate": True}, {"abandon_rate": 10})

        class Result:
            def __init__(self, stopping):
                self.stopping = stopping

        ends = {"base": end(0.0, 0.0), "more": end(0.001, 0.0005), "fewer": end(0.0, 0.0)}
        line = Comparison.stopping.fget(types.SimpleNamespace(
            results={name: Result(s) for name, s in ends.items()}, baseline="base"))
        assert line == ("stopped after 10 replications: every precision target met "
                        "(abandon_rate ± 5% of its mean: 0 in every replication of base and "
                        "fewer) on every variant's mean")
        ends["more"] = end(0.0, 0.0)
        line = Comparison.stopping.fget(types.SimpleNamespace(
            results={name: Result(s) for name, s in ends.items()}, baseline="base"))
        assert "(abandon_rate ± 5% of its mean: 0 in every replication) on every" in line
