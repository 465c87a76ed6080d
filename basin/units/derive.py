"""Evaluation units: load them, or derive them from a DEM (pyflwdir) or from the river reaches (Voronoi).

Three ways to units, all returning a GeoDataFrame with the ``units`` model columns (``unit_id``, ``name``)
plus
``area_km2``:

* :func:`units_from_dem` - sub-basins of a DEM: D8 flow directions (pyflwdir, depressions filled), then
  sub-basins above an upstream-area threshold or at the confluences of streams of a chosen Strahler order;
* :func:`units_from_reaches` - where there is no DEM (the demo data): every point of the region goes to its
  nearest river reach (Voronoi allocation of densified reaches; reaches are split at confluences), clipped
  to the
  region - an approximation of the reach catchments that ignores relief;
* :func:`units_by_county` - the usual 控制单元: basin units intersected with counties (basin x county).
"""

from __future__ import annotations

import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from basin._errors import CRSError, DataError, SchemaError
from basin.crs import metric_crs, require_crs

__all__ = ["region_from_admin", "streams_from_dem", "units_by_county", "units_from_dem", "units_from_reaches"]


def _area_km2(geoms: Any) -> np.ndarray:
    return np.asarray(shapely.area(geoms), dtype=float) / 1e6


def region_from_admin(admin: gpd.GeoDataFrame, *, level: str = "province") -> gpd.GeoDataFrame:
    """Return the region (one polygon, the union of the ``level`` features of an admin layer).

    Parameters
    ----------
    admin
        Admin layer of the data model (``level`` column: province | county).
    level
        Which features make the region (default the provinces).

    Returns
    -------
    geopandas.GeoDataFrame
        One row, in the admin layer's CRS.

    Raises
    ------
    SchemaError
        When the admin layer has no ``level`` column or no feature of that level.
    """
    if "level" not in admin.columns:
        msg = f"admin layer has no 'level' column; columns: {list(admin.columns)}"
        raise SchemaError(msg)
    sel = admin[admin["level"] == level]
    if sel.empty:
        present = sorted(set(admin["level"].dropna()))
        msg = f"admin layer has no feature of level {level!r}; levels present: {present}"
        raise SchemaError(msg)
    geom = shapely.union_all(sel.geometry.values)
    return gpd.GeoDataFrame({"name": ["region"]}, geometry=[geom], crs=admin.crs)


def _region_geometry(region: Any, crs: CRS) -> shapely.Geometry:
    if isinstance(region, gpd.GeoDataFrame | gpd.GeoSeries):
        require_crs(region, "region")
        reg = region.to_crs(crs)
        return shapely.union_all(reg.geometry.values if isinstance(reg, gpd.GeoDataFrame) else reg.values)
    if isinstance(region, shapely.Geometry):
        return region
    msg = f"region must be a GeoDataFrame, GeoSeries or shapely geometry, got {type(region).__name__}"
    raise SchemaError(msg)


