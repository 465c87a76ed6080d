"""Grow a dense, topologically valid river network of about N reaches from the real demo network (seeded).

The demo network (``geodata/rivers.gpkg``, 80 WDB-II reaches) is the trunk. New reaches are the streams of a
synthetic drainage grid over the Sichuan + Chongqing region (``geodata/admin.gpkg``), computed in the
metric CRS
(China Albers):

1. the region is rasterised at a cell size chosen from N (``cell = sqrt(area / (N * CELLS_PER_REACH))``); the
   cells the demo rivers touch are the outlets;
2. every other cell drains along its least-cost path to an outlet: a multi-source Dijkstra
   (``scipy.sparse.csgraph.dijkstra``) over the 8-neighbour grid with a random, spatially correlated cost
   (log-normal fractal noise). The predecessor tree is a D8 flow-direction raster without depressions or
   loops; least-cost trees on rough cost fields branch like river networks;
3. upstream area (``pyflwdir``) and a threshold (searched so that the network has about N reaches) give the
   stream cells, vectorised by ``pyflwdir`` into segments split at confluences;
4. every stream that reaches an outlet cell is extended to its nearest point on the demo network, and the demo
   reach is split there (so the end vertex of every reach is bit-identical to the start of its downstream
   reach);
5. levels follow the Yangtze hierarchy: a stream entering a level-k river is level k+1; at a new confluence
   the
   branch with the larger upstream area continues the river (same level, same ``stem_id``), the other starts
   a new river one level lower (k+1);
6. the topology is checked (ids, acyclic, drains to an original outlet, no crossings, level rule,
   end == start)
   and the rare stream whose connecting piece would cross another reach is removed with everything upstream.

Facilities (uniform over the region) and stations (on reach mid-points) are written at matching density, with
a monthly water-quality series per station in the long layout of ``geodata/wq_monthly.csv`` (each station
resamples the series of a demo river station, scaled by a per-station log-normal factor), plus a project file
``basin.yml`` for ``basin run``.

Usage::

    python scripts/make_dense_network.py 100000 --out /tmp/dense100k          # about a minute
    python scripts/make_dense_network.py 2000 --out /tmp/dense2k --facilities 2000 --stations 20
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import Geod
from scipy import sparse
from scipy.sparse import csgraph

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # this checkout's basin

#: Grid cells per reach: with ~40 cells per reach the stream threshold comes out near 20 cells.
CELLS_PER_REACH = 40
#: Cost noise: log-normal, sigma of the log; spectral exponent of the amplitude (1 = 1/f).
COST_SIGMA = 2.5
COST_BETA = 0.9
#: Deepest level of the data model (basin.io rivers schema).
MAX_LEVEL = 9
SOURCE = "SYNTHETIC: scripts/make_dense_network.py (least-cost drainage grid grown from the demo network)"
GEOD = Geod(ellps="WGS84")
_D8 = np.array([[32, 64, 128], [16, 0, 1], [8, 4, 2]], dtype=np.uint8)  # pyflwdir D8 codes by (dr, dc)


def log(msg: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ------------------------------------------------------------------------------------------------- grid
def _fbm(shape: tuple[int, int], beta: float, rng: np.random.Generator) -> np.ndarray:
    """Unit-variance fractal noise (spectral synthesis: amplitude ~ k^-beta)."""
    nr, nc = shape
    ky = np.fft.fftfreq(nr)[:, None]
    kx = np.fft.rfftfreq(nc)[None, :]
    k = np.sqrt(kx**2 + ky**2)
    k[0, 0] = 1.0
    spec = (rng.normal(size=k.shape) + 1j * rng.normal(size=k.shape)) * k ** (-beta)
    spec[0, 0] = 0.0
    n = np.fft.irfft2(spec, s=shape)
    return (n / n.std()).astype("float32")


def drainage_grid(
    region: shapely.Geometry, rivers: np.ndarray, cell: float, rng: np.random.Generator
) -> tuple[Any, np.ndarray, np.ndarray, Affine]:
    """Return (FlwdirRaster, outlet mask, valid mask, transform) of the least-cost drainage tree."""
    import pyflwdir
    import rasterio.features

    x0, y0, x1, y1 = region.bounds
    nc = int(np.ceil((x1 - x0) / cell)) + 2
    nr = int(np.ceil((y1 - y0) / cell)) + 2
    tr = Affine(cell, 0, x0 - cell, 0, -cell, y1 + cell)
    valid = rasterio.features.rasterize(
        [region], out_shape=(nr, nc), transform=tr, fill=0, default_value=1, dtype="uint8"
    ).astype(bool)
    outlet = rasterio.features.rasterize(
        list(rivers),
        out_shape=(nr, nc),
        transform=tr,
        fill=0,
        default_value=1,
        all_touched=True,
        dtype="uint8",
    ).astype(bool)
    outlet &= valid
    cost = np.exp(COST_SIGMA * _fbm((nr, nc), COST_BETA, rng)).ravel()
    ncell = nr * nc
    vflat = valid.ravel()
    grid = np.arange(ncell).reshape(nr, nc)
    rows, cols, w = [], [], []
    for dr, dc in ((0, 1), (1, 0), (1, 1), (1, -1)):
        a = grid[: nr - dr, max(0, -dc) : nc - max(0, dc)].ravel()
        b = a + dr * nc + dc
        ok = vflat[a] & vflat[b]
        a, b = a[ok], b[ok]
        rows.append(a)
        cols.append(b)
        w.append(0.5 * (cost[a] + cost[b]) * np.hypot(dr, dc))
    graph = sparse.csr_matrix(
        (np.concatenate(w), (np.concatenate(rows), np.concatenate(cols))), shape=(ncell, ncell)
    )
    src = np.flatnonzero(outlet.ravel())
    _, pred, _ = csgraph.dijkstra(graph, directed=False, indices=src, min_only=True, return_predecessors=True)
    d8 = np.full(ncell, 247, dtype=np.uint8)  # 247 = nodata (pyflwdir)
    has = pred >= 0
    step = pred[has] - np.flatnonzero(has)
    dr = np.rint(step / nc).astype(int)
    dc = step - dr * nc
    d8[has] = _D8[dr + 1, dc + 1]
    d8[src] = 0  # pits
    flw = pyflwdir.from_array(d8.reshape(nr, nc), ftype="d8", transform=tr, latlon=False, check_ftype=False)
    return flw, outlet, valid, tr


def _dedupe(c: np.ndarray) -> np.ndarray:
    """Drop repeated consecutive vertices."""
    keep = np.concatenate([[True], (np.diff(c, axis=0) != 0).any(axis=1)])
    return c[keep]


def _count_reaches(upa: np.ndarray, ids_ds: np.ndarray, outlet: np.ndarray, thr: int) -> tuple[int, int]:
    """Number of stream segments and of stream mouths on outlet cells for an upstream-area threshold."""
    stream = (upa >= thr) & ~outlet
    idx = np.flatnonzero(stream)
    ds = ids_ds[idx]
    inner = stream[ds] & (ds != idx)
    nup = np.bincount(ds[inner], minlength=upa.size)
    nseg = int(np.sum(~inner | (nup[ds] >= 2)))
    return nseg, int(np.sum(~inner))


# ------------------------------------------------------------------------------------------------ build
def grow(
    rivers: gpd.GeoDataFrame, region: shapely.Geometry, n: int, seed: int
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Return the dense network (metric CRS) and figures about it."""
    rng = np.random.default_rng(seed)
    n_new = max(n - len(rivers), 10)
    cell = float(np.sqrt(region.area / (n_new * CELLS_PER_REACH)))
    t0 = time.perf_counter()
    flw, outlet, valid, tr = drainage_grid(region, rivers.geometry.values, cell, rng)
    log(
        f"drainage grid {flw.shape[0]}x{flw.shape[1]} cells of {cell:.0f} m "
        f"in {time.perf_counter() - t0:.1f} s"
    )
    upa = np.asarray(flw.upstream_area("cell"), dtype=np.int64).ravel()
    ids_ds = np.asarray(flw.idxs_ds).ravel()
    oflat = outlet.ravel()
    # threshold: every mouth on a demo reach adds about one piece (the split) -> count both
    lo, hi = 2, 100_000
    while lo < hi:
        mid = (lo + hi) // 2
        nseg, nmouth = _count_reaches(upa, ids_ds, oflat, mid)
        if nseg + nmouth + len(rivers) > n:
            lo = mid + 1
        else:
            hi = mid
    thr = lo
    if thr > 2:  # pick the closer of the two neighbouring thresholds
        a = sum(_count_reaches(upa, ids_ds, oflat, thr - 1)) + len(rivers)
        b = sum(_count_reaches(upa, ids_ds, oflat, thr)) + len(rivers)
        thr = thr - 1 if abs(a - n) < abs(b - n) else thr
    nr, nc = flw.shape
    rows_i, cols_i = np.mgrid[0:nr, 0:nc]
    mask = (upa.reshape(nr, nc) >= thr) & ~outlet
    feats = flw.streams(mask=mask, xs=cols_i.astype(float), ys=rows_i.astype(float))
    log(f"threshold {thr} cells ({thr * cell * cell / 1e6:.2f} km²): {len(feats)} stream segments")

    # segments as (col, row) cell sequences; pyflwdir also emits the outlet (pit) cell a stream flows into:
    # one-cell segments on an outlet cell are dropped, and a segment ending on an outlet cell stops at the
    # cell before it (the step into the outlet cell may cross the demo river inside that cell) - the
    # connector to the nearest river point replaces that step
    segs = [np.asarray(f["geometry"]["coordinates"], dtype=float) for f in feats]

    def cell_of(c: np.ndarray) -> int:
        return int(c[1]) * nc + int(c[0])

    segs = [s for s in segs if not oflat[cell_of(s[0])]]
    segs = [s[:-1] if oflat[cell_of(s[-1])] else s for s in segs]
    first = np.array([cell_of(s[0]) for s in segs])
    last = np.array([cell_of(s[-1]) for s in segs])
    # a segment ends on the first cell of its downstream segment (a confluence), else it flows into an outlet
    seg_of_first = {int(c): i for i, c in enumerate(first)}
    down_seg = np.array(
        [seg_of_first.get(int(c), -1) if c != f else -1 for c, f in zip(last, first, strict=True)]
    )
    bad = (down_seg == -1) & ~oflat[ids_ds[last]]
    if bad.any():
        msg = f"{int(bad.sum())} segments end neither on a confluence nor at an outlet"
        raise RuntimeError(msg)

    def to_xy(s: np.ndarray) -> np.ndarray:
        x = tr.c + (s[:, 0] + 0.5) * tr.a
        y = tr.f + (s[:, 1] + 0.5) * tr.e
        return np.column_stack([x, y])

    coords = [_dedupe(to_xy(s)) for s in segs]
    # mouths: extend to the nearest point of the demo network
    rg = rivers.geometry.values
    tree = shapely.STRtree(rg)
    mouth_i = np.flatnonzero(down_seg == -1)
    ends = shapely.points(np.array([coords[i][-1] for i in mouth_i]))
    _, near = tree.query_nearest(ends, return_distance=False, all_matches=False)
    m = shapely.line_locate_point(rg[near], ends)
    lengths = shapely.length(rg)
    # a mouth exactly at the downstream end of a demo reach joins the reach below (or is dropped at an outlet)
    at_end = m >= lengths[near]
    splits: dict[int, list[float]] = {}
    for r, mm, e in zip(near, m, at_end, strict=True):
        if not e:
            splits.setdefault(int(r), []).append(float(mm))
    splits = {r: sorted(set(ms)) for r, ms in splits.items()}

    # pieces of the demo reaches: (reach position, m0, m1) from downstream up; each split point is
    # computed once
    piece_geom: list[shapely.Geometry] = []
    piece_info: list[tuple[int, float, float]] = []
    point_at: dict[tuple[int, float], np.ndarray] = {}
    for r in range(len(rivers)):
        c = shapely.get_coordinates(rg[r])
        cum = np.concatenate([[0.0], np.cumsum(np.hypot(*np.diff(c, axis=0).T))])
        total = cum[-1]
        cuts = [k for k in splits.get(r, []) if 0.0 < k < total]
        bounds = [0.0, *cuts, total]
        for k in cuts:
            point_at[(r, k)] = shapely.get_coordinates(shapely.line_interpolate_point(rg[r], k))[0]
        point_at[(r, 0.0)] = c[0]
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            pa = c[0] if a == 0.0 else point_at[(r, a)]
            pb = c[-1] if b == total else point_at[(r, b)]
            inner = c[(cum > a) & (cum < b)]
            piece_geom.append(shapely.linestrings(np.vstack([pa, inner, pb])))
            piece_info.append((r, a, b))
    # downstream-most piece keeps the demo id
    info = pd.DataFrame(piece_info, columns=["r", "m0", "m1"])
    info["k"] = info.groupby("r")["m0"].rank(ascending=False, method="first").astype(int) - 1
    demo_ids = rivers["river_id"].astype(str).to_numpy()
    info["river_id"] = [
        demo_ids[r] if k == 0 else f"{demo_ids[r]}_{k}" for r, k in zip(info["r"], info["k"], strict=True)
    ]
    piece_by = {(int(r), float(a)): i for i, (r, a) in enumerate(zip(info["r"], info["m0"], strict=True))}
    top_piece = info.loc[info.groupby("r")["m0"].idxmin()].set_index("r")["river_id"].to_dict()
    # downstream of each piece
    orig_down = rivers["downstream_id"].astype("string").to_numpy()
    id_to_pos = {v: i for i, v in enumerate(demo_ids)}
    by_rk = {(int(r), int(k)): v for r, k, v in zip(info["r"], info["k"], info["river_id"], strict=True)}
    pdown: list[str | None] = []
    for r, k in zip(info["r"], info["k"], strict=True):
        if k == 0:
            d = orig_down[r]
            pdown.append(None if pd.isna(d) else top_piece[id_to_pos[str(d)]])
        else:
            pdown.append(by_rk[(int(r), int(k) - 1)])
    # new segments: ids, downstream, mouth extension
    new_down: list[str | None] = [None] * len(segs)
    new_ids = [f"N{i + 1:07d}" for i in range(len(segs))]  # renumbered below
    orphan = []
    for j, i in enumerate(mouth_i):
        r, mm = int(near[j]), float(m[j])
        if at_end[j]:
            d = orig_down[r]
            if pd.isna(d):
                orphan.append(i)
                continue
            r, mm = id_to_pos[str(d)], 0.0
        coords[i] = np.vstack([coords[i], point_at[(r, mm)]])
        new_down[i] = str(info["river_id"].iloc[piece_by[(r, mm)]])
    for i, d in enumerate(down_seg):
        if d >= 0:
            new_down[i] = new_ids[d]
    new_geom = np.array([shapely.linestrings(c) for c in coords])
    # inflow size of each segment: upstream area of its last own cell (before the confluence / outlet)
    own_last = np.array(
        [
            cell_of(s[-2]) if len(s) > 1 and d >= 0 else cell_of(s[-1])
            for s, d in zip(segs, down_seg, strict=True)
        ]
    )
    size = upa[own_last]
    figures = {"cell_m": cell, "threshold_cells": thr, "threshold_km2": thr * cell * cell / 1e6}
    return _assemble(
        rivers, info, piece_geom, pdown, new_geom, new_ids, new_down, size, down_seg, near, mouth_i
    ), figures


