"""Hostile input: one line naming file, field and reason, exit 2; never a traceback or hang.

Whatever the file, flag or folder: no runaway memory and no silently wrong run either.
"""

import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import sim
from sim.cli import main
from sim.loader import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[1]

BASE = """\
name: tiny
days: 1
open: 08:00
close: 20:00
interval: 30m
contact_types:
  calls:
    arrivals: {rate: 60/h}
    handle: {dist: exponential, mean: 4m}
    resolution: 0.8
agents:
  pool:
    skills: [calls]
    staff: 42
"""


def write(tmp_path, text, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path, **kwargs):
    """The lines of the ScenarioError that loading ``path`` must raise."""
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path, **kwargs)
    return caught.value.lines()


def one_line(tmp_path, text, **kwargs):
    """The single problem line of a bad scenario text (asserts there is exactly one)."""
    file = write(tmp_path, text)
    lines = problems(file, **kwargs)
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{file}: "), lines[0]
    return lines[0][len(f"{file}: "):]


def cli(*args, timeout=60, env=None):
    """Run ``python -m sim ARGS`` in the repository root, at most 2 GB of memory.

    ``env``: environment variables to set for it, beside this process's.
    """
    def limit_memory():
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))

    return subprocess.run([sys.executable, "-m", "sim", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, check=False,
                          preexec_fn=limit_memory, env={**os.environ, **(env or {})})


BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi"))


class TestBaseScenario:
    def test_base_loads_with_unquoted_clock_times(self, tmp_path):
        """`open: 08:00` and `close: 20:00` unquoted are clock times, not base-60 numbers."""
        scenario = load_scenario(write(tmp_path, BASE))
        assert (scenario.open, scenario.close) == (8 * 3600.0, 20 * 3600.0)
        assert scenario.agents["pool"].staff == 42
        assert scenario.contact_types["calls"].resolution == 0.8


class TestYamlStructure:
    def test_alias_bomb_refused_fast(self, tmp_path):
        """A billion-laughs alias bomb is refused in well under a second, in a few MB."""
        file = write(tmp_path, BASE + BOMB.replace("i: &i", "j: &i") + "variants: {x: *i}\n")
        started = time.perf_counter()
        (line,) = problems(file)
        assert time.perf_counter() - started < 1.0
        assert "aliases expand to more than 1,000,000 values" in line

    def test_alias_bomb_in_a_field_through_the_cli(self, tmp_path):
        """The bomb in a field whose error message would print the value: exit 2, no hang."""
        file = write(tmp_path, BOMB + BASE.replace("name: tiny", "name: *i"))
        proc = cli("validate", file)
        assert proc.returncode == 2
        assert proc.stderr.count("\n") == 1 and "aliases expand" in proc.stderr

    def test_small_aliases_still_work(self, tmp_path):
        """Anchors and aliases that repeat a handful of values are fine."""
        text = BASE.replace("handle: {dist: exponential, mean: 4m}",
                            "handle: &h {dist: exponential, mean: 4m}\n    patience: *h")
        assert load_scenario(write(tmp_path, text)).contact_types["calls"].patience.mean == 240

    def test_recursive_alias(self, tmp_path):
        """An alias inside the value it names is refused, not a self-containing list."""
        assert "inside the value it repeats" in one_line(tmp_path, BASE + "x: &r [1, *r]\n")

    def test_duplicate_key_names_both_lines(self, tmp_path):
        """A key given twice is refused, naming the key and both lines."""
        text = BASE.replace("    staff: 42", "    staff: 42\n    staff: 4")
        assert one_line(tmp_path, text) == "duplicate key 'staff' on lines 14 and 15"

    def test_deep_nesting(self, tmp_path):
        """5000 nested lists: one line, not a RecursionError.

        PyYAML 6.0.4 and later stop at 1000 levels in their scanner, before our check of
        the parsed events sees 50: either one-line reason will do there; at 60 levels
        ours speaks.
        """
        reason = one_line(tmp_path, "name: " + "[" * 5000 + "]" * 5000 + "\n")
        assert reason in ("nested more than 50 levels deep at line 1",
                          "YAML syntax error at line 1, column 1006: exceeded maximum "
                          "nesting depth")
        reason = one_line(tmp_path, "name: " + "[" * 60 + "]" * 60 + "\n")
        assert reason == "nested more than 50 levels deep at line 1"

    def test_file_too_big(self, tmp_path):
        """A file over 10 MB is refused before it is parsed."""
        file = tmp_path / "big.yaml"
        file.write_bytes(b"#" * (10 * 1024 * 1024 + 1))
        started = time.perf_counter()
        (line,) = problems(file)
        assert time.perf_counter() - started < 1.0
        assert "larger than 10 MB" in line

    def test_device_file_is_bounded(self):
        """/dev/zero is read no further than the size limit."""
        if not Path("/dev/zero").exists():
            pytest.skip("no /dev/zero")
        (line,) = problems("/dev/zero")
        assert line.startswith("/dev/zero: the file is larger than 10 MB")

    def test_not_utf8(self, tmp_path):
        """Latin-1 bytes are reported as not UTF-8, with the byte offset."""
        file = tmp_path / "latin1.yaml"
        file.write_bytes(BASE.replace("tiny", "caf\xe9").encode("latin-1"))
        (line,) = problems(file)
        assert line == (f"{file}: not UTF-8 text: byte 0xe9 at offset 9 (line 1) cannot be "
                        "decoded; save the file as UTF-8")

    @pytest.mark.parametrize("command", ["validate", "run", "compare"])
    def test_not_utf8_through_the_cli(self, tmp_path, command):
        """validate, run and compare: one line naming the file (not --set), exit 2."""
        file = tmp_path / "latin1.yaml"
        file.write_bytes(BASE.replace("tiny", "caf\xe9").encode("latin-1"))
        result = CliRunner().invoke(main, [command, str(file), "--out", str(tmp_path / "o")]
                                    if command != "validate" else [command, str(file)])
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [
            f"{file}: not UTF-8 text: byte 0xe9 at offset 9 (line 1) cannot be decoded; "
            "save the file as UTF-8"]

    def test_control_character(self, tmp_path):
        """A NUL byte is a one-line YAML error, not a traceback."""
        assert "character #x00" in one_line(tmp_path, BASE.replace("tiny", "ti\x00ny"))

    def test_python_tags_refused(self, tmp_path):
        """Python object tags are not constructed."""
        text = BASE.replace("name: tiny", "name: !!python/object/apply:os.system [echo]")
        assert "could not determine a constructor" in one_line(tmp_path, text)


class TestYaml11Surprises:
    def test_base_60_in_a_number_field(self, tmp_path):
        """`staff: 1:2:3:4` is not the base-60 number 223384."""
        reason = one_line(tmp_path, BASE.replace("staff: 42", "staff: 1:2:3:4"))
        assert reason.startswith("agents.pool.staff: ") and "'1:2:3:4'" in reason

    def test_clock_time_in_a_duration_field(self, tmp_path):
        """`interval: 20:00` is not 1200 seconds."""
        reason = one_line(tmp_path, BASE.replace("interval: 30m", "interval: 20:00"))
        assert reason.startswith("interval: expected a duration")

    @pytest.mark.parametrize("word", ["yes", "no", "on", "off", "true"])
    def test_boolean_words_are_not_probabilities(self, tmp_path, word):
        """`resolution: yes` (or true) is not 1.0."""
        reason = one_line(tmp_path, BASE.replace("resolution: 0.8", f"resolution: {word}"))
        assert reason.startswith("contact_types.calls.resolution: ")

    @pytest.mark.parametrize("word", ["true", "false", "yes"])
    def test_boolean_is_not_an_integer(self, tmp_path, word):
        """`staff: true` is not 1 agent."""
        reason = one_line(tmp_path, BASE.replace("staff: 42", f"staff: {word}"))
        assert reason.startswith("agents.pool.staff: ")

    def test_boolean_is_not_a_cv(self, tmp_path):
        """`cv: true` in a distribution is not a cv of 1."""
        text = BASE.replace("{dist: exponential, mean: 4m}",
                            "{dist: lognormal, mean: 4m, cv: true}")
        reason = one_line(tmp_path, text)
        assert reason == "contact_types.calls.handle.cv: expected a number, got True"

    def test_leading_zero_is_decimal(self, tmp_path):
        """`staff: 010` is ten agents, not octal eight."""
        scenario = load_scenario(write(tmp_path, BASE.replace("staff: 42", "staff: 010")))
        assert scenario.agents["pool"].staff == 10

    def test_date_is_text(self, tmp_path):
        """`name: 2026-01-01` is the name, not a date object."""
        scenario = load_scenario(write(tmp_path, BASE.replace("name: tiny", "name: 2026-01-01")))
        assert scenario.name == "2026-01-01"


class TestNumbers:
    def test_5000_digit_integer(self, tmp_path):
        """An integer too long to be meant is one line, not Python's int limit traceback."""
        reason = one_line(tmp_path, BASE.replace("staff: 42", "staff: " + "9" * 5000))
        assert reason == "an integer of 5000 digits at line 14 is too long (at most 100)"

    @pytest.mark.parametrize(("edit", "path"), [
        (("staff: 42", "staff: .inf"), "agents.pool.staff"),
        (("staff: 42", "staff: [.nan]"), "agents.pool.staff[0]"),
        (("rate: 60/h}", "per_interval: [.nan]}"), "contact_types.calls.arrivals.per_interval[0]"),
        (("rate: 60/h}", "per_interval: [1e400]}"),
         "contact_types.calls.arrivals.per_interval[0]"),
        (("rate: 60/h}", "rate: 60/h, day_factors: [1, .inf]}"),
         "contact_types.calls.arrivals.day_factors[1]"),
        (("rate: 60/h}", "rate: 60/h, forecast_error: .nan}"),
         "contact_types.calls.arrivals.forecast_error"),
        (("resolution: 0.8", "resolution: .nan"), "contact_types.calls.resolution"),
        (("rate: 60/h}", "rate: .inf}"), "contact_types.calls.arrivals.rate"),
    ], ids=["staff", "staff-list", "per_interval", "per_interval-1e400", "day_factors",
            "forecast_error", "resolution", "rate"])
    def test_non_finite_numbers(self, tmp_path, edit, path):
        """Infinities and NaN are refused wherever a number is expected, naming the field."""
        reason = one_line(tmp_path, BASE.replace(*edit))
        assert reason.startswith(f"{path}: "), reason
        assert "finite" in reason or reason.endswith(("got inf", "got nan")), reason


class TestOverrides:
    def test_base_60_in_set(self, tmp_path):
        """`--set agents.pool.staff=1:2:3:4` is refused, not read as 223384."""
        file = write(tmp_path, BASE)
        result = CliRunner().invoke(main, ["validate", str(file), "--set",
                                           "agents.pool.staff=1:2:3:4"])
        assert result.exit_code == 2
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"{file}: agents.pool.staff: ") and "'1:2:3:4'" in line

    def test_negative_index_in_set(self, tmp_path):
        """`--set agents.pool.staff.-1=3` is refused: list items count from 0."""
        file = write(tmp_path, BASE.replace("staff: 42", "staff: [" + ", ".join(["4"] * 24) + "]"))
        (line,) = problems(file, overrides={"agents.pool.staff.-1": 3})
        assert line == (f"{file}: agents.pool.staff.-1: cannot override: "
                        "'agents.pool.staff.-1': no item -1 in a list of 24 (items count from 0)")

    def test_set_values_follow_the_file_rules(self, tmp_path):
        """--set values are read like the file: `yes` is a word, `.inf` is not finite."""
        file = write(tmp_path, BASE)
        for value, path in [("yes", "contact_types.calls.resolution"),
                            (".inf", "agents.pool.staff")]:
            (line,) = problems(file, overrides={path: value})
            assert line.startswith(f"{file}: {path}: "), line