def units_from_reaches(
    rivers: gpd.GeoDataFrame,
    region: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    spacing: float = 1000.0,
    crs: Any = None,
) -> gpd.GeoDataFrame:
    """Allocate every point of the region to its nearest river reach (Voronoi units).

    The reaches (which must already be split at confluences, as in the data model) are densified to vertices
    at
    most ``spacing`` metres apart in the metric CRS; the Voronoi cells of all vertices are dissolved by reach
    and clipped to the region. Each unit is therefore the set of points whose nearest river vertex belongs to
    the reach - with a dense enough ``spacing``, the set of points nearest to the reach. The units partition
    the
    region exactly (no gaps, no overlaps); reaches whose unit does not reach into the region are left out.

    Parameters
    ----------
    rivers
        River reaches (``river_id``, optional ``name``), any CRS.
    region
        The area to divide (e.g. :func:`region_from_admin`), any CRS.
    spacing
        Maximum distance between densified vertices, metres (default 1000 m).
    crs
        Metric CRS to compute in (default :func:`basin.crs.metric_crs`).

    Returns
    -------
    geopandas.GeoDataFrame
        ``unit_id`` (``U`` + river_id), ``name`` (river name), ``river_id``, ``area_km2``, in the metric CRS.

    Raises
    ------
    SchemaError
        When ``river_id`` is missing or duplicated, or ``spacing`` is not positive.
    CRSError
        When a layer has no CRS.
    DataError
        When no reach has a vertex, or the region is empty.
    """
    if "river_id" not in rivers.columns:
        msg = f"rivers have no 'river_id' column; columns: {list(rivers.columns)}"
        raise SchemaError(msg)
    if rivers["river_id"].duplicated().any():
        dup = sorted(set(rivers.loc[rivers["river_id"].duplicated(), "river_id"].astype(str)))
        msg = f"rivers: duplicate river_id(s) {dup[:10]}; reaches must be unique"
        raise SchemaError(msg)
    if not spacing > 0:
        msg = f"spacing must be a positive number of metres, got {spacing!r}"
        raise SchemaError(msg)
    require_crs(rivers, "rivers")
    target = metric_crs(crs)
    riv = rivers.to_crs(target)
    reg = shapely.make_valid(_region_geometry(region, target))
    if reg.is_empty or reg.area == 0:
        msg = "region is empty (zero area)"
        raise DataError(msg)
    dense = shapely.segmentize(riv.geometry.values, spacing)
    coords, which = shapely.get_coordinates(dense, return_index=True)
    if len(coords) == 0:
        msg = "rivers have no vertices to allocate the region to"
        raise DataError(msg)
    # a confluence vertex is shared by several reaches: keep one (the first) so the Voronoi sites are distinct
    _, first = np.unique(coords, axis=0, return_index=True)
    first.sort()
    coords, which = coords[first], which[first]
    if len(coords) < 2:  # a single site: the whole region is its cell
        labels = which
        cells = np.array([reg])
    else:
        xmin, ymin, xmax, ymax = shapely.total_bounds(np.array([reg, shapely.multipoints(coords)]))
        pad = max(xmax - xmin, ymax - ymin)
        extent = shapely.box(xmin - pad, ymin - pad, xmax + pad, ymax + pad)
        cells = shapely.get_parts(
            shapely.voronoi_polygons(shapely.multipoints(coords), extend_to=extent, ordered=True)
        )
        if len(cells) != len(coords):  # GEOS may merge sites closer than its tolerance
            msg = (
                f"Voronoi allocation returned {len(cells)} cells for {len(coords)} vertices; "
                "reaches have vertices closer than the numeric tolerance - increase spacing or simplify "
                "the lines"
            )
            raise DataError(msg)
        labels = which
    ids = riv["river_id"].astype(str).to_numpy()
    names = riv["name"].to_numpy() if "name" in riv.columns else np.full(len(riv), None, dtype=object)
    rows = []
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    for group in np.split(order, bounds):
        k = labels[group[0]]
        try:
            cell = shapely.coverage_union_all(cells[group])
        except shapely.errors.GEOSException:  # pragma: no cover - fall back when the coverage is not clean
            cell = shapely.union_all(cells[group])
        piece = shapely.intersection(cell, reg)
        piece = _polygonal(piece)
        if piece is None:
            continue
        rows.append((f"U{ids[k]}", names[k], ids[k], piece))
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["unit_id", "name", "river_id", "geometry"]),
        geometry="geometry",
        crs=target,
    )
    out["unit_id"] = out["unit_id"].astype("string")
    out["river_id"] = out["river_id"].astype("string")
    out["area_km2"] = _area_km2(out.geometry.values)
    return out


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry | None:
    """Keep the polygon parts of an overlay result (drop shared edges/points); None when nothing is left."""
    if geom is None or geom.is_empty:
        return None
    if geom.geom_type in {"Polygon", "MultiPolygon"}:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in {"Polygon", "MultiPolygon"} and p.area > 0]
    if not parts:
        return None
    return shapely.union_all(parts)


