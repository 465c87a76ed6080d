"""The data model: the six vector layers of basin, their schemas, and the loaders that enforce them.

=========== ============ ===================================================================================
kind        geometry     columns (``*`` optional)
=========== ============ ===================================================================================
rivers      lines        river_id, name, level (0 main stem, 1/2/3 tributary level, 4+ below),
                         downstream_id*, basin*
lakes       polygons     lake_id, name, kind (lake | reservoir), connected (bool, 通江湖库)
units       polygons     unit_id, name
admin       polygons     admin_id, name, level (province | county), parent_id
stations    points       station_id, name, river_id and/or lake_id, waterbody (river | lake | reservoir),
                         target_class (1-5)
facilities  points or    facility_id, name, category (polluting_facility | industrial_park | other),
            polygons     status (proposed | existing)
=========== ============ ===================================================================================

Files: anything pyogrio reads (GeoPackage, GeoJSON, Shapefile, GeoParquet), and CSV with lon/lat columns for
points. Officers' own column names (often Chinese) are mapped onto the model with a mapping (YAML file or dict):

.. code-block:: yaml

    rivers:
      columns: {river_id: 编码, name: 河流名称, level: 河流等级}
      values:
        level: {干流: 0, 一级支流: 1, 二级支流: 2, 三级支流: 3}
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml
from pyproj import CRS

from basin._errors import CRSError, DataError, GeometryRepairedWarning, SchemaError

Kind = Literal["rivers", "lakes", "units", "admin", "stations", "facilities"]


@dataclass(frozen=True)
class Column:
    """One column of a layer schema."""

    name: str
    dtype: Literal["str", "int", "bool"]
    required: bool = True
    allow_null: bool = False
    allowed: tuple[Any, ...] | None = None
    min: int | None = None
    max: int | None = None


@dataclass(frozen=True)
class LayerSchema:
    """Schema of one layer kind: id column, columns and allowed geometry types."""

    kind: str
    id_column: str
    columns: tuple[Column, ...]
    geom_types: tuple[str, ...]

    @property
    def names(self) -> list[str]:
        """Names of all columns of the schema."""
        return [c.name for c in self.columns]


_LINES = ("LineString", "MultiLineString")
_POLYS = ("Polygon", "MultiPolygon")

SCHEMAS: dict[str, LayerSchema] = {
    "rivers": LayerSchema(
        "rivers",
        "river_id",
        (
            Column("river_id", "str"),
            Column("name", "str", allow_null=True),
            Column("level", "int", min=0, max=9),
            Column("downstream_id", "str", required=False, allow_null=True),
            Column("basin", "str", required=False, allow_null=True),
        ),
        _LINES,
    ),
    "lakes": LayerSchema(
        "lakes",
        "lake_id",
        (
            Column("lake_id", "str"),
            Column("name", "str", allow_null=True),
            Column("kind", "str", allowed=("lake", "reservoir")),
            Column("connected", "bool"),
        ),
        _POLYS,
    ),
    "units": LayerSchema(
        "units", "unit_id", (Column("unit_id", "str"), Column("name", "str", allow_null=True)), _POLYS
    ),
    "admin": LayerSchema(
        "admin",
        "admin_id",
        (
            Column("admin_id", "str"),
            Column("name", "str"),
            Column("level", "str", allowed=("province", "county")),
            Column("parent_id", "str", allow_null=True),
        ),
        _POLYS,
    ),
    "stations": LayerSchema(
        "stations",
        "station_id",
        (
            Column("station_id", "str"),
            Column("name", "str", allow_null=True),
            Column("river_id", "str", required=False, allow_null=True),
            Column("lake_id", "str", required=False, allow_null=True),
            Column("waterbody", "str", allowed=("river", "lake", "reservoir")),
            Column("target_class", "int", min=1, max=5),
        ),
        ("Point",),
    ),
    "facilities": LayerSchema(
        "facilities",
        "facility_id",
        (
            Column("facility_id", "str"),
            Column("name", "str", allow_null=True),
            Column("category", "str", allowed=("polluting_facility", "industrial_park", "other")),
            Column("status", "str", allowed=("proposed", "existing")),
        ),
        ("Point", "MultiPoint", *_POLYS),
    ),
}

LAT_NAMES = ("lat", "latitude", "y", "纬度")
LON_NAMES = ("lon", "lng", "longitude", "x", "经度")


@dataclass
class Problem:
    """One finding of a layer check."""

    severity: Literal["error", "repaired"]
    message: str


@dataclass
class LayerReport:
    """Result of :func:`check_layer`: what was read and what is wrong with it."""

    path: str
    layer: str | None
    kind: str
    n_features: int = 0
    crs: str | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no problem of severity ``error`` (or ``repaired``) was found."""
        return not self.problems

    @property
    def where(self) -> str:
        """``file`` or ``file, layer L`` for messages."""
        return f"{self.path}, layer {self.layer!r}" if self.layer else str(self.path)

    def error_message(self) -> str:
        """All problems in one message that names the file and layer."""
        lines = [f"{self.where} ({self.kind}): " + "; ".join(p.message for p in self.problems)]
        return lines[0]


