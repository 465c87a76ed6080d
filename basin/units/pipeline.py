"""The chain behind ``basin units`` and ``basin zoning``: units, indicators, classes, management map.

:func:`evaluate_units` works on layers in memory; :func:`run_units` and :func:`run_zoning` read files (the
demo data when a path is not given) and write the outputs.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin._errors import CRSError, DataError, SchemaError
from basin.io import ensure_not_input, read_layer, write_csv, write_gpkg_layers, write_json
from basin.units import indicators as ind
from basin.units.classify import class_summary, classify_units, robustness
from basin.units.config import load_config
from basin.units.derive import region_from_admin, units_by_county, units_from_dem, units_from_reaches
from basin.units.management import management_area_table, management_zones

log = logging.getLogger(__name__)

__all__ = ["UnitsResult", "evaluate_units", "load_zones", "run_units", "run_zoning"]

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
            units, zones=zones, lakes=lakes, stations=stations, weights=cfg["sensitivity"]
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


# -------------------------------------------------------------------------------------------- file level
def _demo(name: str) -> Path | None:
    from basin import datasets

    try:
        return datasets.get_path(name)
    except DataError:
        return None


def _layer(
    path: PathLike | None, kind: str, default: str | None, mapping: Any = None
) -> gpd.GeoDataFrame | None:
    p = Path(path) if path is not None else (_demo(default) if default else None)
    if p is None:
        return None
    return read_layer(p, kind, mapping=mapping)  # type: ignore[arg-type]


def load_zones(
    path: PathLike | None = None, *, rivers: Any = None, lakes: Any = None, region: Any = None
) -> gpd.GeoDataFrame | None:
    """Return riparian zones from a file, or from ``basin.zoning.riparian_zones`` when installed.

    A file's layer ``zones`` is read when present (else its first layer).

    Returns None when neither is available.
    """
    if path is not None:
        import pyogrio

        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
        layer = "zones" if "zones" in layers else layers[0]
        z = gpd.read_file(path, layer=layer, engine="pyogrio")
        if "zone" not in z.columns:
            found = list(z.columns)
            msg = f"{path}, layer {layer!r}: riparian zones need a 'zone' column (A/B/C); found {found}"
            raise SchemaError(msg)
        return z
    if rivers is None or region is None:
        return None
    try:
        from basin.zoning import riparian_zones  # type: ignore[attr-defined]
    except ImportError:
        return None
    return riparian_zones(rivers, lakes, region)


def _polygons(path: PathLike | None, what: str) -> gpd.GeoDataFrame | None:
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


def run_units(
    outdir: PathLike,
    *,
    units: PathLike | None = None,
    dem: PathLike | None = None,
    dem_area_km2: float | None = None,
    dem_order: int | None = None,
    rivers: PathLike | None = None,
    admin: PathLike | None = None,
    population: PathLike | None = None,
    gdp: PathLike | None = None,
    lakes: PathLike | None = None,
    stations: PathLike | None = None,
    zones: PathLike | None = None,
    flows: PathLike | None = None,
    loads: PathLike | None = None,
    config: PathLike | None = None,
    by_county: bool = False,
    min_area_km2: float = 1.0,
    spacing: float = 1000.0,
    mapping: PathLike | None = None,
) -> tuple[UnitsResult, dict[str, Path]]:
    """Load or derive units, compute indicators, classify, and write the results into ``outdir``.

    Files: ``units.gpkg``, ``units.csv``, ``classes.csv``, ``robustness.csv`` and ``classification.json``.

    Inputs not given default to the demo dataset. With ``dem`` (and ``dem_area_km2`` or ``dem_order``) the
    units are the DEM's sub-basins (:func:`~basin.units.derive.units_from_dem`). Without ``units`` or ``dem``,
    the units are derived from the river
    reaches by Voronoi allocation over the region (the provinces of ``admin``), optionally cut by county
    (pieces
    below ``min_area_km2`` merged into a neighbour in the same county).
    """
    outdir = Path(outdir)
    inputs = [units, dem, rivers, admin, population, gdp, lakes, stations, zones, flows, loads, config]
    riv = _layer(rivers, "rivers", "rivers", mapping)
    adm = _layer(admin, "admin", "admin", mapping)
    lak = _layer(lakes, "lakes", "lakes", mapping)
    sta = _layer(stations, "stations", "stations", mapping)
    if units is not None:
        u = read_layer(units, "units", mapping=mapping)
    elif dem is not None:
        u = units_from_dem(dem, min_area_km2=dem_area_km2, min_order=dem_order)
        log.info("derived %d sub-basin units from the DEM %s", len(u), dem)
    else:
        if riv is None or adm is None:
            msg = "no units given and no rivers/admin to derive them from; pass --units or --rivers/--admin"
            raise DataError(msg)
        u = units_from_reaches(riv, region_from_admin(adm), spacing=spacing)
        log.info("derived %d units from %d river reaches (Voronoi allocation)", len(u), len(riv))
    if by_county:
        if adm is None:
            msg = "--by-county needs an admin layer with counties"
            raise DataError(msg)
        u = units_by_county(u, adm, min_area_km2=min_area_km2)
    region = region_from_admin(adm) if adm is not None else None
    zon = load_zones(zones, rivers=riv, lakes=lak, region=region)
    if zon is None:
        log.info("no riparian zones available: water sensitivity uses lakes and stations only")
    pop = Path(population) if population is not None else _demo("population")
    gd = Path(gdp) if gdp is not None else _demo("gdp")
    flo = pd.read_csv(flows, encoding="utf-8-sig") if flows is not None else None
    lo = pd.read_csv(loads, encoding="utf-8-sig") if loads is not None else None
    res = evaluate_units(
        u,
        rivers=riv,
        admin=adm,
        population=pop,
        gdp=gd,
        zones=zon,
        lakes=lak,
        stations=sta,
        flows=flo,
        loads=lo,
        config=config,
    )
    targets = {
        "units": outdir / "units.gpkg",
        "units table": outdir / "units.csv",
        "classes": outdir / "classes.csv",
        "robustness": outdir / "robustness.csv",
        "classification": outdir / "classification.json",
    }
    for t in targets.values():
        ensure_not_input(t, inputs)
    write_gpkg_layers({"units": res.units}, targets["units"])
    write_csv(res.units, targets["units table"])
    write_csv(res.classes, targets["classes"])
    write_csv(res.robustness, targets["robustness"])
    write_json(res.info, targets["classification"])
    return res, targets


def run_zoning(
    outdir: PathLike,
    *,
    units: PathLike | None = None,
    zones: PathLike | None = None,
    admin: PathLike | None = None,
    redline: PathLike | None = None,
    water_sources: PathLike | None = None,
    rules: PathLike | None = None,
    units_kwargs: dict[str, Any] | None = None,
) -> tuple[gpd.GeoDataFrame, dict[str, Path]]:
    """Build the management map and write it with its area tables into ``outdir``.

    Files: ``management.gpkg`` (layers ``management`` and ``management_zones``), ``area_by_province.csv`` and
    ``area_by_county.csv``.

    ``units`` is a classified units file (``units.gpkg`` of :func:`run_units`); without it the units are
    evaluated first (with ``units_kwargs``, into ``outdir/units``).
    """
    outdir = Path(outdir)
    adm = _layer(admin, "admin", "admin")
    if units is not None:
        u = gpd.read_file(units, engine="pyogrio")
        if "class_code" not in u.columns:
            msg = f"{units}: units are not classified (no 'class_code' column); run `basin units` first"
            raise SchemaError(msg)
    else:
        kw = {"zones": zones, **(units_kwargs or {})}
        u = run_units(outdir / "units", admin=admin, **kw)[0].units
    riv = _layer((units_kwargs or {}).get("rivers"), "rivers", "rivers")
    lak = _layer((units_kwargs or {}).get("lakes"), "lakes", "lakes")
    zon = load_zones(zones, rivers=riv, lakes=lak, region=region_from_admin(adm) if adm is not None else None)
    if zon is None:
        msg = "no riparian zones: pass --zones (a layer with a 'zone' column A/B/C, e.g. from `basin zones`)"
        raise DataError(msg)
    red = _polygons(redline, "red line")
    ws = _polygons(water_sources, "drinking-water sources")
    m = management_zones(zon, u, redline=red, water_sources=ws, rules=rules)
    dissolved = m.dissolve(by=["mgmt_zone", "label_zh", "label_en"], as_index=False)[
        ["mgmt_zone", "label_zh", "label_en", "geometry"]
    ]
    dissolved["area_km2"] = dissolved.area / 1e6
    targets = {"management map": outdir / "management.gpkg"}
    inputs = [units, zones, admin, redline, water_sources, rules]
    ensure_not_input(targets["management map"], inputs)
    write_gpkg_layers({"management": m, "management_zones": dissolved}, targets["management map"])
    if adm is not None:
        for level in ("province", "county"):
            t = outdir / f"area_by_{level}.csv"
            ensure_not_input(t, inputs)
            write_csv(management_area_table(m, adm, level=level), t)
            targets[f"areas by {level}"] = t
    return m, targets