def units_by_county(
    units: gpd.GeoDataFrame, admin: gpd.GeoDataFrame, *, min_area_km2: float = 0.0, crs: Any = None
) -> gpd.GeoDataFrame:
    """Intersect units with counties: basin x county control units (控制单元).

    Parameters
    ----------
    units
        Units (``unit_id``, ``name``), any CRS.
    admin
        Admin layer; its ``county`` features are used (``admin_id``, ``name``, ``parent_id``).
    min_area_km2
        Pieces smaller than this (km²; default 0 = keep all) are merged into the neighbouring piece of the
        same
        county with which they share the longest boundary (smallest first), so the result still partitions the
        units and every piece stays inside one county; the merged sliver's basin unit changes. A small piece
        with
        no neighbour in its county (an exclave) is kept.
    crs
        Metric CRS to compute in (default: the units' CRS when projected in metres, else the metric CRS).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per non-empty unit x county piece: ``unit_id`` (``<unit_id>_<admin_id>``), ``name``
        (``<unit name>·<county name>``), ``basin_unit_id``, ``county_id``, ``county_name``, ``province_id``,
        ``area_km2``, in that CRS. Together the pieces cover exactly the part of the units inside counties.

    Raises
    ------
    SchemaError
        When the admin layer has no county features.
    """
    from basin.units.indicators import working_crs

    require_crs(admin, "admin")
    target = working_crs(units, crs)
    u = units.to_crs(target)
    if "level" not in admin.columns or not (admin["level"] == "county").any():
        msg = "admin layer has no county features (level == 'county'); basin x county units need counties"
        raise SchemaError(msg)
    c = admin[admin["level"] == "county"].to_crs(target)
    tree = shapely.STRtree(c.geometry.values)
    iu, ic = tree.query(u.geometry.values, predicate="intersects")
    rows = []
    for a, b in zip(iu, ic, strict=True):
        piece = _polygonal(shapely.intersection(u.geometry.values[a], c.geometry.values[b]))
        if piece is None:
            continue
        urow, crow = u.iloc[a], c.iloc[b]
        uname = urow.get("name")
        uname = uname if isinstance(uname, str) else str(urow["unit_id"])
        rows.append(
            (
                f"{urow['unit_id']}_{crow['admin_id']}",
                f"{uname}·{crow['name']}",
                str(urow["unit_id"]),
                str(crow["admin_id"]),
                crow["name"],
                crow.get("parent_id"),
                piece,
            )
        )
    cols = ["unit_id", "name", "basin_unit_id", "county_id", "county_name", "province_id", "geometry"]
    df = pd.DataFrame(rows, columns=cols)
    if min_area_km2 > 0:
        df = _merge_small_pieces(df, min_area_km2 * 1e6)
    out = gpd.GeoDataFrame(df, geometry="geometry", crs=target)
    for col in ("unit_id", "basin_unit_id", "county_id", "province_id"):
        out[col] = out[col].astype("string")
    out["area_km2"] = _area_km2(out.geometry.values)
    return out


def _merge_small_pieces(df: pd.DataFrame, min_area_m2: float) -> pd.DataFrame:
    """Merge pieces below ``min_area_m2`` into the same-county neighbour sharing the longest boundary."""
    geoms = list(df["geometry"])
    alive = np.ones(len(df), dtype=bool)
    county = df["county_id"].to_numpy()
    while True:
        areas = np.array([g.area if a else np.inf for g, a in zip(geoms, alive, strict=True)])
        small = [i for i in np.argsort(areas) if alive[i] and areas[i] < min_area_m2]
        merged = False
        for i in small:
            cands = [j for j in np.flatnonzero(alive & (county == county[i])) if j != i]
            best, best_len = None, 0.0
            for j in cands:
                if not shapely.intersects(geoms[i], geoms[j]):
                    continue
                shared = shapely.length(shapely.intersection(geoms[i].boundary, geoms[j].boundary))
                if shared > best_len:
                    best, best_len = j, shared
            if best is None:
                continue
            geoms[best] = _polygonal(shapely.union_all([geoms[best], geoms[i]]))
            alive[i] = False
            merged = True
            break  # areas changed: start again from the smallest
        if not merged:
            break
    out = df.copy()
    out["geometry"] = geoms
    return out[alive].reset_index(drop=True)