# ----------------------------------------------------------------------------------------------- mapping
def load_mapping(source: str | os.PathLike[str] | Mapping[str, Any] | None, kind: str) -> dict[str, Any]:
    """Return the mapping for one layer kind from a YAML file or dict (``{}`` when there is none).

    The mapping of a kind has ``columns`` (model name -> file column) and optionally ``values`` (model name ->
    {file value: model value}). A flat dict of column names is also accepted.
    """
    if source is None:
        return {}
    if isinstance(source, Mapping):
        data: Any = dict(source)
        where = "mapping"
    else:
        from basin._validate import load_yaml

        where = str(source)
        data = load_yaml(source, what="mapping file")
        if data is None:
            msg = f"mapping file {where} is empty; leave --mapping out, or write the column mapping in it"
            raise SchemaError(msg)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        msg = f"{where}: expected a mapping of layer kinds ({', '.join(SCHEMAS)}) to column mappings"
        raise SchemaError(msg)
    unknown = sorted(map(str, set(data) - set(SCHEMAS)))
    if unknown:
        msg = f"{where}: unknown layer kind(s) {unknown}; expected some of {list(SCHEMAS)}"
        raise SchemaError(msg)
    entry = data.get(kind) or {}
    if not isinstance(entry, Mapping):
        msg = f"{where}: entry {kind!r} must be a mapping with 'columns' and optional 'values'"
        raise SchemaError(msg)
    if "columns" not in entry and "values" not in entry:
        entry = {"columns": dict(entry)}
    bad = sorted(map(str, set(entry) - {"columns", "values"}))
    if bad:
        msg = f"{where}: entry {kind!r} has unknown key(s) {bad}; expected 'columns' and 'values'"
        raise SchemaError(msg)
    names = set(SCHEMAS[kind].names) | {"lon", "lat"}
    for key in ("columns", "values"):
        sub = entry.get(key) or {}
        if not isinstance(sub, Mapping):
            msg = f"{where}: {kind}.{key} must be a mapping"
            raise SchemaError(msg)
        wrong = sorted(map(str, set(sub) - names))
        if wrong:
            msg = f"{where}: {kind}.{key} names unknown model column(s) {wrong}; expected some of {sorted(names)}"
            raise SchemaError(msg)
    return {"columns": dict(entry.get("columns") or {}), "values": dict(entry.get("values") or {})}


# -------------------------------------------------------------------------------------------------- read
def _read_raw(path: Path, layer: str | None, kind: str, mapping: dict[str, Any], crs: Any) -> gpd.GeoDataFrame:
    where = f"{path}, layer {layer!r}" if layer else str(path)
    if not path.exists():
        msg = f"{path}: file does not exist"
        raise DataError(msg)
    if path.is_file() and path.stat().st_size == 0:
        msg = f"{path}: file is empty (0 bytes)"
        raise DataError(msg)
    if path.suffix.lower() in {".csv", ".txt"}:
        return _read_points_csv(path, kind, mapping, crs)
    try:
        if path.suffix.lower() == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            gdf = pyogrio.read_dataframe(path, layer=layer)
    except Exception as exc:  # noqa: BLE001 - GDAL/arrow raise many types; the message says what to fix
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{where}: cannot read as a vector layer ({detail}); expected GeoPackage, GeoJSON, Shapefile, GeoParquet or CSV"
        raise DataError(msg) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = f"{where}: no geometry column"
        raise DataError(msg)
    if crs is not None:
        if gdf.crs is not None and CRS.from_user_input(gdf.crs) != CRS.from_user_input(crs):
            msg = f"{where}: has CRS {gdf.crs.name!r}; --crs {crs!r} may only be given for a file without a CRS"
            raise CRSError(msg)
        gdf = gdf.set_crs(crs)
    return gdf


