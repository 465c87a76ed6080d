"""Riparian zone polygons (A / B / C) for maps and area tables.

Zone A is the land within a zone-A rule (R1, 1 km), zone B the land within a zone-B rule (R2 5 km, R3 3 km)
outside A, zone C the rest of the region. Every piece also lists the rules that apply in it. The polygons are
buffers in a metric projection and serve maps and area statistics; whether a facility breaks a rule is decided by
:func:`basin.zoning.audit.audit_facilities` on exact geodesic distances, never by these polygons.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from basin._errors import SchemaError
from basin.crs import metric_crs, require_crs
from basin.zoning.geodesic import GEOD
from basin.zoning.rules import Rule, load_rules

#: Buffer resolution (segments per quarter circle): the chord error at 5 km is 5000*(1-cos(pi/64)) = 6 m.
QUAD_SEGS = 16
#: Longest piece of a river buffered in one local transverse Mercator.
PIECE_M = 100_000.0
#: Short pieces are buffered together, in one transverse Mercator per square tile of this size (metric CRS)...
TILE_M = 50_000.0
#: ... when the bounding box of the tile's pieces has at most this half-diagonal (else one projection per
#: piece).
GROUP_RADIUS_M = 60_000.0

LABEL_C_ZH = "C区（一般管控区）：无选址禁令，严格控制超标排放"
LABEL_C_EN = "Zone C (general control): no siting ban; strict control of discharges above standards"


def _region_polygon(region: gpd.GeoDataFrame, crs: Any) -> shapely.Geometry:
    require_crs(region, "region")
    reg = region
    if "level" in reg.columns and (reg["level"].astype("string") == "province").any():
        reg = reg[reg["level"].astype("string") == "province"]
    polys = reg.geometry.to_crs(crs).to_numpy()
    kinds = set(shapely.get_type_id(polys).tolist())
    if not kinds <= {3, 6}:
        msg = "region: expected polygons (e.g. the provinces of the admin layer)"
        raise SchemaError(msg)
    return shapely.union_all(shapely.make_valid(polys))


def _pieces(geom: shapely.Geometry, max_len_m: float) -> list[shapely.Geometry]:
    """Split a lon/lat line (each part) into consecutive pieces no longer than ~``max_len_m``; polygons whole."""
    if shapely.get_type_id(geom) in (3, 6):
        return [geom]
    out = []
    for part in shapely.get_parts(geom):
        c = shapely.get_coordinates(part)
        if len(c) < 2:
            continue
        _, _, d = GEOD.inv(c[:-1, 0], c[:-1, 1], c[1:, 0], c[1:, 1])
        cum = np.concatenate([[0.0], np.cumsum(d)])
        k = np.floor(cum / max_len_m).astype(int)
        for piece in np.unique(k[:-1]):
            idx = np.flatnonzero(k == piece)
            lo, hi = idx[0], min(idx[-1] + 1, len(c) - 1)
            out.append(shapely.linestrings(c[lo : hi + 1]) if hi > lo else shapely.points(c[lo]))
    return out


def _local_buffer(
    geom_lonlat: shapely.Geometry, distance: float, to_m: Transformer
) -> list[shapely.Geometry]:
    """Buffer one lon/lat feature by ``distance`` metres in transverse Mercators centred on pieces of it.

    The reference for :func:`_tiled_buffer` (one projection per piece, slow for many features): each piece is
    at most :data:`PIECE_M` long, so the scale of its projection differs from 1 by less than
    ``(PIECE_M / 2 + distance)^2 / (2 R^2)``; the buffers are then projected with ``to_m``.
    """
    out = []
    for piece in _pieces(geom_lonlat, PIECE_M):
        c = shapely.centroid(piece)
        out.append(_buffer_in_tm(np.array([piece]), c.x, c.y, distance, to_m))
    return out


def _tm(lon: float, lat: float) -> Transformer:
    return Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        f"+step +proj=tmerc +lat_0={lat:.8f} +lon_0={lon:.8f} +k=1 +ellps=WGS84"
    )


def _buffer_in_tm(
    geoms_lonlat: np.ndarray, lon: float, lat: float, distance: float, to_m: Transformer
) -> shapely.Geometry:
    """Union of the buffers of ``geoms_lonlat`` computed in the transverse Mercator centred at (lon, lat)."""
    tm = _tm(lon, lat)
    g = shapely.transform(geoms_lonlat, lambda a: np.stack(tm.transform(a[:, 0], a[:, 1]), -1))
    b = shapely.union_all(shapely.buffer(g, distance, quad_segs=QUAD_SEGS))
    b = shapely.transform(b, lambda a: np.stack(tm.transform(a[:, 0], a[:, 1], direction="INVERSE"), -1))
    return shapely.transform(b, lambda a: np.stack(to_m.transform(a[:, 0], a[:, 1]), -1))


def _tiled_buffer(geoms_lonlat: np.ndarray, distance: float, to_m: Transformer) -> shapely.Geometry:
    """Union of the buffers of many lon/lat features, each buffered in a transverse Mercator near it.

    Features are cut into pieces of at most :data:`PIECE_M` (geodesic length, :func:`_pieces`). The pieces are
    grouped by the :data:`TILE_M` tile (metric CRS) of their bounding-box centre; a group whose pieces fit in
    a box of half-diagonal :data:`GROUP_RADIUS_M` is buffered in one transverse Mercator centred on that box
    (scale error below ``(GROUP_RADIUS_M + distance)^2 / (2 R^2)`` = 5.2e-5 for a 5 km buffer), the pieces of
    the other groups each in their own (as :func:`_local_buffer`, below
    ``(PIECE_M / 2 + distance)^2 / (2R^2)``).
    One projection per tile instead of per feature: linear in the number of features with a small constant.
    """
    if len(geoms_lonlat) == 0:
        return shapely.Polygon()
    # only features that may be longer than a piece are cut (the metric length is within a few % of geodesic)
    g_m = shapely.transform(geoms_lonlat, lambda a: np.stack(to_m.transform(a[:, 0], a[:, 1]), -1))
    long_ = np.asarray(shapely.length(g_m)) > 0.8 * PIECE_M
    if long_.any():
        parts = [[g] if not lg else _pieces(g, PIECE_M) for g, lg in zip(geoms_lonlat, long_, strict=True)]
        arr = np.array([p for ps in parts for p in ps], dtype=object)
        arr_m = shapely.transform(arr, lambda a: np.stack(to_m.transform(a[:, 0], a[:, 1]), -1))
    else:
        arr, arr_m = geoms_lonlat, g_m
    bb = shapely.bounds(arr_m)
    cx, cy = 0.5 * (bb[:, 0] + bb[:, 2]), 0.5 * (bb[:, 1] + bb[:, 3])
    tx, ty = np.floor(cx / TILE_M).astype(np.int64), np.floor(cy / TILE_M).astype(np.int64)
    to_ll = Transformer.from_crs(to_m.target_crs, 4326, always_xy=True)
    order = np.lexsort((ty, tx))
    keys = np.stack([tx[order], ty[order]], 1)
    cuts = np.flatnonzero((np.diff(keys, axis=0) != 0).any(axis=1)) + 1
    out = []
    for grp in np.split(order, cuts):
        x0, y0 = bb[grp, 0].min(), bb[grp, 1].min()
        x1, y1 = bb[grp, 2].max(), bb[grp, 3].max()
        if np.hypot(x1 - x0, y1 - y0) / 2 <= GROUP_RADIUS_M and len(grp) > 1:
            lon, lat = to_ll.transform(0.5 * (x0 + x1), 0.5 * (y0 + y1))
            out.append(_buffer_in_tm(arr[grp], float(lon), float(lat), distance, to_m))
        else:
            for k in grp:
                c = shapely.centroid(arr[k])
                out.append(_buffer_in_tm(arr[k : k + 1], c.x, c.y, distance, to_m))
    return shapely.union_all(out)


def rule_buffers(
    rivers: gpd.GeoDataFrame, lakes: gpd.GeoDataFrame | None = None, *, rules: Any = None, crs: Any = None
) -> dict[str, shapely.Geometry]:
    """Dissolved buffer polygon of each rule (rule id -> polygon in the metric CRS; empty when nothing triggers).

    Every river and lake is buffered in a transverse Mercator centred near it (see :func:`_tiled_buffer`), so
    the
    buffer width is right on the ground to ~1e-4 wherever the feature lies, then all are unioned in the metric
    CRS.
    """
    rule_list = load_rules(rules)
    mcrs = metric_crs(crs)
    require_crs(rivers, "rivers")
    r_ll = rivers.geometry.to_crs(4326).to_numpy()
    if lakes is not None:
        require_crs(lakes, "lakes")
    l_ll = lakes.geometry.to_crs(4326).to_numpy() if lakes is not None else np.zeros(0, dtype=object)
    to_m = Transformer.from_crs(4326, mcrs, always_xy=True)
    out: dict[str, shapely.Geometry] = {}
    cache: dict[tuple[Any, ...], shapely.Geometry] = {}
    for r in rule_list:
        key = (*r.trigger_key, r.distance_m)
        if key not in cache:
            geoms = np.concatenate([r_ll[r.river_mask(rivers)], l_ll[r.lake_mask(lakes)]])
            cache[key] = _tiled_buffer(geoms, r.distance_m, to_m) if len(geoms) else shapely.Polygon()
        out[r.id] = cache[key]
    return out


def _labels(zone: str, rules: list[Rule]) -> tuple[str, str]:
    if zone == "C":
        return LABEL_C_ZH, LABEL_C_EN
    head_zh = {"A": "A区（严格管控区）", "B": "B区（重点管控区）"}[zone]
    head_en = {"A": "Zone A (strict control)", "B": "Zone B (key control)"}[zone]
    ids = ",".join(r.id for r in rules)
    return (
        f"{head_zh}［{ids}］：" + "；".join(r.text_zh.rstrip("。") for r in rules) + "。",
        f"{head_en} [{ids}]: "
        + " ".join(r.text_en if r.text_en.endswith(".") else r.text_en + "." for r in rules),
    )


def riparian_zones(
    rivers: gpd.GeoDataFrame,
    lakes: gpd.GeoDataFrame | None = None,
    region: gpd.GeoDataFrame | None = None,
    *,
    rules: Any = None,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Build the riparian zone layer: A (zone-A rules), B (zone-B rules outside A), C (rest of the region).

    Parameters
    ----------
    rivers, lakes
        Data-model layers (``level``/``basin`` for rivers, ``connected`` for lakes), any CRS.
    region
        Polygons of the region (e.g. the admin layer; its ``province`` rows are used when it has a ``level``
        column). Without a region, zones A and B are not clipped and there is no zone C.
    rules
        Rule file path, list of rules, or None for the shipped rules.
    crs
        Metric CRS to buffer in (default: the ``metric_crs`` option, China Albers, equal-area).

    Returns
    -------
    geopandas.GeoDataFrame
        One dissolved (multi)polygon per distinct (zone, set of rules), mutually exclusive, in the metric CRS,
        with columns ``zone`` (A/B/C), ``rules`` (comma-separated rule ids applying there, '' in C), ``label_zh``,
        ``label_en``, ``area_km2`` and ``geometry``; ordered A, B, C.
    """
    rule_list = load_rules(rules)
    mcrs = metric_crs(crs)
    buffers = rule_buffers(rivers, lakes, rules=rule_list, crs=mcrs)
    region_geom = _region_polygon(region, mcrs) if region is not None else None
    # split the region (or the union of the buffers) into pieces by the set of rules that cover them
    base = region_geom if region_geom is not None else shapely.union_all(list(buffers.values()))
    pieces: list[tuple[shapely.Geometry, tuple[str, ...]]] = [(base, ())]
    for r in rule_list:
        u = buffers[r.id]
        if u.is_empty:
            continue
        nxt = []
        for geom, ids in pieces:
            inside = shapely.intersection(geom, u)
            outside = shapely.difference(geom, u)
            if not inside.is_empty and inside.area > 0:
                nxt.append((inside, (*ids, r.id)))
            if not outside.is_empty and outside.area > 0:
                nxt.append((outside, ids))
        pieces = nxt
    by_id = {r.id: r for r in rule_list}
    rows = []
    for geom, ids in pieces:
        rs = [by_id[i] for i in ids]
        zone = "A" if any(r.zone == "A" for r in rs) else ("B" if rs else "C")
        if zone == "C" and region_geom is None:
            continue
        zh, en = _labels(zone, rs)
        geom = shapely.make_valid(geom)
        parts = [p for p in shapely.get_parts(geom) if shapely.get_type_id(p) in (3, 6)]
        geom = shapely.multipolygons(parts) if parts else shapely.MultiPolygon()
        rows.append({"zone": zone, "rules": ",".join(ids), "label_zh": zh, "label_en": en, "geometry": geom})
    out = gpd.GeoDataFrame(rows, columns=["zone", "rules", "label_zh", "label_en", "geometry"], crs=mcrs)
    out = out[~out.geometry.is_empty]
    out = out.sort_values(["zone", "rules"], kind="stable").reset_index(drop=True)
    out.insert(4, "area_km2", out.geometry.area / 1e6)
    for c in ("zone", "rules", "label_zh", "label_en"):
        out[c] = out[c].astype("string")
    return out


