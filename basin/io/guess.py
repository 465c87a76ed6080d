"""Guess what an office's files are, for ``basin init``: each file's kind, column mapping, encoding and CRS.

:func:`guess_file` reads a file's header and a sample of its values and guesses, with the Chinese and
English synonyms of ``basin/io/synonyms.yml`` (河流名称, 河流等级 with 干流/一级支流, 断面名称/断面编码,
经度/纬度, 企业名称, 类别, 状态, 目标水质 Ⅲ类 ...), which layer of the data model it is and which column
is which.
:func:`guess_folder` does it for every data file of a folder and reconciles the guesses (one file per layer,
the water-quality table keyed like the stations). :func:`write_project_yaml` writes the commented project
file: every guessed line says what it guessed, every field it could not guess is a line with ``# TODO:``.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
import yaml

from basin._errors import BasinError
from basin.io.encoding import detect_dbf_encoding, looks_mojibake
from basin.io.layers import (
    SCHEMAS,
    _builtin_value,
    _coordinate_columns,
    _norm,
    category_of,
    parse_class,
    synonyms,
)
from basin.io.sheets import EXCEL_SUFFIXES, TEXT_SUFFIXES, read_table

__all__ = ["FileGuess", "guess_file", "guess_folder", "write_project_yaml"]

VECTOR_SUFFIXES = frozenset(
    {".shp", ".gpkg", ".geojson", ".json", ".kml", ".gml", ".fgb", ".parquet", ".tab", ".mif"}
)
RASTER_SUFFIXES = frozenset({".tif", ".tiff", ".img", ".asc", ".vrt"})
WQ_SUFFIXES = frozenset({".nc", ".nc4", ".zarr"})
POLYGON_EXTRA = ("redline", "water_sources")
RASTER_KINDS = ("population", "gdp", "dem", "landuse")
SAMPLE_ROWS = 500

# words of file names -> kind (normalised, matched inside the name)
_NAME_WORDS: dict[str, tuple[str, ...]] = {
    "rivers": ("河流", "水系", "河道", "河段", "river", "stream", "hydl", "水网"),
    "lakes": ("湖泊", "湖库", "水库", "lake", "reservoir", "hyda"),
    "admin": ("行政区", "行政区划", "区县", "县界", "乡镇", "省界", "admin", "county", "boundary", "bou"),
    "stations": ("断面", "站点", "测站", "监测点", "点位", "station", "site"),
    "facilities": ("企业", "工业", "污染源", "园区", "项目", "排污", "facilit", "factory", "enterprise"),
    "units": ("控制单元", "单元", "units", "unit"),
    "redline": ("红线", "生态保护红线", "redline", "red_line"),
    "water_sources": ("水源地", "水源保护区", "饮用水源", "water_source", "watersource"),
    "wq": ("水质", "监测数据", "月报", "wq", "water_quality", "quality"),
    "raster:population": ("人口", "population", "pop"),
    "raster:gdp": ("gdp", "经济", "生产总值"),
    "raster:dem": ("dem", "高程", "地形", "elevation", "srtm"),
    "raster:landuse": ("土地利用", "土地覆盖", "landuse", "land_use", "lulc", "landcover"),
}
_GEOM_KINDS = {
    "line": ("rivers",),
    "polygon": ("lakes", "admin", "units", "facilities", *POLYGON_EXTRA),
    "point": ("stations", "facilities"),
    "point_polygon": ("facilities",),
}
_SKIP_SUFFIXES = frozenset(
    {
        ".dbf",
        ".shx",
        ".prj",
        ".cpg",
        ".qpj",
        ".sbn",
        ".sbx",
        ".xml",
        ".ovr",
        ".aux",
        ".lock",
        ".qmd",
        ".yml",
        ".yaml",
        ".md",
        ".txt~",
        ".pdf",
        ".docx",
        ".doc",
        ".html",
        ".png",
        ".jpg",
        ".log",
        ".py",
        ".ipynb",
    }
)


@dataclass
class FileGuess:
    """What :func:`guess_file` guessed about one file (or one layer of it)."""

    path: Path
    kind: (
        str | None
    )  # rivers/lakes/admin/stations/facilities/units/redline/water_sources/wq/raster:<name>/None
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    mapping: dict[str, Any] = field(default_factory=lambda: {"columns": {}, "values": {}})
    options: dict[str, Any] = field(default_factory=dict)  # ids, header_row, layout, sheet, detection_limits
    unresolved: list[tuple[str, str]] = field(default_factory=list)  # (field, what to fill and why)
    notes: list[str] = field(default_factory=list)
    why: dict[str, str] = field(default_factory=dict)  # field -> what the guess rests on
    columns: list[str] = field(default_factory=list)
    score: float = 0.0


def _name_score(path: Path, layer: str | None) -> dict[str, int]:
    text = _norm(path.stem + " " + (layer or "")).replace("-", "_")
    out: dict[str, int] = {}
    for kind, words in _NAME_WORDS.items():
        if any(_norm(w) in text for w in words):
            out[kind] = 3
    return out


def _header_matches(columns: list[str], kind: str) -> dict[str, list[tuple[str, int]]]:
    """Model column -> [(file column, 2 exact | 1 contained)] by the synonyms of ``kind``."""
    table = dict(synonyms()["columns"].get(kind, {}))
    if kind in ("stations", "facilities"):
        table.update(synonyms()["columns"]["coordinates"])
    out: dict[str, list[tuple[str, int]]] = {}
    for model, words in table.items():
        normed = [_norm(w) for w in words]
        hits = []
        for c in columns:
            n = _norm(c)
            if n == _norm(model) or n in normed:
                hits.append((c, 2))
            elif any(len(w) >= 2 and not w.isascii() and w in n for w in normed):
                hits.append((c, 1))
            elif len(n) >= (3 if not n.isascii() else 6) and any(w.startswith(n) for w in normed):
                hits.append((c, 1))  # a shapefile field name cut to 10 bytes (下游河流编码 -> 下游河流编)
        if hits:
            out[model] = sorted(hits, key=lambda h: -h[1])
    return out


def _values_fit(kind: str, model: str, values: list[Any]) -> float:
    """Share of a column's distinct values the built-in synonyms read as values of ``model``."""
    vals = [v for v in values if str(v).strip() != ""]
    if not vals:
        return 0.0
    uniq = list(dict.fromkeys(str(v).strip() for v in vals))[:200]
    if model == "target_class":
        ok = sum(parse_class(v) is not None for v in uniq)
    elif model == "category":
        ok = sum(category_of(v) is not None for v in uniq)
    else:
        schema = (
            next((c for c in SCHEMAS[kind].columns if c.name == model), None) if kind in SCHEMAS else None
        )
        allowed = {str(a) for a in (schema.allowed or ())} if schema is not None else set()
        ok = sum(v in allowed or _builtin_value(kind, model, v) is not None for v in uniq)
    return ok / len(uniq)