# --------------------------------------------------------------------------------------------------- DEM
def _read_dem(path: str | os.PathLike[str]) -> tuple[np.ndarray, Any, CRS, float]:
    import rasterio

    try:
        src = rasterio.open(path)
    except Exception as exc:  # noqa: BLE001 - rasterio raises several types
        msg = f"{path}: cannot read as a raster ({exc})"
        raise DataError(msg) from exc
    with src:
        if src.crs is None:
            msg = f"{path}: DEM has no CRS; assign one (e.g. `gdal_edit.py -a_srs EPSG:32648 {path}`)"
            raise CRSError(msg)
        data = src.read(1, masked=True)
        nodata = -9999.0
        elev = np.asarray(data.filled(nodata), dtype="float32")
        if np.ma.getmaskarray(data).all():
            msg = f"{path}: DEM has no valid cell (all nodata)"
            raise DataError(msg)
        return elev, src.transform, CRS.from_user_input(src.crs), nodata


def _flwdir(path: str | os.PathLike[str], outlets: str = "edge") -> tuple[Any, Any, CRS]:
    import pyflwdir

    elev, transform, crs, nodata = _read_dem(path)
    if not crs.is_geographic and crs.axis_info[0].unit_name not in {"metre", "meter"}:
        msg = f"{path}: DEM CRS {crs.name!r} is neither geographic nor projected in metres"
        raise CRSError(msg)
    if outlets not in {"edge", "min"}:
        msg = f"outlets must be 'edge' or 'min', got {outlets!r}"
        raise SchemaError(msg)
    flw = pyflwdir.from_dem(
        elev, nodata=nodata, transform=transform, latlon=crs.is_geographic, outlets=outlets
    )
    return flw, transform, crs