def _read_points_csv(path: Path, kind: str, mapping: dict[str, Any], crs: Any) -> gpd.GeoDataFrame:
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""], encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        msg = f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start}); save the CSV as UTF-8"
        raise DataError(msg) from exc
    except Exception as exc:  # noqa: BLE001
        msg = f"{path}: cannot read as CSV ({exc})"
        raise DataError(msg) from exc
    cols = mapping.get("columns", {})
    lon = cols.get("lon") or next((c for c in df.columns if c.lower() in LON_NAMES), None)
    lat = cols.get("lat") or next((c for c in df.columns if c.lower() in LAT_NAMES), None)
    if lon not in df.columns or lat not in df.columns:
        msg = f"{path}: a CSV layer needs lon/lat columns (one of {LON_NAMES} and {LAT_NAMES}); found {list(df.columns)}"
        raise SchemaError(msg)
    x = pd.to_numeric(df[lon], errors="coerce")
    y = pd.to_numeric(df[lat], errors="coerce")
    bad = df.index[x.isna() | y.isna()]
    if len(bad):
        rows = ", ".join(str(i + 2) for i in bad[:10])
        msg = f"{path}: columns {lon!r}/{lat!r}: non-numeric or empty coordinates in row(s) {rows}"
        raise SchemaError(msg)
    out_crs = crs if crs is not None else "EPSG:4326"
    return gpd.GeoDataFrame(df.drop(columns=[lon, lat]), geometry=gpd.points_from_xy(x, y), crs=out_crs)


def _apply_mapping(gdf: gpd.GeoDataFrame, mapping: dict[str, Any], where: str) -> gpd.GeoDataFrame:
    columns = {k: v for k, v in mapping.get("columns", {}).items() if k not in {"lon", "lat"}}
    missing = sorted(v for v in columns.values() if v not in gdf.columns)
    if missing:
        msg = f"{where}: mapped column(s) {missing} not in the file; file columns: {list(gdf.columns)}"
        raise SchemaError(msg)
    clash = sorted(k for k, v in columns.items() if k in gdf.columns and k != v)
    if clash:
        gdf = gdf.drop(columns=clash)
    gdf = gdf.rename(columns={v: k for k, v in columns.items()})
    for col, table in mapping.get("values", {}).items():
        if col in gdf.columns:
            gdf[col] = gdf[col].map(lambda v, t=table: t.get(v, v) if isinstance(t, Mapping) else v)
    return gdf