def _unknown_values(kind: str, model: str, values: list[Any]) -> list[str]:
    schema = next((c for c in SCHEMAS[kind].columns if c.name == model), None)
    if schema is None:
        return []
    out = []
    for v in dict.fromkeys(str(x).strip() for x in values if str(x).strip() != ""):
        if schema.allowed is not None and v in schema.allowed:
            continue
        if schema.dtype == "int" and v.lstrip("+-").isdigit():
            continue
        if _builtin_value(kind, model, v) is None:
            out.append(v)
    return out


_VALUE_MODELS = {
    "rivers": ("level",),
    "lakes": ("kind", "connected"),
    "admin": ("level",),
    "stations": ("target_class", "waterbody"),
    "facilities": ("category", "status"),
}


def _map_columns(g: FileGuess, df: pd.DataFrame, kind: str) -> None:
    """Fill ``g.mapping`` for ``kind`` from the headers and values of ``df``; record what is missing."""
    columns = [c for c in df.columns if c not in ("_line", "geometry")]
    hits = _header_matches(columns, kind)
    used: set[str] = set()
    chosen: dict[str, tuple[str, str]] = {}
    order = [*SCHEMAS[kind].names] if kind in SCHEMAS else []
    if kind in ("stations", "facilities") and g.options.get("table"):
        order += ["lon", "lat"]
    # value-evidence columns first (a level column is recognised by 干流/一级支流 even under an odd header)
    for model in _VALUE_MODELS.get(kind, ()):
        best = None
        for c in columns:
            if c in used:
                continue
            fit = _values_fit(kind, model, df[c].tolist())
            head = next((s for h, s in hits.get(model, []) if h == c), 0)
            score = fit * 2 + head
            if fit >= 0.5 and (best is None or score > best[0]):
                best = (score, c, fit, head)
        if best is not None:
            _, c, fit, head = best
            vals = "/".join(list(dict.fromkeys(str(v) for v in df[c] if str(v).strip()))[:4])
            chosen[model] = (c, f"header {c}" + (f", values {vals}" if fit else ""))
            used.add(c)
    for model in order:
        if model in chosen:
            continue
        cands = [(c, s) for c, s in hits.get(model, []) if c not in used]
        if not cands:
            continue
        top = cands[0][1]
        best_c = [c for c, s in cands if s == top]
        if len(best_c) > 1:
            exact = [c for c in best_c if _norm(c) == _norm(model)]
            if len(exact) == 1:
                best_c = exact
        if len(best_c) > 1:
            g.unresolved.append(
                (f"columns.{model}", f"several columns could be {model}: {best_c[:4]}; keep the right one")
            )
            continue
        chosen[model] = (best_c[0], f"header {best_c[0]}" + ("" if top == 2 else " (contains a known name)"))
        used.add(best_c[0])
    # the station key: 断面编码, else 断面名称; the facility id: a code column, else generated
    if kind == "stations" and "station_id" not in chosen and "name" in chosen:
        chosen["station_id"] = (
            chosen["name"][0],
            f"header {chosen['name'][0]} (no 断面编码 column: the names are the key)",
        )
    if kind == "facilities" and "facility_id" not in chosen:
        g.options["ids"] = "generate"
        g.why["ids"] = "the list has no id column: ids F0001 ... are generated in file order"
    if kind in ("lakes", "units") and SCHEMAS[kind].id_column not in chosen:
        g.options["ids"] = "generate"
        g.why["ids"] = f"no id column: ids are generated in file order ({SCHEMAS[kind].id_column})"
    for model, (col, why) in chosen.items():
        if col != model:
            g.mapping["columns"][model] = col
        g.why[f"columns.{model}"] = why
    # what is still missing
    if kind in SCHEMAS:
        present = set(chosen) | {c for c in columns if c in SCHEMAS[kind].names}
        for c in SCHEMAS[kind].columns:
            if not c.required or c.name in present:
                continue
            if c.name == SCHEMAS[kind].id_column and g.options.get("ids") == "generate":
                continue
            if (
                kind == "stations"
                and c.name == "waterbody"
                and "river_id" in present
                and "lake_id" not in present
            ):
                g.notes.append(
                    "no waterbody column: every station with a river_id is read as a river station"
                )
                continue
            g.unresolved.append((f"columns.{c.name}", _missing_hint(kind, c.name)))
        if kind == "stations" and not ({"river_id", "lake_id"} & present):
            g.unresolved.append(
                (
                    "columns.river_id",
                    "no column gives each station's river: name the column holding the river_id "
                    "(河流编码) of the rivers layer (or lake_id for lake stations)",
                )
            )
        # values the built-in synonyms do not know
        for model in _VALUE_MODELS.get(kind, ()):
            if model not in chosen:
                continue
            col = chosen[model][0]
            unknown = _unknown_values(kind, model, df[col].tolist())
            if unknown:
                allowed = next(c for c in SCHEMAS[kind].columns if c.name == model).allowed
                what = f"one of {list(allowed)}" if allowed else "a number"
                g.mapping["values"].setdefault(model, {})
                for v in unknown[:20]:
                    g.mapping["values"][model][v] = None
                    g.unresolved.append(
                        (f"values.{model}.{v}", f"{col} value {v!r} is not known: give {what}")
                    )
    if kind in ("stations", "facilities") and g.options.get("table"):
        for axis in ("lon", "lat"):
            if axis not in chosen:
                g.unresolved.append(
                    (f"columns.{axis}", f"no {axis} column found: name the column of the {axis}itude")
                )