def _assemble(
    rivers: gpd.GeoDataFrame,
    info: pd.DataFrame,
    piece_geom: list[shapely.Geometry],
    pdown: list[str | None],
    new_geom: np.ndarray,
    new_ids: list[str],
    new_down: list[str | None],
    size: np.ndarray,
    down_seg: np.ndarray,
    near: np.ndarray,
    mouth_i: np.ndarray,
) -> gpd.GeoDataFrame:
    """Levels, stems and attributes; one GeoDataFrame in the metric CRS."""
    r = info["r"].to_numpy()
    base = rivers.iloc[r].reset_index(drop=True)
    demo = gpd.GeoDataFrame(
        {
            "river_id": info["river_id"].to_numpy(),
            "name": base["name"].to_numpy(),
            "name_en": base["name_en"].to_numpy() if "name_en" in base else None,
            "level": base["level"].astype(int).to_numpy(),
            "downstream_id": pdown,
            "basin": base["basin"].to_numpy(),
            "parent_id": base["parent_id"].to_numpy(),
            "stem_id": base["stem_id"].to_numpy(),
            "connected": base["connected"].to_numpy(),
            "context_only": base["context_only"].to_numpy(),
            "synthetic": False,
            "source": base["source"].to_numpy(),
        },
        geometry=piece_geom,
        crs=rivers.crs,
    )
    # levels and stems of the new segments, downstream first (inflow size decreases upstream)
    nseg = len(new_geom)
    level = np.full(nseg, -1, dtype=int)
    stem = np.full(nseg, -1, dtype=int)
    parent: list[str | None] = [None] * nseg
    mouth_piece_level = {}
    for j, i in enumerate(mouth_i):
        mouth_piece_level[int(i)] = int(rivers["level"].iloc[int(near[j])])
    ups: dict[int, list[int]] = {}
    for i, d in enumerate(down_seg):
        if d >= 0:
            ups.setdefault(int(d), []).append(i)
    n_stems = 0
    order = np.argsort(-size, kind="stable")
    basin = np.empty(nseg, dtype=object)
    connected = np.zeros(nseg, dtype=bool)
    demo_basin = dict(zip(demo["river_id"], demo["basin"], strict=True))
    demo_conn = dict(zip(demo["river_id"], demo["connected"], strict=True))
    for i in order:  # the mouths first (largest inflow); a segment is processed before those upstream of it
        if down_seg[i] == -1 and new_down[i] is not None:
            level[i] = mouth_piece_level[int(i)] + 1
            stem[i] = n_stems
            n_stems += 1
            parent[i] = new_down[i]
            basin[i] = demo_basin[new_down[i]]
            connected[i] = bool(demo_conn[new_down[i]])
    # walk upstream from the mouths (breadth first, by inflow size)
    queue = [int(i) for i in order if down_seg[i] == -1 and new_down[i] is not None]
    head = 0
    while head < len(queue):
        d = queue[head]
        head += 1
        kids = sorted(ups.get(d, []), key=lambda k: (-size[k], k))
        for rank, k in enumerate(kids):
            basin[k] = basin[d]
            connected[k] = connected[d]
            if rank == 0:
                level[k], stem[k], parent[k] = level[d], stem[d], parent[d]
            else:
                level[k], stem[k], parent[k] = level[d] + 1, n_stems, new_ids[d]
                n_stems += 1
            queue.append(k)
    # dropped: streams whose mouth is the end node of an outlet reach (level -1, with everything upstream),
    # and
    # rivers below level MAX_LEVEL (the data model's last level) with everything upstream of them
    keep = (level >= 0) & (level <= MAX_LEVEL)
    if (level > MAX_LEVEL).any():
        log(
            f"{int((level > MAX_LEVEL).sum())} reaches of level > {MAX_LEVEL} dropped "
            f"(the data model stops at {MAX_LEVEL})"
        )
    new = gpd.GeoDataFrame(
        {
            "river_id": np.asarray(new_ids)[keep],
            "name": None,
            "name_en": None,
            "level": level[keep],
            "downstream_id": np.asarray(new_down, dtype=object)[keep],
            "basin": basin[keep],
            "parent_id": np.asarray(parent, dtype=object)[keep],
            "stem_id": [f"X{s + 1:06d}" for s in stem[keep]],
            "connected": connected[keep],
            "context_only": False,
            "synthetic": True,
            "source": SOURCE,
        },
        geometry=new_geom[keep],
        crs=rivers.crs,
    )
    out = pd.concat([demo, new], ignore_index=True)
    for c in ("river_id", "name", "name_en", "downstream_id", "basin", "parent_id", "stem_id", "source"):
        out[c] = out[c].astype("string")
    out["connected"] = out["connected"].astype(bool)
    out["context_only"] = out["context_only"].astype(bool)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=rivers.crs)


