"""The CLI frame: help, version, layers check, error handling and exit codes."""

from __future__ import annotations

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import Polygon

import basin
from basin.cli import main


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_help_lists_commands(runner):
    res = runner.invoke(main, ["--help"])
    assert res.exit_code == 0, res.output
    assert "layers" in res.output and "demo" in res.output


def test_every_registered_command_has_help(runner):
    from basin.cli import LAZY_COMMANDS

    for name in LAZY_COMMANDS:
        res = runner.invoke(main, [name, "--help"])
        assert res.exit_code == 0, (name, res.output)


def test_version(runner):
    res = runner.invoke(main, ["--version"])
    assert res.exit_code == 0
    assert basin.__version__ in res.output


def test_layers_check_ok(runner, tmp_path, rivers_gdf, admin_gdf):
    rivers_gdf.to_file(tmp_path / "rivers.gpkg", engine="pyogrio")
    admin_gdf.to_file(tmp_path / "admin.gpkg", engine="pyogrio")
    res = runner.invoke(main, ["layers", "check", str(tmp_path / "rivers.gpkg"), str(tmp_path / "admin.gpkg")])
    assert res.exit_code == 0, res.output
    assert "ok   " in res.output and "(rivers): 3 features" in res.output and "(admin): 4 features" in res.output


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        ("missing_column", "missing column(s) ['level']"),
        ("duplicate", "duplicate id(s) R1"),
        ("unknown_level", "not an integer: ['小溪']"),
        ("empty", "file is empty (0 bytes)"),
        ("text", "cannot read as a vector layer"),
        ("selfintersect", "invalid geometry for id(s): L1: Self-intersection"),
        ("nocrs", "no CRS; assign one"),
    ],
)
def test_layers_check_broken_files(runner, tmp_path, rivers_gdf, case, expected):
    path = tmp_path / "rivers.gpkg"
    kind_args: list[str] = []
    if case == "missing_column":
        rivers_gdf.drop(columns="level").to_file(path, engine="pyogrio")
    elif case == "duplicate":
        g = rivers_gdf.copy()
        g["river_id"] = ["R1", "R1", "R3"]
        g["downstream_id"] = [None, None, None]
        g.to_file(path, engine="pyogrio")
    elif case == "unknown_level":
        g = rivers_gdf.copy()
        g["level"] = ["小溪", "1", "3"]
        g.to_file(path, engine="pyogrio")
    elif case == "empty":
        path.write_bytes(b"")
        kind_args = ["--kind", "rivers"]
    elif case == "text":
        path.write_text("this is not a geopackage\n")
        kind_args = ["--kind", "rivers"]
    elif case == "selfintersect":
        path = tmp_path / "lakes.gpkg"
        gpd.GeoDataFrame(
            {"lake_id": ["L1"], "name": ["湖"], "kind": ["lake"], "connected": [True]},
            geometry=[Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])],
            crs="EPSG:32648",
        ).to_file(path, engine="pyogrio")
    elif case == "nocrs":
        path = tmp_path / "rivers.shp"
        with pytest.warns(UserWarning, match="'crs' was not provided"):
            rivers_gdf.drop(columns="downstream_id").set_crs(None, allow_override=True).to_file(path, engine="pyogrio")
        kind_args = ["--kind", "rivers"]
    res = runner.invoke(main, ["layers", "check", *kind_args, str(path)])
    assert res.exit_code == 1, res.output
    assert "FAIL" in res.output
    assert expected in res.output
    assert "layer(s) failed" in res.output


def test_bad_mapping_is_bad_input_exit_2(runner, tmp_path, rivers_gdf):
    rivers_gdf.to_file(tmp_path / "r.gpkg", engine="pyogrio")
    m = tmp_path / "m.yml"
    m.write_text("rivers:\n  columns: {colour: 颜色}\n", encoding="utf-8")
    res = runner.invoke(main, ["layers", "check", "--mapping", str(m), str(tmp_path / "r.gpkg")])
    assert res.exit_code == 2
    assert res.output.startswith("error: ")
    assert "names unknown model column(s) ['colour']" in res.output
    assert "Traceback" not in res.output
    assert len(res.output.strip().splitlines()) == 1


def test_verbose_shows_traceback(runner, tmp_path, rivers_gdf):
    rivers_gdf.to_file(tmp_path / "r.gpkg", engine="pyogrio")
    m = tmp_path / "m.yml"
    m.write_text("rivers:\n  columns: {colour: 颜色}\n", encoding="utf-8")
    res = runner.invoke(main, ["-v", "layers", "check", "--mapping", str(m), str(tmp_path / "r.gpkg")])
    assert res.exit_code == 2
    assert "Traceback" in res.output and "SchemaError" in res.output


def test_usage_error_is_exit_2(runner):
    res = runner.invoke(main, ["layers", "check"])
    assert res.exit_code == 2


def test_layers_check_passes_the_demo_data(runner):
    from basin import datasets

    paths = sorted(str(p) for p in datasets.data_dir().glob("*.gpkg"))
    assert len(paths) == 5
    res = runner.invoke(main, ["layers", "check", *paths])
    assert res.exit_code == 0, res.output
    assert res.output.count("ok   ") == 5
    assert "skip " in res.output and "layer 'border'" in res.output


def test_unknown_kind_single_layer_fails(runner, tmp_path):
    gpd.GeoDataFrame({"foo": [1]}, geometry=[Polygon([(0, 0), (1, 0), (1, 1)])], crs=4326).to_file(
        tmp_path / "x.gpkg", engine="pyogrio"
    )
    res = runner.invoke(main, ["layers", "check", str(tmp_path / "x.gpkg")])
    assert res.exit_code == 1
    assert "cannot tell the layer kind; pass --kind" in res.output