def _missing_hint(kind: str, col: str) -> str:
    hints = {
        (
            "rivers",
            "river_id",
        ): (
            "no column looks like a river code (河流编码): name it, or generate ids with `ids: generate` "
            "if no station refers to them"
        ),
        ("rivers", "level"): "no column gives the river level (河流等级: 干流 0, 一级支流 1 ...): name it",
        ("lakes", "kind"): "no column says lake or reservoir (湖泊/水库): name it",
        (
            "lakes",
            "connected",
        ): "no column says whether the lake is connected to the river (通江, 是/否): name it",
        ("admin", "level"): "no column gives the level (省/县): name it",
        ("admin", "parent_id"): "no column gives the parent (province) code of each county: name it",
        ("admin", "name"): "no column gives the names: name it",
        ("stations", "target_class"): "no column gives the target class (目标水质, Ⅲ类): name it",
        ("stations", "station_id"): "no column gives the station code or name (断面编码/断面名称): name it",
        (
            "facilities",
            "category",
        ): "no column gives the category (类别/行业: 化工, 造纸 ... or 工业园区): name it",
        ("facilities", "status"): "no column gives the status (拟建/现有): name it",
    }
    return hints.get((kind, col), f"no column found for {col}: name the file column")


def _geom_class(types: Iterable[str]) -> str | None:
    t = {str(x) for x in types if x}
    if t and t <= {"LineString", "MultiLineString"}:
        return "line"
    if t and t <= {"Polygon", "MultiPolygon"}:
        return "polygon"
    if t and t <= {"Point", "MultiPoint"}:
        return "point"
    if t and t <= {"Point", "MultiPoint", "Polygon", "MultiPolygon"}:
        return "point_polygon"
    return None


def _numeric(s: pd.Series) -> bool:
    vals = s.dropna().astype(str).str.strip()
    vals = vals[vals != ""]
    return bool(len(vals)) and bool(pd.to_numeric(vals, errors="coerce").notna().all())


