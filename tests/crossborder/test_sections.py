"""find_sections on hand-made worlds: every answer below is computed by hand from conftest.RIVERS."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from xb_worlds import CRS, X0, Y0, admin_world, rivers_world, stations_world

from basin._errors import CRSError, DataError, SchemaError
from basin.crossborder import SECTION_COLUMNS, find_sections
from basin.crs import metric_crs


def xy(g: shapely.Geometry) -> tuple[float, float]:
    p = g if g.geom_type == "Point" else shapely.line_interpolate_point(g, 0.5, normalized=True)
    return round(p.x - X0, 3), round(p.y - Y0, 3)


@pytest.fixture
def sections(rivers, admin) -> gpd.GeoDataFrame:
    return find_sections(rivers, admin, crs=CRS)


# (river_id, kind, from, to, x, y, n_crossings) computed by hand
EXPECTED = [
    ("R01", "crossing", "PA", "PB", 10000, 2000, 1),
    ("R02", "crossing", "PB", "PA", 10000, 3000, 1),  # digitised east -> west
    ("R03", "crossing", "PA", "PB", 10000, 4000, 1),  # crosses twice, 10.5 km apart along the river
    ("R03", "crossing", "PB", "PA", 10000, 4500, 1),
    # three crossings at m = 8000, 8600, 9000 m merged; point at m = 8500 (100 m along the third leg)
    ("R04", "crossing", "PA", "PB", 10100, 5700, 3),
    # along the border from m = 6000 (x = 9 km) to m = 20000 (x = 11 km): 14 km; midpoint = the crossing
    ("R05", "boundary_reach", "PA", "PB", 10000, 18000, 1),
    ("R06", "crossing", "PA", "PB", 10000, 50000, 1),  # through the corner vertex
    ("R07", "crossing", "PA", "PB", 10000, 34000, 1),  # ends on the border
    ("R08a", "crossing", "PA", "PB", 10000, 36000, 1),  # split exactly at the border: one section
    ("R09b", "crossing", "PA", "PB", 10000, 38000, 1),  # split 50 m before it
    ("RT", "crossing", "PA", "PB", 10000, 41000, 1),  # tributary mouth on the border, main river in B
]


def test_columns(sections):
    assert list(sections.columns) == [*SECTION_COLUMNS, "geometry"]
    assert sections.crs == CRS


def test_crossings_and_directions_by_hand(sections):
    got = [
        (r.river_id, r.kind, r.from_admin, r.to_admin, *xy(r.geometry), r.n_crossings)
        for r in sections.itertuples()
    ]
    assert got == EXPECTED


def test_no_section_for_excursion_touch_and_rivers_inside_one_unit(sections):
    assert not {"R10", "R12", "R13", "RMu", "RMl"} & set(sections["river_id"])
    assert sections.attrs["excursions"] == 1  # R10 goes 300 m into B and comes back


def test_boundary_reach_length_and_net_crossing(sections):
    r = sections[sections.kind == "boundary_reach"].iloc[0]
    assert r.length_m == pytest.approx(14000.0)
    assert bool(r.net_crossing)
    assert r.geometry.geom_type == "LineString"
    assert r.geometry.length == pytest.approx(14000.0)
    assert sections.loc[sections.kind == "crossing", "length_m"].isna().all()


def test_end_on_border_note(sections):
    notes = dict(zip(sections.river_id, sections.note, strict=True))
    assert "ends on the border" in notes["R07"]
    assert pd.isna(notes["R01"])


def test_lon_lat_are_the_point_in_wgs84(sections):
    tr = Transformer.from_crs(CRS, 4326, always_xy=True)
    lon, lat = tr.transform(X0 + 10000, Y0 + 2000)
    r = sections.iloc[0]
    assert (r.lon, r.lat) == (pytest.approx(lon, abs=1e-6), pytest.approx(lat, abs=1e-6))


def test_section_ids_unique_and_readable(sections):
    assert sections.section_id.is_unique
    assert sections.section_id.iloc[0] == "R01:PA>PB"
    assert set(sections.loc[sections.river_id == "R03", "section_id"]) == {"R03:PA>PB", "R03:PB>PA"}


def test_names_and_levels(sections):
    r = sections.iloc[0]
    assert (r.river_name, r.level, r.from_admin_name, r.to_admin_name) == ("河R01", 1, "省A", "省B")


def test_county_level_adds_county_borders():
    s = find_sections(rivers_world(), admin_world(), level="county", crs=CRS)
    r13 = s[s.river_id == "R13"]
    assert len(r13) == 1
    assert (r13.iloc[0].from_admin, r13.iloc[0].to_admin, *xy(r13.iloc[0].geometry)) == (
        "A1",
        "A2",
        5000,
        25000,
    )
    assert (r13.iloc[0].from_parent, r13.iloc[0].to_parent) == ("PA", "PA")
    # the province crossings are there too, between counties
    r01 = s[s.river_id == "R01"].iloc[0]
    assert (r01.from_admin, r01.to_admin, r01.from_parent, r01.to_parent) == ("A1", "B1", "PA", "PB")
    assert len(s) == len(EXPECTED) + 1


def test_merge_tolerance_is_configurable(rivers, admin):
    # with 300 m, R04's crossings (600 m and 400 m apart) stay separate: A->B, B->A, A->B
    s = find_sections(rivers, admin, crs=CRS, merge_tolerance_m=300)
    r04 = s[s.river_id == "R04"]
    assert [(r.from_admin, r.to_admin) for r in r04.itertuples()] == [
        ("PA", "PB"),
        ("PB", "PA"),
        ("PA", "PB"),
    ]
    # R10's excursion (900 m) becomes two crossings
    assert len(s[s.river_id == "R10"]) == 2
    assert s.attrs["excursions"] == 0


def test_boundary_rule_is_configurable(rivers, admin):
    # a 15 km minimum: R05 is reported as its single crossing at (10 km, 18 km)
    s = find_sections(rivers, admin, crs=CRS, boundary_min_length_m=15000)
    r05 = s[s.river_id == "R05"].iloc[0]
    assert (r05.kind, *xy(r05.geometry)) == ("crossing", 10000, 18000)
    # a 500 m corridor: the river is 400 m from the border from m = 6600 to m = 19400 (12.8 km)
    s = find_sections(rivers, admin, crs=CRS, boundary_tolerance_m=500)
    r05 = s[s.river_id == "R05"].iloc[0]
    assert r05.kind == "boundary_reach"
    assert r05.length_m == pytest.approx(6600 - 6500 + 6000 + 800 + 6000 + 100)


def test_boundary_reach_that_returns_to_its_side(admin):
    # along the border for 12 km, 500 m inside A, never touching it, back into A: no net crossing
    rv = rivers_world(["R01"]).copy()
    rv.geometry = [
        shapely.LineString(
            [
                (X0 + 3000, Y0 + 12000),
                (X0 + 9500, Y0 + 12000),
                (X0 + 9500, Y0 + 24000),
                (X0 + 3000, Y0 + 24000),
            ]
        )
    ]
    s = find_sections(rv, admin, crs=CRS)
    assert len(s) == 1
    r = s.iloc[0]
    assert (r.kind, r.from_admin, r.to_admin, bool(r.net_crossing), r.n_crossings) == (
        "boundary_reach",
        "PA",
        "PB",
        False,
        0,
    )
    assert r.length_m == pytest.approx(500 + 12000 + 500)


def test_topology_derived_without_downstream_id(admin):
    rv = rivers_world(["R08a", "R08b", "R09a", "R09b"]).drop(columns=["downstream_id"])
    s = find_sections(rv, admin, crs=CRS)
    assert list(s.river_id) == ["R08a", "R09b"]


def test_without_stem_id_the_name_groups_segments(admin):
    rv = rivers_world(["R08a", "R08b"]).drop(columns=["stem_id"])
    rv["name"] = "同一条河"
    s = find_sections(rv, admin, crs=CRS)
    assert list(s.river_id) == ["R08a"]


def test_any_input_crs_same_answer(rivers, admin):
    a = find_sections(rivers, admin, crs=CRS)
    b = find_sections(rivers.to_crs(4326), admin.to_crs(4326), crs=CRS)
    assert list(a.section_id) == list(b.section_id)
    np.testing.assert_allclose(a.lon, b.lon, atol=1e-5)


def test_default_metric_crs_is_albers(rivers, admin):
    s = find_sections(rivers, admin)
    assert s.crs == metric_crs()
    assert len(s) == len(EXPECTED)


def test_inputs_not_mutated(rivers, admin):
    r0, a0 = rivers.copy(), admin.copy()
    find_sections(rivers, admin, crs=CRS)
    pd.testing.assert_frame_equal(rivers, r0)
    pd.testing.assert_frame_equal(admin, a0)


# ------------------------------------------------------------------------------------------------ stations
STATIONS = [
    ("S1", "R01", 5000, 2000, 3),  # 3 km upstream of R01's crossing
    ("S2", "R01", 15000, 2000, 2),  # 5 km downstream
    ("S2b", "R01", 17000, 2000, 2),  # farther downstream: not chosen
    (
        "S3",
        "R03",
        12000,
        4000,
        3,
    ),  # between R03's two crossings: 2 km below the first, 8.5 km above the second
    ("S8u", "R08a", 4000, 36000, 2),  # upstream segment of a stem split at the border
    ("S8d", "R08b", 12000, 36000, 2),  # downstream segment
    ("S4w", "R04", 10100, 5700, 3),  # inside R04's merged crossing
    (
        "SRMl",
        "RMl",
        13000,
        40750,
        3,
    ),  # on the main river below RT's mouth: another river, never assigned to RT
    ("SR2far", "R02", 17900, 3000, 4),  # 7.9 km from R02's crossing
]


def test_station_assignment_by_hand(rivers, admin):
    s = find_sections(rivers, admin, crs=CRS, stations=stations_world(STATIONS)).set_index("river_id")
    r = s.loc["R01"]
    assert (r.upstream_station_id, r.upstream_target_class, r.upstream_distance_m) == ("S1", 3, 5000.0)
    assert (r.downstream_station_id, r.downstream_target_class, r.downstream_distance_m) == ("S2", 2, 5000.0)
    assert not r.monitoring_gap
    r03 = s.loc[["R03"]].set_index("from_admin")
    assert r03.loc["PA", "downstream_station_id"] == "S3"
    assert r03.loc["PA", "downstream_distance_m"] == 2000.0
    assert r03.loc["PB", "upstream_station_id"] == "S3"
    assert r03.loc["PB", "upstream_distance_m"] == 8500.0
    r8 = s.loc["R08a"]
    assert (r8.upstream_station_id, r8.upstream_distance_m) == ("S8u", 6000.0)
    assert (r8.downstream_station_id, r8.downstream_distance_m) == ("S8d", 2000.0)
    r4 = s.loc["R04"]
    assert r4.stations_within == "S4w"
    assert pd.isna(r4.upstream_station_id)
    assert pd.isna(r4.downstream_station_id)
    assert not r4.monitoring_gap
    assert pd.isna(s.loc["RT", "downstream_station_id"])  # SRMl is on another river
    assert bool(s.loc["RT", "monitoring_gap"])
    assert bool(s.loc["R07", "monitoring_gap"])


def test_station_tolerance(rivers, admin):
    st = stations_world(STATIONS)
    s = find_sections(rivers, admin, crs=CRS, stations=st, station_tolerance_m=7900).set_index("river_id")
    assert s.loc["R02", "upstream_station_id"] == "SR2far"
    s = find_sections(rivers, admin, crs=CRS, stations=st, station_tolerance_m=7000).set_index("river_id")
    assert pd.isna(s.loc["R02", "upstream_station_id"])
    assert bool(s.loc["R02", "monitoring_gap"])


def test_without_stations_monitoring_is_unknown(sections):
    assert sections["monitoring_gap"].isna().all()
    assert sections["upstream_station_id"].isna().all()


def test_lake_stations_are_ignored(rivers, admin):
    st = stations_world([("S1", "R01", 5000, 2000, 3)])
    lake = st.copy()
    lake["station_id"] = "L1"
    lake["river_id"] = pd.NA
    lake["waterbody"] = "lake"
    both = pd.concat([st, lake], ignore_index=True)
    s = find_sections(rivers, admin, crs=CRS, stations=both)
    assert s.iloc[0].upstream_station_id == "S1"


# ---------------------------------------------------------------------------------------------- bad input
def test_station_on_no_river(rivers, admin):
    st = stations_world([("S9", "R99", 5000, 2000, 3)])
    with pytest.raises(DataError, match=r"station\(s\) on no river of the rivers layer: S9 \(river_id R99\)"):
        find_sections(rivers, admin, crs=CRS, stations=st)


def test_station_off_its_river(rivers, admin):
    st = stations_world([("S9", "R01", 5000, 4000, 3)])
    with pytest.raises(DataError, match=r"not on their river .*S9 \(2000 m from R01\)"):
        find_sections(rivers, admin, crs=CRS, stations=st)


def test_unknown_level(rivers, admin):
    with pytest.raises(SchemaError, match="level must be 'province' or 'county'"):
        find_sections(rivers, admin, level="town", crs=CRS)
    with pytest.raises(SchemaError, match=r"no units of level 'county'; levels present: \['province'\]"):
        find_sections(rivers, admin[admin.level == "province"], level="county", crs=CRS)


def test_missing_columns(rivers, admin):
    with pytest.raises(SchemaError, match=r"rivers: missing column\(s\) \['level'\]"):
        find_sections(rivers.drop(columns="level"), admin, crs=CRS)


def test_negative_tolerance(rivers, admin):
    with pytest.raises(SchemaError, match="merge_tolerance_m must be a non-negative"):
        find_sections(rivers, admin, crs=CRS, merge_tolerance_m=-1)


def test_no_crs(rivers, admin):
    with pytest.raises(CRSError, match="rivers has no CRS"):
        find_sections(rivers.set_crs(None, allow_override=True), admin, crs=CRS)


def test_reversed_segment(admin):
    rv = rivers_world(["R08a", "R08b"])
    rv.loc[0, "geometry"] = rv.geometry.iloc[0].reverse()
    with pytest.raises(DataError, match=r"segment\(s\) \['R08a'\] start on their downstream segment"):
        find_sections(rv, admin, crs=CRS)


def test_cycle(admin):
    rv = rivers_world(["R08a", "R08b"])
    rv["downstream_id"] = pd.array(["R08b", "R08a"], dtype="string")
    rv.loc[1, "geometry"] = shapely.LineString([(X0 + 10000, Y0 + 36000), (X0 + 3000, Y0 + 36000)])
    with pytest.raises(DataError, match="cycle"):
        find_sections(rv, admin, crs=CRS)


def test_disjoint_multilinestring(admin):
    rv = rivers_world(["R01"])
    rv.geometry = [shapely.MultiLineString([[(X0, Y0), (X0 + 1, Y0)], [(X0 + 5, Y0), (X0 + 9, Y0)]])]
    with pytest.raises(SchemaError, match="'R01' has 2 disjoint parts"):
        find_sections(rv, admin, crs=CRS)


def test_crossing_at_vertex_diagonal_length():
    # sanity for the hand computation of R06: the corner is at m = 4000 * sqrt(2) from its source
    g = rivers_world(["R06"]).geometry.iloc[0]
    assert g.project(shapely.Point(X0 + 10000, Y0 + 50000)) == pytest.approx(4000 * math.sqrt(2))
