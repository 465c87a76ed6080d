"""The siting audit on the hand-made world: every facility's expected rule breaks and distances."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point

from basin._errors import CRSError, SchemaError
from basin.zoning import audit_facilities, prepare_network, summarize
from basin.zoning.audit import COLUMNS, facility_distances

from .conftest import FACILITIES, TM, X0


def _expected():
    rows = []
    for fid, (_cat, status, _g, breaks) in FACILITIES.items():
        for rule, (d, feat) in breaks.items():
            rows.append((fid, rule, d, feat, "prohibited" if status == "proposed" else "phase_out_candidate"))
    return rows


def test_hand_made_world(facilities, rivers, lakes, region):
    v = audit_facilities(facilities, rivers, lakes, admin=region)
    assert list(v.columns) == [*COLUMNS, "county_id", "county_name", "geometry"]
    got = list(zip(v["facility_id"], v["rule_id"], strict=True))
    exp = _expected()
    assert got == [(e[0], e[1]) for e in exp]
    np.testing.assert_allclose(v["distance_m"], [e[2] for e in exp], atol=0.5)
    assert list(v["feature_id"]) == [e[3] for e in exp]
    assert list(v["action"]) == [e[4] for e in exp]
    row = v[v.facility_id == "F09"].iloc[0]
    assert (row.feature_kind, row.feature_name, row.zone, row.limit_m) == ("lake", "通江湖", "B", 3000.0)
    assert v.loc[v.facility_id == "F01", "county_name"].item() == "甲县"  # y = 0 belongs to both: smaller id
    assert v.loc[v.facility_id == "F14", "county_id"].item() == "C12"
    assert v.loc[v.facility_id == "F07", "county_id"].isna().item()  # outside every county
    assert v.crs == facilities.crs


def test_existing_listed_apart_from_proposals(facilities, rivers, lakes):
    v = audit_facilities(facilities, rivers, lakes)
    existing = v[v.status == "existing"]
    assert set(existing.facility_id) == {"F05", "F16"}
    assert (existing.action == "phase_out_candidate").all()
    assert (v[v.status == "proposed"].action == "prohibited").all()
    assert "F06" not in set(v.facility_id)  # existing parks are not phase-out candidates under R2
    assert "county_id" not in v.columns


def test_inputs_not_mutated_and_any_crs(facilities, rivers, lakes):
    before = facilities.copy()
    v_tm = audit_facilities(facilities, rivers, lakes)
    pd.testing.assert_frame_equal(pd.DataFrame(facilities), pd.DataFrame(before))
    v_ll = audit_facilities(facilities.to_crs(4326), rivers.to_crs(4326), lakes.to_crs(4490))
    assert list(v_ll.facility_id) == list(v_tm.facility_id)
    np.testing.assert_allclose(v_ll.distance_m, v_tm.distance_m, atol=1e-3)
    with pytest.raises(CRSError, match="projected CRS in metres"):
        audit_facilities(facilities, rivers, lakes, crs="EPSG:4326")


def test_no_violations_gives_typed_empty_table(rivers):
    far = gpd.GeoDataFrame(
        {"facility_id": ["Z1"], "category": ["industrial_park"], "status": ["proposed"]},
        geometry=[Point(X0 + 30_000, 0)],
        crs=TM,
    )
    v = audit_facilities(far, rivers)
    assert len(v) == 0
    assert list(v.columns) == [*COLUMNS, "geometry"]
    assert summarize(v, far)["violations"] == 0


def test_boundary_is_inside(rivers):
    # exactly at the rule distance counts as inside ("within 1 km"): use a point at the geodesic distance 1000 m
    net = prepare_network(rivers)
    pts = gpd.GeoDataFrame(
        {"facility_id": ["B1"], "category": ["polluting_facility"], "status": ["proposed"]},
        geometry=[Point(X0 + 1000.0, 0)],
        crs=TM,
    )
    d = facility_distances(net, pts)
    assert list(d.columns) == ["R1", "R2", "R3"]
    assert d.loc[0, "R1"] == pytest.approx(1000.0, abs=0.01)
    assert d.loc[0, "R3"] == np.inf  # T3 is 20 km away, beyond R3's 3 km


def test_reusing_a_prepared_network(facilities, rivers, lakes):
    net = prepare_network(rivers, lakes)
    a = audit_facilities(facilities, network=net)
    b = audit_facilities(facilities, rivers, lakes)
    pd.testing.assert_frame_equal(pd.DataFrame(a), pd.DataFrame(b))


def test_custom_rule_file_changes_the_result(tmp_path, facilities, rivers, lakes):
    p = tmp_path / "strict.yaml"
    p.write_text(
        """
rules:
  - id: K1
    zone: A
    distance_m: 1500
    rivers: {levels: [0, 1, 2, 3]}
    prohibits: [polluting_facility]
    phase_out: [polluting_facility]
    text_zh: 县级更严格的1.5公里规定
    text_en: a county's stricter 1.5 km rule
    source: test