def _ids_text(ids: Any, limit: int = 10) -> str:
    ids = [str(i) for i in ids]
    more = f" (+{len(ids) - limit} more)" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _coerce_column(gdf: gpd.GeoDataFrame, col: Column, ids: pd.Series, problems: list[Problem]) -> None:
    s = gdf[col.name]
    null = s.isna() | (s.astype("string").str.strip() == "")
    if not col.allow_null and null.any():
        problems.append(Problem("error", f"column {col.name!r}: empty value for id(s) {_ids_text(ids[null])}"))
    present = ~null
    if col.dtype == "int":
        num = pd.to_numeric(s.where(present), errors="coerce")
        bad = present & (num.isna() | (num % 1 != 0))
        if bad.any():
            vals = sorted({str(v) for v in s[bad]})
            problems.append(
                Problem("error", f"column {col.name!r}: not an integer: {vals[:10]} for id(s) {_ids_text(ids[bad])}")
            )
        rng = present & ~bad & (
            (num < (col.min if col.min is not None else -np.inf)) | (num > (col.max if col.max is not None else np.inf))
        )
        if rng.any():
            vals = sorted({int(v) for v in num[rng]})
            problems.append(
                Problem(
                    "error",
                    f"column {col.name!r}: value(s) {vals} out of range {col.min}-{col.max} "
                    f"for id(s) {_ids_text(ids[rng])}",
                )
            )
        if not bad.any() and not rng.any():
            gdf[col.name] = num.astype("Int64")
    elif col.dtype == "bool":
        truth = {"true": True, "1": True, "yes": True, "t": True, "false": False, "0": False, "no": False, "f": False}
        mapped = s.map(lambda v: v if isinstance(v, bool | np.bool_) else truth.get(str(v).strip().lower()))
        bad = present & mapped.isna()
        if bad.any():
            vals = sorted({str(v) for v in s[bad]})
            problems.append(
                Problem(
                    "error",
                    f"column {col.name!r}: expected true/false, got {vals[:10]} for id(s) {_ids_text(ids[bad])}",
                )
            )
        else:
            gdf[col.name] = mapped.astype("boolean")
    else:
        def _to_str(v: Any) -> Any:
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return str(v).strip()

        gdf[col.name] = s.where(~present, s[present].map(_to_str) if present.any() else s).astype("string")
        if col.allowed is not None:
            bad = present & ~gdf[col.name].isin(col.allowed)
            if bad.any():
                vals = sorted({str(v) for v in gdf.loc[bad, col.name]})
                problems.append(
                    Problem(
                        "error",
                        f"column {col.name!r}: unknown value(s) {vals} for id(s) {_ids_text(ids[bad])}; "
                        f"allowed: {list(col.allowed)}",
                    )
                )


