"""``basin zones`` and ``basin audit`` through click's CliRunner, including every bad-input case."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner

from basin.cli import main

from .conftest import make_facilities


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def _net(world_files):
    return [
        "--rivers",
        str(world_files["rivers"]),
        "--lakes",
        str(world_files["lakes"]),
        "--admin",
        str(world_files["admin"]),
    ]


def test_zones_command(runner, world_files, tmp_path):
    out = tmp_path / "z"
    res = runner.invoke(main, ["zones", *_net(world_files), "-o", str(out)])
    assert res.exit_code == 0, res.output
    z = gpd.read_file(out / "zones.gpkg", layer="zones")
    assert list(z.zone) == ["A", "B", "B", "C"]
    t = pd.read_csv(out / "zone_areas.csv", dtype={"admin_id": str})
    assert set(t.zone) == {"A", "B", "C"} and set(t.admin_id) == {"P1", "P2", "C11", "C12"}
    assert (out / "rules.csv").exists()


def test_audit_command_finds_violations(runner, world_files, tmp_path):
    out = tmp_path / "a"
    res = runner.invoke(main, ["audit", str(world_files["facilities"]), *_net(world_files), "-o", str(out)])
    assert res.exit_code == 1, res.output
    assert "16 facilities audited: 11 violation(s) by 10 facilit" in res.output
    assert "R1 3" in res.output
    v = pd.read_csv(out / "violations.csv", dtype=str)
    assert list(v.columns[:12]) == [
        "facility_id",
        "facility_name",
        "rule_id",
        "zone",
        "category",
        "status",
        "action",
        "distance_m",
        "limit_m",
        "feature_kind",
        "feature_id",
        "feature_name",
    ]
    assert "county_id" in v.columns and len(v) == 11
    gj = gpd.read_file(out / "violations.geojson")
    assert len(gj) == 11 and gj.crs.to_epsg() == 4326
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["by_rule"] == {"R1": 3, "R2": 4, "R3": 4}
    assert s["by_status"] == {"existing": 2, "proposed": 9}
    assert s["by_county"]["C11 甲县"] == 5


def test_audit_clean_exit_0(runner, world_files, tmp_path):
    f = make_facilities()
    f = f[f.facility_id.isin(["F02", "F04", "F06", "F08", "F11", "F13"])]
    p = tmp_path / "clean.gpkg"
    f.to_file(p, engine="pyogrio")
    res = runner.invoke(main, ["audit", str(p), *_net(world_files), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "6 facilities audited: 0 violation(s)" in res.output
    assert pd.read_csv(tmp_path / "o" / "violations.csv").empty
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["violations"] == 0


def test_audit_csv_facilities_with_mapping(runner, world_files, tmp_path):
    f = make_facilities().to_crs(4326)
    f = f[f.geometry.geom_type == "Point"]
    csv = pd.DataFrame(
        {
            "编号": f.facility_id,
            "名称": f.name,
            "类别": f.category.map(
                {"polluting_facility": "污染设施", "industrial_park": "工业园区", "other": "其他"}
            ),
            "状态": f.status,
            "经度": f.geometry.x,
            "纬度": f.geometry.y,
        }
    )
    p = tmp_path / "fac.csv"
    csv.to_csv(p, index=False, encoding="utf-8")
    m = tmp_path / "map.yaml"
    m.write_text(
        "facilities:\n  columns: {facility_id: 编号, name: 名称, category: 类别, status: 状态}\n"
        "  values:\n    category: {污染设施: polluting_facility, 工业园区: industrial_park, 其他: other}\n",
        encoding="utf-8",
    )
    res = runner.invoke(
        main, ["audit", str(p), *_net(world_files), "--mapping", str(m), "-o", str(tmp_path / "o")]
    )
    assert res.exit_code == 1, res.output
    v = pd.read_csv(tmp_path / "o" / "violations.csv", dtype=str)
    assert "F12" not in set(v.facility_id) and len(v) == 10  # F12 is the polygon, not in the CSV


def _write(gdf, path):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # writing a layer without CRS on purpose
        gdf.to_file(path, engine="pyogrio")
    return path


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (
            lambda f: f.assign(category=["warehouse", "mine", *f.category[2:]]),
            r"unknown value\(s\) \['mine', 'warehouse'\].*allowed: \['polluting_facility', 'industrial_park', 'other'\]",
        ),
        (lambda f: f.drop(columns="status"), r"missing column\(s\) \['status'\]"),
        (lambda f: f.set_crs(None, allow_override=True), "no CRS"),
        (lambda f: f.assign(status=["paused", *f.status[1:]]), r"unknown value\(s\) \['paused'\]"),
    ],
)
def test_audit_bad_facilities_exit_2(runner, world_files, tmp_path, make, match):
    p = _write(make(make_facilities()), tmp_path / "bad.gpkg")
    res = runner.invoke(main, ["audit", str(p), *_net(world_files), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith("error: ")
    assert pd.Series([res.output]).str.contains(match).item(), res.output
    assert not (tmp_path / "o" / "violations.csv").exists()


def test_bad_rule_file_exit_2(runner, world_files, tmp_path):
    r = tmp_path / "rules.yaml"
    r.write_text(
        "rules:\n  - {id: X, zone: A, distance_m: -1, rivers: {levels: [0]}, prohibits: [polluting_facility],"
        " text_zh: t, text_en: t, source: t}\n",
        encoding="utf-8",
    )
    for cmd in (["audit", str(world_files["facilities"])], ["zones"]):
        res = runner.invoke(main, [*cmd, *_net(world_files), "--rules", str(r), "-o", str(tmp_path / "o")])
        assert res.exit_code == 2, res.output
        assert "'distance_m' must be positive" in res.output


def test_missing_input_file_exit_2(runner, tmp_path):
    res = runner.invoke(main, ["audit", str(tmp_path / "nope.gpkg"), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "does not exist" in res.output


def test_bad_river_layer_exit_2(runner, world_files, tmp_path):
    riv = gpd.read_file(world_files["rivers"]).drop(columns="level")
    p = _write(riv, tmp_path / "riv.gpkg")
    res = runner.invoke(
        main,
        [
            "audit",
            str(world_files["facilities"]),
            "--rivers",
            str(p),
            "--admin",
            str(world_files["admin"]),
            "--lakes",
            str(world_files["lakes"]),
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2
    assert "missing column(s) ['level']" in res.output


def test_audit_on_a_scheduler(runner, world_files, tmp_path):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        res = runner.invoke(
            main,
            [
                "audit",
                str(world_files["facilities"]),
                *_net(world_files),
                "--scheduler",
                cluster.scheduler_address,
                "-o",
                str(tmp_path / "d"),
            ],
        )
    assert res.exit_code == 1, res.output
    runner.invoke(
        main, ["audit", str(world_files["facilities"]), *_net(world_files), "-o", str(tmp_path / "s")]
    )
    a = pd.read_csv(tmp_path / "d" / "violations.csv", dtype=str)
    b = pd.read_csv(tmp_path / "s" / "violations.csv", dtype=str)
    pd.testing.assert_frame_equal(a, b)


def test_unreachable_scheduler_is_bad_input(runner, world_files, tmp_path, monkeypatch):
    import socket

    import basin.zoning.parallel as par

    monkeypatch.setattr(par, "SCHEDULER_TIMEOUT", 1)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once the socket is closed
    res = runner.invoke(
        main,
        [
            "audit",
            str(world_files["facilities"]),
            *_net(world_files),
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert res.exit_code == 2, res.output
    assert "cannot connect to the Dask scheduler" in res.output