def _choose_kind(g: FileGuess, df: pd.DataFrame, candidates: tuple[str, ...]) -> None:
    names = _name_score(g.path, g.layer)
    columns = [c for c in df.columns if c not in ("_line", "geometry")]
    scores: dict[str, float] = {}
    for kind in candidates:
        s = float(names.get(kind, 0))
        if kind in SCHEMAS:
            hits = _header_matches(columns, kind)
            s += sum(2 if h[0][1] == 2 else 1 for m, h in hits.items() if m not in ("lon", "lat", "name"))
            for model in _VALUE_MODELS.get(kind, ()):
                # numbers fit too many columns (0/1, 1-5): only text values are evidence of a kind
                if any(
                    not _numeric(df[c]) and _values_fit(kind, model, df[c].tolist()) >= 0.8 for c in columns
                ):
                    s += 2
        scores[kind] = s
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] <= 0 or (len(ranked) > 1 and ranked[0][1] == ranked[1][1]):
        tied = [k for k, v in ranked if v == ranked[0][1]] if ranked else []
        g.kind = None
        g.unresolved.append(
            (
                "kind",
                f"cannot tell which layer this is ({' or '.join(tied) or 'no match'}); columns "
                f"{columns[:12]}: put it under the right `layers:` key",
            )
        )
        return
    g.kind, g.score = ranked[0]
    g.why["kind"] = ", ".join(
        p
        for p in (
            "file name" if names.get(g.kind) else "",
            "headers/values" if g.score - names.get(g.kind, 0) > 0 else "",
        )
        if p
    )


def _guess_vector(path: Path, layer: str | None) -> FileGuess:
    g = FileGuess(path, None, layer=layer)
    enc = None
    if path.suffix.lower() == ".shp":
        try:
            enc = detect_dbf_encoding(path)
        except BasinError as exc:
            g.unresolved.append(("encoding", f"{exc}: give the encoding (gbk, gb18030, utf-8)"))
        if enc is not None:
            g.encoding = "gbk" if enc == "GB18030" else enc.lower()
            g.why["encoding"] = (
                f"no .cpg file; the attributes decode as {'GBK/GB18030' if enc == 'GB18030' else enc}"
            )
    try:
        df = pyogrio.read_dataframe(path, layer=layer, max_features=SAMPLE_ROWS, encoding=enc)
        info = pyogrio.read_info(path, layer=layer)
    except Exception as exc:  # noqa: BLE001 - GDAL raises many types; the guess records it
        g.unresolved.append(("path", f"cannot read as a vector layer ({str(exc).splitlines()[0][:100]})"))
        return g
    g.layer = layer
    bad = looks_mojibake(
        [*map(str, df.columns), *[v for c in df.columns if df[c].dtype == object for v in df[c].head(50)]]
    )
    if bad is not None:
        g.unresolved.append(
            ("encoding", f"attribute text looks garbled ({bad!r}): give the encoding, probably gbk")
        )
    g.columns = [c for c in df.columns if c != "geometry"]
    if df.crs is None:
        g.unresolved.append(
            ("crs", "the file has no CRS: give it (EPSG:4490 for CGCS2000 lon/lat, EPSG:4326 for WGS84 ...)")
        )
    else:
        epsg = df.crs.to_epsg()
        g.crs = None  # the file's own CRS is used; say which
        g.notes.append(f"CRS {f'EPSG:{epsg}' if epsg else df.crs.name} (from the file)")
    n = int(info.get("features", -1))
    gtype = _geom_class(df.geometry.geom_type.dropna().unique()) if len(df) else None
    if gtype is None:
        g.unresolved.append(
            ("kind", f"geometry type {info.get('geometry_type')} is not lines, polygons or points")
        )
        return g
    _choose_kind(g, df, _GEOM_KINDS[gtype])
    g.notes.append(f"{n} feature(s), {gtype.replace('_', ' and ')}s")
    if g.kind in SCHEMAS:
        _map_columns(g, df, g.kind)
    return g


def _table_scorer() -> Any:
    known: set[str] = set()
    for group in synonyms()["columns"].values():
        for words in group.values():
            known |= {_norm(w) for w in words}
    from basin.waterquality.reader import _wq_scorer

    wq = _wq_scorer(set())

    def score(row: list[str]) -> int:
        return max(sum(1 for c in row if c and _norm(c) in known), wq(row))

    return score


