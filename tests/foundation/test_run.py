"""``basin run``: a project of the user's files, steps in memory, outputs as a set, no demo data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from shapely.geometry import LineString

from basin import datasets
from basin._errors import DataError
from basin.cli import main
from basin.project import load_project
from basin.run import MANIFEST, run_project, sha256_file


@pytest.fixture
def no_demo(monkeypatch):
    """Make any use of the embedded demo data fail: a user's run must never read it."""

    def gone(*a, **k):
        raise DataError("demo dataset not found (moved out of reach by the test)")

    def refuse(*a, **k):
        raise AssertionError("a demo file was read")

    monkeypatch.setattr(datasets, "data_dir", gone)
    monkeypatch.setattr(datasets, "get_path", refuse)


@pytest.fixture
def project_file(tmp_path, rivers_gdf, admin_gdf, stations_gdf):
    d = tmp_path / "office"
    d.mkdir()
    # confluences as vertices of the receiving river, so that they stay on it in any projection
    rivers_gdf = rivers_gdf.set_geometry(
        [
            LineString([(0, 0), (5_000, 0), (10_000, 0)]),
            LineString([(5_000, 8_000), (5_000, 4_000), (5_000, 0)]),
            LineString([(9_000, 8_000), (5_000, 4_000)]),
        ],
        crs=rivers_gdf.crs,
    )
    rivers_gdf.to_file(d / "rivers.gpkg", layer="rivers", engine="pyogrio")
    admin_gdf.to_file(d / "admin.gpkg", layer="admin", engine="pyogrio")
    stations_gdf.to_file(d / "stations.gpkg", layer="stations", engine="pyogrio")
    rows = ["station_id,time,parameter,value,unit"]
    for y in (2020, 2021):
        for m in range(1, 13):
            rows += [f"S1,{y}-{m:02d}-01,NH3_N,0.3,mg/L", f"S2,{y}-{m:02d}-01,NH3_N,1.2,mg/L"]
    (d / "wq.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    p = d / "basin.yml"
    p.write_text(
        "name: 测试县\nlayers:\n  rivers: {path: rivers.gpkg}\n  admin: {path: admin.gpkg}\n"
        "  stations: {path: stations.gpkg}\nwater_quality: {paths: [wq.csv]}\n"
        "output: {formats: [csv, gpkg, html]}\n",
        encoding="utf-8",
    )
    return p


def test_run_on_the_users_files_only(project_file, tmp_path, no_demo):
    out = tmp_path / "out"
    res = run_project(load_project(project_file), outdir=out, maps=False, echo=lambda s: None)
    assert res.riparian is not None and res.waterquality is not None and res.crossborder is not None
    assert res.audit is None and res.units is None and res.management is None
    skipped = [s.text() for s in res.skipped]
    assert "siting audit skipped: no facilities layer; add `layers: facilities: {path: …}` to the project or pass --facilities" in skipped
    assert any(s.startswith("lake rule (3 km around connected lakes/reservoirs) skipped: no lakes layer") for s in skipped)
    assert any(s.startswith("population indicator skipped: no population raster") for s in skipped)
    assert any(s.startswith("evaluation units skipped: pressure_index: indicator 'population_density' is missing")
               for s in skipped)
    assert {k: v.origin for k, v in res.sources.items()} == {
        "rivers": "user", "admin": "user", "stations": "user", "wq": "user"
    }
    assert res.sources["rivers"].sha256 == sha256_file(project_file.parent / "rivers.gpkg")
    # the cross-border audit ran on the user's own series (R1 crosses from 四川 to 重庆 between S1 and S2)
    assert res.crossborder.audit is not None and len(res.crossborder.sections) >= 1
    assert (out / "zones" / "zones.gpkg").exists() and (out / "wq" / "sections.csv").exists()
    assert (out / "index.html").exists()
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    listed = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert "zones/zones.gpkg" in listed and "wq/sections.csv" in listed
    assert listed["wq/sections.csv"] == sha256_file(out / "wq" / "sections.csv")
    assert manifest["inputs"]["rivers"]["origin"] == "user"
    assert manifest["manifest_version"] == 1 and manifest["libraries"]["GDAL"] and manifest["libraries"]["PROJ"]
    rivers_in = manifest["inputs"]["rivers"]
    assert rivers_in["sha256"] == sha256_file(rivers_in["path"]) and rivers_in["size"] > 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["sources"]["wq"]["path"].endswith("wq.csv")
    assert (out / "wq" / "sections.csv").read_bytes()[:3] == b"\xef\xbb\xbf"  # opens in Excel on Windows


def test_a_rerun_replaces_the_earlier_outputs_as_a_set(project_file, tmp_path, no_demo):
    out = tmp_path / "out"
    project = load_project(project_file)
    run_project(project, outdir=out, maps=False, reports=False, echo=lambda s: None)
    assert (out / "wq" / "trends.csv").exists()
    run_project(project, steps=["riparian"], outdir=out, maps=False, reports=False, echo=lambda s: None)
    assert not (out / "wq").exists()  # the earlier run's files that this run did not write are gone
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert {Path(o["path"]).parts[0] for o in manifest["outputs"]} == {"zones"}


def test_a_folder_with_foreign_files_is_refused_without_force(project_file, tmp_path, no_demo):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    project = load_project(project_file)
    with pytest.raises(DataError, match=r"holds files that no basin run wrote \(notes\.txt\); .* --force"):
        run_project(project, steps=["riparian"], outdir=out, echo=lambda s: None)
    run_project(project, steps=["riparian"], outdir=out, force=True, reports=False, echo=lambda s: None)
    assert not (out / "notes.txt").exists()


def test_the_output_folder_may_not_hold_an_input(project_file, no_demo):
    with pytest.raises(DataError, match="holds the input"):
        run_project(load_project(project_file), outdir=project_file.parent, echo=lambda s: None)


def test_basin_run_cli(project_file, tmp_path, no_demo):
    out = tmp_path / "cli"
    r = CliRunner().invoke(main, ["run", str(project_file), "-o", str(out), "--steps", "riparian,wq"])
    assert r.exit_code == 0, r.output
    assert "[riparian] done" in r.output and "outputs are in" in r.output
    r = CliRunner().invoke(main, ["run", str(project_file), "--steps", "nope", "-o", str(out)])
    assert r.exit_code == 2 and "unknown step(s) ['nope']" in r.output


def test_basin_run_without_a_project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["run"])
    assert r.exit_code == 2
    assert "no project: pass a project file (`basin run basin.yml`), or write one with `basin init DIR`" in r.output


def test_subcommand_without_inputs_names_what_to_pass(tmp_path, monkeypatch, no_demo):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["riparian", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2
    assert "`basin riparian` needs the rivers, admin layer(s): pass --rivers FILE --admin FILE" in r.output


def test_subcommand_uses_the_project_and_flags_override(project_file, tmp_path, monkeypatch, no_demo):
    monkeypatch.chdir(project_file.parent)  # ./basin.yml is used when present
    r = CliRunner().invoke(main, ["riparian", "-o", str(tmp_path / "o"), "-v"])
    assert r.exit_code == 0, r.output
    assert (tmp_path / "o" / "zones.gpkg").exists()
