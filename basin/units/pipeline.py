"""The chain behind ``basin units`` and ``basin zoning``: units, indicators, classes, management map.

:func:`evaluate_units` works on layers in memory; the run's step (:mod:`basin.units.step`) calls it and
writes the outputs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd

from basin._errors import CRSError, DataError, SchemaError
from basin.units import indicators as ind
from basin.units.classify import class_summary, classify_units, robustness
from basin.units.config import load_config

log = logging.getLogger(__name__)

__all__ = ["UnitsResult", "evaluate_units", "read_polygons"]

PathLike = str | os.PathLike[str]


@dataclass
class UnitsResult:
    """Classified units with their class table, robustness table and the classification metadata."""

    units: gpd.GeoDataFrame
    classes: pd.DataFrame
    robustness: pd.DataFrame
    info: dict[str, Any] = field(default_factory=dict)


def evaluate_units(
    units: gpd.GeoDataFrame,
    *,
    rivers: gpd.GeoDataFrame | None = None,
    admin: gpd.GeoDataFrame | None = None,
    population: PathLike | None = None,
    gdp: PathLike | None = None,
    zones: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    stations: gpd.GeoDataFrame | None = None,
    landuse: PathLike | None = None,
    built_classes: list[int] | None = None,
    flows: pd.DataFrame | None = None,
    loads: pd.DataFrame | None = None,
    config: PathLike | dict[str, Any] | None = None,
) -> UnitsResult:
    """Compute every indicator that the inputs allow, then classify the units and test the robustness.

    Parameters
    ----------
    units
        Units (``unit_id``, ``name``), any CRS.
    rivers
        River reaches (river-network density, by level and total).
    admin
        Admin layer with counties (town pressure without a land-use raster).
    population, gdp
        Density rasters (population density, economic-activity intensity).
    zones, lakes, stations
        Ingredients of water-environment sensitivity.
    landuse, built_classes
        Land-use raster and its built-up classes (town pressure).
    flows
        Design-flow table per unit (water capacity, see :func:`basin.units.indicators.water_capacity`).
    loads
        Pollutant loads per unit: ``unit_id, load_t_a`` (load/capacity ratio; needs ``flows``).
    config
        Evaluation configuration (default ``basin/units/config/default.yaml``).

    Returns
    -------
    UnitsResult
        ``units`` also gets ``area_km2`` and ``class_stable`` (False when the unit changes class in any
        scenario of the robustness table).
    """
    cfg = load_config(config)
    cols: dict[str, pd.Series] = {}
    if rivers is not None:
        if "level" in rivers.columns:
            for name, s in ind.river_density_by_level(units, rivers).items():
                cols[str(name)] = s
        else:
            cols["river_density"] = ind.river_density(units, rivers)
    if population is not None:
        cols["population_density"] = ind.population_density(units, population)
    if gdp is not None:
        cols["economic_intensity"] = ind.economic_intensity(units, gdp)
    if landuse is not None or admin is not None:
        cols["town_pressure"] = ind.town_pressure(
            units, landuse=landuse, built_classes=built_classes, admin=admin
        )
    parts = {"zones": zones, "lakes": lakes, "stations": stations}
    if any(v is not None for v in parts.values()):
        if zones is not None:
            cols["riparian_share"] = ind.riparian_share(units, zones)
        if lakes is not None:
            cols["lake_share"] = ind.lake_share(units, lakes)
        if stations is not None:
            cols["target_strictness"] = ind.target_strictness(units, stations)
        cols["water_sensitivity"] = ind.water_sensitivity(
            units,
            zones=zones,
            lakes=lakes,
            stations=stations,
            weights=cfg["sensitivity"],
            computed={k: cols[k] for k in ind.SENSITIVITY_PARTS if k in cols},
        )
    if flows is not None:
        cap = ind.water_capacity(units, flows)
        cols["water_capacity"] = cap
        area = units.geometry.to_crs(ind.working_crs(units)).area / 1e6
        cols["water_capacity_per_km2"] = (cap / area.to_numpy()).rename("water_capacity_per_km2")
        if loads is not None:
            missing = [c for c in ("unit_id", "load_t_a") if c not in loads.columns]
            if missing:
                msg = f"loads: missing column(s) {missing}; expected unit_id, load_t_a"
                raise SchemaError(msg)
            per = loads.assign(unit_id=loads["unit_id"].astype(str)).groupby("unit_id")["load_t_a"].sum()
            load = pd.Series(units["unit_id"].astype(str).map(per).to_numpy(dtype=float), index=units.index)
            cols["load_capacity_ratio"] = ind.load_capacity_ratio(load, cap)
    table = pd.DataFrame(cols, index=units.index)
    base = units.drop(columns=[c for c in table.columns if c in units.columns])
    classified = classify_units(base, table, config=cfg)
    area = classified.geometry.to_crs(ind.working_crs(classified)).area / 1e6
    classified["area_km2"] = area.to_numpy()
    rob = robustness(base, table, config=cfg)
    changed = {uid for ids in rob["changed_units"] for uid in ids.split(";") if uid}
    ids = (
        classified["unit_id"].astype(str) if "unit_id" in classified.columns else classified.index.astype(str)
    )
    classified["class_stable"] = ~pd.Series(ids, index=classified.index).isin(changed).to_numpy()
    return UnitsResult(
        units=classified,
        classes=class_summary(classified),
        robustness=rob,
        info={"indicators": list(table.columns), **classified.attrs.get("classification", {})},
    )


# ------------------------------------------------------------------------------------------- polygon layers
def read_polygons(path: PathLike | None, what: str) -> gpd.GeoDataFrame | None:
    """Read an optional polygon layer (red line, water sources) and check it has a CRS and polygons."""
    if path is None:
        return None
    try:
        gdf = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types
        msg = f"{path}: cannot read the {what} layer ({str(exc).splitlines()[0] if str(exc) else exc!r})"
        raise DataError(msg) from exc
    if gdf.crs is None:
        msg = f"{path}: the {what} layer has no CRS; assign one (e.g. `ogr2ogr -a_srs EPSG:4326`)"
        raise CRSError(msg)
    bad = ~gdf.geom_type.isin(["Polygon", "MultiPolygon"])
    if bad.any():
        found = sorted(set(gdf.geom_type[bad].astype(str)))
        msg = f"{path}: the {what} layer must hold polygons; found {found}"
        raise SchemaError(msg)
    return gdf
