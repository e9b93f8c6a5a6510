"""Input that used to get past validation: each is refused in one line, or runs.

Found by mutating the bundled scenarios through `ccsim validate` and then `ccsim run`
(one replication, one day): what `validate` accepts, `run` must run, and a run must
measure something. Oracles are computed here, independently of the loader's rules.
"""

from __future__ import annotations

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.cli import main
from sim.loader import ScenarioError, scenario_from_dict
from sim.units import DAY

HOUR = 3600
MINUTE = "{dist: exponential, mean: 1m}"


def _scenario(**fields) -> dict:
    data = {"name": "gap", "days": 1, "open": "08:00", "close": "09:00", "interval": "30m",
            "contact_types": {"calls": {"arrivals": {"rate": "20/h"},
                                        "handle": {"dist": "exponential", "mean": "4m"}}},
            "agents": {"pool": {"skills": ["calls"], "staff": 2}}}
    data.update(fields)
    return data


def _problems(data: dict) -> list[str]:
    try:
        scenario_from_dict(data, source="gap.yaml")
    except ScenarioError as exc:
        return exc.lines()
    return []


class TestMeasuredWindow:
    @settings(derandomize=True, max_examples=60, deadline=None)
    @given(days=st.integers(1, 4), open_h=st.integers(0, 22), hours=st.integers(1, 24),
           warmup_h=st.integers(0, 4 * 24))
    def test_warmup_is_refused_exactly_when_it_leaves_no_opening_hours(
            self, days, open_h, hours, warmup_h):
        """A warmup is valid iff the window after it holds some opening time.

        Contacts arrive only in opening hours, so a warmup that ends at or after the last
        day's closing leaves a run that measures nothing (every KPI 0 or empty) and said
        nothing about why; it must be a one-line problem on `warmup` instead.
        """
        close_h = min(open_h + hours, 24)
        data = _scenario(days=days, open=open_h * HOUR, close=close_h * HOUR,
                         interval="1h", warmup=warmup_h * HOUR)
        # oracle: some day d has opening hours after the warmup
        measured = any(d * DAY + close_h * HOUR > warmup_h * HOUR for d in range(days))
        lines = _problems(data)
        if measured:
            assert lines == []
        else:
            assert len(lines) == 1 and lines[0].startswith("gap.yaml: warmup: "), lines