# ----------------------------------------------------------------------------------------------- checks
def topology_problems(riv: gpd.GeoDataFrame, outlets: set[str]) -> dict[str, Any]:
    """Return counts of topology problems (all 0 for a valid network) and the ids of crossing reaches.

    Checks: unique ids; every ``downstream_id`` exists; acyclic and every reach drains to one of ``outlets``
    (the reaches with ``downstream_id`` null); last vertex == first vertex of the downstream reach; two
    reaches
    meet only at shared end points (no crossing, no touching inside); a reach is either on the river of its
    downstream reach (same ``stem_id``, same level) or one level lower (level + 1).
    """
    ids = riv["river_id"].astype(str).to_numpy()
    pos = {v: i for i, v in enumerate(ids)}
    down = riv["downstream_id"]
    has = down.notna().to_numpy()
    dpos = np.array([pos.get(str(d), -1) if h else -1 for d, h in zip(down, has, strict=True)])
    out: dict[str, Any] = {
        "duplicate_ids": int(len(ids) - len(pos)),
        "missing_downstream": int(((dpos < 0) & has).sum()),
    }
    # acyclic + drains to an outlet: follow pointers with path doubling
    nxt = np.where(dpos >= 0, dpos, np.arange(len(ids)))
    for _ in range(int(np.ceil(np.log2(max(len(ids), 2)))) + 2):
        nxt = nxt[nxt]
    root_ok = np.array([ids[k] in outlets and not has[k] for k in nxt])
    out["not_draining_to_outlet"] = int((~root_ok).sum())
    g = riv.geometry.values
    c_end = shapely.get_coordinates(shapely.get_point(g, -1))
    c_start = shapely.get_coordinates(shapely.get_point(g, 0))
    linked = np.flatnonzero(dpos >= 0)
    out["end_not_start_of_downstream"] = int((c_end[linked] != c_start[dpos[linked]]).any(axis=1).sum())
    # crossings: any intersection other than a shared end point
    tree = shapely.STRtree(g)
    a, b = tree.query(g, predicate="intersects")
    keep = a < b
    a, b = a[keep], b[keep]
    inter = shapely.intersection(g[a], g[b])
    ends = shapely.multipoints(np.stack([c_start, c_end], axis=1))
    ok = shapely.within(inter, shapely.intersection(ends[a], ends[b])) | shapely.is_empty(inter)
    bad = ~ok
    out["crossing_pairs"] = int(bad.sum())
    out["crossing_ids"] = sorted({ids[i] for i in np.concatenate([a[bad], b[bad]])})
    lv = riv["level"].to_numpy()
    stem = riv["stem_id"].astype(str).to_numpy()
    same = (stem[linked] == stem[dpos[linked]]) & (lv[linked] == lv[dpos[linked]])
    trib = lv[linked] == lv[dpos[linked]] + 1
    out["level_rule_broken"] = int((~(same | trib)).sum())
    return out


