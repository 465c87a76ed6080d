"""The three-level management map: 优先保护区 / 重点管控区 / 一般维护区 (priority / key / general).

Rules (``basin/units/config/management.yaml``, replaceable): levels are applied in order and an area takes
the first level whose rule it meets. Default: priority = riparian zone A, plus the ecological red line and
drinking-water sources when supplied; key = riparian zone B plus the units of class HPLC (高压低容), outside
priority; general = the rest of the units. Source: DOMAIN.md sections 0 and 5.1.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from basin._errors import SchemaError
from basin.crs import require_crs
from basin.units.config import MGMT_LEVELS, load_rules
from basin.units.derive import _polygonal
from basin.units.indicators import PIECE_VERTICES, _subdivide, working_crs

__all__ = ["LABELS", "management_area_table", "management_zones"]

LABELS = pd.DataFrame(
    {
        "mgmt_zone": list(MGMT_LEVELS),
        "label_zh": ["优先保护区", "重点管控区", "一般维护区"],
        "label_en": ["priority protection", "key control", "general maintenance"],
    }
)


def _parts(gdf: gpd.GeoDataFrame | None, target: Any, what: str) -> np.ndarray | None:
    if gdf is None or len(gdf) == 0:
        return None
    require_crs(gdf, what)
    geoms = gdf.to_crs(target).geometry.values
    geoms = geoms[~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)]
    if len(geoms) == 0:
        return None
    return shapely.get_parts(shapely.make_valid(np.asarray(geoms, dtype=object)))


def _clip_units(ugeoms: np.ndarray, parts: Any, max_vertices: int = PIECE_VERTICES) -> np.ndarray:
    """Return each unit's intersection with the union of ``parts`` (empty where it meets none).

    The parts are first cut into pieces of at most :data:`basin.units.indicators.PIECE_VERTICES` vertices, so
    that each intersection only sees the nearby part of a large dissolved zone; a unit inside one piece is
    taken whole, without an overlay. The pieces of a unit are unioned (they only touch along the cut lines).
    """
    n = len(ugeoms)
    out = np.full(n, shapely.from_wkt("POLYGON EMPTY"), dtype=object)
    if not len(parts):
        return out
    pieces = np.concatenate([_subdivide(p, max_vertices) for p in parts])
    if not len(pieces):
        return out
    tree = shapely.STRtree(pieces)
    iu, ip = tree.query(ugeoms, predicate="intersects")
    shapely.prepare(pieces)
    inside = shapely.contains_properly(pieces[ip], ugeoms[iu])
    clipped: np.ndarray = np.asarray(ugeoms[iu], dtype=object).copy()
    cross = ~inside
    clipped[cross] = shapely.intersection(ugeoms[iu[cross]], pieces[ip[cross]])
    counts = np.bincount(iu, minlength=n)
    single = counts[iu] == 1
    out[iu[single]] = clipped[single]
    multi = ~single
    if multi.any():
        order = np.argsort(iu[multi], kind="stable")
        mu, mg = iu[multi][order], clipped[multi][order]
        starts = np.flatnonzero(np.r_[True, mu[1:] != mu[:-1]])
        for a, b in zip(starts, np.r_[starts[1:], len(mu)], strict=True):
            out[mu[a]] = shapely.union_all(mg[a:b])
    return out


def management_zones(
    zones: gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    redline: gpd.GeoDataFrame | None = None,
    water_sources: gpd.GeoDataFrame | None = None,
    rules: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    min_piece_m2: float = 1.0,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Combine riparian zones and unit classes into the priority / key / general management map.

    Parameters
    ----------
    zones
        Riparian zones with a ``zone`` column ('A', 'B', 'C'), e.g. from ``basin.zoning.riparian_zones``.
    units
        Classified units (``unit_id``, ``class_code``; see :func:`basin.units.classify.classify_units`). Their
        union is the area that is zoned.
    redline
        Ecological protection red-line polygons (optional).
    water_sources
        Drinking-water source protection zones (optional).
    rules
        Rules file or mapping (default ``basin/units/config/management.yaml``).
    min_piece_m2
        Unit x level pieces smaller than this (m², default 1) are dropped: they are slivers left by
        floating-point
        overlay where a zone edge runs along a unit edge, not real areas.
    crs
        Metric CRS to compute in (default: the units' CRS when projected in metres, else the metric CRS).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit x management level that is not empty: ``unit_id``, ``class_code``, ``mgmt_zone``
        ('priority', 'key', 'general'), ``label_zh`` (优先保护区 / 重点管控区 / 一般维护区), ``label_en``,
        ``area_km2``, in the working CRS. The rows partition the units.

    Raises
    ------
    SchemaError
        Missing ``zone`` / ``class_code`` / ``unit_id`` columns, or invalid rules.
    CRSError
        A layer without CRS.
    """
    levels = load_rules(rules)
    for gdf, cols, what in ((zones, ["zone"], "zones"), (units, ["unit_id", "class_code"], "units")):
        missing = [c for c in cols if c not in gdf.columns]
        if missing:
            found = [c for c in gdf.columns if c != gdf.geometry.name]
            msg = f"{what}: missing column(s) {missing}; found {found}"
            raise SchemaError(msg)
    bad = sorted(set(zones["zone"].dropna().astype(str)) - {"A", "B", "C"})
    if bad:
        msg = f"zones: unknown zone value(s) {bad}; expected 'A', 'B', 'C'"
        raise SchemaError(msg)
    target = working_crs(units, crs)
    u = units.to_crs(target)
    layers = {
        "redline": _parts(redline, target, "redline"),
        "water_sources": _parts(water_sources, target, "water_sources"),
    }
    require_crs(zones, "zones")
    zz = zones.to_crs(target)
    codes = u["class_code"].astype(str)

    ugeoms = np.asarray(u.geometry.values, dtype=object)
    n = len(ugeoms)
    unit_ids = u["unit_id"].astype(str).tolist()
    code_list = codes.tolist()
    empty = shapely.from_wkt("POLYGON EMPTY")
    taken = np.full(n, empty, dtype=object)
    rows = []
    for lv in levels:
        if lv["rest"]:
            piece = ugeoms.copy()
        else:
            # every part (exploded polygon) of the level's layers, clipped unit by unit: small overlays only
            srcs = []
            if lv["zones"]:
                srcs.append(zz.geometry.values[zz["zone"].astype(str).isin(lv["zones"]).to_numpy()])
            srcs += [layers[name] for name in lv["layers"] if layers.get(name) is not None]
            parts = (
                shapely.get_parts(np.concatenate([np.asarray(s_, dtype=object) for s_ in srcs]))
                if srcs
                else []
            )
            piece = _clip_units(ugeoms, parts)
            if lv["classes"]:
                whole = codes.isin(lv["classes"]).to_numpy()
                piece[whole] = ugeoms[whole]
        # overlays only where both sides have area: most units meet one level only
        both = ~shapely.is_empty(piece) & ~shapely.is_empty(taken)
        piece[both] = shapely.difference(piece[both], taken[both])
        grow = ~shapely.is_empty(piece)
        both = grow & ~shapely.is_empty(taken)
        taken[grow & ~both] = piece[grow & ~both]
        taken[both] = shapely.union_all(np.stack([taken[both], piece[both]], axis=1), axis=1)
        keep = [_polygonal(g) for g in piece]
        area = np.array([0.0 if g is None else g.area for g in keep])
        for a in np.flatnonzero(area >= min_piece_m2):
            rows.append((unit_ids[a], code_list[a], lv["name"], keep[a]))
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["unit_id", "class_code", "mgmt_zone", "geometry"]),
        geometry="geometry",
        crs=target,
    )
    out = out.merge(LABELS, on="mgmt_zone", how="left")
    out["_order"] = out["mgmt_zone"].map({n: i for i, n in enumerate(MGMT_LEVELS)})
    out = out.sort_values(["unit_id", "_order"], kind="stable").reset_index(drop=True)
    for col in ("unit_id", "class_code", "mgmt_zone", "label_zh", "label_en"):
        out[col] = out[col].astype("string")
    out["area_km2"] = np.asarray(shapely.area(out.geometry.values), dtype=float) / 1e6
    cols = ["unit_id", "class_code", "mgmt_zone", "label_zh", "label_en", "area_km2", "geometry"]
    return gpd.GeoDataFrame(out[cols], geometry="geometry", crs=target)


