"""Exactness: facilities at known geodesic distances (pyproj.Geod) all over 97-110.5E, 26-34.5N."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import Transformer

from basin.options import DEFAULT_METRIC_CRS
from basin.zoning import audit_facilities
from basin.zoning.geodesic import GEOD, build_edge_index, local_xy, nearest_points, scale_bounds

RNG_SEED = 20260501
N_LINES = 300


def _world(seed: int = RNG_SEED):
    """Random 3-vertex polylines (edges 5-30 km, geodesic) and points placed perpendicular to an edge interior or
    beyond an end vertex at D * (1 + e), D in {1, 3, 5} km, e in {+-0.5 %, +-0.05 %, +-0.01 %}."""
    rng = np.random.default_rng(seed)
    n = N_LINES
    lon0 = rng.uniform(97.2, 110.3, n)
    lat0 = rng.uniform(26.2, 34.3, n)
    az0 = rng.uniform(0, 360, n)
    len0 = rng.uniform(5_000, 30_000, n)
    lon1, lat1, baz1 = GEOD.fwd(lon0, lat0, az0, len0)
    az1 = baz1 + 180 + rng.uniform(-40, 40, n)  # a bend at the middle vertex
    lon2, lat2, _ = GEOD.fwd(lon1, lat1, az1, rng.uniform(5_000, 30_000, n))
    lines = shapely.linestrings(
        np.stack([np.stack([lon0, lon1, lon2], -1), np.stack([lat0, lat1, lat2], -1)], -1)
    )
    dist = rng.choice([1000.0, 3000.0, 5000.0], n)
    eps = rng.choice([-5e-3, 5e-3, -5e-4, 5e-4, -1e-4, 1e-4], n)
    true = dist * (1 + eps)
    # half the points perpendicular to the first edge (interior foot), half beyond the first vertex
    interior = np.arange(n) % 2 == 0
    frac = rng.uniform(0.2, 0.8, n)
    mlon, mlat, mbaz = GEOD.fwd(lon0, lat0, az0, len0 * frac)
    side = rng.choice([-90.0, 90.0], n)
    plon_i, plat_i, _ = GEOD.fwd(mlon, mlat, mbaz + 180 + side, true)
    # beyond the start vertex, straight back along the first edge: the start vertex is the nearest point
    plon_v, plat_v, _ = GEOD.fwd(lon0, lat0, az0 + 180 + rng.uniform(-30, 30, n), true)
    plon = np.where(interior, plon_i, plon_v)
    plat = np.where(interior, plat_i, plat_v)
    return lines, plon, plat, dist, true


def _alone(lines, plon, plat):
    """Indices of points whose own line is the only line within 10 km (so the truth is known)."""
    tr = Transformer.from_crs(4326, DEFAULT_METRIC_CRS, always_xy=True)
    lm = shapely.transform(lines, lambda c: np.stack(tr.transform(c[:, 0], c[:, 1]), -1))
    pts = shapely.points(*tr.transform(plon, plat))
    qi, li = shapely.STRtree(lm).query(pts, predicate="dwithin", distance=10_000)
    other = np.zeros(len(pts), dtype=bool)
    other[qi[li != qi]] = True
    return np.flatnonzero(~other)


def test_kernel_matches_geod_to_the_millimetre():
    lines, plon, plat, dist, true = _world()
    keep = _alone(lines, plon, plat)
    assert len(keep) > 0.7 * N_LINES
    idx = build_edge_index(lines, np.arange(N_LINES), DEFAULT_METRIC_CRS)
    assert idx.n_edges > 2 * N_LINES  # long edges were split along the geodesic
    tr = Transformer.from_crs(4326, DEFAULT_METRIC_CRS, always_xy=True)
    x, y = tr.transform(plon, plat)
    res = nearest_points(
        idx, plon, plat, x, y, 5100.0, scale_bounds(DEFAULT_METRIC_CRS, (97, 26, 110.5, 34.5))
    )
    assert (res.feature[keep] == keep).all()
    np.testing.assert_allclose(res.distance[keep], true[keep], atol=1e-3, rtol=0)


def test_audit_classifies_every_point_right_where_one_projection_does_not():
    lines, plon, plat, dist, true = _world(RNG_SEED + 1)
    keep = _alone(lines, plon, plat)
    rivers = gpd.GeoDataFrame(
        {"river_id": [f"R{i}" for i in keep], "level": 0, "basin": "长江"}, geometry=lines[keep], crs=4326
    )
    rules = []
    for d in (1000, 3000, 5000):
        rules.append(
            {
                "id": f"D{d}",
                "zone": "A",
                "distance_m": d,
                "rivers": {"levels": [0]},
                "prohibits": ["polluting_facility"],
                "text_zh": "t",
                "text_en": "t",
                "source": "t",
            }
        )
    from basin.zoning.rules import parse_rules

    fac = gpd.GeoDataFrame(
        {"facility_id": [f"F{i}" for i in keep], "category": "polluting_facility", "status": "proposed"},
        geometry=gpd.points_from_xy(plon[keep], plat[keep]),
        crs=4326,
    )
    v = audit_facilities(fac, rivers, rules=parse_rules({"rules": rules}))
    broken = set(zip(v.facility_id, v.rule_id, strict=True))
    wrong = 0
    for i in keep:
        for d in (1000, 3000, 5000):
            truth = true[i] <= d
            wrong += truth != ((f"F{i}", f"D{d}") in broken)
    assert wrong == 0
    # the reported distance of every broken rule is the geodesic one
    own = v.feature_id.str[1:] == v.facility_id.str[1:]
    np.testing.assert_allclose(v.distance_m[own], true[v.facility_id[own].str[1:].astype(int)], atol=1e-3)
    # control: plain China-Albers distances misclassify some of these points, so this test can fail
    tr = Transformer.from_crs(4326, DEFAULT_METRIC_CRS, always_xy=True)
    lm = shapely.transform(lines[keep], lambda c: np.stack(tr.transform(c[:, 0], c[:, 1]), -1))
    pm = shapely.points(*tr.transform(plon[keep], plat[keep]))
    d_albers = shapely.distance(pm, lm)
    assert ((d_albers <= dist[keep]) != (true[keep] <= dist[keep])).sum() > 10


def test_against_brute_force_minimisation():
    """Random points near random polylines: distance equals a golden-section minimum of Geod.inv along every edge."""
    rng = np.random.default_rng(7)
    lons = rng.uniform(97.5, 110, 20)
    lats = rng.uniform(26.5, 34, 20)
    for lon, lat in zip(lons, lats, strict=True):
        # a 6-vertex wiggly line with 1-3 km edges, and a point 0.5-6 km from its first vertex
        az = np.cumsum(rng.uniform(-60, 60, 5)) + rng.uniform(0, 360)
        vx, vy = [lon], [lat]
        for a, s in zip(az, rng.uniform(1000, 3000, 5), strict=True):
            x, y, _ = GEOD.fwd(vx[-1], vy[-1], a, s)
            vx.append(x)
            vy.append(y)
        px, py, _ = GEOD.fwd(vx[2], vy[2], rng.uniform(0, 360), rng.uniform(500, 6000))
        idx = build_edge_index(
            np.array([shapely.LineString(np.c_[vx, vy])]), np.array([0]), DEFAULT_METRIC_CRS
        )
        tr = Transformer.from_crs(4326, DEFAULT_METRIC_CRS, always_xy=True)
        x, y = tr.transform(np.array([px]), np.array([py]))
        res = nearest_points(idx, np.array([px]), np.array([py]), x, y, 20_000, (0.98, 1.02))
        assert res.distance[0] == pytest.approx(_brute(px, py, vx, vy), abs=2e-3)


def _brute(px, py, vx, vy):
    best = np.inf
    for i in range(len(vx) - 1):
        az, _, length = GEOD.inv(vx[i], vy[i], vx[i + 1], vy[i + 1])
        lo, hi = 0.0, length
        g = (np.sqrt(5) - 1) / 2
        for _ in range(60):
            a, b = hi - g * (hi - lo), lo + g * (hi - lo)
            da = GEOD.inv(px, py, *GEOD.fwd(vx[i], vy[i], az, a)[:2])[2]
            db = GEOD.inv(px, py, *GEOD.fwd(vx[i], vy[i], az, b)[:2])[2]
            if da < db:
                hi = b
            else:
                lo = a
        best = min(best, GEOD.inv(px, py, *GEOD.fwd(vx[i], vy[i], az, (lo + hi) / 2)[:2])[2])
    return best


def test_local_frame_error_is_tiny():
    rng = np.random.default_rng(3)
    lon0, lat0 = rng.uniform(97, 110.5, 1000), rng.uniform(26, 34.5, 1000)
    lon1, lat1, _ = GEOD.fwd(lon0, lat0, rng.uniform(0, 360, 1000), rng.uniform(100, 7000, 1000))
    x, y = local_xy(lon0, lat0, lon1, lat1)
    _, _, d = GEOD.inv(lon0, lat0, lon1, lat1)
    assert np.abs(np.hypot(x, y) - d).max() < 0.01  # < 1 cm at up to 7 km; the final distance uses Geod.inv


def test_scale_bounds_of_albers_over_the_region():
    smin, smax = scale_bounds(DEFAULT_METRIC_CRS, (97, 26, 110.5, 34.5))
    assert 0.97 < smin < 0.99 < 1.01 < smax < 1.03


@pytest.mark.parametrize(("use_kd", "k"), [(False, 8), (True, 1), (True, 3), (True, 8)])
def test_fast_path_and_tree_path_agree(monkeypatch, use_kd, k):
    """The k-d tree fast path (with its certificate) and the STRtree path give the same distances."""
    import basin.zoning.geodesic as G

    lines, plon, plat, _, _ = _world(RNG_SEED + 2)
    idx = build_edge_index(lines, np.arange(N_LINES), DEFAULT_METRIC_CRS)
    rng = np.random.default_rng(5)
    lon = np.r_[plon, rng.uniform(97, 110.5, 3000)]
    lat = np.r_[plat, rng.uniform(26, 34.5, 3000)]
    x, y = Transformer.from_crs(4326, DEFAULT_METRIC_CRS, always_xy=True).transform(lon, lat)
    sc = scale_bounds(DEFAULT_METRIC_CRS, (97, 26, 110.5, 34.5))
    monkeypatch.setattr(G, "USE_KD", False)
    ref = nearest_points(idx, lon, lat, x, y, 5000.0, sc)
    monkeypatch.setattr(G, "USE_KD", use_kd)
    monkeypatch.setattr(G, "K_NEAREST", k)
    got = nearest_points(idx, lon, lat, x, y, 5000.0, sc, chunk=1000)
    assert np.isfinite(ref.distance).sum() > 300
    np.testing.assert_array_equal(np.isinf(got.distance), np.isinf(ref.distance))
    fin = np.isfinite(ref.distance)
    np.testing.assert_allclose(got.distance[fin], ref.distance[fin], atol=1e-6)
    np.testing.assert_array_equal(got.feature, ref.feature)
