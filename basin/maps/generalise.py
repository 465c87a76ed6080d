"""Generalisation of dense layers to the resolution they are drawn at, and their drawing as few paths.

A provincial network (10^5 reaches, as many evaluation units) has far more detail than an A3 map can show:
at 300 dpi the map of Sichuan and Chongqing is about 300 m on the ground per pixel. The static maps therefore

* simplify a dense layer with a tolerance of a third of a pixel (:func:`map_tolerance`), below what the
  eye can see; a polygon coverage (units, management pieces, zones) with
  :func:`shapely.coverage_simplify`, which moves each shared border once, so neighbours stay joined (no
  gap or sliver opens between them), and lines with Douglas-Peucker (each reach keeps its end points);
* draw all polygons of one colour as one compound path (:func:`fill_path`; shells anticlockwise, holes
  clockwise, filled by the non-zero rule) instead of one patch per feature: the renderer accumulates the
  coverage of the whole path, so two pieces of one colour that share a border fill seamlessly, as if
  dissolved, without the cost of a union;
* draw the lines of one style as a few compound paths (:func:`line_paths`), which a PDF writes as a few
  path operators instead of one per reach.

The same generalised layers serve every map of a run (see :func:`basin.maps.render.render_maps`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

#: The share of a pixel within which a simplified line may move (a third: invisible)
PIXEL_FRACTION = 1 / 3
#: Lines with more vertices than this are simplified before drawing (the demo's rivers: 21,923)
DENSE_VERTICES = 200_000
#: A polygon fill with more vertices than this is rasterised in a PDF / SVG (the demo run's densest, the
#: management pieces: 224,157; the 98,962-reach run's units: 1.7 million)
RASTER_VERTICES = 1_000_000


def map_tolerance(
    bounds: Any,
    *,
    size_in: tuple[float, float],
    axes: tuple[float, float] = (0.70, 0.86),
    dpi: float = 300,
    pad: float = 0.02,
    fraction: float = PIXEL_FRACTION,
) -> float:
    """Return the simplification tolerance, in map units (metres), of a map of ``bounds`` at ``dpi``.

    The map is drawn with equal axes into ``axes`` (width, height as fractions of the figure of ``size_in``
    inches) around ``bounds`` padded by ``pad`` of its larger side, as :func:`basin.maps.static_map` does;
    the ground size of one pixel is the larger of the two axes' metres per inch over ``dpi``, and the
    tolerance is ``fraction`` of it.

    Parameters
    ----------
    bounds
        ``(xmin, ymin, xmax, ymax)`` of the map in metres.
    size_in
        Figure width and height in inches (A3 landscape: 16.54 x 11.69).
    axes
        Width and height of the map's axes as fractions of the figure.
    dpi
        Resolution of the output.
    pad
        Margin around ``bounds``, as a fraction of its larger side.
    fraction
        Share of a pixel the tolerance is.

    Returns
    -------
    float
        Tolerance in metres (0 for empty bounds).
    """
    xmin, ymin, xmax, ymax = (float(v) for v in bounds)
    extra = 2 * pad * max(xmax - xmin, ymax - ymin)
    w_in, h_in = size_in[0] * axes[0], size_in[1] * axes[1]
    m_per_in = max((xmax - xmin + extra) / w_in, (ymax - ymin + extra) / h_in)
    if not np.isfinite(m_per_in) or m_per_in <= 0:
        return 0.0
    return fraction * m_per_in / float(dpi)


def num_vertices(geoms: Any) -> int:
    """Return the number of vertices of an array of geometries."""
    return int(shapely.get_num_coordinates(np.asarray(geoms, dtype=object)).sum())


def simplify_polygons(geoms: Any, tolerance: float) -> np.ndarray:
    """Simplify polygons by ``tolerance`` keeping shared borders shared; return the new array.

    :func:`shapely.coverage_simplify` when the polygons form a valid coverage result (every output valid),
    else each polygon on its own with :func:`shapely.simplify` (``preserve_topology=True``: no polygon
    becomes invalid; neighbours may then part by at most ``tolerance``).
    """
    arr = np.asarray(geoms, dtype=object)
    if tolerance <= 0 or not len(arr):
        return arr
    try:
        out = shapely.coverage_simplify(arr, tolerance)
    except shapely.errors.GEOSException:
        out = None
    if out is None or not shapely.is_valid(out).all():
        out = shapely.simplify(arr, tolerance, preserve_topology=True)
    return np.asarray(out, dtype=object)


def simplify_lines(geoms: Any, tolerance: float) -> np.ndarray:
    """Simplify lines by ``tolerance`` (Douglas-Peucker: a line keeps its end points, so reaches stay joined)."""
    arr = np.asarray(geoms, dtype=object)
    if tolerance <= 0 or not len(arr):
        return arr
    return np.asarray(shapely.simplify(arr, tolerance, preserve_topology=False), dtype=object)


def fill_path(geoms: Any) -> Any:
    """Return one :class:`matplotlib.path.Path` for all polygons of ``geoms``, to fill by the non-zero rule.

    Shells are oriented anticlockwise and holes clockwise (:func:`shapely.orient_polygons`), so a hole
    stays open and two polygons that share a border have opposite edges along it: the renderer's coverage
    of the compound path is full there, with no seam. Empty and non-polygonal geometries are left out.
    """
    from matplotlib.path import Path

    arr = np.asarray(geoms, dtype=object)
    parts = shapely.get_parts(arr[shapely.get_type_id(arr) >= 0]) if len(arr) else arr
    parts = parts[shapely.get_type_id(parts) == 3] if len(parts) else parts  # polygons only
    parts = parts[~shapely.is_empty(parts)] if len(parts) else parts
    if not len(parts):
        return Path(np.zeros((0, 2)))
    parts = shapely.orient_polygons(parts, exterior_cw=False)
    rings = shapely.get_rings(parts)
    xy, ring = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
    start = np.r_[0, np.flatnonzero(np.diff(ring)) + 1]
    end = np.r_[start[1:], len(xy)] - 1
    codes[start] = Path.MOVETO
    codes[end] = Path.CLOSEPOLY
    return Path(xy, codes)


def line_paths(geoms: Any, *, max_vertices: int = 100_000) -> list[Any]:
    """Return all lines of ``geoms`` as a few compound :class:`matplotlib.path.Path` (to stroke, not fill).

    Each line (a part of a multi-line; a polygon's outline) is one sub-path, so stroking the compound path
    draws what a ``LineCollection`` of the lines would (the same caps and joins), but a PDF writes it as
    one path operator instead of one per line. A path holds whole lines, about ``max_vertices`` vertices
    (it ends at the first line start that many vertices on), which keeps the rasteriser within its cell
    limits at print resolution.
    """
    from matplotlib.path import Path

    arr = np.asarray(geoms, dtype=object)
    if not len(arr):
        return []
    parts = shapely.get_parts(arr)
    parts = parts[~shapely.is_empty(parts)]
    if not len(parts):
        return []
    polys = shapely.get_type_id(parts) == 3
    if polys.any():  # a polygon as its outline
        parts = parts.copy()
        parts[polys] = shapely.get_exterior_ring(parts[polys])
    xy, idx = shapely.get_coordinates(parts, return_index=True)
    start = np.r_[0, np.flatnonzero(np.diff(idx)) + 1]
    codes = np.full(len(xy), Path.LINETO, dtype=Path.code_type)
    codes[start] = Path.MOVETO
    bounds = [0]
    while True:  # each path from a line's start to the first line start at least max_vertices further on
        k = int(np.searchsorted(start, bounds[-1] + max_vertices))
        if k >= len(start):
            break
        bounds.append(int(start[k]))
    bounds.append(len(xy))
    return [Path(xy[a:b], codes[a:b]) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


__all__ = [
    "DENSE_VERTICES",
    "PIXEL_FRACTION",
    "RASTER_VERTICES",
    "fill_path",
    "line_paths",
    "map_tolerance",
    "num_vertices",
    "simplify_lines",
    "simplify_polygons",
]
