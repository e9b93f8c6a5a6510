"""Compiled journey steps (``setup.py``, :mod:`sim.compiled`): the same records as interpreted.

The test run itself uses the compiled steps where the install built them (every other test
checks them too: ``test_golden`` pins every bundled scenario's records, made interpreted).
Here: the finder loads a build only of the source as it is now; random scenarios with every
journey feature give bit-identical records compiled and interpreted (a second process
with ``CCSIM_PURE_PYTHON=1`` runs them interpreted); the golden digests hold interpreted
too. In CI the build must have happened (a silent fallback would test nothing compiled).
"""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import golden
import pytest
from hypothesis import HealthCheck, given, settings
from strategies import scenarios, without_endless_holds

import sim
import sim.engine  # (imports the compiled steps the engine uses)
from sim import compiled
from sim.compiled import CompiledFinder, built, fresh, source_hash

ROOT = Path(__file__).resolve().parent.parent
FAKE_SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]  # (this Python's)


def test_file_names_give_module_and_source_hash(tmp_path):
    for name in ("keyed_0123456789abcdef" + FAKE_SUFFIX, "second_leg_fedcba9876543210.abi3.so",
                 "short_0123.so", "notes.txt", "nohash" + FAKE_SUFFIX):
        (tmp_path / name).write_bytes(b"")
    found = built(tmp_path)
    assert found["keyed"] == {"0123456789abcdef": "keyed_0123456789abcdef"}
    assert found["second_leg"] == {"fedcba9876543210": "second_leg_fedcba9876543210"}
    assert set(found) == {"keyed", "second_leg"}
    assert built(tmp_path / "missing") == {}


def test_a_build_of_other_source_is_not_loaded(tmp_path):
    """An edited module runs interpreted: the build's hash names the source it was made of."""
    (tmp_path / "_compiled").mkdir()
    source = tmp_path / "keyed.py"
    source.write_text("X = 1\n")
    (tmp_path / "_compiled" / f"keyed_{source_hash(source)}{FAKE_SUFFIX}").write_bytes(b"")
    finder = CompiledFinder(home=tmp_path, package="pkg")
    spec = finder.find_spec("pkg.keyed")
    assert spec is not None and spec.name == "pkg.keyed"
    assert spec.loader.compiled == f"pkg._compiled.keyed_{source_hash(source)}"
    assert finder.find_spec("other.keyed") is None  # not the package's
    assert finder.find_spec("pkg.floor") is None  # not built
    assert fresh(tmp_path) == ["keyed"]
    source.write_text("X = 2\n")  # edited since the build
    assert finder.find_spec("pkg.keyed") is None
    assert fresh(tmp_path) == []
    assert finder.used == ["keyed"]


def test_the_switch_keeps_everything_interpreted():
    code = ("import sim, sim.engine, sim.compiled as c, sys; "
            "print(c.in_use(), [f for f in sys.meta_path if type(f).__name__ == 'CompiledFinder'])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, compiled.SWITCH: "1"}).stdout
    assert out.strip() == "[] []"


def test_this_install_uses_its_build():
    """Where the install built the steps, the engine runs them (CI must have built them)."""
    if not built():
        if os.environ.get("CI"):
            pytest.fail("CI: sim/_compiled holds no compiled journey steps (did the build "
                        "fail? pip install -e . -v shows why)")
        pytest.skip("no compiled journey steps in this checkout")
    assert os.environ.get(compiled.SWITCH) is None or not compiled.in_use()
    if os.environ.get(compiled.SWITCH) is None:
        assert "requeue" in compiled.in_use()
        assert sys.modules["sim.requeue"].__name__.startswith("sim._compiled.requeue_")


SERVER = """
import json, sys
import golden, sim
from sim.engine import run_replication
for line in sys.stdin:
    data = json.loads(line)
    try:
        records = run_replication(sim.scenario_from_dict(data["scenario"]), seed=data["seed"])
    except Exception as error:  # the same refusal both ways
        print(f"{type(error).__name__}: {error}", flush=True)
    else:
        print(golden.records_digest(records), flush=True)
"""


@pytest.fixture(scope="module")
def interpreted():
    """A second process, interpreted: scenario JSON in, its records' digest out, per line."""
    if not compiled.in_use():
        pytest.skip("nothing compiled to compare")
    env = {**os.environ, compiled.SWITCH: "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    process = subprocess.Popen([sys.executable, "-c", SERVER], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, env=env)
    yield process
    process.kill()
    process.wait(timeout=60)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=scenarios())
def test_random_scenarios_give_the_same_records_compiled_and_interpreted(data, interpreted):
    data = without_endless_holds(data)
    scenario = sim.scenario_from_dict(data)
    interpreted.stdin.write(json.dumps({"scenario": data, "seed": 7}) + "\n")
    interpreted.stdin.flush()
    theirs = interpreted.stdout.readline().strip()
    assert theirs, "the interpreted process stopped"
    try:
        mine = golden.records_digest(sim.engine.run_replication(scenario, seed=7))
    except Exception as error:
        mine = f"{type(error).__name__}: {error}"
    assert mine == theirs


def test_bundled_scenarios_match_the_golden_digests_interpreted():
    """test_golden checks the compiled records; this, the interpreted ones, in one process."""
    if not compiled.in_use():
        pytest.skip("the other tests run interpreted already")
    env = {**os.environ, compiled.SWITCH: "1"}
    done = subprocess.run([sys.executable, str(ROOT / "tests" / "golden.py")],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=scenarios())
def test_a_run_of_a_random_scenario_lets_go_of_its_parts(data):
    """With the collector off, a run's parts go with its records (compiled steps released).

    A compiled step builder keeps every name its steps use in one scope, which its steps
    keep alive in a cycle; the engine calls each builder's ``release`` after the run
    (``Journeys.releases``), else the run's columns wait for a full collection.
    """
    import gc
    import weakref

    from sim.contacts import draw_contacts

    scenario = sim.scenario_from_dict(without_endless_holds(data))
    gc.collect()
    gc.disable()
    try:
        replication = sim.engine._Replication(scenario, draw_contacts(scenario, 1, 0), 1, 0,
                                              None)
        parts = [weakref.ref(p) for p in (replication.floor, replication.journeys,
                                          replication.shifts, replication.book)]
        try:
            records = replication.run()
        except sim.engine.SimulationError:
            return  # (refused mid-run: nothing to hand back)
        del replication, records
        assert [p() for p in parts] == [None] * 4
    finally:
        gc.enable()


def test_a_build_that_cannot_be_loaded_falls_back_to_the_source(tmp_path, monkeypatch):
    """A build the machine cannot load (another glibc, a cut copy): the module runs as source.

    Only a build whose file cannot be imported (ImportError) falls back; the rest of the run
    is unchanged, and the module is not counted as compiled.
    """
    home = tmp_path / "pkgfall"
    (home / "_compiled").mkdir(parents=True)
    (home / "__init__.py").write_text("")
    (home / "_compiled" / "__init__.py").write_text("")
    source = home / "steps.py"
    source.write_text("ANSWER = 42\n")
    (home / "_compiled" / f"steps_{source_hash(source)}{FAKE_SUFFIX}").write_bytes(b"not ELF")
    monkeypatch.syspath_prepend(str(tmp_path))
    finder = CompiledFinder(home=home, package="pkgfall")
    monkeypatch.setattr(sys, "meta_path", [finder, *sys.meta_path])
    for name in ("pkgfall", "pkgfall.steps", "pkgfall._compiled"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    module = importlib.import_module("pkgfall.steps")
    assert module.ANSWER == 42 and module.__name__ == "pkgfall.steps"
    assert finder.used == []
