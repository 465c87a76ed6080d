"""``basin wq`` through click's CliRunner, and the demo step on a hand-made world."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from basin.cli import main

ROWS = [
    ("S1", "2020-01-15", "总磷", "0.1", "mg/L"),
    ("S1", "2020-01-15", "DO", "6.5", ""),
    ("S1", "2020-02-15", "TP", "0.05L", ""),
    ("S1", "2020-02-15", "TN", "3", "mg/L"),
    ("S1", "2020-02-15", "temperature", "18", "℃"),
    ("S2", "2020-01-15", "TP", "0.1", "mg/L"),
    ("S2", "2020-01-15", "TN", "3", "mg/L"),
    ("S2", "2020-01-15", "Hg", "0.2", "µg/L"),
]


@pytest.fixture
def world(tmp_path):
    df = pd.DataFrame(ROWS, columns=["station_id", "time", "parameter", "value", "unit"])
    df.to_csv(tmp_path / "wq.csv", index=False)
    st = gpd.GeoDataFrame(
        {
            "station_id": ["S1", "S2"],
            "name": ["甲", "乙"],
            "river_id": ["R1", None],
            "lake_id": [None, "L1"],
            "waterbody": ["river", "lake"],
            "target_class": [3, 2],
        },
        geometry=shapely.points([(104, 30), (105, 30)]),
        crs=4326,
    )
    st.to_file(tmp_path / "stations.gpkg", engine="pyogrio")
    return tmp_path


def test_classify_cli(world):
    out = world / "out.csv"
    res = CliRunner().invoke(
        main,
        ["wq", "classify", str(world / "wq.csv"), "--stations", str(world / "stations.gpkg"), "-o", str(out)],
    )
    assert res.exit_code == 0, res.output
    assert "8 rows classified" in res.output
    df = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(df.columns) == ["station_id", "time", "parameter", "value", "unit", "class", "class_label"]
    assert df["value"].tolist() == [r[3] for r in ROWS]  # input rows unchanged
    # river TP 0.1 -> II; DO 6.5 -> II; 0.05L -> 0.025 -> II; river TN -> no class; temperature -> no class
    # lake TP 0.1 -> IV; lake TN 3 -> 劣V; Hg 0.2 µg/L = 0.0002 mg/L -> IV
    assert df["class"].tolist() == ["2", "2", "2", "", "", "4", "6", "4"]
    assert df["class_label"].tolist() == ["Ⅱ", "Ⅱ", "Ⅱ", "", "", "Ⅳ", "劣Ⅴ", "Ⅳ"]


def test_classify_cli_waterbody_option(world):
    out = world / "out.csv"
    res = CliRunner().invoke(
        main, ["wq", "classify", str(world / "wq.csv"), "--waterbody", "lake", "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    # lake limits for every row: TP 0.1 -> IV, DO 6.5 -> II, 0.025 -> II (lake II is 0.025), TN 3 -> 劣V
    assert pd.read_csv(out)["class"].tolist()[:4] == [4, 2, 2, 6]


def test_classify_cli_rejects(world):
    bad = world / "bad.csv"
    bad.write_text(
        "station_id,time,parameter,value\nS1,2020-01-15,TP,-1\nS1,2020-01-15,pH,99\n", encoding="utf-8"
    )
    res = CliRunner().invoke(main, ["wq", "classify", str(bad), "-o", str(world / "o.csv")])
    assert res.exit_code == 2
    assert "line 2: negative concentration -1" in res.output
    assert "line 3: pH value 99" in res.output
    assert not (world / "o.csv").exists()


@pytest.mark.parametrize("opt", [["--layout", "wide"], ["--detection-limits", "x.csv"], ["--sheet", "1"]])
def test_classify_cli_takes_long_tables_only(world, opt):
    """Options of the wide readers are refused (exit 2), not accepted and ignored."""
    res = CliRunner().invoke(main, ["wq", "classify", str(world / "wq.csv"), *opt, "-o", str(world / "o.csv")])
    assert res.exit_code == 2
    assert f"No such option: {opt[0]}" in res.output or f"No such option '{opt[0]}'" in res.output
    assert not (world / "o.csv").exists()


def test_classify_cli_refuses_to_overwrite_input(world):
    res = CliRunner().invoke(main, ["wq", "classify", str(world / "wq.csv"), "-o", str(world / "wq.csv")])
    assert res.exit_code == 2
    assert "it is an input file" in res.output


@pytest.mark.parametrize("period", ["year", "month"])
def test_assess_cli(world, period):
    outdir = world / "out"
    res = CliRunner().invoke(
        main,
        [
            "wq",
            "assess",
            str(world / "wq.csv"),
            "--stations",
            str(world / "stations.gpkg"),
            "--period",
            period,
            "-o",
            str(outdir),
        ],
    )
    assert res.exit_code == 0, res.output
    sections = pd.read_csv(outdir / "sections.csv", dtype={"period": str})
    for col in (
        "station_id",
        "period",
        "class",
        "class_label",
        "status",
        "main_pollutants",
        "target_class",
        "compliant",
    ):
        assert col in sections.columns
    s2 = sections[sections.station_id == "S2"].iloc[0]
    assert (s2["class"], s2["class_label"], s2["status"], s2["target_class"], s2["compliant"]) == (
        4,
        "Ⅳ",
        "轻度污染",
        2,
        False,
    )
    assert s2["main_pollutants"] == "汞(1)、总磷(1)"
    assert (outdir / "trends.csv").exists()
    assert (outdir / "compliance.csv").exists()
    assert (outdir / "rivers.csv").exists()
    summary = json.loads((outdir / "summary.json").read_text(encoding="utf-8"))
    assert summary["stations"] == 2
    if period == "month":
        assert sorted(sections["period"].unique()) == ["2020-01", "2020-02"]


def test_run_writes_wq_step(world):
    from basin.project import project_from_dict
    from basin.run import run_project

    project = project_from_dict(
        {"layers": {"stations": {"path": "stations.gpkg"}}, "water_quality": {"paths": ["wq.csv"]}}, base_dir=world
    )
    res = run_project(project, steps=["wq"], outdir=world / "demo", maps=False, reports=False, echo=lambda s: None)
    out = res.files["wq"]
    assert {"sections (CSV)", "compliance (CSV)", "trends (CSV)", "summary"} <= set(out)
    assert all(p.parent == world / "demo" / "wq" for p in out.values())
    assert res.sources["wq"].origin == "user"


def test_demo_data_reads_and_assesses():
    """The shipped demo series reads without a rejected value and is assessed for every station."""
    from basin import datasets
    from basin.waterquality import assess, read_wq

    path, stations = datasets.get_path("wq"), datasets.get_path("stations")
    ds = read_wq(path, stations=stations)
    sections = assess(ds, period="year")
    assert set(sections["station_id"]) == set(ds["station"].values)
    assert sections["class"].between(1, 6).all()
    lakes = sections[sections["waterbody"].isin(["lake", "reservoir"])]
    assert lakes["tli"].notna().any()


def test_assess_sets_rejected_values_aside(tmp_path):
    from click.testing import CliRunner

    from basin.cli import main

    src = tmp_path / "wq.csv"
    rows = ["station_id,time,parameter,value,unit"]
    for m in range(1, 13):
        rows.append(f"S1,2020-{m:02d}-01,NH3_N,0.3,mg/L")
    rows.append("S1,2021-01-01,NH3_N,-0.5,mg/L")  # line 14: negative concentration
    src.write_text("\n".join(rows) + "\n", encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(main, ["wq", "assess", str(src), "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "line 14: negative concentration -0.5" in res.output
    assert "basin wq assess --rejected FILE" in res.output
    rej = tmp_path / "rejected.csv"
    res = runner.invoke(main, ["wq", "assess", str(src), "--rejected", str(rej), "-o", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "1 rejected value(s) set aside" in res.output
    table = pd.read_csv(rej)
    assert table["line"].tolist() == [14]
    assert "negative concentration" in table["reason"].iloc[0]
    sections = pd.read_csv(tmp_path / "o" / "sections.csv")
    assert sections["period"].astype(str).tolist() == ["2020"]  # the rejected 2021 value was not used
    res = runner.invoke(main, ["wq", "assess", str(src), "--rejected", str(src), "-o", str(tmp_path / "o2")])
    assert res.exit_code == 2 and "it is an input" in res.output
