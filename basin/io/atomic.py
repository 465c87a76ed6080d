"""Write outputs atomically and never over an input."""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin._errors import DataError


def ensure_not_input(out: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str] | None]) -> None:
    """Raise :class:`DataError` when ``out`` is one of ``inputs`` (basin never overwrites an input)."""
    out_p = Path(out).resolve()
    for inp in inputs:
        if inp is not None and Path(inp).resolve() == out_p:
            msg = f"refusing to write {out}: it is an input file; choose another output path"
            raise DataError(msg)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` only if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    # the temporary name keeps the real suffix last: GDAL picks and checks the format by it (.gpkg, .geojson)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.part.", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_p = Path(tmp)
    try:
        yield tmp_p
        os.replace(tmp_p, target)
    finally:
        if tmp_p.exists():
            tmp_p.unlink()


def write_text(text: str, target: str | os.PathLike[str]) -> Path:
    """Write UTF-8 text atomically and return the path."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(obj: Any, target: str | os.PathLike[str]) -> Path:
    """Write JSON (UTF-8, Chinese kept as is, indented) atomically."""
    return write_text(json.dumps(obj, ensure_ascii=False, indent=2, default=str) + "\n", target)


def write_csv(
    df: pd.DataFrame, target: str | os.PathLike[str], *, index: bool = False, encoding: str = "utf-8-sig"
) -> Path:
    """Write a CSV atomically (geometry columns are dropped).

    The default encoding is UTF-8 with a byte-order mark (``utf-8-sig``), so that Excel on Windows opens the
    file with its Chinese text intact; ``encoding="utf-8"`` writes plain UTF-8.
    """
    if isinstance(df, gpd.GeoDataFrame):
        df = pd.DataFrame(df.drop(columns=df.geometry.name))
    with atomic_path(target) as tmp:
        df.to_csv(tmp, index=index, encoding=encoding)
    return Path(target)


def write_vector(
    gdf: gpd.GeoDataFrame, target: str | os.PathLike[str], *, layer: str | None = None
) -> Path:
    """Write a vector file (format from the suffix: .gpkg, .geojson, .parquet, .shp) atomically.

    A GeoPackage that already exists at ``target`` is replaced whole, not appended to. GeoJSON is written in
    WGS84 as RFC 7946 asks.
    """
    target = Path(target)
    suffix = target.suffix.lower()
    with atomic_path(target) as tmp:
        if suffix == ".parquet":
            gdf.to_parquet(tmp)
        elif suffix in {".geojson", ".json"}:
            out = gdf.to_crs(4326) if gdf.crs is not None else gdf
            out.to_file(tmp, driver="GeoJSON", engine="pyogrio")
        elif suffix == ".gpkg":
            gdf.to_file(tmp, driver="GPKG", layer=layer or target.stem, engine="pyogrio")
        else:
            msg = f"cannot write {target}: unknown vector format {suffix!r} (use .gpkg, .geojson or .parquet)"
            raise DataError(msg)
    return target


def write_gpkg_layers(layers: dict[str, gpd.GeoDataFrame], target: str | os.PathLike[str]) -> Path:
    """Write several layers into one GeoPackage atomically (the whole file is replaced)."""
    with atomic_path(target) as tmp:
        for name, gdf in layers.items():
            gdf.to_file(tmp, driver="GPKG", layer=name, engine="pyogrio")
    return Path(target)
