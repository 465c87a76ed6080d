"""Coordinate reference systems: check, choose and project to a metric CRS.

Every distance and area in basin is computed in a projected CRS in metres; a layer in degrees is never
buffered or measured as such.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
from pyproj import CRS

from basin._errors import CRSError
from basin._validate import cut, is_metric_crs
from basin._validate import require_projected as _require_projected_crs
from basin.options import get_options


def metric_crs(crs: Any = None) -> CRS:
    """Return the metric CRS to compute in.

    Parameters
    ----------
    crs
        A projected CRS in metres, or None for the global option ``metric_crs`` (China Albers by default).

    Raises
    ------
    CRSError
        When ``crs`` is geographic or not in metres.
    """
    value = get_options()["metric_crs"] if crs is None else crs
    try:
        out = CRS.from_user_input(value)
    except Exception as exc:  # noqa: BLE001
        msg = f"unknown CRS {cut(value)}; give an EPSG code (e.g. EPSG:32648), a PROJ string or WKT"
        raise CRSError(msg) from exc
    if not is_metric_crs(out):
        msg = f"CRS {out.name!r} is not a projected CRS in metres; distances and areas need one (e.g. EPSG:32648)"
        raise CRSError(msg)
    return out


def require_crs(gdf: gpd.GeoDataFrame, what: str = "layer") -> CRS:
    """Return the CRS of ``gdf`` or raise a :class:`CRSError` naming ``what``."""
    if gdf.crs is None:
        msg = f"{what} has no CRS; assign one in the file (e.g. `ogr2ogr -a_srs EPSG:4326`) or pass --crs"
        raise CRSError(msg)
    return CRS.from_user_input(gdf.crs)


def require_projected(gdf: gpd.GeoDataFrame, what: str = "layer") -> CRS:
    """Return the CRS of ``gdf`` if it is projected in metres, else raise a :class:`CRSError`."""
    return _require_projected_crs(require_crs(gdf, what), what)


def to_metric(gdf: gpd.GeoDataFrame, crs: Any = None, what: str = "layer") -> gpd.GeoDataFrame:
    """Return ``gdf`` projected to the metric CRS (see :func:`metric_crs`); the input is not changed."""
    require_crs(gdf, what)
    target = metric_crs(crs)
    if CRS.from_user_input(gdf.crs) == target:
        return gdf.copy()
    return gdf.to_crs(target)
