"""Writers shared by the steps: tables (CSV) and layers (GeoPackage / GeoJSON) by the requested formats."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin.io.atomic import write_csv, write_gpkg_layers, write_json, write_vector


def write_table(df: pd.DataFrame, folder: Path, stem: str, opts: Any) -> dict[str, Path]:
    """Write ``folder/stem.csv`` when CSV is requested (encoding from the options)."""
    if not opts.wants("csv"):
        return {}
    return {f"{stem} (CSV)": write_csv(df, folder / f"{stem}.csv", encoding=opts.csv_encoding)}


def write_layers(layers: dict[str, gpd.GeoDataFrame], folder: Path, stem: str, opts: Any) -> dict[str, Path]:
    """Write the layers into ``folder/stem.gpkg`` (one layer each) and the first as GeoJSON, as requested."""
    out: dict[str, Path] = {}
    if opts.wants("gpkg"):
        out[f"{stem} (GeoPackage)"] = write_gpkg_layers(layers, folder / f"{stem}.gpkg")
    if opts.wants("geojson"):
        first = next(iter(layers.values()))
        out[f"{stem} (GeoJSON)"] = write_vector(first, folder / f"{stem}.geojson")
    return out


def write_summary(obj: Any, folder: Path, name: str = "summary.json") -> dict[str, Path]:
    """Write a JSON summary (always: it is small and scripts read it)."""
    return {"summary": write_json(obj, folder / name)}


__all__ = ["write_layers", "write_summary", "write_table"]
