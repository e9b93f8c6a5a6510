"""Results folders that cannot lie: a manifest written last seals every file.

`ccsim report` refuses (one line, exit 2) a folder whose manifest is missing or does
not match: a run killed while writing, a file truncated or emptied since, a mix of two
runs. Stale temporary files are removed by the next run into the folder.
"""

import json
import random
import shutil
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import sim
from sim import compare as compare_module
from sim import output
from sim.cli import main
from sim.output import MANIFEST, ResultsError, write_run
from sim.report import load_results

SCENARIO = """\
name: tiny
days: 1
open: 08:00
close: 12:00
interval: 30m
contact_types:
  calls:
    arrivals: {rate: 60/h}
    handle: {dist: exponential, mean: 4m}
    patience: {dist: exponential, mean: 2m}
    resolution: 0.8
agents:
  pool:
    skills: [calls]
    staff: 4
"""
DATA = ["summary.json", "contacts.parquet", "intervals.csv", "replications.csv",
        "scenario.json", "staff.parquet"]


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("sc") / "tiny.yaml"
    path.write_text(SCENARIO)
    return sim.load_scenario(path)


@pytest.fixture(scope="module")
def runs(scenario):
    """Two runs of the same scenario, seeds 1 and 2."""
    return {seed: sim.run(scenario, seed=seed, replications=2) for seed in (1, 2)}


@pytest.fixture
def folder(runs, tmp_path):
    out = tmp_path / "run"
    write_run(runs[1], out)
    return out


def report_line(folder: Path) -> str:
    """`ccsim report FOLDER --no-png` must fail in one line with exit 2: that line."""
    res = CliRunner().invoke(main, ["report", str(folder), "--no-png"])
    assert res.exit_code == 2, res.output
    (line,) = res.stderr.splitlines()
    assert "Traceback" not in res.output
    return line


class TestManifest:
    def test_lists_every_file_with_its_digest(self, folder):
        """The manifest is written last and names every data file with size and digest."""
        manifest = json.loads((folder / MANIFEST).read_text())
        assert set(DATA) <= set(manifest["files"])
        assert manifest["seed"] == 1 and manifest["replications"] == 2
        for name, entry in manifest["files"].items():
            assert entry["bytes"] == (folder / name).stat().st_size
        assert output.verify(folder)["files"] == manifest["files"]

    def test_intact_folder_is_reported(self, folder):
        """An untouched folder is accepted: `ccsim report` exits 0."""
        res = CliRunner().invoke(main, ["report", str(folder), "--no-png"])
        assert res.exit_code == 0, res.output


class TestDamage:
    @pytest.mark.parametrize("name", ["summary.json", "contacts.parquet", "replications.csv",
                                      "intervals.csv", "scenario.json"])
    @pytest.mark.parametrize("damage", ["truncated", "empty"])
    def test_truncated_or_empty_file_refused(self, folder, name, damage):
        """A truncated or emptied data file is refused in one line naming it."""
        path = folder / name
        data = path.read_bytes()
        path.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"")
        line = report_line(folder)
        assert line.startswith(f"{path}: ") and "changed or damaged" in line

    def test_any_flipped_byte_refused(self, folder):
        """A byte changed anywhere in any sealed file (seeded sample of 40) is caught."""
        rng = random.Random(12)
        names = sorted(json.loads((folder / MANIFEST).read_text())["files"])
        for _ in range(40):
            path = folder / rng.choice(names)
            original = path.read_bytes()
            at = rng.randrange(len(original))
            path.write_bytes(original[:at] + bytes([original[at] ^ 0x5A]) + original[at + 1:])
            with pytest.raises(ResultsError, match="changed or damaged"):
                load_results(folder)
            path.write_bytes(original)
        load_results(folder)  # restored: accepted again

    def test_missing_manifest_refused(self, folder):
        """Without its manifest (the run never finished writing), the folder is refused."""
        (folder / MANIFEST).unlink()
        assert report_line(folder) == (
            f"{folder}: no manifest.json: the run that wrote this folder did not finish "
            "(or an older ccsim wrote it); run it again")

    def test_damaged_manifest_refused(self, folder):
        """A manifest that is not JSON is refused naming it."""
        (folder / MANIFEST).write_text('{"format": 1, "fil')
        assert report_line(folder).startswith(f"{folder / MANIFEST}: damaged")

    def test_unreadable_but_sealed_file_is_one_line(self, folder):
        """A file the manifest vouches for but no reader can parse: one line, not a traceback."""
        (folder / "contacts.parquet").write_bytes(b"not parquet at all")
        output.seal(folder, [folder / name for name in DATA], {"seed": 1})
        line = report_line(folder)
        assert line.startswith(f"{folder / 'contacts.parquet'}: cannot be read")


class TestOlderFolders:
    def test_interval_columns_of_an_older_ccsim_refused(self, scenario, tmp_path):
        """Saved interval tables without today's columns are refused, not summed as zeros.

        With the contacts of some replications only, the others' interval tables are read
        from intervals_by_replication.parquet: one written before `hung_up` existed would
        add nothing for them and halve the count.
        """
        out = tmp_path / "older"
        write_run(sim.run(scenario, seed=1, replications=2, keep_contacts=1), out)
        path = out / "intervals_by_replication.parquet"
        pd.read_parquet(path).drop(columns=["hung_up"]).to_parquet(path)
        listed = json.loads((out / MANIFEST).read_text())["files"]
        output.seal(out, [out / name for name in listed], {"seed": 1})
        line = report_line(out)
        assert line.startswith(f"{path}: ") and "hung_up" in line and "run it again" in line