def _guess_table(path: Path, sheet: str | int | None = None) -> FileGuess:
    g = FileGuess(path, None)
    try:
        tab = read_table(path, sheet=sheet, is_header=_table_scorer())
    except BasinError as exc:
        g.unresolved.append(("path", str(exc)))
        return g
    df = tab.frame
    g.columns = [c for c in df.columns if c != "_line"]
    if tab.encoding not in (None, "utf-8"):
        g.encoding = "gbk" if tab.encoding == "gb18030" else tab.encoding
        g.why["encoding"] = "the text decodes as GBK/GB18030"
    if tab.header_row != 1:
        g.options["header_row"] = tab.header_row
        g.why["header_row"] = f"title row(s) above the header: {'; '.join(tab.notes)[:80]}"
    if tab.sheet is not None and path.suffix.lower() in EXCEL_SUFFIXES:
        import openpyxl

        if path.suffix.lower() != ".xls":
            wb = openpyxl.load_workbook(path, read_only=True)
            if len(wb.sheetnames) > 1:
                g.notes.append(f"workbook has sheets {wb.sheetnames[:6]}; the first ({tab.sheet}) was read")
            wb.close()
    lon, lat = _coordinate_columns(g.columns, {})
    if lon is not None and lat is not None:
        g.options["table"] = True
        _choose_kind(g, df, ("stations", "facilities"))
        if g.kind is not None:
            _map_columns(g, df, g.kind)
            g.mapping["columns"].setdefault("lon", lon) if lon != "lon" else None
            g.mapping["columns"].setdefault("lat", lat) if lat != "lat" else None
            g.why["columns.lon"] = f"header {lon}"
            g.why["columns.lat"] = f"header {lat}"
            _check_coordinates(g, df, lon, lat)
        g.options.pop("table", None)
        return g
    _guess_wq_table(g, path, sheet)
    return g


def _check_coordinates(g: FileGuess, df: pd.DataFrame, lon: str, lat: str) -> None:
    x = pd.to_numeric(df[lon], errors="coerce")
    y = pd.to_numeric(df[lat], errors="coerce")
    if x.between(73, 136).all() and y.between(3, 54).all():
        g.notes.append("coordinates are lon/lat degrees inside China (WGS84 or CGCS2000: the same to < 1 m)")
    elif (x.abs() > 180).any() or (y.abs() > 90).any():
        g.unresolved.append(
            ("crs", "the coordinates are not lon/lat degrees: give their projected CRS (e.g. EPSG:4545)")
        )


def _guess_wq_table(g: FileGuess, path: Path, sheet: str | int | None) -> None:
    from basin.waterquality.reader import _read_wq_table, _validate_long

    try:
        long, unknown, notes, file_dl, _ = _read_wq_table(
            path,
            mapping=None,
            layout="auto",
            header_row=g.options.get("header_row"),
            encoding=None,
            sheet=sheet,
        )
    except BasinError as exc:
        g.unresolved.append(
            ("kind", f"not a layer (no lon/lat columns) nor a water-quality table: {str(exc)[:160]}")
        )
        return
    g.kind = "wq"
    g.why["kind"] = "station and time columns with parameter values"
    from basin.waterquality.reader import _COLUMN_ALIASES
    from basin.waterquality.standards import normalize_name

    is_long = any(_COLUMN_ALIASES.get(normalize_name(c)) in ("parameter", "value") for c in g.columns)
    g.options["layout"] = "long" if is_long else "wide"
    g.notes.extend(notes)
    if unknown:
        g.options["ignore"] = unknown
        g.unresolved.append(
            (
                "ignore",
                f"column(s) {unknown[:8]} are not parameters basin knows: map a parameter "
                "(`columns: {TP: 列名}`) or leave them in `ignore:`",
            )
        )
    if file_dl:
        g.why["detection_limits"] = f"a 检出限 row in the file gives {sorted(file_dl)}"
    sample = long.head(5000).copy()
    if "unit" not in sample.columns:
        sample["unit"] = ""
    checked = _validate_long(
        sample, None, detection_limits=file_dl, excel=path.suffix.lower() in EXCEL_SUFFIXES
    )
    reasons = checked["reason"].dropna()
    nd = reasons[reasons.str.contains("without a detection limit")]
    if len(nd):
        params = sorted({str(p) for p in checked.loc[nd.index, "code"].dropna()})
        g.options["detection_limits"] = {p: None for p in params}
        for p in params:
            g.unresolved.append(
                (
                    f"detection_limits.{p}",
                    f"ND/未检出 values of {p} without a detection limit: give it in mg/L",
                )
            )
    amb = reasons[reasons.str.contains("ambiguous date")]
    if len(amb):
        g.unresolved.append(
            (
                "time_format",
                f"{len(amb)} date(s) such as {checked.loc[amb.index[0], '_time_raw']!r} "
                "could be day/month or month/day: give time_format, e.g. '%d/%m/%Y'",
            )
        )
    other = reasons[~reasons.index.isin(nd.index) & ~reasons.index.isin(amb.index)]
    if len(other):
        g.notes.append(f"{len(other)} value(s) of the first 5000 rows would be refused, e.g. {other.iloc[0]}")
    st_col = next(
        (
            c
            for c in g.columns
            if _norm(c) in {_norm(w) for w in synonyms()["columns"]["stations"]["station_id"]}
        ),
        None,
    )
    nm_col = next(
        (c for c in g.columns if _norm(c) in {_norm(w) for w in synonyms()["columns"]["stations"]["name"]}),
        None,
    )
    g.options["station_column"] = st_col or nm_col
    g.options["name_column"] = nm_col
    g.why["columns.station_id"] = f"header {st_col or nm_col}" + (
        "" if st_col else " (station names are the key)"
    )


