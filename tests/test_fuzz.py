"""Fuzz the scenario reader and the command line: one-line problems, never a traceback.

A seeded mutator breaks the bundled scenarios the ways files get broken (keys deleted or
given twice, values of the wrong type, huge, negative, infinite or NaN numbers, deep
nesting, alias bombs, random bytes, truncation) and checks the promise: loading gives a
scenario or a ScenarioError whose every line is ``file: [field.path: ]reason``, never a
traceback, and within a bounded time. Case ``n`` is the same mutation on every run.
Command lines get the same treatment: every command with one or two option values made
hostile exits 0 or 2 in a few lines, never with an internal error.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from sim.loader import ScenarioError, load_scenario, scenario_from_yaml
from sim.scenario import Scenario

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "scenarios").glob("*.yaml"))
WRONG_VALUES = ["x", "", [], {}, [1, "a"], {"a": 1}, True, False, None, 0, -1, -1e9, 10**30,
                1e308, float("inf"), float("-inf"), float("nan"), "1:2:3:4", "yes", "20:00",
                "-5m", "1e300/h", "9" * 200, 0.5, "\u00e9\u4e2d"]
SECONDS_PER_CASE = 2.0


def _leaves(node: Any, path: tuple = ()) -> list[tuple]:
    """Paths (keys and indexes) of every value in a YAML document, containers included."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _leaves(value, (*path, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            found += _leaves(value, (*path, i))
    return found