def zone_areas(zones: gpd.GeoDataFrame, admin: gpd.GeoDataFrame, *, crs: Any = None) -> pd.DataFrame:
    """Area (km²) of each zone per admin unit (provinces and counties).

    Parameters
    ----------
    zones
        Result of :func:`riparian_zones`.
    admin
        Admin polygons with ``admin_id``, ``name`` and optionally ``level`` and ``parent_id``.
    crs
        Metric CRS for the areas (default: the ``metric_crs`` option; use an equal-area one).

    Returns
    -------
    pandas.DataFrame
        Long table: ``admin_id, name, level, parent_id, zone, area_km2, share`` (share of the unit's area, 0-1),
        one row per unit and zone A/B/C (0 when absent), units in the admin layer's order.
    """
    for col in ("admin_id", "name"):
        if col not in admin.columns:
            msg = f"admin: missing column {col!r}; found {list(admin.columns)}"
            raise SchemaError(msg)
    if "zone" not in zones.columns:
        msg = "zones: missing column 'zone' (pass the result of riparian_zones)"
        raise SchemaError(msg)
    mcrs = metric_crs(crs)
    require_crs(admin, "admin")
    require_crs(zones, "zones")
    a_m = shapely.make_valid(admin.geometry.to_crs(mcrs).to_numpy())
    z = zones.to_crs(mcrs)
    z = z.dissolve(by="zone", as_index=False)[["zone", "geometry"]]
    zone_names = ["A", "B", "C"]
    rows = []
    tree = shapely.STRtree(z.geometry.to_numpy())
    ai, zi = tree.query(a_m)
    # clip each zone to the unit's bounding box first (linear time), then intersect the small remainder
    b = shapely.bounds(a_m[ai])
    zg = z.geometry.to_numpy()
    clipped = np.array([shapely.clip_by_rect(zg[j], *bb) for j, bb in zip(zi, b, strict=True)], dtype=object)
    inter = shapely.area(shapely.intersection(a_m[ai], clipped)) / 1e6
    areas = (
        pd.DataFrame({"a": ai, "zone": z["zone"].to_numpy()[zi], "km2": inter})
        .groupby(["a", "zone"])["km2"]
        .sum()
    )
    total = shapely.area(a_m) / 1e6
    level = (
        admin["level"].astype("string") if "level" in admin.columns else pd.Series(pd.NA, index=admin.index)
    )
    parent = (
        admin["parent_id"].astype("string")
        if "parent_id" in admin.columns
        else pd.Series(pd.NA, index=admin.index)
    )
    for i in range(len(admin)):
        for zn in zone_names:
            km2 = float(areas.get((i, zn), 0.0))
            rows.append(
                {
                    "admin_id": admin["admin_id"].iloc[i],
                    "name": admin["name"].iloc[i],
                    "level": level.iloc[i],
                    "parent_id": parent.iloc[i],
                    "zone": zn,
                    "area_km2": km2,
                    "share": km2 / total[i] if total[i] > 0 else np.nan,
                }
            )
    out = pd.DataFrame(rows)
    for c in ("admin_id", "name", "level", "parent_id", "zone"):
        out[c] = out[c].astype("string")
    return out
