"""Exact geodesic distance from facilities to river lines and lake shores, fast on millions of points.

Method (see ``docs/zoning.md`` for the error bound):

1. Rivers and lake shores are cut into **edges**; an edge between two vertices is the WGS84 geodesic between
   them, and edges longer than :data:`MAX_EDGE_M` are split along that geodesic (``Geod.fwd``).
2. **Candidate search** in a metric projection (China Albers by default) with an STRtree of edges. The projection's
   scale lies between ``s_min`` and ``s_max`` over the data's extent (Tissot semi-axes from
   ``pyproj.Proj.get_factors``), so the projected distance ``d_p`` and the geodesic distance ``d_g`` satisfy
   ``d_p / s_max <= d_g <= d_p / s_min``. A point is searched out to ``D * s_max`` (nothing geodesically within
   ``D`` can be missed); the edge that is geodesically nearest has ``d_p <= d_p,min * s_max / s_min``, so only edges
   within that band of the projected nearest edge are kept (usually 1-3).
3. **Geodesic refinement** of the kept edges: in a local frame centred on the facility (mid-latitude
   east/north metres, relative error ~1e-7 at 5 km) the nearest edge and the position ``t`` of the foot on it are
   found; the foot is then placed exactly on the geodesic edge with ``Geod.fwd`` and the reported distance is
   ``Geod.inv(facility, foot)`` - the geodesic length to a point of the river. Its error is second order in the
   foot's position (well below a millimetre at 1-5 km).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Geod, Proj, Transformer

GEOD = Geod(ellps="WGS84")
_A = 6378137.0
_F = 1 / 298.257223563
_E2 = _F * (2 - _F)
#: Longest edge kept; longer edges are split along the geodesic.
MAX_EDGE_M = 1000.0
#: Absolute slack (m) added to every projected search radius (curvature of a projected geodesic edge, rounding).
SLACK_M = 2.0


def scale_bounds(crs: Any, bounds: tuple[float, float, float, float], *, n: int = 41) -> tuple[float, float]:
    """Return ``(s_min, s_max)``: the smallest and largest scale of ``crs`` in any direction over ``bounds``.

    ``bounds`` is ``(lon_min, lat_min, lon_max, lat_max)``; it is widened by 0.5 degrees and sampled on an
    ``n x n`` grid; the extremes are widened by 1e-4 relative for what the grid misses.
    """
    lon0, lat0, lon1, lat1 = bounds
    lon = np.linspace(max(lon0 - 0.5, -180), min(lon1 + 0.5, 180), n)
    lat = np.linspace(max(lat0 - 0.5, -89), min(lat1 + 0.5, 89), n)
    lo, la = np.meshgrid(lon, lat)
    f = Proj(CRS.from_user_input(crs)).get_factors(lo.ravel(), la.ravel())
    smax = float(np.nanmax(f.tissot_semimajor))
    smin = float(np.nanmin(f.tissot_semiminor))
    if not (np.isfinite(smax) and np.isfinite(smin) and smin > 0):
        msg = f"cannot get the scale of {CRS.from_user_input(crs).name!r} over {bounds}"
        raise ValueError(msg)
    return smin * (1 - 1e-4), smax * (1 + 1e-4)


def local_xy(
    lon0: np.ndarray, lat0: np.ndarray, lon: np.ndarray, lat: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """East/north metres of (lon, lat) from (lon0, lat0) with the WGS84 radii at the mid latitude."""
    latm = np.radians((lat0 + lat) / 2)
    w = 1 - _E2 * np.sin(latm) ** 2
    n_rad = _A / np.sqrt(w)
    m_rad = _A * (1 - _E2) / w**1.5
    dlon = (lon - lon0 + 180.0) % 360.0 - 180.0
    return np.radians(dlon) * n_rad * np.cos(latm), np.radians(lat - lat0) * m_rad


def _segments_of(geoms: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(coords (k, 2, 2), owner (k,))``: the straight edges of lines and polygon rings."""
    parts, pidx = shapely.get_parts(geoms, return_index=True)
    is_poly = shapely.get_type_id(parts) == 3
    lines = parts
    lowner = owner[pidx]
    if is_poly.any():
        rings, ridx = shapely.get_rings(parts[is_poly], return_index=True)
        lines = np.concatenate([parts[~is_poly], rings])
        lowner = np.concatenate([lowner[~is_poly], lowner[is_poly][ridx]])
    coords, cidx = shapely.get_coordinates(lines, return_index=True)
    same = cidx[1:] == cidx[:-1]
    start = np.flatnonzero(same)
    seg = np.stack([coords[start], coords[start + 1]], axis=1)
    return seg, lowner[cidx[start]]