def _set(data: Any, path: tuple, value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _delete(data: Any, path: tuple) -> None:
    for part in path[:-1]:
        data = data[part]
    del data[path[-1]]


def _structural(rng: random.Random, text: str) -> bytes:
    """Change the document: delete a value or swap it for a wrong or extreme one."""
    data = yaml.safe_load(text)
    path = rng.choice(_leaves(data))
    if rng.random() < 0.3:
        _delete(data, path)
    else:
        _set(data, path, rng.choice(WRONG_VALUES))
    return yaml.safe_dump(data, allow_unicode=True).encode()


def _textual(rng: random.Random, text: str) -> bytes:
    """Change the text: duplicate a line, nest deeply, add an alias bomb, cut or add bytes."""
    lines = text.splitlines(keepends=True)
    kind = rng.choice(["duplicate", "nest", "bomb", "truncate", "bytes", "numbers"])
    if kind == "duplicate":
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind == "nest":
        depth = rng.choice([49, 51, 200, 5000])
        keyed = [i for i, line in enumerate(lines) if line.rstrip().endswith(tuple("0123456789"))]
        i = rng.choice(keyed or [0])
        head, _, _ = lines[i].partition(":")
        lines[i] = f"{head}: {'[' * depth}1{']' * depth}\n"
    elif kind == "bomb":
        lines.append("bomb: &a [x, x, x, x, x, x, x, x, x, x]\n")
        lines += [f"bomb{k}: &a{k} [{', '.join(['*a' if k == 0 else f'*a{k - 1}'] * 10)}]\n"
                  for k in range(rng.randint(3, 9))]
    elif kind == "numbers":
        i = rng.randrange(len(lines))
        for word in ("1", "2", "5", "0.", "m"):
            lines[i] = lines[i].replace(word, rng.choice(["1e400", "-.inf", ".nan", "9" * 400,
                                                          "-0", "1_0", "0x1F", "010"]), 1)
    data = "".join(lines).encode()
    if kind == "truncate":
        data = data[:rng.randrange(len(data))]
    elif kind == "bytes":
        at = rng.randrange(len(data))
        data = data[:at] + rng.randbytes(rng.randint(1, 8)) + data[at:]
    return data


def mutate(case: int) -> tuple[str, bytes]:
    """Case number -> (bundled scenario's name, mutated file content)."""
    rng = random.Random(case)
    source = BUNDLED[case % len(BUNDLED)]
    text = source.read_text(encoding="utf-8")
    mutator = _structural if rng.random() < 0.5 else _textual
    return source.name, mutator(rng, text)


def assert_one_line_problems(file: Path, lines: list[str]) -> None:
    """Every line names the file and gives a reason; none is a traceback."""
    assert lines
    for line in lines:
        assert line.startswith(f"{file}: "), line
        assert "\n" not in line and "Traceback" not in line, line
        assert line[len(f"{file}: "):].strip(), line


@pytest.mark.parametrize("case", range(300))
def test_loader_survives_mutation(tmp_path, case):
    """A mutated bundled scenario loads, or fails with one-line problems, in under 2 s."""
    name, content = mutate(case)
    file = tmp_path / name
    file.write_bytes(content)
    started = time.perf_counter()
    try:
        loaded, error = load_scenario(file), None
    except ScenarioError as exc:
        loaded, error = None, exc
    assert time.perf_counter() - started < SECONDS_PER_CASE
    if error is None:
        assert isinstance(loaded, Scenario)
    else:
        assert_one_line_problems(file, error.lines())
        assert str(error) == "\n".join(error.lines())


@pytest.mark.parametrize("batch", range(3))
def test_validate_command_survives_mutation(tmp_path, batch):
    """`ccsim validate` on 7 mutated scenarios at once: one line per problem, exit 0 or 2.

    Seven files a process (21 cases in all): starting ccsim takes seconds.
    """
    files = []
    for case in range(1000 + 7 * batch, 1007 + 7 * batch):
        name, content = mutate(case)
        files.append(tmp_path / f"{case}_{name}")
        files[-1].write_bytes(content)
    proc = subprocess.run([sys.executable, "-m", "sim", "validate", *map(str, files)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode in (0, 2), proc.stderr
    assert "Traceback" not in proc.stderr
    problems = proc.stderr.splitlines()
    ok = proc.stdout.splitlines()
    for file in files:
        own = [line for line in problems if line.startswith(f"{file}: ")]
        if own:
            assert_one_line_problems(file, own)
        else:
            assert any(line.startswith(f"{file}: ok (") for line in ok), (file, proc.stdout)
    assert all(any(line.startswith(f"{f}: ") for f in files) for line in problems), problems
    assert (proc.returncode == 2) == bool(problems)


def test_mutations_break_most_files():
    """The mutator is not a no-op: most cases are refused."""
    refused = 0
    for case in range(60):
        name, content = mutate(case)
        try:
            scenario_from_yaml(content.decode("utf-8", errors="replace"), source=name,
                               base_dir=ROOT / "scenarios")
        except ScenarioError:
            refused += 1
    assert refused > 30


# ---- command lines -------------------------------------------------------------------

TINY = """\
name: tiny
days: 1
open: 08:00
close: 09:00
interval: 30m
contact_types:
  calls:
    arrivals: {rate: 20/h}
    handle: {dist: exponential, mean: 4m}
    patience: {dist: exponential, mean: 2m}
agents:
  pool:
    skills: [calls]
    staff: 2
"""
COMMANDS = {  # option -> a valid value; {file} and {out} filled in per case
    "run": ["{file}", ("--out", "{out}"), ("-r", "2"), ("--seed", "1"),
            ("--set", "agents.pool.staff=3"), "--no-report", "-q"],
    "compare": ["{file}", "{file}", ("-r", "2"), ("--seed", "1"), ("--out", "{out}"),
                ("--set", "days=1"), "--no-report", "-q"],
    "sweep": ["{file}", ("--grid", "agents.pool.staff=2,3"), ("-r", "1"), ("--workers", "1"),
              ("--seed", "1"), ("--out", "{out}"), "--no-figures", "-q"],
    "erlang": [("--rate", "600/h"), ("--aht", "4m"), ("--agents", "42"), ("--patience", "3m"),
               ("--threshold", "20s"), ("--target", "0.8"), ("--max-abandon", "0.05")],
    "validate": ["{file}", ("--set", "contact_types.calls.handle.mean=5m")],
    "report": ["{out}", "--no-png"],
}
HOSTILE = ["-1", "0", "1e9", "1000000000", ".inf", "-.inf", "nan", "", "abc", "9" * 30,
           "-5s", "1e300/h", "0.5", "1:2:3:4", "1:.inf:1", "=", "agents.pool.staff",
           "agents.nope.staff=3", "days=1e9", "\u00e9"]


def command_line(case: int, file: Path, out: Path) -> list[str]:
    """Case number -> a command line with one or two option values made hostile."""
    rng = random.Random(case)
    name = sorted(COMMANDS)[case % len(COMMANDS)]
    spec = COMMANDS[name]
    options = [i for i, item in enumerate(spec) if isinstance(item, tuple)]
    hostile = set(rng.sample(options, k=min(len(options), rng.choice([1, 1, 2]))))
    args = [name]
    for i, item in enumerate(spec):
        if isinstance(item, tuple):
            option, value = item
            if i in hostile:
                value = rng.choice(HOSTILE)
                # a --set or --grid keeps its path half of the time: then the value is hostile
                if "=" in item[1] and rng.random() < 0.5:
                    value = item[1].split("=")[0] + "=" + value
            args += [option, value]
        else:
            args.append(item)
    return [a.format(file=file, out=out) for a in args]


@pytest.mark.parametrize("case", range(48))
def test_command_line_survives_hostile_options(tmp_path, monkeypatch, case):
    """A command with hostile option values exits 0 or 2, in lines, never an internal error."""
    from click.testing import CliRunner

    from sim.cli import main

    monkeypatch.chdir(tmp_path)  # a hostile --out such as `abc` is a folder made here
    file = tmp_path / "tiny.yaml"
    file.write_text(TINY, encoding="utf-8")
    args = command_line(case, file, tmp_path / "out")
    started = time.perf_counter()
    res = CliRunner().invoke(main, args)
    assert time.perf_counter() - started < 60, args
    assert res.exit_code in (0, 2), (args, res.output)
    assert "Traceback" not in res.output and "internal error" not in res.output, (args, res.output)
    if res.exit_code == 2:
        lines = res.stderr.splitlines()
        assert 1 <= len(lines) <= 3 and all(line.strip() for line in lines), (args, lines)