def drop_upstream(riv: gpd.GeoDataFrame, bad_ids: list[str]) -> gpd.GeoDataFrame:
    """Remove the given synthetic reaches and every reach upstream of them."""
    ups: dict[str, list[str]] = {}
    for rid, d in zip(riv["river_id"].astype(str), riv["downstream_id"], strict=True):
        if pd.notna(d):
            ups.setdefault(str(d), []).append(rid)
    gone = set()
    stack = list(bad_ids)
    while stack:
        x = stack.pop()
        if x in gone:
            continue
        gone.add(x)
        stack += ups.get(x, [])
    return riv[~riv["river_id"].astype(str).isin(gone)].reset_index(drop=True)


# --------------------------------------------------------------------------------- facilities, stations
def make_facilities(region: shapely.Geometry, n: int, rng: np.random.Generator, crs: Any) -> gpd.GeoDataFrame:
    """Uniform random facilities over the region: points; industrial parks as 1-3 km² squares."""
    x0, y0, x1, y1 = region.bounds
    pts: list[np.ndarray] = []
    shapely.prepare(region)
    have = 0
    while have < n:
        k = int((n - have) * 1.6) + 16
        xy = np.column_stack([rng.uniform(x0, x1, k), rng.uniform(y0, y1, k)])
        xy = xy[shapely.contains_xy(region, xy[:, 0], xy[:, 1])]
        pts.append(xy)
        have += len(xy)
    xy = np.vstack(pts)[:n]
    cat = rng.choice(["polluting_facility", "industrial_park", "other"], n, p=[0.45, 0.1, 0.45])
    status = rng.choice(["proposed", "existing"], n)
    geom = shapely.points(xy)
    park = cat == "industrial_park"
    half = np.sqrt(rng.uniform(1e6, 3e6, int(park.sum()))) / 2
    geom[park] = shapely.box(xy[park, 0] - half, xy[park, 1] - half, xy[park, 0] + half, xy[park, 1] + half)
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"F{i + 1:07d}" for i in range(n)],
            "name": [f"示例企业{i + 1}" for i in range(n)],
            "category": cat,
            "status": status,
            "synthetic": True,
            "source": SOURCE,
        },
        geometry=geom,
        crs=crs,
    )