def _validate(
    gdf: gpd.GeoDataFrame, kind: str, where: str, *, repair: bool
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    schema = SCHEMAS[kind]
    problems: list[Problem] = []
    if len(gdf) == 0:
        return gdf, [Problem("error", "layer is empty (no features)")]
    # CRS
    if gdf.crs is None:
        problems.append(
            Problem("error", "no CRS; assign one in the file (e.g. `ogr2ogr -a_srs EPSG:4326`) or pass --crs")
        )
    else:
        crs = CRS.from_user_input(gdf.crs)
        if not (crs.is_geographic or crs.is_projected):
            problems.append(Problem("error", f"CRS {crs.name!r} is neither geographic nor projected (unknown)"))
    # columns
    missing = [c.name for c in schema.columns if c.required and c.name not in gdf.columns]
    if kind == "stations" and "river_id" not in gdf.columns and "lake_id" not in gdf.columns:
        missing.append("river_id or lake_id")
    if missing:
        problems.append(
            Problem(
                "error",
                f"missing column(s) {missing}; found {[c for c in gdf.columns if c != gdf.geometry.name]} "
                "(map your columns with --mapping)",
            )
        )
        return gdf, problems
    idcol = schema.id_column
    ids = gdf[idcol].astype("string")
    gdf = gdf.copy()
    for col in schema.columns:
        if col.name in gdf.columns:
            _coerce_column(gdf, col, ids.fillna("<row " + pd.Series(range(len(gdf)), index=gdf.index).astype(str) + ">"), problems)
    ids = gdf[idcol].astype("string")
    dup = ids.duplicated(keep=False) & ids.notna()
    if dup.any():
        problems.append(Problem("error", f"column {idcol!r}: duplicate id(s) {_ids_text(sorted(set(ids[dup])))}"))
    if kind == "rivers" and "downstream_id" in gdf.columns:
        ds = gdf["downstream_id"].astype("string")
        dangling = ds.notna() & ~ds.isin(set(ids.dropna()))
        if dangling.any():
            problems.append(
                Problem(
                    "error",
                    f"column 'downstream_id': id(s) {_ids_text(sorted(set(ds[dangling])))} are not river_ids "
                    f"(rivers {_ids_text(ids[dangling])})",
                )
            )
    if kind == "stations":
        rid = gdf["river_id"] if "river_id" in gdf.columns else pd.Series(pd.NA, index=gdf.index)
        lid = gdf["lake_id"] if "lake_id" in gdf.columns else pd.Series(pd.NA, index=gdf.index)
        none = rid.isna() & lid.isna()
        if none.any():
            problems.append(Problem("error", f"station(s) {_ids_text(ids[none])} have neither river_id nor lake_id"))
    # geometry
    geom = gdf.geometry
    empty = geom.isna() | geom.is_empty
    if empty.any():
        problems.append(Problem("error", f"empty or missing geometry for id(s) {_ids_text(ids[empty])}"))
    types = geom.geom_type
    wrong = ~empty & ~types.isin(schema.geom_types)
    if wrong.any():
        found = sorted(set(types[wrong]))
        problems.append(
            Problem(
                "error",
                f"geometry type(s) {found} for id(s) {_ids_text(ids[wrong])}; expected {list(schema.geom_types)}",
            )
        )
    with np.errstate(invalid="ignore"):
        finite = np.isfinite(shapely.bounds(geom.values)).all(axis=1)
    nonfinite = ~empty & ~wrong & ~finite
    if nonfinite.any():
        problems.append(
            Problem("error", f"coordinates that are not finite (NaN/inf) for id(s) {_ids_text(ids[nonfinite])}")
        )
    invalid = ~empty & ~wrong & ~nonfinite & ~shapely.is_valid(geom.values)
    if invalid.any():
        reasons = [shapely.is_valid_reason(g) for g in geom[invalid]]
        detail = "; ".join(f"{i}: {r}" for i, r in list(zip(ids[invalid], reasons, strict=True))[:5])
        if repair:
            fixed = shapely.make_valid(geom[invalid].values)
            # make_valid can turn a polygon into a collection; keep the parts of the layer's own dimension
            dim = shapely.get_dimensions(geom[invalid].values)
            parts = [
                _same_dimension(f, d) for f, d in zip(fixed, dim, strict=True)
            ]
            gdf.loc[invalid, gdf.geometry.name] = gpd.GeoSeries(parts, index=gdf.index[invalid], crs=gdf.crs)
            problems.append(Problem("repaired", f"invalid geometry repaired with make_valid for id(s): {detail}"))
        else:
            problems.append(Problem("error", f"invalid geometry for id(s): {detail}"))
    return gdf, problems


def _same_dimension(geom: shapely.Geometry, dim: int) -> shapely.Geometry:
    if shapely.get_dimensions(geom) == dim and not isinstance(geom, shapely.GeometryCollection):
        return geom
    parts = [p for p in shapely.get_parts(geom) if shapely.get_dimensions(p) == dim]
    return shapely.union_all(parts) if parts else geom


def read_layer(
    path: str | os.PathLike[str],
    kind: Kind,
    *,
    layer: str | None = None,
    mapping: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    crs: Any = None,
    repair: bool = True,
) -> gpd.GeoDataFrame:
    """Read a layer of the data model, check it and return it with the model's column names.

    Parameters
    ----------
    path
        Vector file (GeoPackage, GeoJSON, Shapefile, GeoParquet) or CSV with lon/lat columns (points).
    kind
        One of ``rivers``, ``lakes``, ``units``, ``admin``, ``stations``, ``facilities``.
    layer
        Layer name inside a multi-layer file (default: the first layer).
    mapping
        Column mapping (YAML path or dict) from the model's names to the file's names, see the module docs.
    crs
        CRS for a file that has none (CSV defaults to WGS84 lon/lat).
    repair
        Repair invalid geometries with ``shapely.make_valid`` and report them with a
        :class:`~basin._errors.GeometryRepairedWarning` (default). With False they are an error.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in its own CRS, with model columns typed (ids as strings, levels and classes as integers);
        extra columns are kept.

    Raises
    ------
    DataError
        The file is missing, empty or not a vector format.
    SchemaError
        Missing columns, duplicate ids, unknown values, wrong geometry types ... (all listed in one message).
    CRSError
        No CRS, or an unknown one.
    """
    if kind not in SCHEMAS:
        msg = f"unknown layer kind {kind!r}; expected one of {list(SCHEMAS)}"
        raise SchemaError(msg)
    gdf, report = _load(Path(path), kind, layer=layer, mapping=mapping, crs=crs, repair=repair)
    errors = [p for p in report.problems if p.severity == "error"]
    if errors:
        text = f"{report.where} ({kind}): " + "; ".join(p.message for p in errors)
        if any("CRS" in p.message for p in errors) and len(errors) == 1:
            raise CRSError(text)
        raise SchemaError(text)
    for p in report.problems:
        warnings.warn(f"{report.where} ({kind}): {p.message}", GeometryRepairedWarning, stacklevel=2)
    gdf.attrs["basin_source"] = {"path": str(path), "layer": report.layer, "kind": kind}
    return gdf


def _load(
    path: Path, kind: str, *, layer: str | None, mapping: Any, crs: Any, repair: bool
) -> tuple[gpd.GeoDataFrame, LayerReport]:
    mp = load_mapping(mapping, kind)
    if layer is None and path.suffix.lower() not in {".csv", ".txt", ".parquet"} and path.exists():
        try:
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
        except Exception:  # noqa: BLE001 - reported by _read_raw with a clear message
            names = []
        if len(names) > 1:
            layer = kind if kind in names else names[0]
    report = LayerReport(str(path), layer, kind)
    gdf = _read_raw(path, layer, kind, mp, crs)
    gdf = _apply_mapping(gdf, mp, report.where)
    report.n_features = len(gdf)
    report.crs = gdf.crs.to_string() if gdf.crs is not None else None
    gdf, problems = _validate(gdf, kind, report.where, repair=repair)
    report.problems = problems
    return gdf, report


def check_layer(
    path: str | os.PathLike[str],
    kind: Kind,
    *,
    layer: str | None = None,
    mapping: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    crs: Any = None,
) -> LayerReport:
    """Check a layer without raising: every problem, including invalid geometries, goes into the report.

    A file that cannot be read at all gives a report with one error.
    """
    try:
        _, report = _load(Path(path), kind, layer=layer, mapping=mapping, crs=crs, repair=False)
    except (DataError, SchemaError, CRSError) as exc:
        report = LayerReport(str(path), layer, kind, problems=[Problem("error", str(exc))])
    return report


def guess_kind(columns: list[str], layer: str | None = None, mapping: Any = None) -> str | None:
    """Guess the layer kind from the layer name or its id column (``river_id`` -> rivers ...), or None.

    Id columns are tried from the most specific (``station_id``; stations also carry ``river_id``) to the
    least; a mapping's id column names count too.
    """
    if layer in SCHEMAS:
        return layer
    for kind in ("stations", "facilities", "units", "admin", "lakes", "rivers"):
        id_col = SCHEMAS[kind].id_column
        mapped = (load_mapping(mapping, kind).get("columns") or {}).get(id_col) if mapping is not None else None
        if id_col in columns or (mapped is not None and mapped in columns):
            return kind
    return None


def inspect_layers(
    path: str | os.PathLike[str], *, kind: str | None = None, layer: str | None = None, mapping: Any = None
) -> list[tuple[str | None, str | None]]:
    """List ``(layer, kind)`` pairs to check in a file: every layer, with its kind given or guessed.

    Raises
    ------
    DataError
        When the file does not exist, is empty or is not a vector format.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.exists():
        msg = f"{path}: file does not exist"
        raise DataError(msg)
    if path.is_file() and path.stat().st_size == 0:
        msg = f"{path}: file is empty (0 bytes)"
        raise DataError(msg)
    if suffix in {".csv", ".txt", ".parquet"}:
        if kind is not None:
            return [(layer, kind)]
        gdf = _read_raw(path, layer, "stations", {}, None) if suffix == ".parquet" else None
        cols = list(gdf.columns) if gdf is not None else list(
            pd.read_csv(path, nrows=0, encoding="utf-8-sig").columns
        )
        return [(layer, guess_kind(cols, path.stem, mapping))]
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read as a vector layer ({detail}); expected GeoPackage, GeoJSON, Shapefile, GeoParquet or CSV"
        raise DataError(msg) from exc
    if layer is not None:
        names = [layer]
    out: list[tuple[str | None, str | None]] = []
    for name in names:
        if kind is not None:
            out.append((name, kind))
            continue
        info = pyogrio.read_info(path, layer=name)
        out.append((name, guess_kind(list(info["fields"]), name, mapping)))
    return out