def _guess_raster(path: Path) -> FileGuess:
    g = FileGuess(path, None)
    names = _name_score(path, None)
    kinds = [k for k in names if k.startswith("raster:")]
    try:
        import rasterio

        with rasterio.open(path) as src:
            g.notes.append(f"raster {src.width}x{src.height}, {src.count} band(s)")
            if src.crs is None:
                g.unresolved.append(
                    ("crs", "the raster has no CRS: assign one (gdal_edit.py -a_srs EPSG:4490 FILE)")
                )
    except Exception as exc:  # noqa: BLE001 - rasterio raises several types
        g.unresolved.append(("path", f"cannot read as a raster ({str(exc).splitlines()[0][:100]})"))
        return g
    if len(kinds) == 1:
        g.kind = kinds[0]
        g.why["kind"] = "file name"
    else:
        g.unresolved.append(
            (
                "kind",
                f"which raster is this: one of {', '.join(RASTER_KINDS)} (population, GDP density, DEM, land "
                "use)?",
            )
        )
    return g


def guess_file(
    path: str | os.PathLike[str], *, layer: str | None = None, sheet: str | int | None = None
) -> FileGuess:
    """Guess the kind, layer, encoding, CRS, column mapping and options of one file.

    Parameters
    ----------
    path
        A vector file, a CSV/Excel table (points with lon/lat, or a water-quality table), a raster.
    layer
        The layer of a multi-layer file (default the first).
    sheet
        The sheet of a workbook (default the first).

    Returns
    -------
    FileGuess
        ``kind`` None when it cannot be told; ``unresolved`` lists ``(field, what to fill)``.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix in RASTER_SUFFIXES:
        return _guess_raster(p)
    if suffix in TEXT_SUFFIXES or suffix in EXCEL_SUFFIXES:
        return _guess_table(p, sheet)
    if suffix in WQ_SUFFIXES or (p.is_dir() and suffix == ".zarr"):
        g = FileGuess(p, "wq")
        g.why["kind"] = "a NetCDF/Zarr series"
        return g
    if suffix in VECTOR_SUFFIXES:
        if layer is None:
            try:
                names = [str(n) for n, _ in pyogrio.list_layers(p)]
            except Exception as exc:  # noqa: BLE001
                g = FileGuess(p, None)
                g.unresolved.append(
                    ("path", f"cannot read as a vector file ({str(exc).splitlines()[0][:100]})")
                )
                return g
            layer = names[0] if len(names) > 1 else None
        return _guess_vector(p, layer)
    g = FileGuess(p, None)
    g.unresolved.append(("kind", f"basin does not read {suffix or 'this'} files"))
    return g


def _data_files(folder: Path) -> list[Path]:
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d not in {"out", "__pycache__"} and not d.endswith(".zarr")
        )
        for d in list(os.listdir(root)):
            if d.endswith(".zarr") and (Path(root) / d).is_dir():
                out.append(Path(root) / d)
        for f in sorted(files):
            p = Path(root) / f
            s = p.suffix.lower()
            if f.startswith((".", "~$")) or s in _SKIP_SUFFIXES:
                continue
            if s in VECTOR_SUFFIXES | RASTER_SUFFIXES | TEXT_SUFFIXES | EXCEL_SUFFIXES | WQ_SUFFIXES:
                out.append(p)
    return sorted(out)


def guess_folder(folder: str | os.PathLike[str]) -> list[FileGuess]:
    """Guess every data file of a folder (sub-folders too) and reconcile the guesses.

    Parameters
    ----------
    folder
        The folder of an office's files.

    Returns
    -------
    list of FileGuess
        One per file (one per layer of a multi-layer file); when two files look like the same layer the
        better-scored keeps the kind and the other gets a ``kind`` TODO. The water-quality tables are keyed
        like the stations layer (its codes or its names).
    """
    folder = Path(folder)
    guesses: list[FileGuess] = []
    for p in _data_files(folder):
        if p.suffix.lower() in {".gpkg"}:
            try:
                names = [str(n) for n, _ in pyogrio.list_layers(p)]
            except Exception:  # noqa: BLE001 - guess_file records it
                names = []
            if len(names) > 1:
                layers = [_guess_vector(p, n) for n in names]
                placed = [g for g in layers if g.kind is not None]
                for g in layers:
                    if g.kind is None and placed and g.score == 0:
                        placed[0].notes.append(
                            f"layer {g.layer!r} of the same file is not a data-model layer: not used"
                        )
                    else:
                        guesses.append(g)
                continue
        guesses.append(guess_file(p))
    by_kind: dict[str, list[FileGuess]] = {}
    for g in guesses:
        if g.kind is not None and g.kind != "wq":
            by_kind.setdefault(g.kind, []).append(g)
    for kind, gs in by_kind.items():
        if len(gs) < 2:
            continue
        gs.sort(key=lambda x: (-x.score, len(x.unresolved)))
        for other in gs[1:]:
            other.unresolved.insert(
                0,
                (
                    "kind",
                    f"also looks like {kind}, but {gs[0].path.name} was taken as {kind}: place it yourself",
                ),
            )
            other.kind = None
    for g in guesses:  # the reason a file was not placed, also among its notes (basin init prints them)
        if g.kind is None:
            g.notes.extend(why for f, why in g.unresolved if f in {"kind", "path"} and why not in g.notes)
    # the water-quality tables: keyed by station code or name like the stations layer
    stations = next((g for g in guesses if g.kind == "stations"), None)
    for g in guesses:
        if g.kind != "wq" or "station_column" not in g.options:
            continue
        key = g.options.pop("station_column")
        name_col = g.options.pop("name_column", None)
        if stations is not None:
            st_key = stations.mapping["columns"].get("station_id", "station_id")
            st_name = stations.mapping["columns"].get("name", "name")
            if st_key == st_name and name_col is not None:
                key = name_col
                g.why["columns.station_id"] = f"header {name_col} (the stations layer is keyed by its names)"
        if key is not None and _norm(key) not in {"station_id"}:
            g.mapping["columns"]["station_id"] = key
    return guesses


# ------------------------------------------------------------------------------------------- project file
def _y(value: Any) -> str:
    """One YAML scalar or flow collection."""
    text = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000).strip()
    return text.removesuffix("...").strip()


def _rel(path: Path, base: Path) -> str:
    try:
        rel = os.path.relpath(path.resolve(), base.resolve())
    except ValueError:
        return str(path.resolve())
    return str(path.resolve()) if rel.startswith("..") else rel


def _comment(text: str) -> str:
    return "  # " + " ".join(str(text).split()) if text else ""


def write_project_yaml(guesses: list[FileGuess], path: str | os.PathLike[str], *, demo: bool = False) -> Path:
    """Write a commented project file from the guesses (see INTERFACES / the README for the format).

    Parameters
    ----------
    guesses
        From :func:`guess_folder` (or :func:`guess_file`); with ``demo`` and no guesses, the demo data folder
        is guessed.
    path
        The project file to write (``basin.yml``); relative paths in it are relative to its folder.
    demo
        Write the project of the built-in demo data (its header says so).

    Returns
    -------
    Path
        The file written (atomically).
    """
    from basin.io.atomic import write_text

    out = Path(path)
    base = out.parent
    if demo and not guesses:
        from basin import datasets

        guesses = guess_folder(datasets.data_dir())
    lines: list[str] = []
    n_todo = sum(len(g.unresolved) for g in guesses)
    title = "the built-in demo data" if demo else f"the files in {base.resolve()}"
    lines += [
        f"# basin project file, written by `basin init` on {dt.date.today().isoformat()} from {title}.",
        "# `# guessed:` says what basin guessed from the file names, headers and values: check it.",
        f"# `# TODO:` marks what basin could not guess ({n_todo} line(s)): fill these in, then run",
        f"#     basin run {out.name}",
        "# Relative paths are relative to this file. Format: README, section 'The project file'.",
        f"name: {_y(base.resolve().name if not demo else '示例 demo')}",
        "",
        "layers:",
    ]
    layer_kinds = (*SCHEMAS, *POLYGON_EXTRA)
    placed = [g for g in guesses if g.kind in layer_kinds]
    for g in placed:
        kind = str(g.kind)
        lines.append(
            f"  {kind}:{_comment('guessed: ' + g.why.get('kind', '') + '; ' + '; '.join(g.notes[:2]))}"
        )
        lines.append(f"    path: {_y(_rel(g.path, base))}")
        if g.layer is not None:
            lines.append(f"    layer: {_y(g.layer)}")
        todo = dict(g.unresolved)
        if g.encoding is not None:
            lines.append(f"    encoding: {_y(g.encoding)}{_comment('guessed: ' + g.why.get('encoding', ''))}")
        elif "encoding" in todo:
            lines.append(f"    encoding:{_comment('TODO: ' + todo['encoding'])}")
        if "crs" in todo:
            lines.append(f"    crs:{_comment('TODO: ' + todo['crs'])}")
        if g.options.get("ids"):
            lines.append(f"    ids: {_y(g.options['ids'])}{_comment('guessed: ' + g.why.get('ids', ''))}")
        _mapping_lines(lines, g, indent="    ")
    for kind in layer_kinds:
        if not any(g.kind == kind for g in placed):
            lines.append(
                f"  # {kind}: {{path: ...}}  # no {kind} file found in the folder (optional; see the README)"
            )
    wq = [g for g in guesses if g.kind == "wq"]
    lines.append("")
    if wq:
        first = wq[0]
        lines.append(f"water_quality:{_comment('guessed: ' + first.why.get('kind', ''))}")
        lines.append(f"  paths: {_y([_rel(g.path, base) for g in wq])}")
        if "layout" in first.options:
            lines.append(f"  layout: {first.options['layout']}")
        if first.options.get("header_row"):
            lines.append(
                "  header_row: "
                f"{first.options['header_row']}{_comment('guessed: ' + first.why.get('header_row', ''))}"
            )
        if first.encoding is not None:
            lines.append(
                f"  encoding: {_y(first.encoding)}{_comment('guessed: ' + first.why.get('encoding', ''))}"
            )
        dls = first.options.get("detection_limits")
        if dls:
            lines.append("  detection_limits:")
            for p in dls:
                lines.append(
                    f"    {p}:{_comment('TODO: ' + dict(first.unresolved).get('detection_limits.' + p, ''))}"
                )
        elif "detection_limits" in first.why:
            lines.append(
                "  # detection_limits: the file's own 检出限 row is used  # guessed: "
                f"{first.why['detection_limits']}"
            )
        _mapping_lines(lines, first, indent="  ", wq=True)
        for g in wq[1:]:
            lines.append(f"  # also {_rel(g.path, base)}: read with the same options")
    else:
        lines.append("# water_quality: {paths: [...]}  # no water-quality table found in the folder")
    rasters = [g for g in guesses if g.kind is not None and g.kind.startswith("raster:")]
    lines.append("")
    if rasters:
        lines.append("rasters:")
        for g in rasters:
            lines.append(
                f"  {str(g.kind).split(':', 1)[1]}: "
                f"{_y(_rel(g.path, base))}{_comment('guessed: ' + g.why.get('kind', ''))}"
            )
    else:
        lines.append(
            "# rasters: {population: ..., gdp: ...}  # no raster found (population/GDP are optional)"
        )
    lonely = [g for g in guesses if g.kind is None]
    if lonely:
        lines.append("")
        lines.append(
            "# Files basin could not place: move each under `layers:` (or `water_quality:`/`rasters:`) "
            "as the "
            "right kind."
        )
        for g in lonely:
            why = "; ".join(f"{f}: {w}" for f, w in g.unresolved[:2])
            lines.append(
                f"# TODO: {_rel(g.path, base)}{' layer ' + g.layer if g.layer else ''}: "
                f"{' '.join(why.split())}"
            )
    lines += [
        "",
        "choices:",
        "  standard: GB3838-2002",
        "  period: year                      # month | quarter | year",
        "",
        "output:",
        "  dir: out",
        "  lang: zh                          # zh | en",
        "",
    ]
    text = "\n".join(lines)
    yaml.safe_load(text)  # the file must load; a failure here is a bug of this writer
    write_text(text, out)
    return out


def _mapping_lines(lines: list[str], g: FileGuess, *, indent: str, wq: bool = False) -> None:
    todo = dict(g.unresolved)
    cols = dict(g.mapping.get("columns", {}))
    missing_cols = [f.split(".", 1)[1] for f, _ in g.unresolved if f.startswith("columns.")]
    values = {k: v for k, v in g.mapping.get("values", {}).items() if v}
    ignore = g.options.get("ignore") if wq else None
    if not (cols or missing_cols or values or ignore):
        return
    lines.append(f"{indent}mapping:")
    if cols or missing_cols:
        lines.append(f"{indent}  columns:")
        for model, col in cols.items():
            lines.append(
                f"{indent}    {model}: {_y(col)}{_comment('guessed: ' + g.why.get('columns.' + model, ''))}"
            )
        for model in dict.fromkeys(missing_cols):
            if model not in cols:
                lines.append(f"{indent}    {model}:{_comment('TODO: ' + todo.get('columns.' + model, ''))}")
    if values:
        lines.append(f"{indent}  values:")
        for model, table in values.items():
            lines.append(f"{indent}    {model}:")
            for fv, mv in table.items():
                if mv is None:
                    lines.append(
                        f"{indent}      {_y(fv)}:{_comment('TODO: ' + todo.get(f'values.{model}.{fv}', ''))}"
                    )
                else:
                    lines.append(f"{indent}      {_y(fv)}: {_y(mv)}")
    if ignore:
        lines.append(f"{indent}  ignore: {_y(ignore)}{_comment('TODO: ' + todo.get('ignore', ''))}")
