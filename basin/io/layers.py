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

Files: anything pyogrio reads (GeoPackage, GeoJSON, Shapefile in UTF-8 or GBK/GB18030, GeoParquet), and
tables of points (CSV, ``.xlsx``, ``.xls``) with lon/lat columns of any name, in WGS84, CGCS2000 (EPSG:4490)
or a stated CRS. Officers' own column names (often Chinese) are mapped onto the model with a mapping (YAML
file or dict); one file column may fill several model columns:

.. code-block:: yaml

    facilities:
      columns: {facility_id: 企业名称, name: 企业名称, category: 行业类别, status: 状态, lon: 经度, lat: 纬度}
      values:
        category: {火电: polluting_facility}

Values the model knows under other spellings (``Ⅲ类``/``III``/``3类`` -> 3, ``干流``/``一级支流`` -> 0/1,
``化工``/``造纸``/``印染`` -> ``polluting_facility``, ``工业园区`` -> ``industrial_park``, ``拟建``/``在建``
-> ``proposed``, ``现有`` -> ``existing``) need no ``values:`` entry: they are read with the synonyms of
``basin/io/synonyms.yml`` and listed in ``attrs["basin_notes"]``.
"""

from __future__ import annotations

import functools
import os
import re
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
import yaml
from pyproj import CRS, Transformer

from basin._errors import (
    BasinError,
    CRSError,
    DataError,
    GeometryRepairedWarning,
    IdsGeneratedWarning,
    SchemaError,
)
from basin.io.encoding import detect_dbf_encoding, looks_mojibake, normalize_encoding, read_text
from basin.io.sheets import EXCEL_SUFFIXES, TEXT_SUFFIXES, read_table

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
#: mapping kinds: the layer kinds and ``wq`` (the water-quality table, see basin.waterquality.read_wq)
MAPPING_KINDS = (*SCHEMAS, "wq")
_ENTRY_KEYS = {"columns", "values", "ignore", "time_format"}
_COORD_KEYS = ("lon", "lat", "x", "y")
_CUT = 60


def _cut(value: Any) -> str:
    text = str(value)
    return text if len(text) <= _CUT else text[:_CUT] + "..."


def _type_name(value: Any) -> str:
    return {list: "a list", dict: "a mapping", bool: "true/false", tuple: "a list"}.get(
        type(value), type(value).__name__
    )


def load_yaml_file(path: str | os.PathLike[str], *, encoding: str | None = None, what: str = "file") -> Any:
    """Load a small YAML file safely (:func:`basin._validate.parse_yaml`), its encoding UTF-8 or GBK detected.

    Parameters
    ----------
    path
        The YAML file.
    encoding
        Its text encoding (None detects UTF-8, else GB18030).
    what
        What the file is (``mapping file``), for messages.

    Returns
    -------
    Any
        The parsed document (None for an empty file).

    Raises
    ------
    DataError
        Missing, too large, or not decodable (the message names the ``encoding`` option).
    SchemaError
        Not valid YAML (with line and column), or uses aliases.
    """
    from basin._validate import MAX_YAML_BYTES, parse_yaml

    p = Path(path)
    try:
        text, _ = read_text(p, encoding=encoding, option="encoding", max_bytes=MAX_YAML_BYTES)
    except DataError as exc:
        msg = f"{what} {exc}"
        raise DataError(msg) from exc
    return parse_yaml(text, where=f"{what} {p}")


def load_mapping(
    source: str | os.PathLike[str] | Mapping[str, Any] | None, kind: str, *, encoding: str | None = None
) -> dict[str, Any]:
    """Return the mapping for one layer kind (or ``wq``) from a YAML file or dict (``{}`` when there is none).

    Parameters
    ----------
    source
        YAML file or dict, either keyed by kind (``{rivers: {columns: ...}, stations: {...}}``) or the entry
        of one kind (``{columns: {...}, values: {...}}``, as a layer's ``mapping:`` in the project file).
        An entry is ``columns`` (model column -> file column; one file column may fill several model
        columns), ``values`` (model column -> {file value: model value}); the ``wq`` entry may also have
        ``ignore`` (file columns to leave out) and ``time_format`` (a ``strftime`` format of the dates).
        A flat dict of column names is read as ``columns``.
    kind
        ``rivers``, ``lakes``, ``units``, ``admin``, ``stations``, ``facilities`` or ``wq``.
    encoding
        Text encoding of the YAML file (None detects UTF-8 or GB18030).

    Returns
    -------
    dict
        ``{"columns": {...}, "values": {...}}`` (plus ``ignore`` and ``time_format`` for ``wq``), or ``{}``.

    Raises
    ------
    SchemaError
        Unknown kinds or keys, an entry of the wrong type (a list where a column name is expected), an empty
        column name (a ``# TODO`` left by ``basin init``), or invalid YAML.
    DataError
        The file is missing or not decodable.
    """
    if kind not in MAPPING_KINDS:
        msg = f"unknown mapping kind {_cut(kind)!r}; expected one of {list(MAPPING_KINDS)}"
        raise SchemaError(msg)
    if source is None:
        return {}
    if isinstance(source, Mapping):
        data: Any = dict(source)
        where = "mapping"
    elif isinstance(source, str | os.PathLike):
        where = f"mapping file {source}"
        data = load_yaml_file(source, encoding=encoding, what="mapping file")
        if data is None:
            msg = f"{where} is empty; leave the mapping out, or write the column mapping in it"
            raise SchemaError(msg)
    else:
        msg = f"mapping must be a YAML file or a mapping, got {_type_name(source)}"
        raise SchemaError(msg)
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        msg = (
            f"{where}: expected a mapping of layer kinds ({', '.join(MAPPING_KINDS)}) to column mappings, "
            "got "
            f"{_type_name(data)}"
        )
        raise SchemaError(msg)
    keys = {str(k) for k in data}
    if keys and keys <= _ENTRY_KEYS:
        entry: Any = data  # the entry of one kind
        label = "mapping"
    else:
        unknown = sorted(keys - set(MAPPING_KINDS))
        if unknown:
            msg = (
                f"{where}: unknown layer kind(s) {[_cut(u) for u in unknown[:10]]}; expected some of "
                f"{list(MAPPING_KINDS)} (or the keys of one entry: columns, values)"
            )
            raise SchemaError(msg)
        entry = data.get(kind) or {}
        label = kind
    if not isinstance(entry, Mapping):
        msg = (
            f"{where}: entry {label!r} must be a mapping with 'columns' and optional 'values', got "
            f"{_type_name(entry)}"
        )
        raise SchemaError(msg)
    if entry and not (set(map(str, entry)) & _ENTRY_KEYS):
        entry = {"columns": dict(entry)}
    allowed_keys = _ENTRY_KEYS if kind == "wq" else {"columns", "values"}
    bad = sorted(set(map(str, entry)) - allowed_keys)
    if bad:
        msg = (
            f"{where}: entry {label!r} has unknown key(s) {[_cut(b) for b in bad]}; expected "
            f"{sorted(allowed_keys)}"
        )
        raise SchemaError(msg)
    names = None if kind == "wq" else set(SCHEMAS[kind].names) | set(_COORD_KEYS)
    out: dict[str, Any] = {"columns": {}, "values": {}}
    for key in ("columns", "values"):
        sub = entry.get(key) or {}
        if not isinstance(sub, Mapping):
            msg = (
                f"{where}: {label}.{key} must be a mapping of model column -> "
                f"{'file column' if key == 'columns' else '{file value: model value}'}, got {_type_name(sub)}"
            )
            raise SchemaError(msg)
        if names is not None:
            wrong = sorted(str(k) for k in sub if str(k) not in names)
            if wrong:
                msg = (
                    f"{where}: {label}.{key} names unknown model column(s) {[_cut(w) for w in wrong[:10]]}; "
                    f"expected some of {sorted(names)}"
                )
                raise SchemaError(msg)
        for model, val in sub.items():
            if key == "columns":
                if val is None or (isinstance(val, str) and not val.strip()):
                    msg = (
                        f"{where}: {label}.columns.{_cut(model)} is empty "
                        "(a `# TODO` left by `basin init`?); "
                        ""
                        "name the file column, or delete the line"
                    )
                    raise SchemaError(msg)
                if isinstance(val, bool) or not isinstance(val, str | int | float):
                    msg = (
                        f"{where}: {label}.columns.{_cut(model)} must be one file column name (text), got "
                        f"{_type_name(val)} {_cut(val)}; to fill several model columns from one file column, "
                        "give each model column its own line"
                    )
                    raise SchemaError(msg)
                out["columns"][str(model)] = str(val).strip() if isinstance(val, str) else _num_name(val)
            else:
                if not isinstance(val, Mapping):
                    msg = (
                        f"{where}: {label}.values.{_cut(model)} must be a mapping "
                        f"{{file value: model value}}, "
                        f"got {_type_name(val)} {_cut(val)}"
                    )
                    raise SchemaError(msg)
                table = {}
                for fv, mv in val.items():
                    if isinstance(mv, list | dict | tuple) or mv is None:
                        msg = (
                            f"{where}: {label}.values.{_cut(model)}.{_cut(fv)} must be one model value, got "
                            f"{_type_name(mv)} {_cut(mv)}"
                        )
                        raise SchemaError(msg)
                    table[_value_key(fv)] = mv
                out["values"][str(model)] = table
    if kind == "wq":
        ignore = entry.get("ignore") or []
        if isinstance(ignore, str):
            ignore = [ignore]
        if not isinstance(ignore, list) or not all(isinstance(i, str | int) for i in ignore):
            msg = (
                f"{where}: wq.ignore must be a list of file column names, got {_type_name(ignore)} "
                f"{_cut(ignore)}"
            )
            raise SchemaError(msg)
        fmt = entry.get("time_format")
        if fmt is not None and not isinstance(fmt, str):
            msg = (
                f"{where}: wq.time_format must be a strftime format such as '%d/%m/%Y', got {_type_name(fmt)}"
            )
            raise SchemaError(msg)
        out["ignore"] = [str(i) for i in ignore]
        out["time_format"] = fmt
    return out


def _num_name(v: Any) -> str:
    return str(int(v)) if isinstance(v, float) and v.is_integer() else str(v)


def _value_key(v: Any) -> str:
    """Return the text a file value is matched on (YAML reads ``3`` as an int, Excel gives ``'3'``)."""
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


# ----------------------------------------------------------------------------------------- built-in values
def _norm(text: Any) -> str:
    """Normalise a header or value for synonym lookups (NFKC, case-folded, no spaces, no unit in brackets)."""
    t = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    t = re.sub(r"\s*[\(\[（【][^\)\]）】]*[\)\]）】]\s*$", "", t)
    return re.sub(r"\s+", "", t)


@functools.lru_cache(maxsize=1)
def synonyms() -> dict[str, Any]:
    """Return the synonyms data file (``basin/io/synonyms.yml``): column names, values, categories."""
    text = resources.files("basin.io").joinpath("synonyms.yml").read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    for section in ("columns", "values", "categories"):
        if section not in data:
            msg = f"synonyms.yml: missing section {section!r}"
            raise SchemaError(msg)
    return dict(data)


@functools.cache
def _value_synonyms(group: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for model, words in synonyms()["values"][group].items():
        for w in words:
            out[_norm(w)] = model
    return out


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5}
_HAN = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_RE_CLASS = re.compile(
    r"^(?:gb3838)?(?:(?:地表水)?(?:类别)?)?(i{1,3}|iv|v|[一二三四五12345])(?:类|级)?(?:水质?|水体)?(?:标准)?$"
)


def parse_class(value: Any) -> int | None:
    """Return the water-quality class 1-5 of ``Ⅲ类``, ``III``, ``3类``, ``Ⅲ``, ``三类``, ``3``, else None.

    Examples
    --------
    >>> [parse_class(v) for v in ("Ⅲ类", "III", "3类", "Ⅲ", "三类水", "IV类", "劣Ⅴ类")]
    [3, 3, 3, 3, 3, 4, None]
    """
    t = _norm(value)
    if isinstance(value, int | np.integer) and not isinstance(value, bool):
        return int(value) if 1 <= int(value) <= 5 else None
    m = _RE_CLASS.match(t)
    if not m:
        return None
    g = m.group(1)
    return _ROMAN.get(g) or _HAN.get(g)


def category_of(value: Any) -> str | None:
    """Return the model category of a facility's category text (``化工`` -> ``polluting_facility``), or None.

    An exact word of ``synonyms.yml`` wins; else the first category (parks first) with a word inside the text.
    """
    t = _norm(value)
    if not t:
        return None
    groups = synonyms()["categories"]
    for g in groups:
        if t == _norm(g["category"]) or any(t == _norm(w) for w in g["words"]):
            return str(g["category"])
    for g in groups:
        if any(_norm(w) in t for w in g["words"]):
            return str(g["category"])
    return None


_LEVEL_RE = re.compile(r"^([0-9一二三四五六七八九])级(?:支流)?$")


def _builtin_value(kind: str, column: str, value: Any) -> Any:
    """Return the model value of a file value by the built-in synonyms, or None when none applies."""
    t = _norm(value)
    if column == "target_class":
        return parse_class(value)
    if column == "level" and kind == "rivers":
        hit = _value_synonyms("level").get(t)
        if hit is None and (m := _LEVEL_RE.match(t)):
            d = m.group(1)
            hit = int(d) if d.isdigit() else "一二三四五六七八九".index(d) + 1
        return hit
    if column == "level" and kind == "admin":
        return _value_synonyms("admin_level").get(t)
    if column == "status":
        return _value_synonyms("status").get(t)
    if column == "waterbody":
        return _value_synonyms("waterbody").get(t)
    if column == "kind" and kind == "lakes":
        return _value_synonyms("kind").get(t)
    if column == "connected":
        return _value_synonyms("bool").get(t)
    if column == "category":
        return category_of(value)
    return None


def _map_values(
    kind: str, column: str, series: pd.Series, user: Mapping[str, Any] | None
) -> tuple[pd.Series, list[str]]:
    """Apply the user's value table, then the built-in synonyms, to the values that are not model values."""
    schema_col = (
        next((c for c in SCHEMAS[kind].columns if c.name == column), None) if kind in SCHEMAS else None
    )
    allowed = set(schema_col.allowed) if schema_col is not None and schema_col.allowed else None
    notes: list[str] = []
    uniq = pd.unique(series.dropna())
    table: dict[Any, Any] = {}
    builtin: list[str] = []
    for v in uniq:
        key = _value_key(v)
        if user is not None and key in user:
            table[v] = user[key]
            continue
        if allowed is not None and key in allowed:
            continue
        if schema_col is not None and schema_col.dtype == "int" and re.fullmatch(r"[+-]?\d+(\.0+)?", key):
            continue
        if schema_col is not None and schema_col.dtype == "bool" and key.lower() in _BOOL_TEXT:
            continue
        hit = _builtin_value(kind, column, v)
        if hit is not None:
            table[v] = hit
            if str(hit) != key:  # a value that is already the model's (True, 3) is not worth a note
                builtin.append(f"{_cut(key)} -> {hit}")
    if builtin:
        shown = ", ".join(builtin[:8]) + (f" (+{len(builtin) - 8} more)" if len(builtin) > 8 else "")
        notes.append(f"column {column!r}: values read with the built-in synonyms: {shown}")
    if not table:
        return series, notes
    return series.map(
        lambda v: table.get(v, v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else v
    ), notes


# -------------------------------------------------------------------------------------------------- read
VECTOR_HINT = "expected GeoPackage, GeoJSON, Shapefile, GeoParquet, or a CSV/Excel table with lon/lat columns"


def _read_raw(
    path: Path,
    layer: str | None,
    kind: str,
    mapping: dict[str, Any],
    crs: Any,
    *,
    encoding: str | None = None,
    sheet: str | int | None = None,
) -> tuple[gpd.GeoDataFrame, list[str]]:
    where = f"{path}, layer {layer!r}" if layer else str(path)
    if not path.exists():
        msg = f"{path}: file does not exist"
        raise DataError(msg)
    if path.is_file() and path.stat().st_size == 0:
        msg = f"{path}: file is empty (0 bytes)"
        raise DataError(msg)
    suffix = path.suffix.lower()
    if suffix in TEXT_SUFFIXES or suffix in EXCEL_SUFFIXES:
        return _read_points_table(path, kind, mapping, crs, encoding=encoding, sheet=sheet)
    notes: list[str] = []
    enc = None
    if suffix in {".shp", ".dbf"}:
        if encoding is not None:
            enc = normalize_encoding(encoding)
        else:
            try:
                enc = detect_dbf_encoding(path)
            except DataError as exc:
                msg = f"{exc} (set the layer's `encoding`, e.g. `encoding: gbk` in the project file)"
                raise DataError(msg) from exc
            if enc is not None:
                notes.append(f"{where}: no .cpg file; attribute encoding detected as {enc}")
    try:
        if suffix == ".parquet":
            gdf = gpd.read_parquet(path)
        else:
            gdf = pyogrio.read_dataframe(path, layer=layer, encoding=enc)
    except UnicodeDecodeError as exc:
        msg = (
            f"{where}: attributes are not {enc or 'UTF-8'} text (byte {exc.start}: {exc.reason}); set the "
            "layer's "
            "`encoding` (e.g. `encoding: gbk` in the project file)"
        )
        raise DataError(msg) from exc
    except Exception as exc:  # noqa: BLE001 - GDAL/arrow raise many types; the message says what to fix
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        msg = f"{where}: cannot read as a vector layer ({detail}); {VECTOR_HINT}"
        raise DataError(msg) from exc
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        msg = f"{where}: no geometry column; for a table of points, use a CSV/Excel file with lon/lat columns"
        raise DataError(msg)
    _refuse_mojibake(gdf, where, enc)
    if crs is not None:
        want = _parse_crs(crs, where)
        if gdf.crs is not None and CRS.from_user_input(gdf.crs) != want:
            msg = (
                f"{where}: has CRS {gdf.crs.name!r}; a `crs` ({_cut(crs)}) may only be given for a file "
                "without "
                "a CRS (fix the file's CRS, e.g. `ogr2ogr -a_srs EPSG:4490 out.gpkg in.shp`)"
            )
            raise CRSError(msg)
        gdf = gdf.set_crs(want)
    return gdf, notes


def _refuse_mojibake(gdf: pd.DataFrame, where: str, enc: str | None) -> None:
    texts: list[Any] = [str(c) for c in gdf.columns]
    for c in gdf.columns:
        if c != getattr(gdf, "_geometry_column_name", None) and gdf[c].dtype == object:
            texts.extend(gdf[c].head(200).tolist())
    bad = looks_mojibake(texts)
    if bad is not None:
        got = f"read as {enc}" if enc else "read with the encoding the file declares (or Latin-1)"
        msg = (
            f"{where}: attribute text looks garbled ({bad!r}, {got}); the file is probably in GBK/GB18030: "
            "set the "
            "layer's `encoding` (e.g. `encoding: gbk` in the project file), or add a .cpg file holding GBK"
        )
        raise DataError(msg)


def _parse_crs(crs: Any, where: str) -> CRS:
    try:
        return CRS.from_user_input(crs)
    except Exception as exc:  # noqa: BLE001 - pyproj raises CRSError and others
        msg = f"{where}: unknown CRS {_cut(crs)!r} in `crs` (expected e.g. EPSG:4326, EPSG:4490, EPSG:32648)"
        raise CRSError(msg) from exc


_RE_DMS = re.compile(
    r"^\s*([+-]?\d+(?:\.\d+)?)\s*[°度]\s*(?:(\d+(?:\.\d+)?)\s*['′’分]\s*)?(?:(\d+(?:\.\d+)?)\s*(?:[\"″”]|''|′′|秒)\s*)?([NSEW东西南北]?)\s*$",
    re.IGNORECASE,
)


def _parse_coordinate(text: str) -> float:
    """Parse a decimal degree or degrees-minutes-seconds (``106°30′15″E``, ``106度30分15秒``), else NaN."""
    t = unicodedata.normalize("NFKC", text).strip()
    try:
        return float(t)
    except ValueError:
        pass
    m = _RE_DMS.match(t)
    if not m:
        return float("nan")
    deg, mins, secs, hemi = m.groups()
    value = abs(float(deg)) + float(mins or 0) / 60 + float(secs or 0) / 3600
    if float(mins or 0) >= 60 or float(secs or 0) >= 60:
        return float("nan")
    neg = deg.startswith("-") or hemi.upper() in {"S", "W"} or hemi in {"西", "南"}
    return -value if neg else value


def _coordinate_columns(columns: list[str], mapping: dict[str, Any]) -> tuple[str | None, str | None]:
    cols = mapping.get("columns", {})
    lon = cols.get("lon") or cols.get("x")
    lat = cols.get("lat") or cols.get("y")
    syn = synonyms()["columns"]["coordinates"]
    if lon is None:
        lon = next((c for c in columns if _norm(c) in {_norm(s) for s in syn["lon"]}), None)
    if lat is None:
        lat = next((c for c in columns if _norm(c) in {_norm(s) for s in syn["lat"]}), None)
    return lon, lat


def _header_scorer(kind: str, mapping: dict[str, Any]) -> Any:
    known = {_norm(v) for v in mapping.get("columns", {}).values()}
    table = synonyms()["columns"]
    for group in (kind, "coordinates"):
        for words in table.get(group, {}).values():
            known |= {_norm(w) for w in words}
    known |= {_norm(c) for c in SCHEMAS[kind].names} if kind in SCHEMAS else set()

    def score(row: list[str]) -> int:
        return sum(1 for c in row if c and _norm(c) in known)

    return score


def _read_points_table(
    path: Path, kind: str, mapping: dict[str, Any], crs: Any, *, encoding: str | None, sheet: str | int | None
) -> tuple[gpd.GeoDataFrame, list[str]]:
    table = read_table(path, encoding=encoding, sheet=sheet, is_header=_header_scorer(kind, mapping))
    df = table.frame
    where = table.where
    notes = [f"{where}: {n}" for n in table.notes]
    if table.encoding not in (None, "utf-8"):
        notes.append(f"{where}: text encoding detected as {table.encoding}")
    columns = [c for c in df.columns if c != "_line"]
    lon, lat = _coordinate_columns(columns, mapping)
    if lon not in df.columns or lat not in df.columns:
        missing = [n for n, c in (("lon", lon), ("lat", lat)) if c not in df.columns]
        named = [c for c in (lon, lat) if c is not None and c not in df.columns]
        extra = f" (mapped column(s) {named} not in the file)" if named else ""
        msg = (
            f"{where}: a table layer needs coordinate columns; no {'/'.join(missing)} column{extra}: "
            "map them "
            ""
            f"(`columns: {{lon: 经度, lat: 纬度}}` in the layer's mapping); found "
            f"{[_cut(c) for c in columns[:30]]}"
        )
        raise SchemaError(msg)
    x = np.array([_parse_coordinate(v) for v in df[lon]], dtype=float)
    y = np.array([_parse_coordinate(v) for v in df[lat]], dtype=float)
    lines = df["_line"].to_numpy()

    def rows(mask: np.ndarray) -> str:
        return _ids_text(lines[mask])

    bad = ~np.isfinite(x) | ~np.isfinite(y)
    if bad.any():
        ex = next(f"{_cut(a)!r}/{_cut(b)!r}" for a, b, m in zip(df[lon], df[lat], bad, strict=True) if m)
        msg = (
            f"{where}: columns {lon!r}/{lat!r}: non-numeric, empty or infinite coordinates in row(s) "
            f"{rows(bad)} "
            f"(e.g. {ex}); accepted: decimal degrees (106.55) or 106°33′0″"
        )
        raise SchemaError(msg)
    out_crs = _parse_crs(crs, where) if crs is not None else CRS.from_epsg(4326)
    if out_crs.is_geographic:
        off = (np.abs(x) > 180) | (np.abs(y) > 90)
        if off.any():
            swapped = (
                " (are lon and lat swapped?)"
                if (np.abs(y[off]) <= 180).all() and (np.abs(x[off]) <= 90).all()
                else ""
            )
            msg = (
                f"{where}: columns {lon!r}/{lat!r}: lon/lat out of range (lon -180..180, lat -90..90) in "
                "row(s) "
                f"{rows(off)}{swapped}; projected coordinates need their CRS (`crs: EPSG:4547` ...)"
            )
            raise SchemaError(msg)
    used = {lon, lat}
    attrs = df.drop(columns=["_line", *used]).replace("", None)  # an empty cell is a missing value
    gdf = gpd.GeoDataFrame(attrs, geometry=gpd.points_from_xy(x, y), crs=out_crs)
    gdf.attrs["basin_lines"] = lines
    return gdf, notes


def _apply_mapping(
    gdf: gpd.GeoDataFrame, mapping: dict[str, Any], where: str, kind: str
) -> tuple[gpd.GeoDataFrame, list[str]]:
    columns = {k: v for k, v in mapping.get("columns", {}).items() if k not in _COORD_KEYS}
    missing = sorted({v for v in columns.values() if v not in gdf.columns})
    if missing:
        present = [_cut(c) for c in gdf.columns if c != gdf.geometry.name]
        msg = (
            f"{where}: mapped column(s) {[_cut(m) for m in missing]} not in the file; file columns: "
            f"{present[:40]}"
        )
        raise SchemaError(msg)
    out = gdf.copy()
    for model, col in columns.items():
        out[model] = gdf[col]
    consumed = {c for c in columns.values() if c not in columns}
    out = out.drop(columns=[c for c in consumed if c in out.columns and c != out.geometry.name])
    notes: list[str] = []
    # model columns still missing: a file column whose header is a known synonym (目标水质 -> target_class)
    if kind in SCHEMAS:
        table = synonyms()["columns"].get(kind, {})
        auto_used: set[str] = set()
        for col in SCHEMAS[kind].names:
            if col in out.columns:
                continue
            words = {_norm(w) for w in table.get(col, [])}
            # a column an explicit mapping used may fill a second model column (断面名称: key and name)
            cands = [
                c
                for c in gdf.columns
                if c not in auto_used and c not in SCHEMAS[kind].names and _norm(c) in words
            ]
            if len(cands) == 1:
                out[col] = gdf[cands[0]]
                if cands[0] in out.columns:
                    out = out.drop(columns=[cands[0]])
                auto_used.add(cands[0])
                notes.append(f"{where}: column {cands[0]!r} read as {col} (a known name of it)")
    values = mapping.get("values", {})
    for col in out.columns:
        if col == out.geometry.name:
            continue
        if col in values or col in _BUILTIN_VALUE_COLUMNS:
            out[col], n = _map_values(kind, col, out[col], values.get(col))
            notes.extend(f"{where}: {t}" for t in n)
    return out, notes


_BUILTIN_VALUE_COLUMNS = {"target_class", "level", "status", "waterbody", "kind", "connected", "category"}
_BOOL_TEXT = {"true", "1", "yes", "t", "false", "0", "no", "f"}
_ID_PREFIX = {"rivers": "R", "lakes": "L", "units": "U", "admin": "A", "stations": "S", "facilities": "F"}
#: kinds whose ids are generated without being asked (no other layer or table refers to them by id)
AUTO_ID_KINDS = ("facilities", "units", "lakes")


def _generate_ids(
    gdf: gpd.GeoDataFrame, kind: str, ids: str | None, where: str
) -> tuple[gpd.GeoDataFrame, list[str], bool]:
    """Add ids ``F0001 ...`` when asked (``ids="generate"``) or when the layer has none (auto kinds)."""
    idcol = SCHEMAS[kind].id_column
    mode = "auto" if ids is None else {"file": "require"}.get(str(ids), str(ids))
    if mode not in {"auto", "generate", "require"}:
        msg = f"{where}: `ids` must be 'generate', 'file' (never generate) or empty (auto), got {_cut(ids)!r}"
        raise SchemaError(msg)
    has = idcol in gdf.columns
    if mode == "require" or (has and mode == "auto"):
        return gdf, [], False
    if not has and mode == "auto" and kind not in AUTO_ID_KINDS:
        return gdf, [], False
    width = max(4, len(str(len(gdf))))
    new = [f"{_ID_PREFIX[kind]}{i:0{width}d}" for i in range(1, len(gdf) + 1)]
    out = gdf.copy()
    out[idcol] = new
    first, last = new[0] if new else "", new[-1] if new else ""
    why = (
        "`ids: generate`"
        if mode == "generate"
        else f"the file has no {idcol} column; `ids: generate` to confirm"
    )
    note = f"{where}: {idcol} generated in file order, {first}...{last} ({why})"
    return out, [note], mode == "auto"


def _ids_text(ids: Any, limit: int = 10) -> str:
    ids = [str(i) for i in ids]
    more = f" (+{len(ids) - limit} more)" if len(ids) > limit else ""
    return ", ".join(ids[:limit]) + more


def _coerce_column(gdf: gpd.GeoDataFrame, col: Column, ids: pd.Series, problems: list[Problem]) -> None:
    s = gdf[col.name]
    null = s.isna() | (s.astype("string").str.strip() == "")
    if not col.allow_null and null.any():
        problems.append(
            Problem("error", f"column {col.name!r}: empty value for id(s) {_ids_text(ids[null])}")
        )
    present = ~null
    if col.dtype == "int":
        num = pd.to_numeric(s.where(present), errors="coerce")
        bad = present & (num.isna() | (num % 1 != 0))
        if bad.any():
            vals = sorted({str(v) for v in s[bad]})
            problems.append(
                Problem(
                    "error",
                    f"column {col.name!r}: not an integer: {[_cut(v) for v in vals[:10]]} for id(s) "
                    f"{_ids_text(ids[bad])}"
                    + (
                        " (accepted: 1-5, Ⅲ类, III, 3类, 三类)"
                        if col.name == "target_class"
                        else " (accepted: 0-9, 干流, 一级支流, 二级支流, 三级支流 ...)"
                        if col.name == "level"
                        else ""
                    ),
                )
            )
        rng = (
            present
            & ~bad
            & (
                (num < (col.min if col.min is not None else -np.inf))
                | (num > (col.max if col.max is not None else np.inf))
            )
        )
        if rng.any():
            ints = sorted({int(v) for v in num[rng]})
            problems.append(
                Problem(
                    "error",
                    f"column {col.name!r}: value(s) {ints} out of range {col.min}-{col.max} "
                    f"for id(s) {_ids_text(ids[rng])}",
                )
            )
        if not bad.any() and not rng.any():
            gdf[col.name] = num.astype("Int64")
    elif col.dtype == "bool":
        truth = {
            "true": True,
            "1": True,
            "yes": True,
            "t": True,
            "false": False,
            "0": False,
            "no": False,
            "f": False,
        }
        mapped = s.map(lambda v: v if isinstance(v, bool | np.bool_) else truth.get(str(v).strip().lower()))
        bad = present & mapped.isna()
        if bad.any():
            vals = sorted({str(v) for v in s[bad]})
            problems.append(
                Problem(
                    "error",
                    f"column {col.name!r}: expected true/false (是/否), "
                    f"got {[_cut(v) for v in vals[:10]]} for "
                    "id(s) "
                    f"{_ids_text(ids[bad])}",
                )
            )
        else:
            gdf[col.name] = mapped.astype("boolean")
    else:

        def _to_str(v: Any) -> Any:
            if isinstance(v, float) and v.is_integer():
                return str(int(v))
            return str(v).strip()

        text = pd.Series(pd.NA, index=s.index, dtype="string")  # empty cells are missing values, not ""
        if present.any():
            text[present] = s[present].map(_to_str).astype("string")
        gdf[col.name] = text
        if col.allowed is not None:
            bad = present & ~gdf[col.name].isin(col.allowed)
            if bad.any():
                vals = sorted({str(v) for v in gdf.loc[bad, col.name]})
                problems.append(
                    Problem(
                        "error",
                        f"column {col.name!r}: unknown value(s) {[_cut(v) for v in vals[:10]]} for id(s) "
                        f"{_ids_text(ids[bad])}; allowed: {list(col.allowed)} (map the others under "
                        f"`values: {{{col.name}: {{file value: model value}}}}`)",
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
            problems.append(
                Problem("error", f"CRS {crs.name!r} is neither geographic nor projected (unknown)")
            )
    # columns
    missing = [c.name for c in schema.columns if c.required and c.name not in gdf.columns]
    if kind == "stations" and "river_id" not in gdf.columns and "lake_id" not in gdf.columns:
        missing.append("river_id or lake_id")
    if missing:
        found = [_cut(c) for c in gdf.columns if c != gdf.geometry.name]
        idcol = schema.id_column
        hint = ""
        if idcol in missing:
            hint = (
                "; e.g. `station_id: 断面名称` to key the stations by their names"
                if kind == "stations"
                else "; or `ids: generate` to number the features"
            )
        problems.append(
            Problem(
                "error",
                f"missing column(s) {missing}; found {found[:40]} (map your columns: the layer's `mapping:` "
                f"in the project file, or --mapping{hint})",
            )
        )
        return gdf, problems
    idcol = schema.id_column
    ids = gdf[idcol].astype("string")
    gdf = gdf.copy()
    for col in schema.columns:
        if col.name in gdf.columns:
            _coerce_column(
                gdf,
                col,
                ids.fillna("<row " + pd.Series(range(len(gdf)), index=gdf.index).astype(str) + ">"),
                problems,
            )
    ids = gdf[idcol].astype("string")
    dup = ids.duplicated(keep=False) & ids.notna()
    if dup.any():
        problems.append(
            Problem("error", f"column {idcol!r}: duplicate id(s) {_ids_text(sorted(set(ids[dup])))}")
        )
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
            problems.append(
                Problem("error", f"station(s) {_ids_text(ids[none])} have neither river_id nor lake_id")
            )
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
                f"geometry type(s) {found} for id(s) {_ids_text(ids[wrong])}; expected "
                f"{list(schema.geom_types)}",
            )
        )
    if gdf.crs is not None and not empty.all():
        area = _area_problem(gdf[~empty], ids[~empty])
        if area is not None:
            problems.append(area)
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
            parts = [_same_dimension(f, d) for f, d in zip(fixed, dim, strict=True)]
            gdf.loc[invalid, gdf.geometry.name] = gpd.GeoSeries(parts, index=gdf.index[invalid], crs=gdf.crs)
            problems.append(
                Problem("repaired", f"invalid geometry repaired with make_valid for id(s): {detail}")
            )
        else:
            problems.append(Problem("error", f"invalid geometry for id(s): {detail}"))
    return gdf, problems


def _area_problem(gdf: gpd.GeoDataFrame, ids: pd.Series) -> Problem | None:
    """Check that coordinates lie in the area of use of the layer's CRS (not degrees labelled as UTM)."""
    if gdf.crs is None or len(gdf) == 0:
        return None
    crs = CRS.from_user_input(gdf.crs)
    b = gdf.geometry.bounds
    ok_geom = b.notna().all(axis=1).to_numpy()
    if not ok_geom.any():
        return None
    minx, miny, maxx, maxy = (b[c].to_numpy() for c in ("minx", "miny", "maxx", "maxy"))
    name = crs.to_string() if crs.to_epsg() is None else f"EPSG:{crs.to_epsg()}"
    if crs.is_geographic:
        off = ok_geom & ((minx < -180) | (maxx > 180) | (miny < -90) | (maxy > 90))
        if off.any():
            return Problem(
                "error",
                f"coordinates out of range for lon/lat in {name} (lon -180..180, lat -90..90) for id(s) "
                f"{_ids_text(ids[off])}: are these projected coordinates? give the file its real CRS",
            )
    degrees_like = (
        ok_geom & (np.abs(minx) <= 180) & (np.abs(maxx) <= 180) & (np.abs(miny) <= 90) & (np.abs(maxy) <= 90)
    )
    if crs.is_projected and degrees_like[ok_geom].all():
        return Problem(
            "error",
            f"coordinates look like degrees (all within ±180/±90) but the CRS {name} ({crs.name}) is in "
            "metres: "
            "the CRS label is probably wrong (lon/lat data is EPSG:4326 or EPSG:4490)",
        )
    aou = crs.area_of_use
    if aou is None:
        return None
    if crs.is_geographic:
        m = 5.0
        w, s, e, n = aou.west - m, aou.south - m, aou.east + m, aou.north + m
    else:
        try:
            t = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
            w, s, e, n = t.transform_bounds(aou.west, aou.south, aou.east, aou.north, densify_pts=21)
        except Exception:  # noqa: BLE001 - pyproj cannot project some areas; skip the check then
            return None
        if not all(np.isfinite([w, s, e, n])):
            return None
        dx, dy = e - w, n - s
        w, e, s, n = w - dx, e + dx, s - dy, n + dy
    off = ok_geom & ((maxx < w) | (minx > e) | (maxy < s) | (miny > n))
    if off.any():
        return Problem(
            "error",
            f"coordinates outside the area of use of {name} ({crs.name}: {aou.west:g}..{aou.east:g}°E, "
            f"{aou.south:g}..{aou.north:g}°N) for id(s) {_ids_text(ids[off])}: is the CRS label right?",
        )
    return None


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
    encoding: str | None = None,
    ids: Literal["generate", "file", "require"] | None = None,
    sheet: str | int | None = None,
    repair: bool = True,
) -> gpd.GeoDataFrame:
    """Read a layer of the data model, check it and return it with the model's column names.

    Parameters
    ----------
    path
        Vector file (GeoPackage, GeoJSON, Shapefile, GeoParquet), or a table of points (CSV, ``.xlsx``,
        ``.xls``) with lon/lat columns of any name (``经度``/``纬度``, ``东经``/``北纬``, mapped or
        recognised).
    kind
        One of ``rivers``, ``lakes``, ``units``, ``admin``, ``stations``, ``facilities``.
    layer
        Layer name inside a multi-layer file (default: the layer named like ``kind``, else the first).
    mapping
        Column/value mapping (YAML path or dict, keyed by kind or the entry of this kind), see
        :func:`load_mapping`. Values without a mapping are read with the built-in synonyms
        (``Ⅲ类`` -> 3, ``一级支流`` -> 1, ``化工`` -> ``polluting_facility``, ``拟建`` -> ``proposed`` ...).
    crs
        CRS of a file that has none; for a table the CRS of its coordinates (default WGS84 lon/lat; CGCS2000
        is ``EPSG:4490``; a projected CRS reads the columns as x/y in metres).
    encoding
        Text encoding of a Shapefile's attributes or of a CSV (default: the ``.cpg`` file, else detected:
        UTF-8, else GBK/GB18030).
    ids
        ``"generate"``: number the features ``F0001 ...`` (prefix by kind) in file order, replacing any id
        column. ``"file"`` (or ``"require"``): never generate. None (default): generate only when the
        layer has no id column and is a kind no other input refers to by id (facilities, units, lakes),
        with a note.
    sheet
        Sheet name or 0-based index of a workbook (default the first sheet).
    repair
        Repair invalid geometries with ``shapely.make_valid`` and report them with a
        :class:`~basin._errors.GeometryRepairedWarning` (default). With False they are an error.

    Returns
    -------
    geopandas.GeoDataFrame
        The layer in its own CRS, with model columns typed (ids as strings, levels and classes as integers);
        extra columns are kept. ``attrs["basin_source"]`` names the file; ``attrs["basin_notes"]`` lists what
        was inferred (encoding detected, header found below a title, ids generated, values read by synonyms).

    Raises
    ------
    DataError
        The file is missing, empty, not a vector format or table, or its text is undecodable or garbled.
    SchemaError
        Missing columns, duplicate ids, unknown values, wrong geometry types, bad coordinates ... (all listed
        in one message).
    CRSError
        No CRS, an unknown one, or coordinates outside its area of use.

    Warns
    -----
    IdsGeneratedWarning
        Ids were generated without ``ids="generate"``.
    GeometryRepairedWarning
        Invalid geometries were repaired.
    """
    if kind not in SCHEMAS:
        msg = f"unknown layer kind {_cut(kind)!r}; expected one of {list(SCHEMAS)}"
        raise SchemaError(msg)
    gdf, report, notes, warn_ids = _load(
        Path(path),
        kind,
        layer=layer,
        mapping=mapping,
        crs=crs,
        repair=repair,
        encoding=encoding,
        ids=ids,
        sheet=sheet,
    )
    errors = [p for p in report.problems if p.severity == "error"]
    if errors:
        text = f"{report.where} ({kind}): " + "; ".join(p.message for p in errors)
        if any("CRS" in p.message or "coordinates" in p.message for p in errors) and len(errors) == 1:
            raise CRSError(text)
        raise SchemaError(text)
    for p in report.problems:
        notes.append(f"{report.where} ({kind}): {p.message}")
        warnings.warn(f"{report.where} ({kind}): {p.message}", GeometryRepairedWarning, stacklevel=2)
    if warn_ids:
        warnings.warn(next(n for n in notes if "generated" in n), IdsGeneratedWarning, stacklevel=2)
    gdf.attrs.pop("basin_lines", None)
    gdf.attrs["basin_source"] = {"path": str(path), "layer": report.layer, "kind": kind}
    gdf.attrs["basin_notes"] = notes
    return gdf


def _load(
    path: Path,
    kind: str,
    *,
    layer: str | None,
    mapping: Any,
    crs: Any,
    repair: bool,
    encoding: str | None = None,
    ids: str | None = None,
    sheet: str | int | None = None,
) -> tuple[gpd.GeoDataFrame, LayerReport, list[str], bool]:
    mp = load_mapping(mapping, kind)
    suffix = path.suffix.lower()
    if layer is None and suffix not in {*TEXT_SUFFIXES, *EXCEL_SUFFIXES, ".parquet"} and path.exists():
        try:
            names = [str(n) for n, _ in pyogrio.list_layers(path)]
        except Exception:  # noqa: BLE001 - reported by _read_raw with a clear message
            names = []
        if len(names) > 1:
            layer = kind if kind in names else names[0]
    report = LayerReport(str(path), layer, kind)
    gdf, notes = _read_raw(path, layer, kind, mp, crs, encoding=encoding, sheet=sheet)
    gdf, more = _apply_mapping(gdf, mp, report.where, kind)
    notes += more
    gdf, more, warn_ids = _generate_ids(gdf, kind, ids, report.where)
    notes += more
    gdf, more = _derive_waterbody(gdf, kind, report.where)
    notes += more
    geom_name = gdf.geometry.name
    model_cols = [c for c in SCHEMAS[kind].names if c in gdf.columns]
    gdf = gdf[[*model_cols, *[c for c in gdf.columns if c not in model_cols and c != geom_name], geom_name]]
    report.n_features = len(gdf)
    report.crs = gdf.crs.to_string() if gdf.crs is not None else None
    gdf, problems = _validate(gdf, kind, report.where, repair=repair)
    report.problems = problems
    return gdf, report, notes, warn_ids


def _derive_waterbody(gdf: gpd.GeoDataFrame, kind: str, where: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Stations without a waterbody column: ``river`` for those with a river_id and no lake_id (noted)."""
    if kind != "stations" or "waterbody" in gdf.columns or "river_id" not in gdf.columns:
        return gdf, []
    rid = gdf["river_id"]
    lid = gdf["lake_id"] if "lake_id" in gdf.columns else pd.Series(pd.NA, index=gdf.index)
    river = (
        rid.notna()
        & (rid.astype("string").str.strip() != "")
        & (lid.isna() | (lid.astype("string").str.strip() == ""))
    )
    if not river.all():
        return gdf, []
    out = gdf.copy()
    out["waterbody"] = "river"
    return out, [
        f"{where}: no waterbody column; every station has a river_id and no lake_id: waterbody = river"
    ]


def check_layer(
    path: str | os.PathLike[str],
    kind: Kind,
    *,
    layer: str | None = None,
    mapping: str | os.PathLike[str] | Mapping[str, Any] | None = None,
    crs: Any = None,
    encoding: str | None = None,
    ids: Literal["generate", "file", "require"] | None = None,
    sheet: str | int | None = None,
) -> LayerReport:
    """Check a layer without raising: every problem, including invalid geometries, goes into the report.

    Parameters
    ----------
    path, kind, layer, mapping, crs, encoding, ids, sheet
        As in :func:`read_layer`.

    Returns
    -------
    LayerReport
        What was read and every problem found; a file that cannot be read at all gives one error.
    """
    try:
        _, report, _, _ = _load(
            Path(path),
            kind,
            layer=layer,
            mapping=mapping,
            crs=crs,
            repair=False,
            encoding=encoding,
            ids=ids,
            sheet=sheet,
        )
    except (DataError, SchemaError, CRSError) as exc:
        report = LayerReport(str(path), layer, kind, problems=[Problem("error", str(exc))])
    return report


def guess_kind(columns: list[str], layer: str | None = None, mapping: Any = None) -> str | None:
    """Guess the layer kind from the layer name or its id column (``river_id`` -> rivers ...), or None.

    Id columns are tried from the most specific (``station_id``; stations also carry ``river_id``) to the
    least; a mapping's id column names count too. For guesses from Chinese headers and values see
    :func:`basin.io.guess.guess_file`.

    Parameters
    ----------
    columns
        The file's column names.
    layer
        The layer name (a layer named like a kind is that kind).
    mapping
        A mapping (see :func:`load_mapping`) whose id columns count.

    Returns
    -------
    str or None
        The kind, or None.
    """
    if layer in SCHEMAS:
        return layer
    for kind in ("stations", "facilities", "units", "admin", "lakes", "rivers"):
        id_col = SCHEMAS[kind].id_column
        mapped = (
            (load_mapping(mapping, kind).get("columns") or {}).get(id_col) if mapping is not None else None
        )
        if id_col in columns or (mapped is not None and mapped in columns):
            return kind
    return None


def inspect_layers(
    path: str | os.PathLike[str], *, kind: str | None = None, layer: str | None = None, mapping: Any = None
) -> list[tuple[str | None, str | None]]:
    """List ``(layer, kind)`` pairs to check in a file: every layer, with its kind given or guessed.

    Parameters
    ----------
    path
        The file.
    kind
        The kind of every layer (None guesses it, see :func:`guess_kind`).
    layer
        Only this layer.
    mapping
        A mapping whose id columns count for the guess.

    Returns
    -------
    list of tuple
        ``(layer name or None, kind or None)``.

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
    if suffix in {*TEXT_SUFFIXES, *EXCEL_SUFFIXES, ".parquet"}:
        if kind is not None:
            return [(layer, kind)]
        if suffix == ".parquet":
            cols = list(_read_raw(path, layer, "stations", {}, None)[0].columns)
        else:
            cols = [c for c in read_table(path, is_header=_any_header).frame.columns if c != "_line"]
        return [(layer, guess_kind(cols, path.stem, mapping) or _guessed_kind(path, layer))]
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types
        detail = str(exc).splitlines()[0][:120] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read as a vector layer ({detail}); {VECTOR_HINT}"
        raise DataError(msg) from exc
    if layer is not None:
        names = [layer]
    out: list[tuple[str | None, str | None]] = []
    for name in names:
        if kind is not None:
            out.append((name, kind))
            continue
        info = pyogrio.read_info(path, layer=name)
        kind_ = guess_kind(list(info["fields"]), name, mapping)
        if kind_ is None and len(names) == 1:
            kind_ = _guessed_kind(path, name)
        out.append((name, kind_))
    return out


def _any_header(row: list[str]) -> int:
    """Score a row as a header: the cells that are known column names of any kind."""
    known: set[str] = set()
    for group in synonyms()["columns"].values():
        for words in group.values():
            known |= {_norm(w) for w in words}
    return sum(1 for c in row if c and _norm(c) in known)


def _guessed_kind(path: Path, layer: str | None) -> str | None:
    """Return the kind :func:`basin.io.guess.guess_file` finds from headers and values (layer kinds only)."""
    from basin.io.guess import guess_file

    try:
        kind = guess_file(path, layer=layer).kind
    except BasinError:
        return None
    return kind if kind in SCHEMAS else None