class TestValidateAgreesWithRun:
    @pytest.mark.parametrize("rate", ["500/h", "5000/h"])
    def test_one_replication_beyond_memory(self, tmp_path, monkeypatch, rate):
        """`validate` refuses, on the same line, a scenario `run -r 1` refuses for memory.

        With 1 MB to plan with and about 1 KB a contact, 500 contacts fit and 5,000 do not;
        `validate` said "ok" to both, and `run` then refused the second.
        """
        monkeypatch.setenv("CCSIM_MAX_MEMORY_MB", "1")
        file = tmp_path / "big.yaml"
        file.write_text(yaml.safe_dump(_scenario(
            contact_types={"calls": {"arrivals": {"rate": rate},
                                     "handle": {"dist": "exponential", "mean": "4m"}}})))
        checked = CliRunner().invoke(main, ["validate", str(file)])
        ran = CliRunner().invoke(main, ["run", str(file), "-r", "1", "--no-report", "-q",
                                        "--out", str(tmp_path / "out")])
        assert (checked.exit_code, ran.exit_code) in ((0, 0), (2, 2)), (checked.output,
                                                                        ran.output)
        if ran.exit_code == 2:
            line = ran.stderr.strip()
            assert "\n" not in line
            assert line.startswith(f"{file}: contact_types.calls.arrivals: "), line
            assert checked.stderr.strip() == line

    @pytest.mark.parametrize(("path", "value"), [
        ("contact_types.calls.consult", "{probability: 0.3, to: expert, talk: " + MINUTE + "}"),
        ("contact_types.calls.consult", "{probability: 0.3, to: expert, talk: " + MINUTE + ", "
                                        "hold_patience: {dist: exponential, mean: 1m}}"),
        ("contact_types.calls.transfer", "{probability: 0.3, to: expert, mode: warm}"),
        ("contact_types.calls.transfer", "{probability: 0.3, to: expert, mode: conference, "
                                         "conference: " + MINUTE + "}"),
        ("contact_types.calls.transfer", "{probability: 0.3, to: expert}"),
        ("agents.pool.escalate", "{probability: 0.3, to: expert, as: consult, "
                                 "talk: " + MINUTE + "}"),
        ("agents.pool.escalate", "{probability: 0.3, to: expert}"),
        ("agents.pool.escalate", "{probability: 0, to: expert, as: consult, talk: " + MINUTE + "}"),
    ])
    def test_holding_for_a_queue_nobody_answers(self, tmp_path, path, value):
        """`validate` refuses, on `run`'s field, what `run` stops on: a hold never answered.

        An agent who consults, or transfers warm, into a queue no agent is ever on the phones
        for waits for ever; `run` found out after simulating and refused, while `validate`
        had only warned about the queue. A hold the customer can end (`hold_patience`), a
        cold transfer or a probability of 0 runs.
        """
        data = _scenario(close="10:00", agents={"pool": {"skills": ["calls"], "staff": 5},
                                                 "experts": {"skills": ["expert"], "staff": 0}})
        data["contact_types"]["expert"] = {"arrivals": {"rate": 0},
                                           "handle": {"dist": "exponential", "mean": "4m"}}
        file = tmp_path / "hold.yaml"
        file.write_text(yaml.safe_dump(data))
        override = ["--set", f"{path}={value}"]
        checked = CliRunner().invoke(main, ["validate", str(file), *override])
        ran = CliRunner().invoke(main, ["run", str(file), *override, "-r", "1", "--no-report",
                                        "-q", "--out", str(tmp_path / "out")])
        assert (checked.exit_code, ran.exit_code) in ((0, 0), (2, 2)), (checked.output,
                                                                        ran.output)
        if ran.exit_code == 2:
            problems = [line for line in checked.stderr.splitlines() if "warning" not in line]
            assert len(problems) == 1 and problems[0].startswith(f"{file}: {path}: "), problems


class TestAnimationKeepsEveryFrame:
    def test_html_embeds_every_frame_asked_for(self, tmp_path):
        """An HTML animation holds every frame it says it drew.

        Matplotlib's player stops embedding frames past ``animation.embed_limit`` (20 MB:
        about 3,600 frames at the default size) with a log line, and `ccsim animate --out
        a.html --step 1s --max-frames 3601` then reported "wrote a.html (3601 frames)" of a
        file that stopped at frame 3,599. A limit of 1 KB here stands for the 20 MB.
        """
        import matplotlib

        from sim.animate import animate, frame_count, one_replication

        scenario = scenario_from_dict(_scenario(), source="gap.yaml")
        result = one_replication(scenario, seed=1)
        out = tmp_path / "day.html"
        with matplotlib.rc_context({"animation.embed_limit": 0.001}):
            animate(result, out, step=600)
        page = out.read_text(encoding="utf-8")
        assert page.count("data:image/png;base64,") == frame_count(scenario, 600)


class TestFitStaff:
    @pytest.mark.parametrize("staff", [5, 6])
    def test_staff_over_the_agent_limit_is_the_option_s_error(self, tmp_path, monkeypatch,
                                                               staff):
        """`fit --staff` over the agent limit: one line on --staff, and no file written.

        It used to write the fitted scenario, fail to read it back and blame
        `fitted.yaml: agents.agents.staff[0]`, leaving that invalid file behind.
        """
        monkeypatch.setenv("CCSIM_MAX_AGENTS", "5")
        log = tmp_path / "calls.csv"
        log.write_text("arrival,wait,outcome,handle\n" + "".join(
            f"{28800 + 60 * i},{i % 7},answered,{100 + 13 * i}\n" for i in range(40)))
        out = tmp_path / "fitted.yaml"
        res = CliRunner().invoke(main, ["fit", str(log), "--staff", str(staff), "--out",
                                        str(out), "--no-report"])
        if staff <= 5:
            assert res.exit_code == 0, res.output
            assert scenario_from_dict(yaml.safe_load(out.read_text())).agents
        else:
            assert res.exit_code == 2, res.output
            lines = res.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("--staff: must be <= 5"), lines
            assert not out.exists()


