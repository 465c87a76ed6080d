"""The demo dataset: the cross-border rivers of Sichuan and Chongqing with the right direction.

The expected crossings are recomputed here by a different method (dense point-in-polygon sampling along every
river, following downstream_id across segment ends) and must agree with find_sections.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely

from basin import datasets
from basin.crossborder import find_sections
from basin.crs import to_metric
from basin.io import read_layer

SC, CQ = "510000", "500000"


@pytest.fixture(scope="module")
def demo():
    paths = {k: datasets.get_path(k) for k in ("rivers", "admin", "stations")}
    rivers = read_layer(paths["rivers"], "rivers")
    admin = read_layer(paths["admin"], "admin")
    stations = read_layer(paths["stations"], "stations")
    return rivers, admin, stations, find_sections(rivers, admin, stations=stations)


def _sampled_crossings(rivers, admin, step=100.0):
    """(river name, from, to) of every province change along the rivers, by sampling every ``step`` m."""
    rv = to_metric(rivers).set_index("river_id")
    prov = to_metric(admin[admin.level == "province"])
    labels_of = {}
    for rid, g in rv.geometry.items():
        n = max(int(g.length // step), 1)
        pts = shapely.line_interpolate_point(g, np.linspace(0, g.length, n + 1))
        lab = np.full(len(pts), None, dtype=object)
        for aid, poly in zip(prov.admin_id, prov.geometry, strict=True):
            lab[shapely.contains_xy(poly, shapely.get_x(pts), shapely.get_y(pts))] = aid
        labels_of[rid] = list(lab)
    out = []
    for rid, labs in labels_of.items():
        down = rv.at[rid, "downstream_id"]
        seq = labs + (labels_of[down][:3] if pd.notna(down) else [])
        seq = [x for x in seq if x is not None]
        own_units = [x for x in labs if x is not None]
        for k in range(1, len(seq)):
            # a change counts for this segment when the unit before it lies on the segment itself
            if seq[k] != seq[k - 1] and k - 1 < len(own_units):
                out.append((rv.at[rid, "name"], seq[k - 1], seq[k]))
    return sorted(out, key=str)


def test_required_rivers_sichuan_to_chongqing(demo):
    *_, s = demo
    got = {(r.river_name, r.from_admin, r.to_admin) for r in s.itertuples()}
    for name in ("长江", "嘉陵江", "渠江", "涪江"):
        assert (name, SC, CQ) in got, name
        assert (name, CQ, SC) not in got, name


def test_every_chongqing_to_sichuan_river(demo):
    rivers, admin, _, s = demo
    expected = {x for x in _sampled_crossings(rivers, admin) if x[1:] == (CQ, SC)}
    got = {
        (r.river_name, r.from_admin, r.to_admin)
        for r in s.itertuples()
        if (r.from_admin, r.to_admin) == (CQ, SC)
    }
    assert got == expected
    assert ("前河", CQ, SC) in got  # rises in Chengkou (Chongqing), flows west into Xuanhan (Sichuan)


def test_all_crossings_agree_with_dense_sampling(demo):
    rivers, admin, _, s = demo
    got = sorted(((r.river_name, r.from_admin, r.to_admin) for r in s.itertuples()), key=str)
    assert got == _sampled_crossings(rivers, admin)
    assert set(s.kind) == {"crossing"}
    assert s.attrs["excursions"] == 0


def test_stations_assigned_on_demo(demo):
    *_, stations, s = demo
    role = dict(zip(stations.station_id, stations["role"], strict=True))
    for r in s.itertuples():
        assert role[r.upstream_station_id] == "border_upstream", r.section_id
        assert role[r.downstream_station_id] == "border_downstream", r.section_id
    assert not s.monitoring_gap.any()


def test_county_level_on_demo(demo):
    rivers, admin, stations, _ = demo
    s = find_sections(rivers, admin, level="county", stations=stations)
    counties = set(admin.loc[admin.level == "county", "admin_id"])
    assert len(s) > 100
    assert set(s.from_admin) <= counties
    assert set(s.to_admin) <= counties
    assert (s.from_admin != s.to_admin).all()
    assert {"crossing", "boundary_reach"} == set(s.kind)
    assert (s.loc[s.kind == "boundary_reach", "length_m"] >= 10000).all()


def test_demo_step_writes_sections_report_and_ledgers(demo, tmp_path):
    from basin.project import demo_project
    from basin.run import run_project

    res = run_project(demo_project(), steps=["crossborder"], outdir=tmp_path, maps=False, reports=False,
                      echo=lambda s: None)
    files = res.files["crossborder"]
    out = tmp_path / "crossborder"
    for name in (
        "sections.csv",
        "sections.geojson",
        "audit.csv",
        "audit.json",
        "report.html",
        "report.md",
        "ledger.csv",
        "summary.csv",
        "demo_index_ledger.csv",
        "demo_index_summary.csv",
    ):
        assert (out / name).exists(), name
        assert (out / name) in files.values()
    audit = pd.read_csv(out / "audit.csv")
    assert audit.section_id.nunique() == 5
    ledger = pd.read_csv(out / "ledger.csv")
    assert set(ledger.scheme) == {"chongqing_target_trend"}
    assert len(ledger) == len(audit)
    index = pd.read_csv(out / "demo_index_ledger.csv")
    assert set(index.period.astype(str)) == {str(y) for y in range(2018, 2025)}