class TestScenarioLimits:
    @pytest.mark.parametrize(("edit", "expected"), [
        (("days: 1", "days: 100000"),
         "days: must be <= 3,660 (the limit on days in a run), got 100,000; set "
         "CCSIM_MAX_DAYS to raise the limit"),
        (("staff: 42", "staff: 1000000000"),
         "agents.pool.staff: must be <= 100,000 (the limit on agents in a group, and in all "
         "groups at once), got 1,000,000,000; set CCSIM_MAX_AGENTS to raise the limit"),
        (("staff: 42", "staff: [1, 2, 3, 200000" + ", 1" * 20 + "]"),
         "agents.pool.staff[3]: must be <= 100,000"),
        (("staff: 42", "staff: 60000\n  more:\n    skills: [calls]\n    staff: 60000"),
         "agents: all groups at their peaks: must be <= 100,000"),
        (("interval: 30m", "interval: 30s"), "interval: must be >= 60, got '30s'"),
        (("rate: 60/h", "rate: 1e300/h"),
         "contact_types.calls.arrivals: about 1.2e+301 contacts expected in one replication "
         "(this type: 1.2e+301): must be <= 2,000,000,000 (the limit on expected contacts, "
         "all replications and runs together), got 1.2e+301; set CCSIM_MAX_CONTACTS to "
         "raise the limit"),
    ], ids=["days", "staff", "staff-list", "all-groups", "interval", "rate"])
    def test_limit_named_with_how_to_raise_it(self, tmp_path, edit, expected):
        """A size over a limit is one line naming the field, the limit and how to raise it."""
        assert one_line(tmp_path, BASE.replace(*edit)).startswith(expected)

    def test_raised_by_environment(self, tmp_path, monkeypatch):
        """CCSIM_MAX_DAYS raises the days limit."""
        file = write(tmp_path, BASE.replace("days: 1", "days: 5000"))
        problems(file)
        monkeypatch.setenv("CCSIM_MAX_DAYS", "5000")
        assert load_scenario(file).days == 5000

    def test_bad_environment_value(self, tmp_path, monkeypatch):
        """A limit variable that is not a number is one line, not a traceback."""
        monkeypatch.setenv("CCSIM_MAX_DAYS", "lots")
        assert one_line(tmp_path, BASE) == "CCSIM_MAX_DAYS must be a positive number, got 'lots'"

    def test_contact_types(self, tmp_path):
        """More than 500 contact types are refused."""
        types = "".join(f"  t{i}:\n    arrivals: {{rate: 1/h}}\n    handle: {{dist: exponential, "
                        "mean: 1m}\n" for i in range(501))
        text = BASE.replace("contact_types:\n", "contact_types:\n" + types).replace(
            "skills: [calls]", "skills: [calls, " + ", ".join(f"t{i}" for i in range(501)) + "]")
        assert one_line(tmp_path, text).startswith("contact_types: must be <= 500")

    def test_concurrency(self, tmp_path):
        """More than 100 chats at once per agent is refused."""
        text = BASE.replace("    resolution: 0.8", "    channel: chat").replace(
            "    staff: 42", "    staff: 42\n    concurrency: 1000")
        assert one_line(tmp_path, text) == "agents.pool.concurrency: must be <= 100, got 1000"

    def test_variant_over_a_limit(self, tmp_path):
        """A declared variant over a limit is reported by validate, under variants.NAME."""
        reason = one_line(tmp_path, BASE + "variants:\n  long: {days: 100000}\n")
        assert reason.startswith("variants.long.days: must be <= 3,660")