_DURATIONS = st.sampled_from([0, 1e-6, 0.5, 30, "4m", "1h", "23h", "2d", 1e7, -1, "nan",
                              "1e400"])
_FIELDS = {  # dotted path -> values a user could type there
    "days": st.sampled_from([1, 2, 0, -1, 1.5, "2"]),
    "open": st.sampled_from(["00:00", "08:00", "08:30", "24:00", "25:00", "10:60", "8"]),
    "close": st.sampled_from(["09:00", "24:00", "08:00", "23:59", "9:00", "0"]),
    "interval": st.sampled_from(["30m", "1h", "59s", "7m", "1d"]),
    "warmup": _DURATIONS, "cooldown": _DURATIONS,
    "lines": st.sampled_from([1, 2, 0, 10**9, None]),
    "service_level.threshold": _DURATIONS,
    "contact_types.calls.arrivals.rate": st.sampled_from(
        [0, "0/h", "1e-9/h", "20/h", "2000/h", "1/s", -1, "1e300/h"]),
    "contact_types.calls.handle.mean": _DURATIONS,
    "contact_types.calls.patience": st.sampled_from(
        [None, {"dist": "exponential", "mean": "2m"}, {"dist": "deterministic", "value": 0},
         {"dist": "uniform", "low": 0, "high": 0}, {"dist": "empirical", "values": [0, 1e6]}]),
    "contact_types.calls.resolution": st.sampled_from([0, 0.5, 1, 1.01]),
    "contact_types.calls.repeat": st.sampled_from(
        [None, {"probability": 1, "delay": 0}, {"probability": 1, "delay": "1d"}]),
    "agents.pool.staff": st.sampled_from([0, 1, 3, [0, 2], [1, 1, 1], -1, 10**6]),
    "agents.pool.shrinkage": st.sampled_from([0, 0.5, 0.999, 1]),
}


def _flow(value) -> str:
    """A value as one line of YAML, as a user types it after ``--set path=``."""
    return yaml.safe_dump(value, default_flow_style=True).strip().removesuffix("...").strip()


class TestValidateThenRun:
    @settings(derandomize=True, max_examples=40, deadline=None)
    @given(st.fixed_dictionaries({}, optional=_FIELDS))
    def test_what_validate_accepts_runs(self, tmp_path_factory, changes):
        """`validate` and `run -r 1` agree: both exit 0, or both 2 with the same lines.

        Never another exit code, a traceback or an internal error, on any mix of the
        values above (wrong types, clocks past midnight, zeros, infinities, huge sizes).
        """
        tmp = tmp_path_factory.mktemp("mix")
        file = tmp / "mix.yaml"
        data = _scenario(contact_types={"calls": {
            "arrivals": {"rate": "20/h"}, "handle": {"dist": "exponential", "mean": "4m"}}})
        file.write_text(yaml.safe_dump(data))
        override = [arg for path, value in changes.items()
                    for arg in ("--set", f"{path}={_flow(value)}")]
        checked = CliRunner().invoke(main, ["validate", str(file), *override])
        ran = CliRunner().invoke(main, ["run", str(file), *override, "-r", "1", "--no-report",
                                        "-q", "--out", str(tmp / "out")])
        assert checked.exit_code in (0, 2) and ran.exit_code == checked.exit_code, (
            changes, checked.output, ran.output)
        if ran.exit_code == 2:
            problems = [line for line in checked.stderr.splitlines() if "warning" not in line]
            assert ran.stderr.splitlines() == problems, changes


class TestLongValuesInMessages:
    @pytest.mark.parametrize("field", ["open", "interval", "seed", "agents.pool.staff",
                                       "contact_types.calls.handle.dist",
                                       "contact_types.calls.arrivals.rate"])
    def test_a_long_text_is_cut_in_its_line(self, field):
        """A long wrong text (a pasted block) is quoted in part: the line stays readable.

        Lists and mappings were cut at 60 characters, text was not: a 30,000-character
        clock, duration, rate, number or distribution name made a 30,000-character line.
        """
        value = "9" * 30_000 + "x"
        data = _scenario()
        *parents, leaf = field.split(".")
        section = data
        for part in parents:
            section = section[part]
        section[leaf] = value
        lines = _problems(data)
        where = field.removesuffix(".dist")  # an unknown distribution is its mapping's problem
        assert len(lines) == 1 and lines[0].startswith(f"gap.yaml: {where}: "), lines
        assert len(lines[0]) < 300 and repr(value)[:40] in lines[0], lines[0]