@dataclass
class EdgeIndex:
    """Geodesic edges of a set of lines/polygons with an STRtree in a metric projection.

    ``feature`` maps every edge to the index of its feature (0 .. n_features-1). Polygon features are also kept
    whole (``polygons``) so that a point inside one is at distance 0.
    """

    lon1: np.ndarray
    lat1: np.ndarray
    lon2: np.ndarray
    lat2: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    x2: np.ndarray
    y2: np.ndarray
    az: np.ndarray
    length: np.ndarray
    feature: np.ndarray
    crs: CRS
    _tree: shapely.STRtree | None = None
    kd: Any = None  # scipy cKDTree of the edge end points (vertex 2e and 2e+1 belong to edge e)
    max_len: float = 0.0  # longest edge in the projection (m)
    poly_feature: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    poly_tree: shapely.STRtree | None = None
    poly_geoms: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=object))

    @property
    def n_edges(self) -> int:
        """Number of edges."""
        return len(self.lon1)

    @property
    def tree(self) -> shapely.STRtree:
        """STRtree of the edges in the projection (built on first use: the k-d tree path rarely needs it)."""
        if self._tree is None:
            a = np.stack([self.x1, self.y1], -1)
            b = np.stack([self.x2, self.y2], -1)
            self._tree = shapely.STRtree(shapely.linestrings(np.stack([a, b], axis=1)))
        return self._tree