class TestCommandLimits:
    """Limits on options are checked before any work: one line, exit 2, in seconds."""

    @pytest.mark.parametrize("args", [
        ["run", "{file}", "-r", "1000000000", "--out", "{out}"],
        ["compare", "{file}", "{file}", "-r", "1000000000", "--out", "{out}"],
        ["staff", "{file}", "-r", "1000000000"],
        ["sweep", "{file}", "--grid", "agents.pool.staff=40,41", "-r", "1000000000",
         "--out", "{out}"],
        ["animate", "{file}", "--replication", "1000000000", "--out", "{out}/day.gif"],
    ], ids=["run", "compare", "staff", "sweep", "animate"])
    def test_replications(self, tmp_path, args):
        """A billion replications are refused, naming the limit and how to raise it."""
        file = write(tmp_path, BASE)
        args = [a.format(file=file, out=tmp_path / "out") for a in args]
        proc = cli(*args, timeout=30)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.splitlines()
        option = "--replication" if args[0] == "animate" else "--replications"
        assert line.startswith(f"{file}: {option}: must be <= 100,000"), line
        assert "CCSIM_MAX_REPLICATIONS" in line
        assert not (tmp_path / "out").exists()

    @pytest.mark.parametrize("command", ["run", "compare", "staff", "sweep", "schedule"])
    def test_workers(self, tmp_path, command):
        """A billion worker processes are refused before anything starts, naming the limit."""
        file = write(tmp_path, BASE)
        extra = {"compare": [file], "sweep": ["--grid", "agents.pool.staff=40,41"]}
        proc = cli(command, file, *extra.get(command, []), "--workers", "1000000000",
                   timeout=30)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.splitlines()
        assert "--workers" in line and "must be <= 256" in line, line
        assert "CCSIM_MAX_WORKERS" in line, line

    @pytest.mark.parametrize("command", ["run", "sweep"])
    def test_one_replication_beyond_memory(self, tmp_path, command):
        """A replication that would not fit in memory is refused before any work.

        About 1 KB of memory per contact at the peak: 120,000 contacts on a machine with
        100 MB available (CCSIM_MAX_MEMORY_MB stands for the machine's memory here) would
        have run until the system killed it; on the old code it ran. A sweep checks every
        point, not only the base: on the old code its point at 10,000 calls an hour ran
        (only the base, at 60, was checked).
        """
        if command == "run":
            file = write(tmp_path, BASE.replace("rate: 60/h", "rate: 10000/h"))
            args = ("run", file, "--no-report")
        else:
            file = write(tmp_path, BASE)
            args = ("sweep", file, "--grid", "contact_types.calls.arrivals.rate=60/h,10000/h")
        proc = cli(*args, "--out", tmp_path / "out", timeout=30,
                   env={"CCSIM_MAX_MEMORY_MB": "100"})
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            f"{file}: contact_types.calls.arrivals: about 120,000 contacts in one replication "
            "need about 114 MB of memory "
            "(about 1 KB a contact), more than the 100 MB available: make the run smaller "
            "(days, contact rates), or set CCSIM_MAX_MEMORY_MB to try anyway\n")
        assert not (tmp_path / "out").exists()

    def test_workers_beyond_memory(self, tmp_path):
        """Several workers, each holding a replication, must fit in memory together."""
        file = write(tmp_path, BASE.replace("rate: 60/h", "rate: 10000/h"))
        proc = cli("run", file, "-r", "4", "--workers", "4", "--out", tmp_path / "out",
                   "--no-report", timeout=30, env={"CCSIM_MAX_MEMORY_MB": "300"})
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            f"{file}: --workers: 4 workers at once need about 458 MB of memory (114 MB each), "
            "more than the 300 MB available: use --workers 2 or fewer\n")

    def test_bad_memory_variable(self, tmp_path):
        """CCSIM_MAX_MEMORY_MB that is not a number is one line, not a traceback."""
        proc = cli("run", write(tmp_path, BASE), "--out", tmp_path / "out", timeout=30,
                   env={"CCSIM_MAX_MEMORY_MB": "lots"})
        assert (proc.returncode, proc.stderr) == (
            2, "CCSIM_MAX_MEMORY_MB must be a positive number, got 'lots'\n")

    def test_machine_memory_is_read(self, monkeypatch):
        """Without the variable, the memory available is read off the system (Linux)."""
        from sim import memory_limit
        monkeypatch.delenv("CCSIM_MAX_MEMORY_MB", raising=False)
        available = memory_limit.available_bytes()
        if sys.platform == "linux":
            assert 2**20 < available < 2**50

    def test_default_workers_fit_in_memory(self, tmp_path, monkeypatch):
        """By default, no more workers than the memory holds (one at least)."""
        from sim import cli_common
        scenario = load_scenario(write(tmp_path, BASE.replace("rate: 60/h", "rate: 10000/h")))
        monkeypatch.setattr("sim.parallel.usable_cores", lambda: 8)
        monkeypatch.setenv("CCSIM_MAX_MEMORY_MB", "300")
        assert cli_common.default_workers(None, [scenario], 8) == 2
        monkeypatch.setenv("CCSIM_MAX_MEMORY_MB", "50")
        assert cli_common.default_workers(None, [scenario], 8) == 1
        monkeypatch.setenv("CCSIM_MAX_MEMORY_MB", "100000")
        assert cli_common.default_workers(None, [scenario], 8) == 8

    @pytest.mark.parametrize(("rate", "args", "counted"), [
        ("2000000/h", ("run", "-r", "100"),
         "about 2,400,000,000 contacts expected (24,000,000 per replication x 100 "
         "replications): must be <= 2,000,000,000 (the limit on expected contacts, all "
         "replications and runs together), got 2,400,000,000"),
        ("200000/h", ("sweep", "--grid", "days=1,100", "-r", "10"),
         "about 2,424,000,000 contacts expected (242,400,000 in a replication of all 2 "
         "points x 10 replications): must be <= 2,000,000,000 (the limit on expected "
         "contacts, all replications and runs together), got 2,424,000,000"),
    ], ids=["run", "sweep-over-days"])
    def test_expected_contacts(self, tmp_path, rate, args, counted):
        """Too many expected contacts, all replications together, are refused up front.

        24 million contacts a replication x 100 replications. A sweep adds up its points,
        each of its own size: on the old code only the base (one day) was counted.
        """
        file = write(tmp_path, BASE.replace("rate: 60/h", f"rate: {rate}"))
        proc = cli(args[0], file, *args[1:], "--out", tmp_path / "out", timeout=30)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (f"{file}: --replications: {counted}; set CCSIM_MAX_CONTACTS "
                               "to raise the limit\n")

    def test_grid_range_checked_before_expanding(self, tmp_path):
        """--grid staff=1:1000000000:1 is refused without building a billion values."""
        file = write(tmp_path, BASE)
        proc = cli("sweep", file, "--grid", "agents.pool.staff=1:1000000000:1", "--out",
                   tmp_path / "out", timeout=30)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (
            f"{file}: agents.pool.staff: 1:1000000000:1 gives 1,000,000,000 values: must be "
            "<= 100,000 (the limit on points in a sweep grid), got 1,000,000,000; set "
            "CCSIM_MAX_GRID_POINTS to raise the limit\n")

    def test_grid_product(self, tmp_path):
        """Two parameters of 1,000 values each make a million points: refused."""
        file = write(tmp_path, BASE)
        proc = cli("sweep", file, "--grid", "agents.pool.staff=1:1000:1", "--grid",
                   "contact_types.calls.resolution=0:0.999:0.001", "--out", tmp_path / "out",
                   timeout=30)
        assert proc.returncode == 2, proc.stderr
        (line,) = proc.stderr.splitlines()
        assert line.startswith(f"{file}: --grid: 1,000 x 1,000 = 1,000,000 points: must be "
                               "<= 100,000"), line

    @pytest.mark.parametrize("spec", ["1:.inf:1", "1:10:.nan", "-.inf:1:1"])
    def test_grid_infinite_range(self, tmp_path, spec):
        """--grid PATH=1:.inf:1 is refused in one line."""
        file = write(tmp_path, BASE)
        result = CliRunner().invoke(main, ["sweep", str(file), "--grid",
                                           f"agents.pool.staff={spec}"])
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.splitlines()
        assert line == (f"{file}: agents.pool.staff: a range a:b:step needs finite numbers, "
                        f"got {spec}")

    @pytest.mark.parametrize(("args", "expected"), [
        (["--agents", "1000000000"], "--agents: must be <= 100,000"),
        (["--agents", "42", "--threshold", "-5s"], "--threshold: must be >= 0, got -5s"),
        (["--agents", "42", "--patience", "-3m"], "--patience: must be > 0, got -3m"),
        (["--target", "0.8", "--rate", "1e300/h"],
         "--rate: 1e+300/h x 4m is 6.67e+298 Erlangs, more than the limit of 100,000"),
    ], ids=["agents", "threshold", "patience", "huge-rate"])
    def test_erlang(self, args, expected):
        """`ccsim erlang` refuses absurd options in one line, before printing anything."""
        proc = cli("erlang", "--rate", "600/h", "--aht", "4m", *args, timeout=30)
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == ""
        (line,) = proc.stderr.splitlines()
        assert line.startswith(f"erlang: {expected}"), line


    def test_erlang_max_abandon_zero(self):
        """--max-abandon 0 is refused as staff and schedule refuse it, naming the option.

        Its help allowed 0 (0<=x<=1); the command then printed its header and failed on
        the internal name ('max_abandon' must be > 0).
        """
        proc = cli("erlang", "--rate", "600/h", "--aht", "4m", "--patience", "3m",
                   "--target", "0.8", "--max-abandon", "0", timeout=30)
        assert proc.returncode == 2, proc.stderr
        assert proc.stdout == ""
        (line,) = proc.stderr.splitlines()
        assert "--max-abandon" in line and "0<x<=1" in line, line


