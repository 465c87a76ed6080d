"""The embedded demo dataset (geodata/): schema, invariants and a reproducible build."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import rasterio
import shapely
from pyproj import CRS

from basin.datasets import FILES, get_path
from basin.io import check_layer, read_layer
from basin.options import DEFAULT_METRIC_CRS

REPO = Path(__file__).resolve().parents[2]
GEODATA = REPO / "geodata"
SC, CQ = "510000", "500000"


def _metric(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return gdf.to_crs(DEFAULT_METRIC_CRS)


@pytest.fixture(scope="module")
def rivers() -> gpd.GeoDataFrame:
    return read_layer(get_path("rivers"), "rivers")


@pytest.fixture(scope="module")
def admin() -> gpd.GeoDataFrame:
    return read_layer(get_path("admin"), "admin", layer="admin")


@pytest.fixture(scope="module")
def stations() -> gpd.GeoDataFrame:
    return read_layer(get_path("stations"), "stations")


@pytest.fixture(scope="module")
def lakes() -> gpd.GeoDataFrame:
    return read_layer(get_path("lakes"), "lakes")


@pytest.fixture(scope="module")
def facilities() -> gpd.GeoDataFrame:
    return read_layer(get_path("facilities"), "facilities")


@pytest.fixture(scope="module")
def wq() -> pd.DataFrame:
    return pd.read_csv(get_path("wq"), dtype=str, keep_default_na=False, encoding="utf-8")


# ------------------------------------------------------------------------------------------------ files
def test_every_named_file_exists_and_is_in_geodata() -> None:
    for name, fname in FILES.items():
        assert get_path(name) == GEODATA / fname


def test_total_size_under_30_mb() -> None:
    total = sum(p.stat().st_size for p in GEODATA.rglob("*") if p.is_file())
    assert total < 30e6, total


@pytest.mark.parametrize(
    ("name", "kind", "layer"),
    [
        ("rivers", "rivers", None),
        ("admin", "admin", "admin"),
        ("lakes", "lakes", None),
        ("stations", "stations", None),
        ("facilities", "facilities", None),
    ],
)
def test_layers_pass_check_layer(name: str, kind: str, layer: str | None) -> None:
    report = check_layer(get_path(name), kind, layer=layer)
    assert report.ok, report.error_message()
    assert CRS.from_user_input(report.crs).to_epsg() == 4326


def test_synthetic_layers_are_marked() -> None:
    for name in ("lakes", "stations", "facilities"):
        gdf = pyogrio.read_dataframe(get_path(name))
        assert gdf["synthetic"].astype(bool).all(), name
        assert gdf["source"].str.contains("SYNTHETIC").all(), name
    text = (GEODATA / "README.md").read_text(encoding="utf-8")
    synthetic = ("lakes.gpkg", "stations.gpkg", "wq_monthly.csv", "facilities.gpkg", "population.tif",
                 "gdp.tif")
    for fname in synthetic:
        assert fname in text
    assert "SYNTHETIC" in text
    assert "public domain" in text
    assert "LGPL" in text
    assert "Tianditu" in text


# --------------------------------------------------------------------------------------------- real layers
def test_rivers_keep_all_reaches_and_model_columns(rivers: gpd.GeoDataFrame) -> None:
    assert len(rivers) == 80
    shared = REPO.parent / "shared" / "geodata" / "rivers.gpkg"
    for col in ("river_id", "name", "name_en", "level", "downstream_id", "basin", "parent_id", "stem_id",
                "connected", "context_only", "length_km", "wdb_class", "source", "name_source"):
        assert col in rivers.columns, col
    assert set(rivers["basin"]) == {"长江 Yangtze", "黄河 Yellow River"}
    assert rivers["name"].isna().sum() > 0  # unidentified lines stay null
    if shared.exists():
        src = gpd.read_file(shared)
        assert list(src["river_id"]) == list(rivers["river_id"])
        assert (src["name_zh"].isna() == rivers["name"].isna()).all()
        assert (src["name_zh"].dropna() == rivers["name"].dropna()).all()
        assert shapely.equals_exact(src.geometry.values, rivers.geometry.values, 0).all()


def test_admin_one_layer_with_provinces_and_counties(admin: gpd.GeoDataFrame) -> None:
    prov = admin[admin["level"] == "province"]
    cnty = admin[admin["level"] == "county"]
    assert set(prov["admin_id"]) == {SC, CQ}
    assert prov["parent_id"].isna().all()
    assert len(cnty) == 221
    assert set(cnty["parent_id"]) == {SC, CQ}
    assert (cnty["admin_id"].str[:2] == cnty["parent_id"].str[:2]).all()
    assert cnty["name_en"].isna().all()
    assert prov["name_en"].notna().all()
    border = pyogrio.read_dataframe(get_path("border"), layer="border")
    assert len(border) == 1
    assert border.geometry.iloc[0].geom_type == "LineString"


# ---------------------------------------------------------------------------------------------- stations
def test_river_stations_lie_on_their_river(stations: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame) -> None:
    st = _metric(stations[stations["waterbody"] == "river"])
    rv = _metric(rivers).set_index("river_id")
    pairs = zip(st.geometry, st["river_id"], strict=True)
    d = np.array([g.distance(rv.loc[r, "geometry"]) for g, r in pairs])
    assert (d < 1.0).all(), d.max()
    assert not rv.loc[st["river_id"], "context_only"].any()


def test_stations_lie_in_their_county(stations: gpd.GeoDataFrame, admin: gpd.GeoDataFrame) -> None:
    cnty = admin[admin["level"] == "county"].set_index("admin_id")
    for g, c, p in zip(stations.geometry, stations["county"], stations["province"], strict=True):
        assert cnty.loc[c, "geometry"].contains(g)
        assert cnty.loc[c, "parent_id"] == p


def test_lake_stations_lie_in_their_lake(stations: gpd.GeoDataFrame, lakes: gpd.GeoDataFrame) -> None:
    lk = stations[stations["role"] == "lake"]
    by = lakes.set_index("lake_id")
    assert set(lk["lake_id"]) == set(lakes["lake_id"])  # every lake has a station
    for g, lid, wb in zip(lk.geometry, lk["lake_id"], lk["waterbody"], strict=True):
        assert by.loc[lid, "geometry"].contains(g)
        assert by.loc[lid, "kind"] == wb


def _crossings(rivers: gpd.GeoDataFrame, admin: gpd.GeoDataFrame) -> list[tuple[str, str, str, float]]:
    """(river_id, upstream province, downstream province, distance along the line) of every crossing."""
    border = _metric(pyogrio.read_dataframe(get_path("border"), layer="border")).geometry.iloc[0]
    prov = _metric(admin[admin["level"] == "province"]).set_index("admin_id").geometry
    out = []
    for rid, line in zip(rivers["river_id"], _metric(rivers).geometry, strict=True):
        for p in shapely.get_parts(line.intersection(border)):
            assert p.is_empty or p.geom_type == "Point", (rid, p.geom_type)  # no river runs along the border
            if p.is_empty:
                continue
            d = line.project(p)
            before, after = line.interpolate(d - 300), line.interpolate(d + 300)
            up = next(a for a, g in prov.items() if g.contains(before))
            down = next(a for a, g in prov.items() if g.contains(after))
            out.append((rid, up, down, d))
    return out


def test_every_border_crossing_has_an_upstream_and_a_downstream_station(
    stations: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame, admin: gpd.GeoDataFrame
) -> None:
    crossings = _crossings(rivers, admin)
    # 长江 嘉陵江 涪江 渠江 前河
    assert {r for r, *_ in crossings} == {"R0003", "R0022", "R0045", "R0046", "R0066"}
    st = _metric(stations).set_index("station_id")
    rv = _metric(rivers).set_index("river_id")
    for rid, up, down, d in crossings:
        assert up != down
        line = rv.loc[rid, "geometry"]
        for role, prov, sign in (("border_upstream", up, -1), ("border_downstream", down, 1)):
            sel = st[(st["crossing_river_id"] == rid) & (st["role"] == role)]
            assert len(sel) == 1, (rid, role)
            s = sel.iloc[0]
            assert s["river_id"] == rid
            assert s["province"] == prov
            along = (line.project(s.geometry) - d) * sign
            assert 1900 < along < 5100, (rid, role, along)
    # Sichuan -> Chongqing for the Yangtze, Jialing, Fu and Qu; Chongqing -> Sichuan for the Qian He
    direction = {r: (u, dn) for r, u, dn, _ in crossings}
    assert direction["R0003"] == direction["R0022"] == direction["R0045"] == direction["R0046"] == (SC, CQ)
    assert direction["R0066"] == (CQ, SC)


def test_station_counts_and_classes(stations: gpd.GeoDataFrame) -> None:
    roles = stations["role"].value_counts()
    assert roles["border_upstream"] == roles["border_downstream"] == 5
    assert 30 <= roles["network"] <= 45
    assert stations["target_class"].between(2, 4).all()
    assert stations["station_id"].is_unique
    named = set(stations["river_name"].dropna())
    for river in ("长江", "岷江", "沱江", "嘉陵江", "涪江", "渠江", "乌江", "雅砻江", "大渡河"):
        assert river in named


# ------------------------------------------------------------------------------------------------- lakes
def test_lakes_connected_flag_matches_geometry(lakes: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame) -> None:
    rv = shapely.union_all(_metric(rivers).geometry.values)
    lk = _metric(lakes)
    dist = lk.geometry.distance(rv)
    assert 6 <= len(lakes) <= 8
    assert (dist[lk["connected"].astype(bool)] < 1).all()
    unconnected = dist[~lk["connected"].astype(bool)]
    assert len(unconnected) >= 2
    assert unconnected.between(5000, 20000).all()
    assert lakes["name"].str.endswith("(synthetic)").all()
    span = lk.geometry.bounds
    assert ((span["maxx"] - span["minx"]).clip(lower=0) > 2000).all()
    assert (np.hypot(span["maxx"] - span["minx"], span["maxy"] - span["miny"]) < 30000).all()


# ------------------------------------------------------------------------------------------- facilities
def test_facilities_placed_for_every_rule(
    facilities: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame, lakes: gpd.GeoDataFrame, admin: gpd.GeoDataFrame
) -> None:
    f = _metric(facilities)
    rv = _metric(rivers)
    yz = rv[rv["basin"] == "长江 Yangtze"]
    l02 = shapely.union_all(yz[yz["level"] <= 2].geometry.values)
    l3 = shapely.union_all(yz[yz["level"] == 3].geometry.values)
    lk = _metric(lakes)
    conn = shapely.union_all(lk[lk["connected"].astype(bool)].geometry.values)
    d02, d3, dl = f.geometry.distance(l02), f.geometry.distance(l3), f.geometry.distance(conn)
    cat, status = f["category"], f["status"]
    pf, park = cat == "polluting_facility", cat == "industrial_park"
    # R1: polluting facilities within 1 km of level 0-2, both proposed and existing
    r1 = pf & (d02 < 1000)
    assert set(status[r1]) == {"proposed", "existing"}
    assert r1.sum() >= 10
    # R2 by each trigger: level 0-2 within 5 km, level 3 within 3 km only, connected lake within 3 km only
    assert set(status[park & (d02 < 5000)]) == {"proposed", "existing"}
    assert (park & (d02 > 5000) & (d3 < 3000)).sum() >= 3
    assert (park & (d02 > 5000) & (d3 > 3000) & (dl < 3000)).sum() >= 2
    # many facilities outside every zone
    assert ((d02 > 5000) & (d3 > 3000) & (dl > 3000)).sum() >= 40
    # keep clear of the thresholds (the audit is geodesic, Albers differs by < 1 %)
    for dist, thresholds in ((d02, (1000, 5000)), (d3, (3000,)), (dl, (3000,))):
        for t in thresholds:
            assert not ((dist - t).abs() < 0.03 * t).any(), t
    region = shapely.union_all(_metric(admin[admin["level"] == "province"]).geometry.values)
    assert f.geometry.within(region).all()
    assert 140 <= len(f) <= 160
    assert f["facility_id"].is_unique
    areas = f[park].geometry.area / 1e6
    assert areas.between(0.99, 3.01).all()


# ----------------------------------------------------------------------------------------- water quality
def test_wq_csv_parses_and_covers_2015_2024(wq: pd.DataFrame, stations: gpd.GeoDataFrame) -> None:
    assert list(wq.columns) == ["station_id", "time", "parameter", "value", "unit"]
    t = pd.to_datetime(wq["time"], format="%Y-%m-%d")
    assert (t.dt.day == 1).all()
    assert t.min() == pd.Timestamp("2015-01-01")
    assert t.max() == pd.Timestamp("2024-12-01")
    assert set(wq["station_id"]) == set(stations["station_id"])
    bdl = wq["value"].str.endswith("L")
    num = pd.to_numeric(wq["value"].str.removesuffix("L"), errors="coerce")
    assert num.notna().all()
    assert (num >= 0).all()
    assert bdl.any()
    assert (wq.loc[bdl, "parameter"].isin(["Cu", "Zn", "Cd", "Pb", "As", "Hg", "NH3_N", "TP", "COD"])).all()
    units = wq.groupby("parameter")["unit"].agg(set)
    assert units["Hg"] == {"µg/L"}
    assert units["temperature"] == {"℃"}
    assert units["Chla"] == {"mg/m3"}
    assert units["SD"] == {"m"}
    assert units["TP"] == {"mg/L"}
    lake_ids = set(stations.loc[stations["waterbody"] != "river", "station_id"])
    assert set(wq.loc[wq["parameter"].isin(["Chla", "SD"]), "station_id"]) == lake_ids
    assert not wq.duplicated(["station_id", "time", "parameter"]).any()
    # gaps: one station misses a whole year
    years = wq.assign(y=t.dt.year).groupby("station_id")["y"].nunique()
    assert (years < 10).any()
    assert get_path("wq").stat().st_size < 10e6


def test_wq_designed_border_history(wq: pd.DataFrame, stations: gpd.GeoDataFrame) -> None:
    """The 涪江 crossing: upstream meets its NH3-N/TP target, downstream is out of target for many months."""
    st = stations.set_index("station_id")
    fu = st[(st["crossing_river_id"] == "R0045")]
    up = fu.index[fu["role"] == "border_upstream"][0]
    down = fu.index[fu["role"] == "border_downstream"][0]
    nh3 = wq[wq["parameter"] == "NH3_N"].assign(v=lambda d: pd.to_numeric(d["value"].str.removesuffix("L")))
    limit = {2: 0.5, 3: 1.0, 4: 1.5}
    out_up = (nh3.loc[nh3["station_id"] == up, "v"] > limit[int(st.loc[up, "target_class"])]).sum()
    out_down = (nh3.loc[nh3["station_id"] == down, "v"] > limit[int(st.loc[down, "target_class"])]).sum()
    assert out_up <= 2
    assert out_down >= 20


# ----------------------------------------------------------------------------------------------- rasters
@pytest.mark.parametrize("name", ["population", "gdp"])
def test_rasters_metric_1km_nodata(name: str) -> None:
    with rasterio.open(get_path(name)) as src:
        assert CRS.from_wkt(src.crs.to_wkt()).equals(CRS.from_user_input(DEFAULT_METRIC_CRS))
        assert src.res == (1000.0, 1000.0)
        assert src.nodata == -9999
        assert src.dtypes[0] == "float32"
        assert src.profile["compress"].lower() == "deflate"
        assert src.profile["tiled"]
        arr = src.read(1, masked=True)
    assert 0.3 < arr.mask.mean() < 0.8
    assert arr.min() > 0
    assert arr.max() > 50 * np.ma.median(arr)  # city peaks over a rural background


def test_population_is_sparse_on_the_western_plateau() -> None:
    with rasterio.open(get_path("population")) as src:
        arr = src.read(1, masked=True)
    ncol = arr.shape[1]
    west, east = arr[:, : ncol // 4], arr[:, ncol // 2 :]
    assert np.ma.median(west) * 10 < np.ma.median(east)


# ------------------------------------------------------------------------------------------- the build
SCRIPT = REPO / "scripts" / "build_demo_data.py"


def _source_dir() -> Path | None:
    """The shared curated layers, where scripts/build_demo_data.py looks for them by default."""
    for cand in (REPO.parent / "shared" / "geodata", REPO.parents[1] / "shared" / "geodata"):
        if (cand / "rivers.gpkg").exists():
            return cand
    return None


@pytest.mark.slow
def test_build_reproduces_geodata(tmp_path: Path) -> None:
    """A fresh build gives the committed files.

    On one software stack the build is byte-identical (timestamps are pinned); here the files are compared by
    content, with a tolerance of one rounding step for numbers and 1e-9 degrees for coordinates, so that a
    different GDAL (file layout, README file sizes) or a last-bit difference of numpy's ``exp`` does not fail.
    """
    src = _source_dir()
    if src is None:
        pytest.skip("shared source layers (../shared/geodata) not available")
    out = tmp_path / "g"
    subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), "--source", str(src)], check=True,
                   capture_output=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in GEODATA.iterdir())
    sizes = re.compile(r"\| [0-9.]+ MB \|")
    readme = [sizes.sub("| MB |", (d / "README.md").read_text(encoding="utf-8")) for d in (GEODATA, out)]
    assert readme[0] == readme[1]
    a, b = (pd.read_csv(d / "wq_monthly.csv", dtype=str, keep_default_na=False) for d in (GEODATA, out))
    keys = ["station_id", "time", "parameter", "unit"]
    pd.testing.assert_frame_equal(a[keys], b[keys])
    assert (a["value"].str.endswith("L") == b["value"].str.endswith("L")).all()
    va, vb = (pd.to_numeric(x["value"].str.removesuffix("L")) for x in (a, b))
    step = 10.0 ** -a["value"].str.removesuffix("L").str.split(".").str[1].str.len().fillna(0)
    assert ((va - vb).abs() <= step * 1.01).all()
    for f in sorted(GEODATA.glob("*.gpkg")):
        for layer, _ in pyogrio.list_layers(f):
            ga = pyogrio.read_dataframe(f, layer=layer)
            gb = pyogrio.read_dataframe(out / f.name, layer=layer)
            pd.testing.assert_frame_equal(ga.drop(columns="geometry"), gb.drop(columns="geometry"))
            assert shapely.equals_exact(ga.geometry.values, gb.geometry.values, 1e-9).all(), (f.name, layer)
    for f in sorted(GEODATA.glob("*.tif")):
        with rasterio.open(f) as ra, rasterio.open(out / f.name) as rb:
            assert ra.profile == rb.profile
            assert np.allclose(ra.read(1), rb.read(1), rtol=1e-6, atol=1.0)
