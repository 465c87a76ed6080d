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
    if len(coords) < 2 or len(np.unique(which)) < 2:  # one reach: the whole region is its unit
        faces, labels = np.array([reg]), which[:1]
    else:
        faces, labels = _voronoi_units(coords, which, reg)
    ids = riv["river_id"].astype(str).to_numpy()
    names = riv["name"].to_numpy() if "name" in riv.columns else np.full(len(riv), None, dtype=object)
    rows = []
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    for group in np.split(order, bounds):
        k = labels[group[0]]
        piece = faces[group[0]] if len(group) == 1 else shapely.union_all(faces[group])
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


def _voronoi_units(
    coords: np.ndarray, labels: np.ndarray, region: shapely.Geometry
) -> tuple[np.ndarray, np.ndarray]:
    """Faces of the Voronoi diagram of ``coords`` dissolved by ``labels`` and clipped to ``region``.

    The diagram is computed once (qhull, ``scipy.spatial.Voronoi``, with four far sites so that every ridge
    between two real sites is finite). Only the ridges that separate sites of different labels are kept; they
    share their end points exactly (indices into one vertex array), so ``shapely.polygonize`` turns them into
    the dissolved faces directly - no union of millions of cells. Each face gets the label of the site nearest
    to a point inside it (k-d tree); faces wholly inside the region are kept as they are, the others are
    intersected with it.

    Returns
    -------
    (faces, labels)
        Polygons (one or more per label) and their labels.
    """
    from scipy.spatial import Voronoi, cKDTree

    xmin, ymin, xmax, ymax = shapely.total_bounds(np.array([region, shapely.multipoints(coords)]))
    pad = 2.0 * max(xmax - xmin, ymax - ymin)
    far = np.array(
        [
            [xmin - pad, ymin - pad],
            [xmax + pad, ymin - pad],
            [xmax + pad, ymax + pad],
            [xmin - pad, ymax + pad],
        ]
    )
    origin = np.array([0.5 * (xmin + xmax), 0.5 * (ymin + ymax)])
    pts = np.vstack([coords, far]) - origin  # centred: fewer rounding errors in qhull
    lab = np.concatenate([labels, np.full(4, -1)])
    vor = Voronoi(pts)
    rp = vor.ridge_points
    rv = np.asarray(vor.ridge_vertices)
    keep = (lab[rp[:, 0]] != lab[rp[:, 1]]) & (rv >= 0).all(axis=1)
    verts = vor.vertices + origin
    segs = verts[rv[keep]]  # (m, 2, 2)
    lines = shapely.linestrings(segs)
    edges = shapely.line_merge(shapely.multilinestrings(lines))
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(edges)))
    if len(faces) == 0:
        msg = "Voronoi allocation produced no face; check that the rivers lie in the region"
        raise DataError(msg)
    # the label of a face: the site nearest to a point inside it
    inner = shapely.get_coordinates(shapely.point_on_surface(faces))
    _, site = cKDTree(coords).query(inner)
    face_lab = labels[site]
    # clip to the region: faces wholly inside are kept, the others intersected (the region clipped to the
    # face's
    # bounding box first, so each intersection only sees the nearby part of the region boundary)
    shapely.prepare(region)
    inside = shapely.contains_properly(region, faces)
    touch = shapely.intersects(region, faces) & ~inside
    out = faces.copy()
    for i in np.flatnonzero(touch):
        out[i] = shapely.intersection(faces[i], shapely.clip_by_rect(region, *faces[i].bounds))
    sel = inside | touch
    return out[sel], face_lab[sel]


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
    ug, cg = u.geometry.values, c.geometry.values
    tree = shapely.STRtree(cg)
    iu, ic = tree.query(ug, predicate="intersects")
    # a unit wholly inside a county is its own piece; the others are cut (the county first clipped to the
    # unit's bounding box, so each intersection only sees the nearby part of the county boundary)
    shapely.prepare(cg)
    inside = shapely.contains_properly(cg[ic], ug[iu])
    pieces = ug[iu].copy()
    for k in np.flatnonzero(~inside):
        a, b = iu[k], ic[k]
        pieces[k] = _polygonal(shapely.intersection(ug[a], cg[b]))
    ok = np.array([p is not None for p in pieces], dtype=bool)
    iu, ic, pieces = iu[ok], ic[ok], pieces[ok]
    uid = u["unit_id"].astype(str).to_numpy()
    uname = u["name"].to_numpy() if "name" in u.columns else np.full(len(u), None, dtype=object)
    uname = np.array([n if isinstance(n, str) else i for n, i in zip(uname, uid, strict=True)], dtype=object)
    cid = c["admin_id"].astype(str).to_numpy()
    cname = c["name"].to_numpy()
    cpar = c["parent_id"].to_numpy() if "parent_id" in c.columns else np.full(len(c), None, dtype=object)
    df = pd.DataFrame(
        {
            "unit_id": [f"{x}_{y}" for x, y in zip(uid[iu], cid[ic], strict=True)],
            "name": [f"{x}·{y}" for x, y in zip(uname[iu], cname[ic], strict=True)],
            "basin_unit_id": uid[iu],
            "county_id": cid[ic],
            "county_name": cname[ic],
            "province_id": cpar[ic],
            "geometry": pieces,
        }
    )
    if min_area_km2 > 0:
        df = _merge_small_pieces(df, min_area_km2 * 1e6)
    out = gpd.GeoDataFrame(df, geometry="geometry", crs=target)
    for col in ("unit_id", "basin_unit_id", "county_id", "province_id"):
        out[col] = out[col].astype("string")
    out["area_km2"] = _area_km2(out.geometry.values)
    return out