OUT_COMMANDS = {
    "run": ["run", "{file}", "--out", "{out}", "--no-report"],
    "compare": ["compare", "{file}", "{file2}", "-r", "2", "--out", "{out}", "--no-report"],
    "sweep": ["sweep", "{file}", "--grid", "agents.pool.staff=40,41", "-r", "1", "--workers",
              "1", "--out", "{out}", "--no-figures"],
    "staff": ["staff", "{file}", "-r", "1", "--out", "{out}/staffed.yaml"],
    "animate": ["animate", "{file}", "--out", "{out}/day.gif"],
    "report": ["report", "{out}"],
}


class TestOutPaths:
    """An --out that cannot be written is refused before anything is simulated."""

    def _invoke(self, tmp_path, command, out):
        file = write(tmp_path, BASE.replace("days: 1", "days: 1\nseed: 3"))
        file2 = write(tmp_path, BASE, name="other.yaml")
        args = [a.format(file=file, file2=file2, out=out) for a in OUT_COMMANDS[command]]
        started = time.perf_counter()
        result = CliRunner().invoke(main, args)
        return result, time.perf_counter() - started

    @pytest.mark.parametrize("command", sorted(OUT_COMMANDS))
    def test_under_a_file(self, tmp_path, command):
        """--out under an existing file: one line naming the file, exit 2, nothing run."""
        blocker = tmp_path / "results.txt"
        blocker.write_text("not a folder")
        result, _ = self._invoke(tmp_path, command, blocker / "out")
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.splitlines()
        assert f"cannot write {blocker / 'out'}" in line, line
        assert line.endswith(f": {blocker} is a file, not a folder"), line
        assert result.stdout == ""

    @pytest.mark.parametrize("command", sorted(OUT_COMMANDS))
    def test_unwritable_folder(self, tmp_path, command):
        """--out where the system refuses to create files: one line, exit 2."""
        target = Path("/sys/ccsim-out")
        try:
            import tempfile

            with tempfile.TemporaryFile(dir="/sys"):
                pytest.skip("/sys is writable here")
        except OSError:
            pass
        result, _ = self._invoke(tmp_path, command, target)
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.splitlines()
        assert f"cannot write {target}" in line, line
        assert line.endswith(": no permission to create files in /sys"), line

    def test_staff_out_is_the_scenario(self, tmp_path):
        """`staff S.yaml --out S.yaml` would replace the user's file (comments and all)."""
        file = write(tmp_path, BASE)
        before = file.read_text()
        result = CliRunner().invoke(main, ["staff", str(file), "--target", "0.8",
                                           "--out", str(file)])
        assert result.exit_code == 2, result.output
        (line,) = result.stderr.splitlines()
        assert line == f"--out: cannot write {file}: it is the input {file}", line
        assert file.read_text() == before

    @pytest.mark.skipif(hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0,
                        reason="root may write in a read-only folder")
    def test_read_only_folder(self, tmp_path):
        """--out inside a read-only folder (mode 555): one line, exit 2."""
        folder = tmp_path / "ro"
        folder.mkdir()
        folder.chmod(0o555)
        try:
            result, _ = self._invoke(tmp_path, "run", folder / "out")
        finally:
            folder.chmod(0o755)
        assert result.exit_code == 2, result.output
        assert "no permission to create files" in result.stderr