class TestNumberTextIsReadInLinearTime:
    @pytest.mark.parametrize("parse", ["parse_duration", "parse_rate"])
    @pytest.mark.parametrize("text", ["9" * 8000 + "x", "5" + " " * 8000 + "x"])
    def test_long_run_is_refused_at_once(self, parse, text):
        """8,000 digits (or spaces) then a wrong letter: refused in well under a second.

        The number pattern (digits, an optional point, optional digits) could split a run
        of digits n ways and tried them all: quadratic, 12.8 s for a 10,000-digit `interval` and
        minutes for a pasted block in a 10 MB scenario (a hang, to the user); spaces
        around an optional unit likewise (0.17 s for 8,000, 17 s for 80,000).
        """
        import time

        from sim import units

        started = time.process_time()
        with pytest.raises(ValueError, match=r"\(8,00[12] characters\)"):
            getattr(units, parse)(text)
        assert time.process_time() - started < 1.0


class TestVariants:
    def test_a_variant_s_cross_field_problems_are_the_file_s(self, tmp_path):
        """`validate` names each broken variant's field under `variants.NAME`, as `compare` does.

        A variant valid field by field but not as a whole (a warmup past closing, opening
        hours of no length, a route to no group) passed `validate`; `compare` then stopped
        on the first, naming the scenario's name ("tiny [late]"), not the file and field.
        """
        data = _scenario(variants={"late": {"warmup": "9h"}, "shut": {"close": "08:00"},
                                   "lost": {"routing.calls": ["nope"]}})
        file = tmp_path / "variants.yaml"
        file.write_text(yaml.safe_dump(data))
        checked = CliRunner().invoke(main, ["validate", str(file)])
        compared = CliRunner().invoke(main, ["compare", str(file), "-r", "2", "-q",
                                             "--no-report", "--out", str(tmp_path / "out")])
        assert checked.exit_code == compared.exit_code == 2, (checked.output, compared.output)
        lines = checked.stderr.splitlines()
        assert sorted(line.split(": ")[1] for line in lines) == [
            "variants.late.warmup", "variants.lost.contact_types.calls",
            "variants.lost.routing.calls[0]", "variants.shut.close"]
        assert compared.stderr.splitlines() == lines


class TestSetPaths:
    @pytest.mark.parametrize("path", [".", "agents..staff", "agents.pool.", "agents.pool.staff[x]",
                                      "agents.pool[0", "agents.pool.staff[]"])
    def test_malformed_path_is_named_as_given(self, path):
        """A `--set` path with an empty part or a broken `[index]` is one line on that path.

        It was read as a path of other names: `agents.pool.staff[x]` blamed
        "agents.pool: unknown field 'pool'", `.` an unnamed "unknown field ''", and
        `agents..staff` gave two lines about an agent group named ''.
        """
        try:
            scenario_from_dict(_scenario(), source="gap.yaml", overrides={path: 1})
        except ScenarioError as exc:
            lines = exc.lines()
        else:
            lines = []
        assert len(lines) == 1 and lines[0].startswith(f"gap.yaml: {path}: cannot override: "
                                                       ), lines


class TestPrecisionGivenTwice:
    @pytest.mark.parametrize("second", ["asa=6", "asa=5"])
    def test_a_kpi_given_twice_is_refused(self, tmp_path, second):
        """`--precision asa=5 --precision asa=6` is one line, as `--grid` given twice is.

        The last one silently won: the run stopped at ±6 where ±5 had been asked for too.
        """
        file = tmp_path / "p.yaml"
        file.write_text(yaml.safe_dump(_scenario()))
        res = CliRunner().invoke(main, ["run", str(file), "--precision", "asa=5", "--precision",
                                        second, "--max-replications", "3", "-q", "--no-report",
                                        "--out", str(tmp_path / "out")])
        assert res.exit_code == 2, res.output
        lines = res.stderr.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"{file}: --precision: asa is given twice"), lines
