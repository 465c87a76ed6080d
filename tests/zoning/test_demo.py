"""The zoning and the audit on the real demo dataset (geodata/): facilities placed by design (see its README)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from basin import datasets
from basin.io import read_layer
from basin.zoning import audit_facilities, prepare_network, riparian_zones, zone_areas
from basin.zoning.audit import facility_distances


@pytest.fixture(scope="module")
def demo():
    return {k: read_layer(datasets.get_path(k), k) for k in ("rivers", "lakes", "facilities", "admin")}


@pytest.fixture(scope="module")
def audit(demo):
    return audit_facilities(demo["facilities"], demo["rivers"], demo["lakes"], admin=demo["admin"])


# what the default rules must find for each placement group: (status -> set of (rule, action))
PF, PO = "prohibited", "phase_out_candidate"
EXPECTED = {
    "near_l02_1km": {"proposed": {("R1", PF)}, "existing": {("R2", PO)}},
    "near_l02_1to5km": {"proposed": set(), "existing": {("R2", PO)}},
    "park_l02_5km": {"proposed": {("R2", PF)}, "existing": set()},
    "park_l3_3km": {"proposed": {("R3", PF)}, "existing": set()},
    "pf_l3_3km": {"proposed": set(), "existing": {("R3", PO)}},
    "park_lake_3km": {"proposed": {("R3", PF)}, "existing": set()},
    "park_unconnected_lake": {"proposed": set(), "existing": set()},
    "near_yellow_river": {"proposed": set(), "existing": set()},
    "other_near_river": {"proposed": set(), "existing": set()},
    "far_pf": {"proposed": set(), "existing": set()},
    "far_park": {"proposed": set(), "existing": set()},
    "far_other": {"proposed": set(), "existing": set()},
}


def test_demo_audit_matches_the_placement_design(demo, audit):
    fac = demo["facilities"]
    assert set(fac["design"]) <= set(EXPECTED)
    got = audit.groupby("facility_id")[["rule_id", "action"]].apply(
        lambda d: set(zip(d.rule_id, d.action, strict=True))
    )
    dist = facility_distances(prepare_network(demo["rivers"], demo["lakes"]), fac)
    for i, row in fac.reset_index(drop=True).iterrows():
        exp = set(EXPECTED[row.design][row.status])
        if (
            row.category == "industrial_park"
            and row.status == "proposed"
            and dist.loc[fac.index[i], "R1"] <= 1000
        ):
            exp.add(("R1", PF))  # a new park within 1 km also breaks R1 (parks count as polluting facilities)
        extra = got.get(row.facility_id, set()) - exp
        # a near_l02_1to5km facility may also lie near a level-3 river (R3) - allowed only if truly within 3 km
        extra = {x for x in extra if not (x[0] == "R3" and dist.loc[fac.index[i], "R3"] <= 3000)}
        assert exp <= got.get(row.facility_id, set()), row.facility_id
        assert not extra, (row.facility_id, extra)


def test_demo_audit_columns_and_distances(demo, audit):
    assert len(audit) > 40
    assert audit.county_id.notna().all()  # every demo facility lies in a county
    assert (audit.distance_m <= audit.limit_m).all()
    lake = audit[audit.feature_kind == "lake"]
    lakes = demo["lakes"]
    connected = set(lakes.loc[lakes.connected.astype(bool), "lake_id"])
    assert "L06" in set(lake.feature_id) and set(lake.feature_id) <= connected
    assert not audit.feature_name.isin(["黄河", "白河", "黑河"]).any()
    np.testing.assert_array_equal(audit.status == "existing", audit.action == PO)


def test_demo_zones_and_areas(demo):
    z = riparian_zones(demo["rivers"], demo["lakes"], demo["admin"])
    assert set(z.zone) == {"A", "B", "C"}
    prov = demo["admin"][demo["admin"].level == "province"]
    total = prov.to_crs(z.crs).area.sum() / 1e6
    assert z.area_km2.sum() == pytest.approx(total, rel=1e-6)
    t = zone_areas(z, demo["admin"])
    p = t[t.level == "province"].pivot(index="admin_id", columns="zone", values="area_km2")
    c = t[t.level == "county"].merge(demo["admin"][["admin_id"]], on="admin_id")
    county_sum = t[t.level == "county"].groupby("zone").area_km2.sum()
    assert county_sum.sum() == pytest.approx(p.sum().sum(), rel=1e-6)  # counties tile the provinces
    for zone in "ABC":
        assert county_sum[zone] == pytest.approx(p[zone].sum(), rel=1e-6)
    assert len(c) == 3 * (demo["admin"].level == "county").sum()
    # zone A is at most 2 km wide along ~10,000 km of level 0-2 rivers in the region
    assert 5_000 < p["A"].sum() < 25_000


def test_demo_step_writes_everything(tmp_path):
    from basin.project import demo_project
    from basin.run import run_project

    res = run_project(demo_project(), steps=["riparian", "audit"], outdir=tmp_path, maps=False, reports=False,
                      echo=lambda s: None)
    out = {**res.files["riparian"], **res.files["audit"]}
    for p in out.values():
        assert p.exists() and p.stat().st_size > 0
    assert (tmp_path / "zones" / "zones.gpkg").exists() and (tmp_path / "audit" / "violations.csv").exists()
    s = json.loads((tmp_path / "audit" / "summary.json").read_text(encoding="utf-8"))
    v = pd.read_csv(tmp_path / "audit" / "violations.csv", dtype=str)
    assert s["violations"] == len(v) and s["facilities_audited"] == 150
    assert set(s["by_rule"]) == {"R1", "R2", "R3"}