class TestFoundLater:
    """Faults found by the fuzz test (tests/test_fuzz.py) and while fixing the others."""

    def test_list_inside_skills_list(self, tmp_path):
        """`skills: [[1, a]]` is a one-line problem, not TypeError: unhashable type."""
        reason = one_line(tmp_path, BASE.replace("skills: [calls]", "skills: [[1, a]]"))
        assert reason == "agents.pool.skills: must be contact type names, got [[1, 'a']]"

    def test_seed_beyond_64_bits_in_the_file(self, tmp_path):
        """A seed the result tables cannot store (int64) is refused when the file is read."""
        reason = one_line(tmp_path, BASE.replace("days: 1", "days: 1\nseed: " + "9" * 23))
        assert reason == f"seed: must be <= {2**63 - 1}, got {'9' * 23}"

    def test_seed_beyond_64_bits_on_the_command_line(self, tmp_path):
        """`ccsim sweep --seed 99...9` is refused up front, not a pyarrow OverflowError."""
        file = write(tmp_path, BASE)
        result = CliRunner().invoke(main, [
            "sweep", str(file), "--grid", "agents.pool.staff=40", "-r", "1", "--workers", "1",
            "--seed", "9" * 23, "--out", str(tmp_path / "out"), "--no-figures", "-q"])
        assert result.exit_code == 2, result.output
        assert "--seed" in result.stderr and "Traceback" not in result.output
        assert not (tmp_path / "out").exists()

    def test_empirical_file_is_bounded(self, tmp_path):
        """`empirical {file: /dev/zero}` is refused at the size limit, not read forever."""
        if not Path("/dev/zero").exists():
            pytest.skip("no /dev/zero")
        file = write(tmp_path, BASE.replace("{dist: exponential, mean: 4m}",
                                            "{dist: empirical, file: /dev/zero}"))
        proc = cli("validate", file, timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert proc.stderr == (f"{file}: contact_types.calls.handle: cannot read '/dev/zero': "
                               "the file is larger than 10 MB\n")


LOOP = BASE.replace("close: 20:00", "close: 09:00").replace("staff: 42", (
    "staff: 3\n    escalate: {probability: 1.0, to: calls}"))


class TestEdges:
    """The edge reproducers of the issue: refused or warned naming the field, or bounded."""

    def test_max_transfers_beyond_the_counter(self, tmp_path):
        """`max_transfers: 300` with a self-escalation loop: one line, not a byte overflow."""
        text = LOOP.replace("    resolution: 0.8", "    resolution: 0.8\n    max_transfers: 300")
        assert one_line(tmp_path, text) == ("contact_types.calls.max_transfers: must be <= 100, "
                                            "got 300")

    def test_max_transfers_at_the_limit_is_reached_exactly(self, tmp_path):
        """At the limit, a self-escalation loop stops after exactly 100 transfers."""
        file = write(tmp_path, LOOP.replace("rate: 60/h", "rate: 10/h").replace(
            "    resolution: 0.8", "    resolution: 0.8\n    max_transfers: 100"))
        result = sim.run(load_scenario(file), seed=1)
        assert len(result.contacts) > 0
        assert result.contacts["transfers"].max() == 100
        assert (result.contacts["transfers"][result.contacts["answered"]] <= 100).all()

    @pytest.mark.parametrize(("field", "text"), [
        ("retrial.max_attempts", "retrial: {probability: 1.0, delay: {dist: deterministic, "
                                 "value: 0}, max_attempts: 1e9}"),
        ("repeat.max_contacts", "repeat: {delay: {dist: deterministic, value: 0}, "
                                "max_contacts: 1000000000}"),
    ], ids=["retrial", "repeat"])
    def test_zero_delay_comebacks_bounded(self, tmp_path, field, text):
        """Retrial delay 0 with `max_attempts: 1e9` (or repeats) is refused at 100."""
        body = BASE.replace("    resolution: 0.8", (
            "    resolution: 0.8\n    patience: {dist: deterministic, value: 0}\n    " + text))
        reason = one_line(tmp_path, body)
        assert reason.startswith(f"contact_types.calls.{field}: must be <= 100, got 1000000000")

    def test_shift_after_closing_is_refused(self, tmp_path):
        """A shift starting after closing is refused naming the shift (validate and run).

        It was a warning; since a shift is paid for all its scheduled time, its agents
        would be paid for taking no contact (README "Costs").
        """
        file = write(tmp_path, BASE.replace("staff: 42", (
            "shifts: [{start: \"08:00\", length: 4h, count: 3},"
            " {start: \"21:00\", length: 2h, count: 20}]")))
        for args in (["validate", str(file)],
                     ["run", str(file), "--out", str(tmp_path / "o"), "--no-report", "-q"]):
            res = CliRunner().invoke(main, args)
            assert res.exit_code == 2, res.output
            (line,) = res.stderr.splitlines()
            assert line == (f"{file}: agents.pool.shifts[1]: runs 21:00-23:00, wholly outside "
                            "opening hours 08:00-20:00: its agents would take no contact, yet "
                            "be paid")

    def test_shift_past_midnight_into_opening_is_not_warned(self, tmp_path):
        """A night shift that runs into the next day's opening hours is fine."""
        file = write(tmp_path, BASE.replace("staff: 42", (
            "shifts: [{start: \"08:00\", length: 12h, count: 3},"
            " {start: \"22:00\", length: 11h, count: 2}]")))
        res = CliRunner().invoke(main, ["validate", str(file)])
        assert res.exit_code == 0 and res.stderr == "", res.output

    @pytest.mark.parametrize("args", [
        ["erlang", "--rate", "600/h", "--aht", "4m", "--agents", "1e9"],
        ["erlang", "--rate", "600/h", "--aht", "4m", "--agents", "42", "--threshold", "-5s"],
        ["sweep", "{file}", "--grid", "agents.pool.staff=1:.inf:1", "--out", "{out}"],
        ["run", "{file}", "-r", "1e9", "--out", "{out}"],
    ], ids=["erlang-agents-1e9", "erlang-threshold", "grid-inf", "run-r-1e9"])
    def test_command_line_reproducers(self, tmp_path, args):
        """The issue's command lines, as typed: one line, exit 2, nothing written."""
        file = write(tmp_path, BASE)
        proc = cli(*[a.format(file=file, out=tmp_path / "out") for a in args], timeout=60)
        assert proc.returncode == 2, proc.stderr
        assert len(proc.stderr.splitlines()) == 1 and "Traceback" not in proc.stderr
        assert not (tmp_path / "out").exists()