def build_edge_index(
    geoms_lonlat: np.ndarray, owner: np.ndarray, crs: Any, *, max_edge_m: float = MAX_EDGE_M
) -> EdgeIndex:
    """Cut WGS84 lon/lat lines or polygons into geodesic edges no longer than ``max_edge_m`` and index them.

    Parameters
    ----------
    geoms_lonlat
        Shapely geometries in lon/lat degrees (WGS84).
    owner
        Feature index of each geometry (kept per edge).
    crs
        Metric CRS of the candidate search.
    """
    crs = CRS.from_user_input(crs)
    owner = np.asarray(owner, dtype=np.int64)
    geoms_lonlat = np.asarray(geoms_lonlat, dtype=object)
    seg, sown = _segments_of(geoms_lonlat, owner) if len(geoms_lonlat) else (np.zeros((0, 2, 2)), owner[:0])
    lon1, lat1, lon2, lat2 = seg[:, 0, 0], seg[:, 0, 1], seg[:, 1, 0], seg[:, 1, 1]
    az, _, dist = GEOD.inv(lon1, lat1, lon2, lat2)
    keep = dist > 0
    lon1, lat1, lon2, lat2, az, dist, sown = (a[keep] for a in (lon1, lat1, lon2, lat2, az, dist, sown))
    nsub = np.maximum(np.ceil(dist / max_edge_m).astype(np.int64), 1)
    if (nsub > 1).any():
        # split along the geodesic: interior points j/nsub of the way (Geod.fwd), original vertices kept exactly
        rep = np.repeat(np.arange(len(dist)), nsub)
        k = np.arange(len(rep)) - np.repeat(np.cumsum(nsub) - nsub, nsub)
        inner = k > 0  # sub-edges that start at an interior point
        r_in = rep[inner]
        p_lon, p_lat, p_baz = GEOD.fwd(lon1[r_in], lat1[r_in], az[r_in], dist[r_in] * k[inner] / nsub[r_in])
        s_lon, s_lat, s_az = lon1[rep], lat1[rep], az[rep].copy()
        s_lon[inner], s_lat[inner] = p_lon, p_lat
        s_az[inner] = (np.asarray(p_baz) + 360.0) % 360.0 - 180.0  # forward azimuth = back azimuth + 180
        # the end of sub-edge i is the start of sub-edge i+1 of the same edge, or the original end vertex
        last = k == nsub[rep] - 1
        e_lon, e_lat = np.empty_like(s_lon), np.empty_like(s_lat)
        e_lon[:-1], e_lat[:-1] = s_lon[1:], s_lat[1:]
        e_lon[last], e_lat[last] = lon2[rep][last], lat2[rep][last]
        lon1, lat1, lon2, lat2, az, dist, sown = (
            s_lon,
            s_lat,
            e_lon,
            e_lat,
            s_az,
            (dist / nsub)[rep],
            sown[rep],
        )
    to_m = Transformer.from_crs(4326, crs, always_xy=True)
    x1, y1 = to_m.transform(lon1, lat1)
    x2, y2 = to_m.transform(lon2, lat2)
    idx = EdgeIndex(lon1, lat1, lon2, lat2, x1, y1, x2, y2, np.asarray(az), np.asarray(dist), sown, crs)
    if len(x1):
        from scipy.spatial import cKDTree

        ends = np.stack([np.stack([x1, y1], -1), np.stack([x2, y2], -1)], axis=1).reshape(-1, 2)
        idx.kd = cKDTree(ends, balanced_tree=False)
        idx.max_len = float(np.hypot(x2 - x1, y2 - y1).max())
    types = shapely.get_type_id(geoms_lonlat) if len(geoms_lonlat) else np.zeros(0, dtype=int)
    is_poly = np.isin(types, (3, 6))
    if is_poly.any():
        polys = shapely.transform(
            geoms_lonlat[is_poly], lambda c: np.stack(to_m.transform(c[:, 0], c[:, 1]), -1)
        )
        idx.poly_geoms = polys
        idx.poly_feature = owner[is_poly]
        idx.poly_tree = shapely.STRtree(polys)
    return idx


@dataclass
class Nearest:
    """Result of :func:`nearest_points`: per query point, the geodesic distance and the nearest feature."""

    distance: np.ndarray  # metres, inf where nothing within reach
    feature: np.ndarray  # feature index, -1 where nothing within reach


def nearest_points(
    index: EdgeIndex,
    lon: np.ndarray,
    lat: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    max_distance_m: float,
    scale: tuple[float, float],
    *,
    chunk: int = 50_000,
) -> Nearest:
    """Geodesic distance from each point to the nearest edge of ``index``, for points within ``max_distance_m``.

    Parameters
    ----------
    index
        Edges from :func:`build_edge_index`.
    lon, lat
        The points in WGS84 degrees.
    x, y
        The same points in ``index.crs``.
    max_distance_m
        Geodesic reach: points farther than this from every edge get ``inf`` / ``-1``. Points within it get their
        exact geodesic distance and nearest feature.
    scale
        ``(s_min, s_max)`` of ``index.crs`` over the data (:func:`scale_bounds`).
    """
    n = len(lon)
    dist = np.full(n, np.inf)
    feat = np.full(n, -1, dtype=np.int64)
    if n == 0 or (index.n_edges == 0 and index.poly_tree is None):
        return Nearest(dist, feat)
    smin, smax = scale
    reach = max_distance_m * smax + SLACK_M
    for s in range(0, n, chunk):
        sl = slice(s, min(s + chunk, n))
        d, f = _nearest_chunk(index, lon[sl], lat[sl], x[sl], y[sl], reach, smax / smin)
        dist[sl], feat[sl] = d, f
    # beyond the reach the search is not exhaustive: report nothing there
    beyond = dist > max_distance_m
    dist[beyond], feat[beyond] = np.inf, -1
    return Nearest(dist, feat)


