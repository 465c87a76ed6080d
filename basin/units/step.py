"""The run's evaluation-unit steps: four-class units, then the priority / key / general management map."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin.io.tables import write_layers, write_summary, write_table

log = logging.getLogger(__name__)


@dataclass
class UnitsStepResult:
    """The classified units (:class:`basin.units.pipeline.UnitsResult`) and how they were made."""

    result: Any
    made_from: str

    @property
    def units(self) -> gpd.GeoDataFrame:
        """Classified units (``class_code``, indicators, ``class_stable`` …)."""
        return self.result.units

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the result tables by name."""
        return {
            "units": pd.DataFrame(self.result.units.drop(columns=self.result.units.geometry.name)),
            "unit_classes": self.result.classes,
            "unit_robustness": self.result.robustness,
        }

    def summary(self) -> dict[str, Any]:
        """Units per class and the indicators used."""
        counts = self.result.units["class_code"].astype(str).value_counts().sort_index()
        return {
            "units": len(self.result.units),
            "made_from": self.made_from,
            "by_class": {k: int(v) for k, v in counts.items()},
            "indicators": list(self.result.info.get("indicators", [])),
        }


@dataclass
class ManagementResult:
    """The management map (units cut by zones, red line, water sources) and its area tables."""

    management: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    areas: dict[str, pd.DataFrame]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the result tables by name."""
        return {f"management_area_by_{k}": v for k, v in self.areas.items()}

    def summary(self) -> dict[str, Any]:
        """Area per management zone (km²)."""
        return {str(r.mgmt_zone): round(float(r.area_km2), 1) for r in self.zones.itertuples()}


def _read_table(path: Path, what: str) -> pd.DataFrame:
    from basin._errors import DataError

    try:
        df = pd.read_csv(path, encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{what} table {path}: not UTF-8 text (byte {exc.start}); save it as UTF-8"
        raise DataError(msg) from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError) as exc:
        msg = f"{what} table {path}: cannot read as CSV ({str(exc).splitlines()[0]})"
        raise DataError(msg) from None
    if df.empty:
        msg = f"{what} table {path}: no rows (only a header); add the rows or leave the table out"
        raise DataError(msg)
    return df


def units_step(res: Any) -> UnitsStepResult:
    """Make (or read) the evaluation units, compute every indicator the inputs allow and classify them."""
    from basin.run import Skip, Skipped, source_of
    from basin.units.derive import region_from_admin, units_by_county, units_from_dem, units_from_reaches
    from basin.units.pipeline import evaluate_units

    p = res.project
    choice = p.choices.units
    classified = res.options.get("classified_units")
    if classified is not None:
        return _read_classified(res, Path(classified))
    rivers, admin = res.layers.get("rivers"), res.layers.get("admin")
    source = choice.source
    if source == "auto":
        source = "layer" if "units" in res.layers else ("dem" if p.rasters.dem is not None else "reaches")
    if source == "layer":
        if "units" not in res.layers:
            raise Skipped(
                "evaluation units", "units.source is 'layer' but there is no units layer", "add `layers: units:`"
            )
        u = res.layers["units"]
    elif source == "dem":
        if p.rasters.dem is None:
            raise Skipped("evaluation units", "units.source is 'dem' but there is no DEM", "add `rasters: dem:`")
        u = units_from_dem(p.rasters.dem, min_area_km2=choice.dem_area_km2, min_order=choice.dem_order)
        res.sources["dem"] = source_of("dem", p.rasters.dem, p)
    else:
        if rivers is None or admin is None:
            raise Skipped(
                "evaluation units",
                "no units layer and no rivers + admin layers to derive them from",
                "add `layers: units:` or `layers: rivers:` and `layers: admin:`",
            )
        u = units_from_reaches(rivers, region_from_admin(admin), spacing=choice.spacing_m)
    if choice.by_county:
        if admin is None:
            res.skipped.append(Skip("split of units by county", "no admin layer", "add `layers: admin:`"))
        else:
            u = units_by_county(u, admin, min_area_km2=choice.min_area_km2)
    rasters = {}
    for name in ("population", "gdp", "landuse"):
        path = getattr(p.rasters, name)
        if path is None:
            if name != "landuse":
                res.skipped.append(
                    Skip(f"{name} indicator", f"no {name} raster", f"add `rasters: {name}: FILE.tif` to the project")
                )
            continue
        rasters[name] = path
        res.sources[name] = source_of(name, path, p)
    tables = {}
    for name in ("flows", "loads"):
        path = getattr(p.tables, name)
        if path is not None:
            tables[name] = _read_table(path, name)
            res.sources[name] = source_of(name, path, p)
    if "flows" not in tables:
        res.skipped.append(
            Skip("water capacity indicator", "no design-flow table", "add `tables: flows: FILE.csv` (unit_id, flow …)")
        )
    if choice.config is not None:
        res.sources["units config"] = source_of("units config", choice.config, p)
    zones = res.riparian.zones if res.riparian is not None else None
    from basin._errors import SchemaError

    try:
        result = evaluate_units(
            u,
            rivers=rivers,
            admin=admin,
            population=rasters.get("population"),
            gdp=rasters.get("gdp"),
            landuse=rasters.get("landuse"),
            zones=zones,
            lakes=res.layers.get("lakes"),
            stations=res.layers.get("stations"),
            flows=tables.get("flows"),
            loads=tables.get("loads"),
            config=choice.config,
        )
    except SchemaError as exc:
        if "is missing; computed indicators" not in str(exc):
            raise
        raise Skipped(
            "evaluation units",
            str(exc),
            "give the indicator's input (e.g. `rasters: population: FILE.tif`) or mark it optional in the units "
            "configuration (choices.units.config)",
        ) from None
    return UnitsStepResult(result, source)


def _read_classified(res: Any, path: Path) -> UnitsStepResult:
    """Units classified by an earlier run (``units.gpkg`` of ``basin units``), used as they are."""
    from basin._errors import DataError, SchemaError
    from basin.run import source_of
    from basin.units.classify import class_summary
    from basin.units.pipeline import UnitsResult

    try:
        u = gpd.read_file(path, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read classified units ({detail[:120]})"
        raise DataError(msg) from None
    if "class_code" not in u.columns:
        msg = f"{path}: units are not classified (no 'class_code' column); run `basin units` first"
        raise SchemaError(msg)
    res.sources["classified units"] = source_of("classified units", path, res.project)
    return UnitsStepResult(UnitsResult(units=u, classes=class_summary(u), robustness=pd.DataFrame()), "file")


def write_units(result: UnitsStepResult, folder: Path, opts: Any) -> dict[str, Path]:
    """Write ``units.gpkg``, ``units.csv``, ``classes.csv``, ``robustness.csv`` and ``classification.json``."""
    r = result.result
    files = write_layers({"units": r.units}, folder, "units", opts)
    files.update(write_table(r.units, folder, "units", opts))
    files.update(write_table(r.classes, folder, "classes", opts))
    files.update(write_table(r.robustness, folder, "robustness", opts))
    files.update(write_summary(r.info, folder, "classification.json"))
    return files


def management_step(res: Any) -> ManagementResult:
    """Overlay the classified units with the riparian zones (and red line, water sources) into the management map."""
    from basin.run import Skipped, source_of
    from basin.units.management import management_area_table, management_zones

    if res.units is None:
        raise Skipped("management map", "no evaluation units", "see the units step above")
    if res.riparian is None:
        raise Skipped("management map", "no riparian zones", "see the riparian step above (needs rivers and admin)")
    rules = res.project.choices.units.management_rules
    if rules is not None:
        res.sources["management rules"] = source_of("management rules", rules, res.project)
    m = management_zones(
        res.riparian.zones,
        res.units.units,
        redline=res.layers.get("redline"),
        water_sources=res.layers.get("water_sources"),
        rules=rules,
    )
    dissolved = m.dissolve(by=["mgmt_zone", "label_zh", "label_en"], as_index=False)[
        ["mgmt_zone", "label_zh", "label_en", "geometry"]
    ]
    dissolved["area_km2"] = dissolved.area / 1e6
    areas: dict[str, pd.DataFrame] = {}
    admin = res.layers.get("admin")
    if admin is not None:
        for level in ("province", "county"):
            areas[level] = management_area_table(m, admin, level=level)
    return ManagementResult(m, dissolved, areas)


def write_management(result: ManagementResult, folder: Path, opts: Any) -> dict[str, Path]:
    """Write ``management.gpkg`` (layers ``management``, ``management_zones``) and ``area_by_<level>.csv``."""
    layers = {"management": result.management, "management_zones": result.zones}
    files = write_layers(layers, folder, "management", opts)
    for level, df in result.areas.items():
        files.update(write_table(df, folder, f"area_by_{level}", opts))
    return files


__all__ = ["ManagementResult", "UnitsStepResult", "management_step", "units_step", "write_management", "write_units"]