def _merge_small_pieces(df: pd.DataFrame, min_area_m2: float) -> pd.DataFrame:
    """Merge pieces below ``min_area_m2`` into the same-county neighbour sharing the longest boundary.

    Smallest first: the smallest piece (or merged group) below the threshold is merged into the neighbouring
    group of the same county with which it shares the longest boundary (first in table order on a tie), then
    the areas are updated and the next smallest is taken. Shared boundary lengths are measured once between
    the original pieces and summed over the members of a group (in a partition, the boundary a piece shares
    with a group is the sum of what it shares with its members). A heap keeps this near-linear.
    """
    import heapq

    geoms = df["geometry"].to_numpy()
    n = len(geoms)
    area = np.asarray(shapely.area(geoms), dtype=float)
    small = area < min_area_m2
    if not small.any():
        return df.reset_index(drop=True)
    county = df["county_id"].to_numpy()
    # shared boundary length of every same-county pair with at least one small piece
    tree = shapely.STRtree(geoms)
    a, b = tree.query(geoms[small], predicate="intersects")
    a = np.flatnonzero(small)[a]
    keep = (a != b) & (county[a] == county[b])
    a, b = a[keep], b[keep]
    bnd = shapely.boundary(geoms)
    shared = np.asarray(shapely.length(shapely.intersection(bnd[a], bnd[b])), dtype=float)
    adj: list[dict[int, float]] = [{} for _ in range(n)]
    for i, j, s in zip(a.tolist(), b.tolist(), shared.tolist(), strict=True):
        if s > 0:
            adj[i][j] = s
            adj[j][i] = s
    group = np.arange(n)  # representative of each piece's group (union-find, path halving)

    def find(x: int) -> int:
        while group[x] != x:
            group[x] = group[group[x]]
            x = group[x]
        return int(x)

    members: dict[int, list[int]] = {i: [i] for i in range(n)}
    gadj: dict[int, dict[int, float]] = {i: dict(adj[i]) for i in np.flatnonzero(small).tolist()}
    garea = area.copy()
    heap = [(area[i], i) for i in np.flatnonzero(small).tolist()]
    heapq.heapify(heap)
    while heap:
        ar, g = heapq.heappop(heap)
        if find(g) != g or ar != garea[g] or ar >= min_area_m2:
            continue  # stale entry
        nb: dict[int, float] = {}
        for j, s in gadj.get(g, {}).items():
            r = find(j)
            if r != g:
                nb[r] = nb.get(r, 0.0) + s
        if not nb:
            continue  # an exclave: no neighbour in its county, kept
        best = max(nb, key=lambda r: (nb[r], -r))
        group[g] = best
        members[best] += members.pop(g)
        garea[best] += garea[g]
        if best in gadj or garea[best] < min_area_m2:
            merged = gadj.setdefault(best, {})
            for j, s in gadj.pop(g, {}).items():
                merged[j] = merged.get(j, 0.0) + s
            if garea[best] < min_area_m2:
                heapq.heappush(heap, (garea[best], best))
    alive = np.array([find(i) == i for i in range(n)], dtype=bool)
    out = df.copy()
    new_geoms = geoms.copy()
    for r in (int(x) for x in np.flatnonzero(alive)):
        mem = members[r]
        if len(mem) > 1:
            new_geoms[r] = _polygonal(shapely.union_all(geoms[mem]))
    out["geometry"] = new_geoms
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