def _planar_distance(px, py, x1, y1, x2, y2):
    """Distance from points to segments in the plane (numpy, element-wise)."""
    dx, dy = x2 - x1, y2 - y1
    ll = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(ll > 0, ((px - x1) * dx + (py - y1) * dy) / ll, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(x1 + t * dx - px, y1 + t * dy - py)


def _group_min(key: np.ndarray, value: np.ndarray) -> np.ndarray:
    """Positions of the smallest ``value`` for each distinct ``key`` (the first one on ties)."""
    if len(key) == 0:
        return np.zeros(0, dtype=np.int64)
    if not (key[1:] >= key[:-1]).all():
        order = np.argsort(key, kind="stable")
        return order[_group_min(key[order], value[order])]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    mins = np.minimum.reduceat(value, starts)
    group = np.cumsum(np.r_[True, key[1:] != key[:-1]]) - 1
    hit = np.flatnonzero(value == mins[group])
    first = np.r_[True, group[hit][1:] != group[hit][:-1]]
    return hit[first]


#: Nearest edge end points looked up per point in the k-d tree.
K_NEAREST = 8
#: Use the k-d tree (fast path + exhaustive ball query for the points it cannot certify). False: STRtree for
#: every point, an independent reference path with the same results (tests).
USE_KD = True


def _nearest_chunk(
    index: EdgeIndex,
    lon: np.ndarray,
    lat: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    reach: float,
    ratio: float,
) -> tuple[np.ndarray, np.ndarray]:
    n = len(lon)
    dist = np.full(n, np.inf)
    feat = np.full(n, -1, dtype=np.int64)
    if index.n_edges:
        if USE_KD:
            rest = _nearest_kd(index, lon, lat, px, py, reach, ratio, dist, feat)
            if len(rest):
                _nearest_ball(index, lon, lat, px, py, reach, ratio, dist, feat, rest)
        else:
            _nearest_tree(index, lon, lat, px, py, reach, ratio, dist, feat, np.arange(n))
    if index.poly_tree is not None:
        qi, pj = index.poly_tree.query(shapely.points(px, py), predicate="intersects")
        if len(qi):
            # a point inside (or on) a polygon is at distance 0; the first polygon by feature index wins
            order = np.lexsort((index.poly_feature[pj], qi))
            first = np.ones(len(order), dtype=bool)
            first[1:] = qi[order][1:] != qi[order][:-1]
            qi, pj = qi[order][first], pj[order][first]
            dist[qi] = 0.0
            feat[qi] = index.poly_feature[pj]
    return dist, feat


def _nearest_kd(
    index: EdgeIndex,
    lon: np.ndarray,
    lat: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    reach: float,
    ratio: float,
    dist: np.ndarray,
    feat: np.ndarray,
) -> np.ndarray:
    """Fast path: the edges at the K nearest edge end points; returns the points it cannot certify.

    An edge none of whose end points is among the K nearest has both end points at least ``d_K`` away, hence
    a projected distance of at least ``sqrt(d_K^2 - (L/2)^2)`` (``L`` the longest edge). When that exceeds what
    the geodesically nearest edge can have (``d_min * s_max / s_min``), the K candidates are certainly enough.
    """
    k = min(K_NEAREST, 2 * index.n_edges)
    half = index.max_len / 2
    bound = np.sqrt(reach**2 + half**2) + SLACK_M
    dk, vi = index.kd.query(np.stack([px, py], -1), k=k, distance_upper_bound=bound)
    dk, vi = dk.reshape(len(px), k), vi.reshape(len(px), k)
    valid = vi < 2 * index.n_edges
    e = np.where(valid, vi // 2, 0)
    dp = _planar_distance(px[:, None], py[:, None], index.x1[e], index.y1[e], index.x2[e], index.y2[e])
    dp[~valid] = np.inf
    dmin = dp.min(axis=1)
    far = np.sqrt(np.maximum(dk[:, -1] ** 2 - half**2, 0.0))
    certified = ~valid[:, -1] | (far >= np.minimum(dmin * ratio + SLACK_M, reach))
    todo = certified & (dmin <= reach)
    if todo.any():
        rows = np.flatnonzero(todo)
        cand = dp[rows] <= (dmin[rows] * ratio + SLACK_M)[:, None]
        r2, c2 = np.nonzero(cand)
        pr, ee = rows[r2], e[rows[r2], c2]
        _settle(index, lon, lat, pr, ee, dist, feat)
    return np.flatnonzero(~certified)


def _nearest_ball(
    index: EdgeIndex,
    lon: np.ndarray,
    lat: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    reach: float,
    ratio: float,
    dist: np.ndarray,
    feat: np.ndarray,
    rows: np.ndarray,
) -> None:
    """Exhaustive path for the points ``rows``: every edge with an end point within ``sqrt(reach^2 + (L/2)^2)``.

    An edge within ``reach`` of a point has its foot within ``L/2`` of one of its end points, so that end point is
    within the ball: the candidates are complete.
    """
    radius = np.sqrt(reach**2 + (index.max_len / 2) ** 2) + SLACK_M
    lists = index.kd.query_ball_point(np.stack([px[rows], py[rows]], -1), radius)
    counts = np.fromiter((len(v) for v in lists), dtype=np.int64, count=len(lists))
    if counts.sum() == 0:
        return
    vi = np.concatenate([np.asarray(v, dtype=np.int64) for v in lists if len(v)])
    pi = np.repeat(np.arange(len(rows)), counts)
    _refine_pairs(index, lon, lat, px, py, reach, ratio, dist, feat, rows, pi, vi // 2)


def _refine_pairs(
    index: EdgeIndex,
    lon: np.ndarray,
    lat: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    reach: float,
    ratio: float,
    dist: np.ndarray,
    feat: np.ndarray,
    rows: np.ndarray,
    pi: np.ndarray,
    ej: np.ndarray,
) -> None:
    """Given complete candidate pairs (position in ``rows``, edge), keep the band and refine geodesically."""
    qx, qy = px[rows], py[rows]
    dp = _planar_distance(qx[pi], qy[pi], index.x1[ej], index.y1[ej], index.x2[ej], index.y2[ej])
    near = dp <= reach
    pi, ej, dp = pi[near], ej[near], dp[near]
    if len(pi) == 0:
        return
    best = _group_min(pi, dp)
    dmin = np.full(len(rows), np.inf)
    dmin[pi[best]] = dp[best]
    keep = dp <= np.minimum(dmin[pi] * ratio + SLACK_M, reach)
    _settle(index, lon, lat, rows[pi[keep]], ej[keep], dist, feat)


def _settle(
    index: EdgeIndex,
    lon: np.ndarray,
    lat: np.ndarray,
    pts: np.ndarray,
    edges: np.ndarray,
    dist: np.ndarray,
    feat: np.ndarray,
) -> None:
    """From candidate pairs (point, edge), keep each point's locally nearest edge and store its geodesic distance."""
    d_loc, t = _local_distance(index, lon[pts], lat[pts], edges)
    best = _group_min(pts, d_loc)
    bp, be, bt = pts[best], edges[best], t[best]
    dist[bp] = _exact(index, lon[bp], lat[bp], be, bt)
    feat[bp] = index.feature[be]


def _nearest_tree(
    index: EdgeIndex,
    lon: np.ndarray,
    lat: np.ndarray,
    px: np.ndarray,
    py: np.ndarray,
    reach: float,
    ratio: float,
    dist: np.ndarray,
    feat: np.ndarray,
    rows: np.ndarray,
) -> None:
    """Return the reference path (STRtree of edges) for the points ``rows``.

    That is every edge whose box is within ``reach``.
    """
    qx, qy = px[rows], py[rows]
    pi, ej = index.tree.query(shapely.box(qx - reach, qy - reach, qx + reach, qy + reach))
    if len(pi):
        _refine_pairs(index, lon, lat, px, py, reach, ratio, dist, feat, rows, pi, ej)


def _local_distance(
    index: EdgeIndex, lon: np.ndarray, lat: np.ndarray, e: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each point to edge ``e`` in the point's local east/north frame, and the foot parameter t."""
    x1, y1 = local_xy(lon, lat, index.lon1[e], index.lat1[e])
    x2, y2 = local_xy(lon, lat, index.lon2[e], index.lat2[e])
    dx, dy = x2 - x1, y2 - y1
    ll = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(ll > 0, -(x1 * dx + y1 * dy) / ll, 0.0)
    t = np.clip(t, 0.0, 1.0)
    return np.hypot(x1 + t * dx, y1 + t * dy), t


def _exact(index: EdgeIndex, lon: np.ndarray, lat: np.ndarray, e: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Geodesic distance from the points to the foot at parameter t on geodesic edge e (Geod.fwd, Geod.inv)."""
    flon, flat, _ = GEOD.fwd(index.lon1[e], index.lat1[e], index.az[e], index.length[e] * t)
    at_end = t >= 1.0
    flon = np.where(at_end, index.lon2[e], flon)
    flat = np.where(at_end, index.lat2[e], flat)
    _, _, d = GEOD.inv(lon, lat, flon, flat)
    return np.asarray(d)


def nearest_polygon(
    index: EdgeIndex,
    geom_lonlat: shapely.Geometry,
    geom_m: shapely.Geometry,
    max_distance_m: float,
    scale: tuple[float, float],
) -> tuple[float, int]:
    """Geodesic distance from one polygon (a facility) to the nearest feature of ``index``: ``(distance, feature)``.

    The polygon and the candidate edges are projected to an azimuthal equidistant projection centred on the
    polygon; the nearest pair of points found there is measured with ``Geod.inv``. A polygon that touches a
    line or a polygon of the index is at distance 0. Returns ``(inf, -1)`` beyond ``max_distance_m``.
    """
    smin, smax = scale
    reach = max_distance_m * smax + SLACK_M
    best_d, best_f = np.inf, -1
    if index.poly_tree is not None:
        hits = index.poly_tree.query(geom_m, predicate="intersects")
        if len(hits):
            return 0.0, int(index.poly_feature[hits].min())
    if index.n_edges == 0:
        return best_d, best_f
    cand = index.tree.query(geom_m, predicate="dwithin", distance=reach)
    if len(cand) == 0:
        return best_d, best_f
    c = shapely.centroid(geom_lonlat)
    # the pipeline of Transformer.from_crs(4326, aeqd, always_xy=True), built directly: the same numbers,
    # 1000x faster to create (the CRS-to-CRS operation search took ~30 ms per polygon)
    tr = Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=aeqd +lat_0={c.y:.10f} +lon_0={c.x:.10f} +x_0=0 +y_0=0 +ellps=WGS84"
    )
    poly = shapely.transform(geom_lonlat, lambda a: np.stack(tr.transform(a[:, 0], a[:, 1]), -1))
    x1, y1 = tr.transform(index.lon1[cand], index.lat1[cand])
    x2, y2 = tr.transform(index.lon2[cand], index.lat2[cand])
    edges = shapely.linestrings(np.stack([np.stack([x1, y1], -1), np.stack([x2, y2], -1)], axis=1))
    d = shapely.distance(poly, edges)
    if (d == 0).any():
        return 0.0, int(index.feature[cand[d == 0]].min())
    k = int(np.argmin(d))
    if d[k] > reach * 1.01:
        return best_d, best_f
    line = shapely.shortest_line(poly, edges[k])
    (px, py), (qx, qy) = shapely.get_coordinates(line)
    plon, plat = tr.transform(px, py, direction="INVERSE")
    qlon, qlat = tr.transform(qx, qy, direction="INVERSE")
    _, _, g = GEOD.inv(plon, plat, qlon, qlat)
    return float(g), int(index.feature[cand[k]])
