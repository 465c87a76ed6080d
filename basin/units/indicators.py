"""Indicators of the evaluation units: each a function returning a named Series aligned to ``units.index``.

All vector work is done in one metric CRS (:func:`working_crs`: the ``crs`` argument, else the units' own CRS
when it is projected in metres, else :func:`basin.crs.metric_crs` - China Albers by default: exact areas,
lengths within ~1 % over Sichuan-Chongqing). Raster statistics use exactextract in the raster's own CRS (the
units are reprojected to it), weighted by the fraction of each cell covered by the unit.

================================ ============ ==============================================================
indicator                         unit         function
================================ ============ ==============================================================
river_density (total / by level)  km/km²       :func:`river_density`, :func:`river_density_by_level`
riparian_share                    1 (0-1)      :func:`riparian_share`
lake_share                        1 (0-1)      :func:`lake_share`
target_strictness                 1 (0-1)      :func:`target_strictness`
water_sensitivity                 1 (0-1)      :func:`water_sensitivity`
population_density                raster unit  :func:`population_density` (e.g. persons/km²)
economic_intensity                raster unit  :func:`economic_intensity` (e.g. 10⁴ yuan/km²)
town_pressure                     1 (0-1)      :func:`town_pressure`
water_capacity                    t/a          :func:`water_capacity`, :func:`river_capacity`
load_capacity_ratio               1            :func:`load_capacity_ratio`
================================ ============ ==============================================================
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from basin._errors import CRSError, DataError, SchemaError
from basin._validate import is_metric_crs, require_columns
from basin.crs import metric_crs, require_crs
from basin.units.config import SENSITIVITY_PARTS, load_config

__all__ = [
    "economic_intensity",
    "lake_share",
    "load_capacity_ratio",
    "population_density",
    "riparian_share",
    "river_capacity",
    "river_density",
    "river_density_by_level",
    "target_strictness",
    "town_pressure",
    "water_capacity",
    "water_sensitivity",
    "zonal_mean",
]


# ----------------------------------------------------------------------------------------------- helpers
def working_crs(units: gpd.GeoDataFrame, crs: Any = None) -> CRS:
    """Return the CRS indicators are computed in.

    That is ``crs`` if given, else the units' own CRS when it is projected in metres (areas and shares then
    need no reprojection of the units), else :func:`basin.crs.metric_crs`.
    """
    if crs is not None:
        return metric_crs(crs)
    own = require_crs(units, "units")
    if is_metric_crs(own):
        return own
    return metric_crs()


def _metric(gdf: gpd.GeoDataFrame, what: str, crs: Any = None) -> gpd.GeoDataFrame:
    """Return ``gdf`` in the working CRS ``crs`` (from :func:`working_crs`, or None for the default)."""
    require_crs(gdf, what)
    target = crs if isinstance(crs, CRS) else metric_crs(crs)
    return gdf if CRS.from_user_input(gdf.crs) == target else gdf.to_crs(target)


def _check_units(units: gpd.GeoDataFrame) -> None:
    if not isinstance(units, gpd.GeoDataFrame):
        msg = f"units must be a GeoDataFrame, got {type(units).__name__}"
        raise SchemaError(msg)
    if units.empty:
        msg = "units layer is empty"
        raise DataError(msg)
    require_crs(units, "units")


def _require_columns(gdf: pd.DataFrame, cols: Iterable[str], what: str) -> None:
    require_columns(gdf, cols, what, hint="")


#: A dissolved layer is cut into pieces of at most this many vertices before it is overlaid with the units.
PIECE_VERTICES = 4000


def _subdivide(geom: shapely.Geometry, max_vertices: int = PIECE_VERTICES) -> np.ndarray:
    """Cut a (multi)polygon into pieces of at most ``max_vertices`` vertices (quadtree of its bounding box).

    The pieces partition the geometry (intersections with the quadrants), so areas inside them add up to the
    areas inside the geometry; the work is O(n log n) in its vertices.
    """
    out: list[shapely.Geometry] = []
    stack = [(g, g.bounds) for g in shapely.get_parts(geom) if not g.is_empty]
    while stack:
        g, (x0, y0, x1, y1) = stack.pop()
        if shapely.get_num_coordinates(g) <= max_vertices or max(x1 - x0, y1 - y0) < 1.0:
            out.append(g)
            continue
        xm, ym = 0.5 * (x0 + x1), 0.5 * (y0 + y1)
        for bx in ((x0, y0, xm, ym), (xm, y0, x1, ym), (x0, ym, xm, y1), (xm, ym, x1, y1)):
            piece = shapely.intersection(g, shapely.box(*bx))
            if not piece.is_empty and piece.area > 0:
                stack.append((piece, bx))
    return np.array(out, dtype=object)


def _overlap_area(units_m: gpd.GeoDataFrame, other: shapely.Geometry) -> np.ndarray:
    """Area (m²) of each unit inside ``other`` (a single, already dissolved geometry).

    ``other`` is cut into small pieces (:func:`_subdivide`) found per unit with an STRtree, so each
    intersection only sees the nearby part of it: linear in the number of units instead of units x vertices.
    """
    if other is None or other.is_empty:
        return np.zeros(len(units_m))
    pieces = _subdivide(other)
    ug = units_m.geometry.values
    tree = shapely.STRtree(pieces)
    iu, ip = tree.query(ug, predicate="intersects")
    area = np.asarray(shapely.area(shapely.intersection(ug[iu], pieces[ip])), dtype=float)
    return np.bincount(iu, weights=area, minlength=len(ug)).astype(float)


def _ids(units: gpd.GeoDataFrame, mask: np.ndarray) -> str:
    idx = units["unit_id"] if "unit_id" in units.columns else pd.Series(units.index, index=units.index)
    ids = [str(v) for v in idx[mask]]
    more = f" (+{len(ids) - 10} more)" if len(ids) > 10 else ""
    return ", ".join(ids[:10]) + more


# ------------------------------------------------------------------------------------------ river network
def _clipped_lengths(units_m: gpd.GeoDataFrame, rivers_m: gpd.GeoDataFrame) -> pd.DataFrame:
    """Length (m) of each river piece inside each unit: columns unit (position), river (position), length."""
    tree = shapely.STRtree(rivers_m.geometry.values)
    iu, ir = tree.query(units_m.geometry.values, predicate="intersects")
    pieces = shapely.intersection(rivers_m.geometry.values[ir], units_m.geometry.values[iu])
    return pd.DataFrame({"unit": iu, "river": ir, "length": shapely.length(pieces)})


def river_density(
    units: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame,
    *,
    level: int | Iterable[int] | None = None,
    crs: Any = None,
) -> pd.Series:
    """River-network density of each unit: km of river per km² of unit.

    Formula: ``D = L / A`` with ``L`` the length of the river lines inside the unit (km) and ``A`` the unit's
    area (km²), both measured in the metric CRS. Unit: km/km². Source: the river-network density (河网密度) of
    the source policy (DOMAIN.md section 0); standard hydrological definition (drainage density, Horton 1945).

    Parameters
    ----------
    units
        Units (polygons), any CRS.
    rivers
        River lines (``level`` needed when ``level`` is given), any CRS.
    level
        Only rivers of this level (or these levels); None for all.
    crs
        Metric CRS to compute in (default :func:`working_crs`).

    Returns
    -------
    pandas.Series
        Named ``river_density`` (or ``river_density_l<level>`` for one level), km/km², aligned to
        ``units.index``; 0 for a unit without river.
    """
    _check_units(units)
    require_crs(rivers, "rivers")
    crs = working_crs(units, crs)
    u = _metric(units, "units", crs)
    r = _metric(rivers, "rivers", crs)
    name = "river_density"
    if level is not None:
        _require_columns(rivers, ["level"], "rivers")
        levels = [level] if isinstance(level, int | np.integer) else list(level)
        r = r[r["level"].isin(levels)]
        if len(levels) == 1:
            name = f"river_density_l{int(levels[0])}"
    area_km2 = np.asarray(shapely.area(u.geometry.values), dtype=float) / 1e6
    length_km = np.zeros(len(u))
    if len(r):
        pieces = _clipped_lengths(u, r)
        np.add.at(length_km, pieces["unit"].to_numpy(), pieces["length"].to_numpy() / 1e3)
    return pd.Series(length_km / area_km2, index=units.index, name=name)


def river_density_by_level(
    units: gpd.GeoDataFrame, rivers: gpd.GeoDataFrame, *, crs: Any = None
) -> pd.DataFrame:
    """River-network density (km/km²) of each unit for every river level, and in total.

    Returns
    -------
    pandas.DataFrame
        Columns ``river_density_l<level>`` for each level present in ``rivers`` and ``river_density`` (all
        levels), aligned to ``units.index``. See :func:`river_density` for the formula.
    """
    _require_columns(rivers, ["level"], "rivers")
    _check_units(units)
    require_crs(rivers, "rivers")
    crs = working_crs(units, crs)
    u = _metric(units, "units", crs)
    r = _metric(rivers, "rivers", crs)
    n = len(u)
    area_km2 = np.asarray(shapely.area(u.geometry.values), dtype=float) / 1e6
    # the rivers are clipped to the units once; the lengths are then summed per level
    pieces = _clipped_lengths(u, r) if len(r) else pd.DataFrame({"unit": [], "river": [], "length": []})
    unit = pieces["unit"].to_numpy(dtype=np.intp)
    km = pieces["length"].to_numpy(dtype=float) / 1e3
    piece_level = r["level"].to_numpy()[pieces["river"].to_numpy(dtype=np.intp)]
    cols = {}
    for lv in sorted(rivers["level"].dropna().unique()):
        sel = piece_level == lv
        cols[f"river_density_l{int(lv)}"] = np.bincount(unit[sel], weights=km[sel], minlength=n) / area_km2
    cols["river_density"] = np.bincount(unit, weights=km, minlength=n) / area_km2
    return pd.DataFrame(cols, index=units.index)


# ------------------------------------------------------------------------------------ water sensitivity
def riparian_share(
    units: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    *,
    classes: Iterable[str] = ("A", "B"),
    crs: Any = None,
) -> pd.Series:
    """Share of each unit's area inside the riparian zones of the given classes.

    Formula: ``area(unit ∩ ⋃ zones[zone ∈ classes]) / area(unit)``. Unit: 1 (0-1). Source: the riparian
    rules of
    DOMAIN.md section 0 (zone A: 1 km of first/second-level tributaries; zone B: 3/5 km rings), as produced by
    ``basin.zoning.riparian_zones``.

    Parameters
    ----------
    units
        Units, any CRS.
    zones
        Riparian zones with a ``zone`` column ('A', 'B', 'C').
    classes
        Zone classes that count (default A and B).
    crs
        Metric CRS to compute in (default :func:`working_crs`).

    Returns
    -------
    pandas.Series
        Named ``riparian_share``, aligned to ``units.index``.
    """
    _check_units(units)
    crs = working_crs(units, crs)
    _require_columns(zones, ["zone"], "zones")
    require_crs(zones, "zones")
    u = _metric(units, "units", crs)
    z = _metric(zones, "zones", crs)
    classes = list(classes)
    unknown = sorted(set(classes) - set(zones["zone"].dropna().astype(str)) - {"A", "B", "C"})
    if unknown:
        msg = f"zone classes {unknown} are unknown; expected some of ['A', 'B', 'C']"
        raise SchemaError(msg)
    sel = z[z["zone"].astype(str).isin(classes)]
    geom = shapely.union_all(sel.geometry.values) if len(sel) else None
    share = _overlap_area(u, geom) / np.asarray(shapely.area(u.geometry.values), dtype=float)
    return pd.Series(np.clip(share, 0.0, 1.0), index=units.index, name="riparian_share")


def lake_share(
    units: gpd.GeoDataFrame, lakes: gpd.GeoDataFrame, *, connected_only: bool = True, crs: Any = None
) -> pd.Series:
    """Share of each unit's area covered by lakes and reservoirs connected to the rivers (通江湖库).

    Formula: ``area(unit ∩ ⋃ lakes[connected]) / area(unit)``. Unit: 1 (0-1). Source: DOMAIN.md section 0
    (lakes/reservoirs connected to the river carry the 3 km rule).

    Parameters
    ----------
    units
        Units, any CRS.
    lakes
        Lakes layer (``connected`` column when ``connected_only``).
    connected_only
        Count only connected lakes/reservoirs (default True).
    crs
        Metric CRS to compute in (default :func:`working_crs`).

    Returns
    -------
    pandas.Series
        Named ``lake_share``, aligned to ``units.index``.
    """
    _check_units(units)
    crs = working_crs(units, crs)
    require_crs(lakes, "lakes")
    sel = lakes
    if connected_only:
        _require_columns(lakes, ["connected"], "lakes")
        sel = lakes[lakes["connected"].fillna(False).astype(bool)]
    u = _metric(units, "units", crs)
    geom = shapely.union_all(_metric(sel, "lakes", crs).geometry.values) if len(sel) else None
    share = _overlap_area(u, geom) / np.asarray(shapely.area(u.geometry.values), dtype=float)
    return pd.Series(np.clip(share, 0.0, 1.0), index=units.index, name="lake_share")


def target_strictness(
    units: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    *,
    how: Literal["max", "mean"] = "max",
    crs: Any = None,
) -> pd.Series:
    """Strictness of the water-quality targets of the stations inside each unit.

    Formula: a station with target class ``c`` (GB 3838-2002 class 1-5) has strictness ``(6 - c) / 5`` (class
    Ⅰ = 1.0, Ⅱ = 0.8, Ⅲ = 0.6, Ⅳ = 0.4, Ⅴ = 0.2); a unit takes the maximum (the strictest target governs,
    default) or the mean over its stations; 0 for a unit without station. Unit: 1 (0-1). Source: GB 3838-2002
    classes (DOMAIN.md section 1); the linear scale is a basin convention.

    Parameters
    ----------
    units
        Units, any CRS.
    stations
        Stations (points) with ``target_class``.
    how
        ``"max"`` (default) or ``"mean"`` over the stations of a unit.
    crs
        Metric CRS to compute in (default :func:`working_crs`).

    Returns
    -------
    pandas.Series
        Named ``target_strictness``, aligned to ``units.index``.
    """
    _check_units(units)
    crs = working_crs(units, crs)
    _require_columns(stations, ["target_class"], "stations")
    if how not in {"max", "mean"}:
        msg = f"how must be 'max' or 'mean', got {how!r}"
        raise SchemaError(msg)
    tc = pd.to_numeric(stations["target_class"], errors="coerce")
    bad = tc.isna() | ~tc.isin([1, 2, 3, 4, 5])
    if bad.any():
        vals = sorted({str(v) for v in stations.loc[bad, "target_class"]})
        msg = f"stations: target_class must be 1-5, got {vals[:10]}"
        raise SchemaError(msg)
    u = _metric(units, "units", crs)
    s = _metric(stations, "stations", crs)
    tree = shapely.STRtree(u.geometry.values)
    ist, iu = tree.query(s.geometry.values, predicate="within")
    score = (6.0 - tc.to_numpy(dtype=float)[ist]) / 5.0
    df = pd.DataFrame({"unit": iu, "score": score})
    agg = df.groupby("unit")["score"].agg(how)
    out = np.zeros(len(u))
    out[agg.index.to_numpy()] = agg.to_numpy()
    return pd.Series(out, index=units.index, name="target_strictness")




def water_sensitivity(
    units: gpd.GeoDataFrame,
    *,
    zones: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    weights: Mapping[str, float] | None = None,
    crs: Any = None,
    computed: Mapping[str, pd.Series] | None = None,
) -> pd.Series:
    """Water-environment sensitivity: weighted mean of the sensitivity ingredients that are supplied.

    Formula: ``S = Σ wᵢ·xᵢ / Σ wᵢ`` over the ingredients ``riparian_share`` (needs ``zones``), ``lake_share``
    (``lakes``) and ``target_strictness`` (``stations``), each in 0-1; an ingredient whose layer is not
    given or
    whose weight is 0 is left out and the weights of the others are rescaled. Unit: 1 (0-1). Source: the
    "water-environment sensitivity" of the source policy (DOMAIN.md section 0); ingredients and default
    weights (``sensitivity`` in ``basin/units/config/default.yaml``) are a basin convention (docs/units.md).

    Parameters
    ----------
    units
        Units, any CRS.
    zones, lakes, stations
        Riparian zones (``zone`` column), lakes (``connected``), stations (``target_class``).
    weights
        Weight per ingredient (default: the ``sensitivity`` section of the default config).
    crs
        Metric CRS to compute in (default :func:`working_crs`).
    computed
        Ingredients already computed for these units (name -> Series), used instead of recomputing them.

    Returns
    -------
    pandas.Series
        Named ``water_sensitivity``, aligned to ``units.index``.

    Raises
    ------
    SchemaError
        When no ingredient can be computed, or a weight is unknown or negative.
    """
    if weights is None:
        weights = load_config()["sensitivity"]
    unknown = sorted(set(weights) - set(SENSITIVITY_PARTS))
    if unknown:
        msg = f"unknown sensitivity ingredient(s) {unknown}; expected some of {list(SENSITIVITY_PARTS)}"
        raise SchemaError(msg)
    if any(float(w) < 0 for w in weights.values()):
        msg = f"sensitivity weights must be >= 0, got {dict(weights)}"
        raise SchemaError(msg)
    parts: dict[str, pd.Series] = {}
    done = dict(computed or {})
    if zones is not None and weights.get("riparian_share", 0) > 0:
        parts["riparian_share"] = done.get("riparian_share", None)
        if parts["riparian_share"] is None:
            parts["riparian_share"] = riparian_share(units, zones, crs=crs)
    if lakes is not None and weights.get("lake_share", 0) > 0:
        parts["lake_share"] = done.get("lake_share", None)
        if parts["lake_share"] is None:
            parts["lake_share"] = lake_share(units, lakes, crs=crs)
    if stations is not None and weights.get("target_strictness", 0) > 0:
        parts["target_strictness"] = done.get("target_strictness", None)
        if parts["target_strictness"] is None:
            parts["target_strictness"] = target_strictness(units, stations, crs=crs)
    if not parts:
        msg = (
            "water sensitivity needs at least one ingredient with a positive weight: riparian zones, lakes "
            f"or stations (weights {dict(weights)})"
        )
        raise SchemaError(msg)
    total = sum(float(weights[k]) for k in parts)
    value = sum(float(weights[k]) * s for k, s in parts.items()) / total
    return pd.Series(np.asarray(value, dtype=float), index=units.index, name="water_sensitivity")


# ------------------------------------------------------------------------------------------------ rasters
def _open_raster(raster: str | os.PathLike[str]) -> Any:
    import rasterio

    path = Path(raster)
    if not path.exists():
        msg = f"{path}: raster file does not exist"
        raise DataError(msg)
    try:
        src = rasterio.open(path)
    except Exception as exc:  # noqa: BLE001 - rasterio raises several types
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read as a raster ({detail})"
        raise DataError(msg) from exc
    if src.crs is None:
        src.close()
        msg = (
            f"{path}: raster has no CRS; assign one (e.g. `gdal_edit.py -a_srs EPSG:4326 {path.name}`) - "
            "basin never guesses the CRS of a raster"
        )
        raise CRSError(msg)
    return src


def zonal_mean(
    units: gpd.GeoDataFrame,
    raster: str | os.PathLike[str],
    *,
    name: str,
    values: Literal["density", "count"] = "density",
    band: int = 1,
    min_coverage: float = 0.99,
    on_empty: Literal["raise", "nan"] = "raise",
) -> pd.Series:
    """Coverage-weighted zonal mean of a raster over each unit (exactextract).

    The units are reprojected to the raster's CRS. For ``values="density"`` (a raster of per-area values, e.g.
    persons/km²) the result is ``Σ fᵢ·aᵢ·vᵢ / Σ fᵢ·aᵢ`` over the valid (not nodata) cells ``i`` touched by
    the unit,
    with ``fᵢ`` the fraction of the cell covered by the unit and ``aᵢ`` the cell area (exactextract's
    spherical cell
    area for a geographic raster; constant for a projected one). For ``values="count"`` (per-cell totals, e.g.
    persons per cell) the result is ``Σ fᵢ·vᵢ / A`` with ``A`` the unit area in km², i.e. a density per km².
    Nodata cells are left out (and count neither in the numerator nor in the denominator).

    Parameters
    ----------
    units
        Units (polygons), any CRS.
    raster
        Raster file (GeoTIFF ...) with a CRS.
    name
        Name of the returned Series.
    values
        ``"density"`` (default) or ``"count"``, see above.
    band
        Band to read (default 1).
    min_coverage
        Minimum share of each unit's area that must lie inside the raster's extent (default 0.99).
    on_empty
        What to do with a unit that touches only nodata cells: ``"raise"`` (default) or ``"nan"``.

    Returns
    -------
    pandas.Series
        Named ``name``, aligned to ``units.index``; unit of measure: the raster's (``density``) or raster unit
        per km² (``count``).

    Raises
    ------
    DataError
        The raster cannot be read, does not cover the units, or a unit has only nodata cells.
    CRSError
        The raster (or the units) has no CRS.
    """
    from basin.units._extract import extract

    _check_units(units)
    if values not in {"density", "count"}:
        msg = f"values must be 'density' or 'count', got {values!r}"
        raise SchemaError(msg)
    src = _open_raster(raster)
    path = Path(raster)
    with src:
        if not 1 <= band <= src.count:
            msg = f"{path}: band {band} does not exist (the raster has {src.count})"
            raise DataError(msg)
        rcrs = CRS.from_user_input(src.crs)
        u = units if CRS.from_user_input(units.crs) == rcrs else units.to_crs(rcrs)
        geoms = u.geometry.values
        left, bottom, right, top = src.bounds
        footprint = shapely.box(left, bottom, right, top)
        inside = np.asarray(shapely.area(shapely.intersection(geoms, footprint)), dtype=float)
        share = inside / np.asarray(shapely.area(geoms), dtype=float)
        short = share < min_coverage
        if short.any():
            worst = float(share.min())
            extent = tuple(round(v, 4) for v in src.bounds)
            msg = (
                f"{path}: raster does not cover the units (extent {extent} in "
                f"{rcrs.name!r}); unit(s) {_ids(units, short)} lie less than {min_coverage:.0%} inside it "
                f"(lowest: {worst:.1%})"
            )
            raise DataError(msg)
        weight = "(coverage_weight=area_spherical_m2)" if rcrs.is_geographic else ""
        ops = [f"mean{weight}", "count"] if values == "density" else ["sum", "count"]
        res = extract(src, band, geoms, rcrs, ops)
    empty = ~(res["count"].to_numpy(dtype=float) > 0)
    if empty.any() and on_empty == "raise":
        msg = (
            f"{path}: unit(s) {_ids(units, empty)} contain only nodata cells; fill the raster or pass "
            "on_empty='nan'"
        )
        raise DataError(msg)
    if values == "density":
        out = res["mean"].to_numpy(dtype=float)
    else:
        area_km2 = np.asarray(shapely.area(_metric(units, "units", working_crs(units)).geometry.values)) / 1e6
        out = res["sum"].to_numpy(dtype=float) / area_km2
    out = np.where(empty, np.nan, out)
    return pd.Series(out, index=units.index, name=name)


def population_density(
    units: gpd.GeoDataFrame,
    raster: str | os.PathLike[str],
    *,
    values: Literal["density", "count"] = "density",
    **kwargs: Any,
) -> pd.Series:
    """Return the population density of each unit from a population raster (coverage-weighted zonal mean).

    Formula: see :func:`zonal_mean`. Unit: persons/km² (a density raster in persons/km², or a count raster in
    persons per cell with ``values="count"``). Source: the "population density" of the source policy
    (DOMAIN.md section 0).

    Returns
    -------
    pandas.Series
        Named ``population_density``, aligned to ``units.index``.
    """
    return zonal_mean(units, raster, name="population_density", values=values, **kwargs)


def economic_intensity(
    units: gpd.GeoDataFrame,
    raster: str | os.PathLike[str],
    *,
    values: Literal["density", "count"] = "density",
    **kwargs: Any,
) -> pd.Series:
    """Economic-activity intensity of each unit: GDP per km² from a GDP raster (coverage-weighted zonal mean).

    Formula: see :func:`zonal_mean`. Unit: the raster's (e.g. 10⁴ yuan/km²). Source: the "economic-activity
    intensity" of the source policy (DOMAIN.md section 0).

    Returns
    -------
    pandas.Series
        Named ``economic_intensity``, aligned to ``units.index``.
    """
    return zonal_mean(units, raster, name="economic_intensity", values=values, **kwargs)


def town_pressure(
    units: gpd.GeoDataFrame,
    *,
    landuse: str | os.PathLike[str] | None = None,
    built_classes: Iterable[int] | None = None,
    admin: gpd.GeoDataFrame | None = None,
    min_coverage: float = 0.99,
    crs: Any = None,
) -> pd.Series:
    """Return the town pressure: built-up share of each unit, or its share of urban districts (区).

    With ``landuse``: ``Σ fᵢ·[classᵢ ∈ built_classes] / Σ fᵢ`` over the valid cells (exactextract ``frac``;
    coverage-weighted, nodata left out). Without: the area-weighted share of urban districts (counties whose
    ``kind`` is '区'; when the admin layer has no ``kind`` column, counties whose name ends in 区) among the
    counties overlapping the unit: ``area(unit ∩ ⋃ districts) / area(unit ∩ ⋃ counties)``. Unit: 1 (0-1).
    Source: the "town distribution" of the source policy (DOMAIN.md section 0); 区 as the urban proxy is a
    basin
    convention (district status marks the urbanised core of a prefecture).

    Parameters
    ----------
    units
        Units, any CRS.
    landuse
        Categorical land-use raster (integer classes).
    built_classes
        The built-up classes of ``landuse`` (required with it).
    admin
        Admin layer with counties (used when ``landuse`` is None).
    min_coverage
        See :func:`zonal_mean`.
    crs
        Metric CRS for the admin path.

    Returns
    -------
    pandas.Series
        Named ``town_pressure``, aligned to ``units.index``.

    Raises
    ------
    SchemaError
        Neither ``landuse`` nor ``admin``, or ``landuse`` without ``built_classes``.
    """
    _check_units(units)
    if landuse is not None:
        if built_classes is None:
            msg = "town_pressure with a land-use raster needs built_classes (the built-up class values)"
            raise SchemaError(msg)
        return _built_share(units, landuse, list(built_classes), min_coverage)
    if admin is None:
        msg = "town_pressure needs a land-use raster (with built_classes) or an admin layer with counties"
        raise SchemaError(msg)
    if "level" not in admin.columns or not (admin["level"] == "county").any():
        msg = "admin layer has no county features (level == 'county'); town pressure needs counties"
        raise SchemaError(msg)
    counties = admin[admin["level"] == "county"]
    crs = working_crs(units, crs)
    if "kind" in counties.columns:
        urban = counties["kind"].astype("string").str.strip() == "区"
    else:
        urban = counties["name"].astype("string").str.strip().str.endswith("区")
    u = _metric(units, "units", crs)
    c = _metric(counties, "admin", crs)
    all_area = _overlap_area(u, shapely.union_all(c.geometry.values))
    urb = c[urban.fillna(False).to_numpy()]
    urb_area = _overlap_area(u, shapely.union_all(urb.geometry.values) if len(urb) else None)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(all_area > 0, urb_area / all_area, np.nan)
    if np.isnan(share).any():
        msg = f"unit(s) {_ids(units, np.isnan(share))} overlap no county; town pressure is undefined there"
        raise DataError(msg)
    return pd.Series(np.clip(share, 0.0, 1.0), index=units.index, name="town_pressure")


def _built_share(units: gpd.GeoDataFrame, landuse: Any, built: list[int], min_coverage: float) -> pd.Series:
    from basin.units._extract import extract

    path = Path(landuse)
    src = _open_raster(landuse)
    with src:
        rcrs = CRS.from_user_input(src.crs)
        u = units if CRS.from_user_input(units.crs) == rcrs else units.to_crs(rcrs)
        geoms = u.geometry.values
        footprint = shapely.box(*src.bounds)
        share = np.asarray(shapely.area(shapely.intersection(geoms, footprint))) / np.asarray(
            shapely.area(geoms)
        )
        if (share < min_coverage).any():
            ids = _ids(units, share < min_coverage)
            msg = f"{path}: raster does not cover the units; unit(s) {ids} lie outside it"
            raise DataError(msg)
        res = extract(src, 1, geoms, rcrs, ["unique", "frac"])
    out = np.zeros(len(u))
    for i, (vals, fracs) in enumerate(zip(res["unique"], res["frac"], strict=True)):
        if vals is None or len(vals) == 0:
            out[i] = np.nan
            continue
        out[i] = float(np.sum(np.asarray(fracs)[np.isin(np.asarray(vals), built)]))
    if np.isnan(out).any():
        msg = f"{path}: unit(s) {_ids(units, np.isnan(out))} contain only nodata cells"
        raise DataError(msg)
    return pd.Series(out, index=units.index, name="town_pressure")


# --------------------------------------------------------------------------------------- water capacity
def river_capacity(
    *,
    cs: Any,
    c0: Any,
    q: Any,
    k: Any,
    x_km: Any,
    u: Any,
    q_in: Any = 0.0,
) -> np.ndarray:
    """Water environmental capacity of a river reach, one-dimensional steady decay model, in t/a.

    Formula (DOMAIN.md 4.1): ``W = 31.536 · [Cs·(Q + q) − C0·Q·exp(−k·x / (86.4·u))]`` with

    ============ ======================================================
    ``W``        capacity, t/a (31.536 = 86400·365/10⁶ converts g/s to t/a)
    ``Cs``       target concentration of the control section, mg/L
    ``C0``       upstream (background) concentration, mg/L
    ``Q``        design flow of the river (e.g. 30Q10), m³/s
    ``q``        lateral inflow (outfalls), m³/s
    ``k``        first-order decay coefficient, d⁻¹
    ``x``        reach length from the reference to the control section, km
    ``u``        mean flow velocity, m/s (x/(86.4·u) is the travel time in days)
    ============ ======================================================

    Worked example (DOMAIN.md 4.1): Cs = 20, C0 = 10 mg/L, Q = 10, q = 1 m³/s, k = 0.2 d⁻¹, x = 10 km,
    u = 0.3 m/s gives W = 4018.5 t/a. A negative W means the background already exceeds the target (no
    capacity left). Source: 全国水环境容量核定技术指南 (2003) one-dimensional model, via DOMAIN.md 4.1.

    Returns
    -------
    numpy.ndarray
        W in t/a (broadcast over the inputs).

    Raises
    ------
    SchemaError
        When a flow, velocity or length is not positive, or a concentration or k is negative.
    """
    arrs = {
        n: np.asarray(v, dtype=float)
        for n, v in dict(cs=cs, c0=c0, q=q, k=k, x_km=x_km, u=u, q_in=q_in).items()
    }
    for n in ("q", "u"):
        if not (arrs[n] > 0).all():
            msg = f"river_capacity: {n} must be > 0 (m³/s for q, m/s for u), got {arrs[n].tolist()}"
            raise SchemaError(msg)
    for n in ("cs", "c0", "k", "x_km", "q_in"):
        if not (arrs[n] >= 0).all():
            msg = f"river_capacity: {n} must be >= 0, got {arrs[n].tolist()}"
            raise SchemaError(msg)
    decay = np.exp(-arrs["k"] * arrs["x_km"] / (86.4 * arrs["u"]))
    return 31.536 * (arrs["cs"] * (arrs["q"] + arrs["q_in"]) - arrs["c0"] * arrs["q"] * decay)


FLOW_COLUMNS = ("unit_id", "cs", "c0", "q", "k", "x_km", "u")


def water_capacity(units: gpd.GeoDataFrame, flows: pd.DataFrame) -> pd.Series:
    """Water environmental capacity of each unit (t/a) from design-flow data per unit.

    Formula: :func:`river_capacity` applied to the row of ``flows`` of each unit (several rows of a unit -
    e.g.
    several reaches - are summed). Unit: t/a. Source: DOMAIN.md 4.1.

    Parameters
    ----------
    units
        Units with ``unit_id``.
    flows
        Table with ``unit_id, cs, c0, q, k, x_km, u`` and optionally ``q_in`` (units as in
        :func:`river_capacity`).

    Returns
    -------
    pandas.Series
        Named ``water_capacity``, t/a, aligned to ``units.index``; NaN for units without flow data.

    Raises
    ------
    SchemaError
        Missing columns, or flow rows for unknown units.
    """
    _require_columns(units, ["unit_id"], "units")
    _require_columns(flows, FLOW_COLUMNS, "flows")
    ids = units["unit_id"].astype(str)
    unknown = sorted(set(flows["unit_id"].astype(str)) - set(ids))
    if unknown:
        msg = f"flows: unit_id(s) {unknown[:10]} are not units"
        raise SchemaError(msg)
    w = river_capacity(
        cs=flows["cs"],
        c0=flows["c0"],
        q=flows["q"],
        k=flows["k"],
        x_km=flows["x_km"],
        u=flows["u"],
        q_in=flows["q_in"] if "q_in" in flows.columns else 0.0,
    )
    per_unit = pd.Series(w, index=flows["unit_id"].astype(str).to_numpy()).groupby(level=0).sum()
    return pd.Series(ids.map(per_unit).to_numpy(dtype=float), index=units.index, name="water_capacity")


def load_capacity_ratio(load: pd.Series, capacity: pd.Series) -> pd.Series:
    """Ratio of the pollutant load to the water environmental capacity of each unit.

    Formula: ``R = L / W`` with ``L`` the load entering the unit's rivers and ``W`` its capacity, both in t/a.
    Unit: 1; R > 1 means the load exceeds the capacity (over-loaded). A capacity ≤ 0 (no capacity left) gives
    R = +inf; a missing load or capacity gives NaN. Source: DOMAIN.md 4.1 (capacity as the binding
    constraint).

    Returns
    -------
    pandas.Series
        Named ``load_capacity_ratio``, aligned to ``capacity.index``.

    Raises
    ------
    SchemaError
        When the two Series are not aligned or a load is negative.
    """
    if not load.index.equals(capacity.index):
        msg = "load and capacity must have the same index (one value per unit)"
        raise SchemaError(msg)
    lv = load.to_numpy(dtype=float)
    if (lv < 0).any():
        msg = f"loads must be >= 0 t/a, got negative values for {list(load.index[lv < 0])[:10]}"
        raise SchemaError(msg)
    wv = capacity.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(wv > 0, lv / np.where(wv > 0, wv, 1.0), np.inf)
    r = np.where(np.isnan(lv) | np.isnan(wv), np.nan, r)
    return pd.Series(r, index=capacity.index, name="load_capacity_ratio")