def make_stations(riv: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Stations at the mid-points of randomly chosen reaches (longer reaches more likely)."""
    inside = ~riv["context_only"].to_numpy()
    cand = np.flatnonzero(inside)
    w = shapely.length(riv.geometry.values[cand])
    pick = rng.choice(cand, size=min(n, len(cand)), replace=False, p=w / w.sum())
    pick.sort()
    sel = riv.iloc[pick]
    lv = sel["level"].to_numpy()
    target = np.where(lv <= 1, 2, np.where(lv <= 3, 3, rng.choice([2, 3, 4], len(sel), p=[0.3, 0.5, 0.2])))
    return gpd.GeoDataFrame(
        {
            "station_id": [f"Q{i + 1:05d}" for i in range(len(sel))],
            "name": [f"示例断面{i + 1}" for i in range(len(sel))],
            "river_id": sel["river_id"].to_numpy(),
            "waterbody": "river",
            "target_class": target,
            "synthetic": True,
            "source": SOURCE,
        },
        geometry=shapely.line_interpolate_point(sel.geometry.values, 0.5, normalized=True),
        crs=riv.crs,
    )


def make_series(
    stations: gpd.GeoDataFrame, demo_wq: Path, demo_stations: Path, years: int, rng: np.random.Generator
) -> pd.DataFrame:
    """Long table station_id, time, parameter, value, unit: each station resamples a demo river station."""
    wq = pd.read_csv(demo_wq, dtype={"value": str, "unit": str}, keep_default_na=False)
    ds = gpd.read_file(demo_stations)
    river_st = set(ds.loc[ds["waterbody"] == "river", "station_id"].astype(str))
    wq = wq[wq["station_id"].isin(river_st)]
    t = pd.to_datetime(wq["time"])
    first = t.min()
    wq = wq[t < first + pd.DateOffset(years=years)]
    templates = sorted(wq["station_id"].unique())
    groups = {k: g for k, g in wq.groupby("station_id")}
    params = sorted(wq["parameter"].unique())
    scaled = set(params) - {"pH", "DO", "temperature", "SD"}
    out = []
    for sid in stations["station_id"]:
        g = groups[templates[int(rng.integers(len(templates)))]].copy()
        g["station_id"] = sid
        fac = dict(zip(params, np.exp(rng.normal(0, 0.25, len(params))), strict=True))
        v = g["value"]
        num = pd.to_numeric(v, errors="coerce")
        is_scaled = g["parameter"].isin(scaled) & num.notna()
        f = g["parameter"].map(fac).to_numpy()
        newv = v.copy()
        newv[is_scaled] = [f"{x:.4g}" for x in (num[is_scaled].to_numpy() * f[is_scaled.to_numpy()])]
        g["value"] = newv
        out.append(g)
    return pd.concat(out, ignore_index=True)[["station_id", "time", "parameter", "value", "unit"]]


# ------------------------------------------------------------------------------------------------- main
def figures_of(riv: gpd.GeoDataFrame, region_km2: float) -> dict[str, float]:
    ll = riv.to_crs(4326)
    lengths = np.array([GEOD.geometry_length(g) for g in ll.geometry.values]) / 1e3
    return {
        "reaches": len(riv),
        "synthetic_reaches": int(riv["synthetic"].sum()),
        "total_km": float(lengths.sum()),
        "mean_reach_km": float(lengths.mean()),
        "median_reach_km": float(np.median(lengths)),
        "drainage_density_km_per_km2": float(lengths[~riv["context_only"].to_numpy()].sum() / region_km2),
        "max_level": int(riv["level"].max()),
    }


PROJECT = """\
# basin project file written by scripts/make_dense_network.py ({n} reaches, seed {seed}) - SYNTHETIC data
# grown from the demo network; run it with `python -m basin run basin.yml` (see docs/scale.md)
name: dense network {n} (synthetic)
layers:
  rivers: {{path: rivers.gpkg}}
  lakes: {{path: lakes.gpkg}}
  admin: {{path: admin.gpkg, layer: admin}}
  stations: {{path: stations.gpkg}}
  facilities: {{path: facilities.gpkg}}
water_quality:
  paths: [wq_monthly.csv]
rasters:
  population: population.tif
  gdp: gdp.tif
choices:
  period: year
  units: {{source: reaches, by_county: true}}
  crossborder:
    level: province
    period: month
    schemes: [chongqing_target_trend]
output:
  dir: out
  lang: zh
"""


def main(argv: list[str] | None = None) -> dict[str, Any]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", type=int, help="number of reaches wanted (about; the demo network has 80)")
    ap.add_argument("--out", required=True, type=Path, help="output folder (created; files are replaced)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--facilities", type=int, default=None, help="default: one per reach")
    ap.add_argument("--stations", type=int, default=None, help="default: one per 100 reaches (at least 10)")
    ap.add_argument("--years", type=int, default=10, help="years of monthly series (1-10)")
    ap.add_argument("--data", type=Path, default=ROOT / "geodata", help="the demo data folder")
    args = ap.parse_args(argv)
    from basin.crs import metric_crs

    t0 = time.perf_counter()
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    mcrs = metric_crs()
    demo = gpd.read_file(args.data / "rivers.gpkg", engine="pyogrio")
    admin = gpd.read_file(args.data / "admin.gpkg", layer="admin", engine="pyogrio")
    prov = admin[admin["level"] == "province"].to_crs(mcrs)
    region = shapely.union_all(shapely.make_valid(prov.geometry.values))
    riv_m = demo.to_crs(mcrs)
    riv, figs = grow(riv_m, region, args.n, args.seed)
    log(f"network assembled: {len(riv)} reaches")
    outlets = set(demo.loc[demo["downstream_id"].isna(), "river_id"].astype(str))
    for _ in range(5):
        probs = topology_problems(riv, outlets)
        if not probs["crossing_ids"]:
            break
        bad = [i for i in probs["crossing_ids"] if i.startswith("N")]
        log(
            f"{probs['crossing_pairs']} crossing pair(s): removing {len(bad)} synthetic reach(es) "
            "and their upstream"
        )
        if not bad:
            break
        riv = drop_upstream(riv, bad)
    riv["length_km"] = np.array([GEOD.geometry_length(g) for g in riv.to_crs(4326).geometry.values]) / 1e3
    riv_ll = riv.to_crs(4326)
    probs = topology_problems(riv_ll, outlets)
    crossing = probs.pop("crossing_ids")
    log(f"topology (EPSG:4326): {probs}")
    if any(probs.values()) or crossing:
        msg = f"topology check failed: {probs}"
        raise RuntimeError(msg)
    figs.update(figures_of(riv, region.area / 1e6))
    rng = np.random.default_rng(args.seed + 1)
    nfac = args.facilities if args.facilities is not None else len(riv)
    nst = args.stations if args.stations is not None else max(10, len(riv) // 100)
    fac = make_facilities(region, nfac, rng, mcrs).to_crs(4326)
    st = make_stations(riv, nst, rng).to_crs(4326)
    series = make_series(st, args.data / "wq_monthly.csv", args.data / "stations.gpkg", args.years, rng)
    for name, gdf in (("rivers", riv_ll), ("facilities", fac), ("stations", st)):
        path = out / f"{name}.gpkg"
        path.unlink(missing_ok=True)
        gdf.to_file(path, layer=name, engine="pyogrio")
    series.to_csv(out / "wq_monthly.csv", index=False, encoding="utf-8")
    for f in ("admin.gpkg", "lakes.gpkg", "population.tif", "gdp.tif"):
        shutil.copyfile(args.data / f, out / f)
    (out / "basin.yml").write_text(PROJECT.format(n=len(riv), seed=args.seed), encoding="utf-8")
    figs.update(
        {
            "facilities": len(fac),
            "stations": len(st),
            "wq_rows": len(series),
            "region_km2": region.area / 1e6,
            "seconds": time.perf_counter() - t0,
        }
    )
    log(", ".join(f"{k} {v:.4g}" if isinstance(v, float) else f"{k} {v}" for k, v in figs.items()))
    return figs


if __name__ == "__main__":
    main()