""",
        encoding="utf-8",
    )
    v = audit_facilities(facilities, rivers, lakes, rules=p)
    assert set(v.rule_id) == {"K1"}
    # F02 at 1001 m is now inside; F05 (existing, 500 m) is a phase-out candidate; Y1 counts (no basin filter)
    assert list(v.facility_id) == ["F01", "F02", "F05", "F14"]


def test_multipoint_facility_uses_nearest_part(rivers):
    from shapely.geometry import MultiPoint

    f = gpd.GeoDataFrame(
        {"facility_id": ["M1"], "category": ["polluting_facility"], "status": ["proposed"]},
        geometry=[MultiPoint([(X0 + 3000, 0), (X0 + 900, 100)])],
        crs=TM,
    )
    v = audit_facilities(f, rivers)
    assert list(v.rule_id) == ["R1"]
    assert v.distance_m.item() == pytest.approx(900, abs=0.1)


def test_polygon_crossing_a_river_is_at_zero(rivers):
    from shapely.geometry import box

    f = gpd.GeoDataFrame(
        {"facility_id": ["P1"], "category": ["industrial_park"], "status": ["proposed"]},
        geometry=[box(X0 - 200, 0, X0 + 200, 300)],
        crs=TM,
    )
    v = audit_facilities(f, rivers)
    assert list(v.rule_id) == ["R1", "R2"]
    assert (v.distance_m == 0).all()


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        (lambda f: f.drop(columns="facility_id"), SchemaError, r"missing column\(s\) \['facility_id'\]"),
        (lambda f: f.drop(columns="status"), SchemaError, r"missing column\(s\) \['status'\]"),
        (
            lambda f: f.assign(category=["chemical_plant", *f.category[1:]]),
            SchemaError,
            r"unknown category\(s\) \['chemical_plant'\] for facility_id\(s\) \['F01'\]; allowed: "
            r"\['polluting_facility', 'industrial_park', 'other'\]",
        ),
        (
            lambda f: f.assign(status=["planned", *f.status[1:]]),
            SchemaError,
            r"unknown status\(s\) \['planned'\].*allowed: \['proposed', 'existing'\]",
        ),
        (lambda f: f.assign(facility_id=["F01", *f.facility_id[:-1]]), SchemaError, "duplicate facility_id"),
        (lambda f: f.set_crs(None, allow_override=True), CRSError, "facilities has no CRS"),
    ],
)
def test_bad_facilities(facilities, rivers, change, error, match):
    with pytest.raises(error, match=match):
        audit_facilities(change(facilities), rivers)


def test_bad_network(facilities, rivers, lakes):
    with pytest.raises(SchemaError, match=r"rivers: missing column\(s\) \['level'\]"):
        audit_facilities(facilities, rivers.drop(columns="level"))
    with pytest.raises(SchemaError, match=r"lakes: missing column\(s\) \['connected'\]"):
        audit_facilities(facilities, rivers, lakes.drop(columns="connected"))
    with pytest.raises(CRSError, match="rivers has no CRS"):
        audit_facilities(facilities, rivers.set_crs(None, allow_override=True))
    with pytest.raises(SchemaError, match="needs rivers"):
        audit_facilities(facilities)


def test_summary_counts(facilities, rivers, lakes, region):
    v = audit_facilities(facilities, rivers, lakes, admin=region)
    s = summarize(v, facilities)
    assert s["violations"] == 11 and s["facilities_in_violation"] == 10 and s["facilities_audited"] == 16
    assert s["by_rule"] == {"R1": 3, "R2": 4, "R3": 4}
    assert s["by_status"] == {"existing": 2, "proposed": 9}
    assert s["by_action"] == {"phase_out_candidate": 2, "prohibited": 9}
    assert s["by_category"] == {"industrial_park": 7, "polluting_facility": 4}
    assert s["by_county"]["C11 甲县"] == 5
    assert sum(s["by_county"].values()) == 11


def test_multipoint_parts_take_the_minimum_with_skipped_facilities(rivers):
    from shapely.geometry import MultiPoint

    # one multipoint (2 parts) plus one facility that no rule concerns: parts must be reduced by minimum
    f = gpd.GeoDataFrame(
        {
            "facility_id": ["M1", "O1"],
            "category": ["polluting_facility", "other"],
            "status": ["proposed", "proposed"],
        },
        geometry=[MultiPoint([(X0 + 900, 100), (X0 + 3000, 0)]), Point(X0 + 10, 0)],
        crs=TM,
    )
    v = audit_facilities(f, rivers)
    assert list(v.facility_id) == ["M1"]
    assert v.distance_m.item() == pytest.approx(900, abs=0.1)


def test_swapped_lon_lat_is_a_clear_error(rivers):
    f = gpd.GeoDataFrame(
        {"facility_id": ["S1", "S2"], "category": ["polluting_facility"] * 2, "status": ["proposed"] * 2},
        geometry=[Point(104.0, 30.0), Point(30.0, 104.0)],
        crs=4326,
    )
    with pytest.raises(
        SchemaError, match=r"coordinates out of range .* \['S2'\]; are longitude and latitude swapped"
    ):
        audit_facilities(f, rivers)