def units_from_dem(
    dem: str | os.PathLike[str],
    *,
    min_area_km2: float | None = None,
    min_order: int | None = None,
    outlets: str = "edge",
) -> gpd.GeoDataFrame:
    """Derive sub-basin units from a DEM with pyflwdir.

    Flow directions are D8 steepest descent after filling depressions (Wang & Liu 2006,
    ``pyflwdir.from_dem``).
    Sub-basins are then cut either where the upstream area exceeds ``min_area_km2`` (``subbasins_area``: a new
    sub-basin starts at every tributary with more than that upstream area, and inter-basins along the main
    stem
    when they exceed it) or at the confluences of streams of Strahler order ``min_order`` and above
    (``subbasins_streamorder``). Give exactly one of the two.

    Parameters
    ----------
    dem
        Elevation raster (GeoTIFF ...), projected in metres or geographic.
    min_area_km2
        Sub-basin area threshold, km².
    min_order
        Minimum Strahler stream order of the streams whose confluences cut sub-basins.
    outlets
        ``"edge"`` (default): water may leave at every edge cell of the valid DEM (a DEM clipped to a region);
        ``"min"``: only at the lowest edge cell (a DEM of one whole catchment).

    Returns
    -------
    geopandas.GeoDataFrame
        ``unit_id`` (``B001``...), ``name`` (null), ``basin_code`` (pyflwdir id), ``area_km2``, in the DEM
        CRS.

    Raises
    ------
    SchemaError
        When both or neither threshold is given.
    CRSError
        When the DEM has no CRS.
    DataError
        When the DEM cannot be read or has no valid cell.
    """
    if (min_area_km2 is None) == (min_order is None):
        msg = "give exactly one of min_area_km2 (area threshold) or min_order (stream order at confluences)"
        raise SchemaError(msg)
    import rasterio.features

    flw, transform, crs = _flwdir(dem, outlets)
    if min_area_km2 is not None:
        if not min_area_km2 > 0:
            msg = f"min_area_km2 must be positive, got {min_area_km2!r}"
            raise SchemaError(msg)
        subbas, _ = flw.subbasins_area(float(min_area_km2))
    else:
        strord = flw.stream_order(type="strahler")
        if int(min_order) < 1 or int(min_order) > int(strord.max()):  # type: ignore[arg-type]
            top = int(strord.max())
            msg = f"min_order must be between 1 and the DEM's highest stream order ({top}), got {min_order}"
            raise SchemaError(msg)
        subbas, _ = flw.subbasins_streamorder(strord=strord, min_sto=int(min_order))  # type: ignore[arg-type]
    subbas = subbas.astype("int32")
    shapes = rasterio.features.shapes(subbas, mask=subbas > 0, transform=transform, connectivity=4)
    recs = [(int(v), shapely.geometry.shape(g)) for g, v in shapes]
    if not recs:
        msg = f"{dem}: no sub-basin found"
        raise DataError(msg)
    df = pd.DataFrame(recs, columns=["basin_code", "geometry"])
    geoms = df.groupby("basin_code", sort=True)["geometry"].agg(lambda s: shapely.union_all(s.to_numpy()))
    out = gpd.GeoDataFrame(
        {
            "unit_id": pd.array([f"B{i + 1:03d}" for i in range(len(geoms))], dtype="string"),
            "name": pd.array([None] * len(geoms), dtype="string"),
            "basin_code": geoms.index.to_numpy(),
        },
        geometry=geoms.to_numpy(),
        crs=crs,
    )
    out["area_km2"] = (
        _area_km2(out.to_crs(metric_crs()).geometry.values)
        if crs.is_geographic
        else _area_km2(out.geometry.values)
    )
    return out


def streams_from_dem(
    dem: str | os.PathLike[str], *, min_order: int = 1, outlets: str = "edge"
) -> gpd.GeoDataFrame:
    """Return the stream network of a DEM as line segments split at confluences.

    Parameters
    ----------
    dem
        Elevation raster, projected in metres or geographic.
    min_order
        Keep streams of this Strahler order and above (default all cells).
    outlets
        Where water may leave the DEM, see :func:`units_from_dem`.

    Returns
    -------
    geopandas.GeoDataFrame
        ``river_id`` (``S0001``...), ``name`` (null), ``level`` (``max_order - strord``, so the main stem is
        0),
        ``strord``, in the DEM CRS.
    """
    flw, tr, crs = _flwdir(dem, outlets)
    strord = flw.stream_order(type="strahler")
    # cell-centre coordinates, passed explicitly (pyflwdir's own lookup uses a deprecated affine operator)
    rows, cols = np.mgrid[0 : flw.shape[0], 0 : flw.shape[1]] + 0.5
    xs = tr.a * cols + tr.b * rows + tr.c
    ys = tr.d * cols + tr.e * rows + tr.f
    feats = flw.streams(mask=strord >= min_order, strord=strord, xs=xs, ys=ys)
    if not feats:
        msg = f"{dem}: no stream of order >= {min_order}"
        raise DataError(msg)
    gdf = gpd.GeoDataFrame.from_features(feats, crs=crs)
    gdf = gdf[gdf.length > 0].reset_index(drop=True)  # an outlet cell alone is a zero-length "stream"
    top = int(gdf["strord"].max())
    gdf["river_id"] = pd.array([f"S{i + 1:04d}" for i in range(len(gdf))], dtype="string")
    gdf["name"] = pd.array([None] * len(gdf), dtype="string")
    gdf["level"] = (top - gdf["strord"].astype(int)).astype("Int64")
    return gdf[["river_id", "name", "level", "strord", "geometry"]]
