"""``basin crossborder`` through click's CliRunner on files written from the hand-made world."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner
from xb_worlds import NH3, admin_world, rivers_world, stations_world, write_wq

from basin import __version__
from basin.cli import main

STATIONS = [("S1", "R01", 5000, 2000, 3), ("S2", "R01", 15000, 2000, 2)]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("in")
    rivers = rivers_world(["R01", "R02", "R07"])
    rivers.loc[rivers.river_id == "R01", "name"] = "<script>alert('x')</script>|河"
    rivers.to_file(d / "rivers.gpkg", layer="rivers")
    admin_world().to_file(d / "admin.gpkg", layer="admin")
    stations_world(STATIONS).to_file(d / "stations.gpkg", layer="stations")
    ok = write_wq(d / "ok.csv", {"S1": {"NH3_N": [NH3[3]] * 24}, "S2": {"NH3_N": [NH3[2]] * 23 + [NH3[4]]}})
    good = write_wq(d / "good.csv", {"S1": {"NH3_N": [NH3[3]] * 24}, "S2": {"NH3_N": [NH3[2]] * 24}})
    return {
        "rivers": str(d / "rivers.gpkg"),
        "admin": str(d / "admin.gpkg"),
        "stations": str(d / "stations.gpkg"),
        "bad_month": ok,
        "good": good,
        "dir": d,
    }


def _args(files, *extra, wq=None):
    a = ["--rivers", files["rivers"], "--admin", files["admin"], "--stations", files["stations"]]
    if wq:
        a += ["--wq", files[wq]]
    return [*a, *extra]


def test_sections_command(files, tmp_path):
    res = CliRunner().invoke(main, ["crossborder", "sections", *_args(files), "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "sections.csv")
    assert list(df.section_id) == ["R01:PA>PB", "R02:PB>PA", "R07:PA>PB"]
    assert {"lon", "lat", "kind", "upstream_station_id", "monitoring_gap"} <= set(df.columns)
    gj = json.loads((tmp_path / "sections.geojson").read_text(encoding="utf-8"))
    assert len(gj["features"]) == 3
    prov = json.loads((tmp_path / "sections_provenance.json").read_text(encoding="utf-8"))
    assert prov["section_rules"]["level"] == "province"
    assert prov["section_rules"]["rules"].startswith("basin.crossborder section rules")
    assert prov["basin_version"] == __version__


def test_sections_county_level(files, tmp_path):
    res = CliRunner().invoke(
        main, ["crossborder", "sections", *_args(files), "--level", "county", "-o", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(tmp_path / "sections.csv")
    assert list(df.section_id) == ["R01:A1>B1", "R02:B1>A1", "R07:A2>B1"]


def test_audit_exit_1_and_reports(files, tmp_path):
    res = CliRunner().invoke(
        main, ["crossborder", "audit", *_args(files, "--period", "month", wq="bad_month"), "-o", str(tmp_path)]
    )
    assert res.exit_code == 1, res.output
    assert "1 out of target in 1 section(s)" in res.output
    for name in ("audit.csv", "audit.json", "report.html", "report.md", "sections.csv"):
        assert (tmp_path / name).exists()
    audit = pd.read_csv(tmp_path / "audit.csv")
    bad = audit[audit.compliant == False]  # noqa: E712
    assert list(bad.period) == ["2021-12"]
    assert list(bad.responsibility) == ["downstream"]
    j = json.loads((tmp_path / "audit.json").read_text(encoding="utf-8"))
    prov = j["provenance"]
    assert prov["basin_version"] == __version__
    for key in ("rivers", "admin", "stations", "wq"):
        rec = prov["inputs"][key]
        with open(rec["path"], "rb") as f:
            assert rec["sha256"] == hashlib.sha256(f.read()).hexdigest()
    assert prov["standard"]["name"] == "GB3838-2002"
    assert prov["audit_rules"].startswith("basin.crossborder audit rules")
    assert len(j["rows"]) == len(audit)


def test_report_is_self_contained_and_escaped(files, tmp_path):
    CliRunner().invoke(
        main, ["crossborder", "audit", *_args(files, "--period", "month", wq="bad_month"), "-o", str(tmp_path)]
    )
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "<script" not in page
    assert "&lt;script&gt;" in page
    assert 'src="http' not in page
    assert "<link" not in page
    assert page.count("<svg") == 3
    assert "sha256" in page
    md = (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "<script>" not in md
    assert r"\<script\>" in md
    assert "data:image/svg+xml;base64," in md


def test_audit_exit_0_when_all_meet(files, tmp_path):
    res = CliRunner().invoke(
        main, ["crossborder", "audit", *_args(files, "--period", "year", wq="good"), "-o", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    audit = pd.read_csv(tmp_path / "audit.csv")
    assert list(audit.period.astype(str).unique()) == ["2020", "2021"]


def test_audit_bad_input_exit_2(files, tmp_path):
    st = stations_world([("S9", "R99", 5000, 2000, 3)])
    p = tmp_path / "bad_stations.gpkg"
    st.to_file(p, layer="stations")
    args = [
        "--rivers",
        files["rivers"],
        "--admin",
        files["admin"],
        "--stations",
        str(p),
    ]
    res = CliRunner().invoke(main, ["crossborder", "sections", *args, "-o", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "station(s) on no river of the rivers layer: S9 (river_id R99)" in res.output


def test_compensate_command(files, tmp_path):
    res = CliRunner().invoke(
        main, ["crossborder", "compensate", *_args(files, wq="bad_month"), "-o", str(tmp_path)]
    )
    assert res.exit_code == 0, res.output
    ledger = pd.read_csv(tmp_path / "ledger.csv")
    summary = pd.read_csv(tmp_path / "summary.csv")
    # R01: upstream S1 class III all along: 12 months without previous, then 12 unchanged -> no transfer;
    # R02 and R07 have no station
    r01 = ledger[ledger.section_id == "R01:PA>PB"]
    assert list(r01.outcome.value_counts().sort_index().items()) == [
        ("meets_no_previous", 12),
        ("meets_unchanged", 12),
    ]
    assert set(ledger[ledger.section_id != "R01:PA>PB"].outcome) == {"no station"}
    assert ledger.amount.sum() == 0
    assert set(summary.party_a) == {"省A"}
    prov = json.loads((tmp_path / "ledger_provenance.json").read_text(encoding="utf-8"))
    assert prov["scheme"]["scheme"] == "chongqing_target_trend"


def test_compensate_bad_scheme_exit_2(files, tmp_path):
    from importlib.resources import files as res

    raw = yaml.safe_load((res("basin.crossborder") / "schemes" / "xinanjiang_index.yaml").read_text("utf-8"))
    del raw["weights"]
    p = tmp_path / "s.yaml"
    p.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    res_ = CliRunner().invoke(
        main,
        [
            "crossborder",
            "compensate",
            *_args(files, "--scheme", str(p), wq="good"),
            "-o",
            str(tmp_path / "o"),
        ],
    )
    assert res_.exit_code == 2
    assert "missing field(s) ['weights']" in res_.output


def test_never_overwrites_an_input(files):
    d = files["dir"]
    res = CliRunner().invoke(
        main, ["crossborder", "sections", "--rivers", str(d / "sections.csv")] + ["-o", str(d)]
    )
    assert res.exit_code == 2  # sections.csv does not exist: click refuses the path
    # an output that would replace an input is refused
    import shutil

    shutil.copy(files["stations"], d / "sections.geojson")
    res = CliRunner().invoke(
        main,
        [
            "crossborder",
            "sections",
            "--rivers",
            files["rivers"],
            "--admin",
            files["admin"],
            "--stations",
            str(d / "sections.geojson"),
            "-o",
            str(d),
        ],
    )
    assert res.exit_code == 2
    assert "holds the input" in res.output


def test_help_lists_commands():
    res = CliRunner().invoke(main, ["crossborder", "--help"])
    assert res.exit_code == 0
    for c in ("sections", "audit", "compensate"):
        assert c in res.output