def management_area_table(
    mgmt: gpd.GeoDataFrame,
    admin: gpd.GeoDataFrame,
    *,
    level: str = "county",
    crs: Any = None,
) -> pd.DataFrame:
    """Area of each management level by province or county.

    Parameters
    ----------
    mgmt
        Output of :func:`management_zones`.
    admin
        Admin layer (``admin_id``, ``name``, ``level``).
    level
        ``"province"`` or ``"county"``.
    crs
        Metric CRS to compute in (default: the units' CRS when projected in metres, else the metric CRS).

    Returns
    -------
    pandas.DataFrame
        One row per admin unit: ``admin_id``, ``name``, ``area_km2_<level>`` and ``share_<level>`` (0-1 of the
        zoned area of that admin unit) for priority, key and general, and ``area_km2_total``.

    Raises
    ------
    SchemaError
        When the admin layer has no feature of that level.
    """
    if level not in {"province", "county"}:
        msg = f"level must be 'province' or 'county', got {level!r}"
        raise SchemaError(msg)
    for col in ("admin_id", "name", "level"):
        if col not in admin.columns:
            msg = f"admin layer: missing column {col!r}"
            raise SchemaError(msg)
    adm = admin[admin["level"] == level]
    if adm.empty:
        msg = f"admin layer has no feature of level {level!r}"
        raise SchemaError(msg)
    require_crs(adm, "admin")
    target = working_crs(mgmt, crs)
    a = adm.to_crs(target)
    m = mgmt.to_crs(target)
    tree = shapely.STRtree(m.geometry.values)
    ag, mg = a.geometry.values, m.geometry.values
    ia, im = tree.query(ag, predicate="intersects")
    # pieces inside an admin unit need no overlay (the common case: one big polygon against many small ones)
    shapely.prepare(ag)
    inside = shapely.contains_properly(ag[ia], mg[im])
    area = np.asarray(shapely.area(mg[im]), dtype=float)
    cross = ~inside
    area[cross] = shapely.area(shapely.intersection(ag[ia[cross]], mg[im[cross]]))
    area /= 1e6
    df = pd.DataFrame({"pos": ia, "mgmt_zone": m["mgmt_zone"].astype(str).to_numpy()[im], "area": area})
    pivot = df.pivot_table(index="pos", columns="mgmt_zone", values="area", aggfunc="sum", fill_value=0.0)
    pivot = pivot.reindex(index=np.arange(len(a)), columns=list(MGMT_LEVELS), fill_value=0.0).fillna(0.0)
    out = pd.DataFrame({"admin_id": a["admin_id"].astype(str).to_numpy(), "name": a["name"].to_numpy()})
    total = pivot.sum(axis=1).to_numpy()
    for lv in MGMT_LEVELS:
        out[f"area_km2_{lv}"] = pivot[lv].to_numpy()
    out["area_km2_total"] = total
    with np.errstate(invalid="ignore", divide="ignore"):
        for lv in MGMT_LEVELS:
            out[f"share_{lv}"] = np.where(
                total > 0, pivot[lv].to_numpy() / np.where(total > 0, total, 1), 0.0
            )
    return out