class TestKilledWhileWriting:
    @pytest.mark.parametrize("kill_at", [1, 3, 6])
    def test_no_mix_of_two_seeds_is_accepted(self, runs, folder, monkeypatch, kill_at):
        """Seed 2 killed after some files over seed 1's folder: refused, not drawn as seed 2."""
        real = output.write_atomic
        calls = []

        def dying(path, writer):
            if len(calls) == kill_at:
                raise KeyboardInterrupt
            calls.append(path)
            return real(path, writer)

        monkeypatch.setattr(output, "write_atomic", dying)
        with pytest.raises(KeyboardInterrupt):
            write_run(runs[2], folder)
        monkeypatch.setattr(output, "write_atomic", real)
        assert json.loads((folder / "summary.json").read_text())["seed"] == 2  # the mix
        assert "no manifest.json" in report_line(folder)
        write_run(runs[2], folder)  # the next run into the folder repairs it
        assert load_results(folder).seed == 2

    def test_stale_temporaries_removed_by_next_run(self, runs, folder):
        """`.NAME.XXXX.tmp` files left by a kill are removed by the next run into the folder."""
        stale = [folder / ".summary.json.k2j3.tmp", folder / ".contacts.parquet.zz9.tmp"]
        for path in stale:
            path.write_bytes(b"half")
        keep = folder / "notes.tmp"  # not ours: left alone
        keep.write_text("mine")
        write_run(runs[1], folder)
        assert not any(path.exists() for path in stale)
        assert keep.exists()

    def test_optional_file_of_an_older_run_not_mixed_in(self, runs, folder):
        """A legs.parquet left by an older run is removed, not read as this run's."""
        (folder / "legs.parquet").write_bytes(b"from another run")
        write_run(runs[1], folder)
        legs = folder / "legs.parquet"
        assert not legs.exists() or legs.read_bytes() != b"from another run"
        load_results(folder)


class TestComparison:
    @pytest.fixture
    def comparison_folder(self, runs, tmp_path):
        comparison = compare_module.Comparison(results={"baseline": runs[1], "other": runs[1]},
                                               baseline="baseline")
        out = tmp_path / "cmp"
        compare_module.write_comparison(comparison, out)
        return out

    def test_intact_comparison_accepted(self, comparison_folder):
        """A whole comparison reads back."""
        assert isinstance(load_results(comparison_folder), compare_module.Comparison)

    def test_damaged_variant_refused(self, comparison_folder):
        """A truncated file of one variant is refused naming it."""
        path = comparison_folder / "other" / "summary.json"
        path.write_text(path.read_text()[:10])
        assert report_line(comparison_folder).startswith(f"{path}: ")

    def test_variant_rewritten_by_another_run_refused(self, comparison_folder, runs):
        """A variant folder replaced by another (sealed) run no longer matches comparison.json."""
        write_run(runs[2], comparison_folder / "other")
        line = report_line(comparison_folder)
        assert line.startswith(f"{comparison_folder / 'other' / MANIFEST}: ")

    def test_interrupted_comparison_refused(self, comparison_folder):
        """Without comparison.json (killed before the seal), the folder is refused."""
        (comparison_folder / "comparison.json").unlink()
        assert report_line(comparison_folder) == (
            f"{comparison_folder}: no comparison.json: the comparison that wrote this folder "
            "did not finish; run it again")

    def test_copy_is_still_valid(self, comparison_folder, tmp_path):
        """The seal holds relative paths: a copied folder is still accepted."""
        copy = tmp_path / "elsewhere"
        shutil.copytree(comparison_folder, copy)
        assert isinstance(load_results(copy), compare_module.Comparison)

    def test_run_over_a_comparison_is_a_run(self, comparison_folder, runs):
        """A run written into a comparison's folder removes the comparison's seal."""
        write_run(runs[2], comparison_folder)
        back = load_results(comparison_folder)
        assert isinstance(back, sim.RunResult) and back.seed == 2


class TestOneModule:
    """sim.results_folder writes and reads both kinds of folder; the old names are its own."""

    def test_old_names_are_the_module_functions(self):
        """sim.output / sim.report / sim.compare names are results_folder's functions."""
        from sim import report, results_folder

        assert output.write_run is results_folder.write_run
        assert output.summary_dict is results_folder.summary_dict
        assert report.load_run is results_folder.read_run
        assert report.load_comparison is results_folder.read_comparison
        assert report.load_results is results_folder.read_results
        assert compare_module.write_comparison is results_folder.write_comparison
        with pytest.raises(AttributeError):
            output.no_such_name  # noqa: B018

    def test_files_of_a_run_and_a_comparison(self, runs, tmp_path):
        """The files written are the documented ones, each listed in its folder's seal."""
        from sim import results_folder

        run_files = results_folder.write_run(runs[1], tmp_path / "run")
        names = sorted(p.name for p in run_files)
        assert names == sorted([*DATA, MANIFEST])
        assert set(results_folder.RUN_FILES) <= set(names)
        comparison = compare_module.Comparison(results={"baseline": runs[1], "b": runs[1]})
        written = results_folder.write_comparison(comparison, tmp_path / "cmp")
        top = sorted(p.relative_to(tmp_path / "cmp").as_posix() for p in written
                     if p.parent == tmp_path / "cmp")
        assert top == ["comparison.csv", "comparison.json"]
        back = results_folder.read_results(tmp_path / "cmp")
        assert back.names == ["baseline", "b"]
        same = output.plain(runs[1].summary)
        assert output.plain(back.results["b"].summary) == same
        assert output.plain(results_folder.read_run(tmp_path / "run").summary) == same
