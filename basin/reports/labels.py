"""Labels of the result tables as data (``labels.yml``): headers with units and values as officers write them.

Every writer of the reports (workbook, Word report, HTML pages, maps' popups) goes through :func:`label`,
:func:`header` and :func:`localize`, so a value reads ``禁止新建`` / ``prohibited`` and a class ``Ⅲ类`` /
``Class III`` everywhere, never ``phase_out_candidate`` or ``3``.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import yaml

from basin._errors import SchemaError

LANGS = ("zh", "en")
FORMATS = ("text", "number", "integer", "percent")


@dataclass(frozen=True)
class Value:
    """One value of a value set, in both languages (``short``: the compact Chinese form of a table cell)."""

    zh: str
    en: str
    short: str | None = None


@dataclass(frozen=True)
class Field:
    """How a result column is headed and written."""

    name: str
    zh: str
    en: str
    unit: str | None = None
    format: str | None = None
    decimals: int | None = None
    values: str | None = None
    only: str | None = None
    drop_if: str | None = None

    def header(self, lang: str = "zh") -> str:
        """Header in ``lang`` with the unit: ``距离(m)`` / ``Distance (m)``."""
        text = self.zh if lang == "zh" else self.en
        if self.unit:
            return f"{text}({self.unit})" if lang == "zh" else f"{text} ({self.unit})"
        return text


@dataclass(frozen=True)
class Labels:
    """The label tables: value sets, fields, table titles, input kinds and phrases of the reports."""

    values: dict[str, dict[str, Value]]
    fields: dict[str, Field]
    tables: dict[str, Value]
    source_kinds: dict[str, Value]
    phrases: dict[str, Value] = field(default_factory=dict)
    patterns: tuple[tuple[re.Pattern[str], dict[str, Any]], ...] = ()
    files: dict[str, Value] = field(default_factory=dict)
    formats: dict[str, Value] = field(default_factory=dict)


def _check_lang(lang: str) -> str:
    if lang not in LANGS:
        msg = f"unknown language {lang!r}; expected one of {list(LANGS)}"
        raise SchemaError(msg)
    return lang


def _value(spec: Any, where: str) -> Value:
    if not isinstance(spec, dict) or not {"zh", "en"} <= set(spec):
        msg = f"{where}: expected a mapping with zh and en"
        raise SchemaError(msg)
    extra = set(spec) - {"zh", "en", "short"}
    if extra:
        msg = f"{where}: unknown keys {sorted(extra)} (allowed: zh, en, short)"
        raise SchemaError(msg)
    short = spec.get("short")
    return Value(str(spec["zh"]), str(spec["en"]), None if short is None else str(short))


def parse_labels(raw: Any, source: str = "labels.yml") -> Labels:
    """Check and build the label tables from the parsed YAML ``raw``.

    Raises
    ------
    SchemaError
        A section is missing, a field names an unknown value set / format / language, a value lacks zh or en.
    """
    if not isinstance(raw, dict):
        msg = f"{source}: expected a mapping with values, fields, tables, source_kinds"
        raise SchemaError(msg)
    missing = [k for k in ("values", "fields", "tables", "source_kinds") if k not in raw]
    if missing:
        msg = f"{source}: missing section(s) {missing}"
        raise SchemaError(msg)
    values = {
        str(name): {_key(k): _value(v, f"{source}, values.{name}.{k}") for k, v in (spec or {}).items()}
        for name, spec in raw["values"].items()
    }
    fields: dict[str, Field] = {}
    allowed = {"zh", "en", "unit", "format", "decimals", "values", "only", "drop_if"}
    for name, spec in raw["fields"].items():
        where = f"{source}, fields.{name}"
        if not isinstance(spec, dict) or not {"zh", "en"} <= set(spec):
            msg = f"{where}: expected a mapping with zh and en"
            raise SchemaError(msg)
        extra = set(spec) - allowed
        if extra:
            msg = f"{where}: unknown keys {sorted(extra)} (allowed: {sorted(allowed)})"
            raise SchemaError(msg)
        if spec.get("values") is not None and spec["values"] not in values:
            msg = f"{where}: unknown value set {spec['values']!r}; defined: {sorted(values)}"
            raise SchemaError(msg)
        if spec.get("format") is not None and spec["format"] not in FORMATS:
            msg = f"{where}: unknown format {spec['format']!r}; expected one of {list(FORMATS)}"
            raise SchemaError(msg)
        if spec.get("only") is not None and spec["only"] not in LANGS:
            msg = f"{where}: only must be one of {list(LANGS)}, got {spec['only']!r}"
            raise SchemaError(msg)
        fields[str(name)] = Field(
            str(name),
            str(spec["zh"]),
            str(spec["en"]),
            unit=spec.get("unit"),
            format=spec.get("format"),
            decimals=None if spec.get("decimals") is None else int(spec["decimals"]),
            values=spec.get("values"),
            only=spec.get("only"),
            drop_if=spec.get("drop_if"),
        )
    tables = {str(k): _value(v, f"{source}, tables.{k}") for k, v in raw["tables"].items()}
    kinds = {str(k): _value(v, f"{source}, source_kinds.{k}") for k, v in raw["source_kinds"].items()}
    phrases = {str(k): _value(v, f"{source}, phrases.{k}") for k, v in (raw.get("phrases") or {}).items()}
    files = {str(k): _value(v, f"{source}, files.{k}") for k, v in (raw.get("files") or {}).items()}
    formats = {str(k): _value(v, f"{source}, formats.{k}") for k, v in (raw.get("formats") or {}).items()}
    patterns = []
    for i, spec in enumerate(raw.get("patterns") or []):
        where = f"{source}, patterns[{i}]"
        if not isinstance(spec, dict) or not {"match", "zh", "en"} <= set(spec):
            msg = f"{where}: expected a mapping with match, zh and en"
            raise SchemaError(msg)
        extra = set(spec) - allowed - {"match"}
        if extra:
            msg = f"{where}: unknown keys {sorted(extra)}"
            raise SchemaError(msg)
        if spec.get("values") is not None and spec["values"] not in values:
            msg = f"{where}: unknown value set {spec['values']!r}; defined: {sorted(values)}"
            raise SchemaError(msg)
        try:
            rx = re.compile(str(spec["match"]))
        except re.error as exc:
            msg = f"{where}: match {str(spec['match'])[:60]!r} is not a regular expression ({exc})"
            raise SchemaError(msg) from exc
        patterns.append((rx, {k: v for k, v in spec.items() if k != "match"}))
    return Labels(values, fields, tables, kinds, phrases, tuple(patterns), files, formats)


@functools.cache
def load_labels() -> Labels:
    """Return the shipped label tables (``basin/reports/labels.yml``), checked."""
    text = resources.files("basin.reports").joinpath("labels.yml").read_text(encoding="utf-8")
    return parse_labels(yaml.safe_load(text), "basin/reports/labels.yml")


def _missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float | np.floating):
        return math.isnan(float(value))
    return False


def _key(value: Any) -> str:
    """Return the text a value is looked up by: booleans as true/false, whole numbers without decimals."""
    if isinstance(value, bool | np.bool_):
        return "true" if value else "false"
    if isinstance(value, int | np.integer):
        return str(int(value))
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    text = str(value).strip()
    low = text.lower()
    if low in ("true", "false"):
        return low
    return text


@functools.lru_cache(maxsize=4096)
def field_spec(name: str) -> Field | None:
    """Return how the column ``name`` is headed and written (None for a column the tables do not know).

    An exact field of ``labels.yml`` first, else the first of its ``patterns`` matching the whole name
    (``cwqi_TP`` -> ``CWQI 分指数 TP``, ``TN_class`` -> ``TN 类别``).
    """
    labels = load_labels()
    name = str(name)
    hit = labels.fields.get(name)
    if hit is not None:
        return hit
    for rx, spec in labels.patterns:
        m = rx.fullmatch(name)
        if m is None:
            continue
        groups = m.groups()
        drop = spec.get("drop_if")
        return Field(
            name,
            str(spec["zh"]).format(*groups),
            str(spec["en"]).format(*groups),
            unit=spec.get("unit"),
            format=spec.get("format"),
            decimals=None if spec.get("decimals") is None else int(spec["decimals"]),
            values=spec.get("values"),
            only=spec.get("only"),
            drop_if=None if drop is None else str(drop).format(*groups),
        )
    return None


def header(name: str, lang: str = "zh") -> str:
    """Return the header of column ``name`` in ``lang`` (with its unit); an unknown column keeps its name."""
    _check_lang(lang)
    spec = field_spec(name)
    return spec.header(lang) if spec is not None else str(name)


def label(name: str, value: Any, lang: str = "zh", *, short: bool = False) -> str:
    """Return ``value`` of column (or value set) ``name`` as officers write it in ``lang``.

    Parameters
    ----------
    name
        A column of the result tables (``action``, ``class``, ``status`` …) or a value set (``wq_class``).
    value
        The value as the tables hold it (``phase_out_candidate``, ``3``, ``True``).
    lang
        ``"zh"`` (default) or ``"en"``.
    short
        The compact form where the value set has one (``Ⅲ`` instead of ``Ⅲ类``).

    Returns
    -------
    str
        The label; a value the tables do not list is returned as text, a missing value as ``""``.

    Examples
    --------
    >>> label("action", "phase_out_candidate")
    '依法淘汰'
    >>> label("class", 6, "en")
    'Worse than V'
    """
    _check_lang(lang)
    if _missing(value):
        return ""
    labels = load_labels()
    name = str(name)
    if name in labels.fields or name not in labels.values:
        spec = field_spec(name)
        set_name = spec.values if spec is not None else None
    else:  # a value set by its name (wq_class, unit_class …)
        set_name = name
    if set_name is None and isinstance(value, bool | np.bool_):
        set_name = "yes_no"
    if set_name is not None:
        hit = labels.values[set_name].get(_key(value))
        if hit is not None:
            if lang == "en":
                return hit.en
            return hit.short if short and hit.short else hit.zh
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def table_title(name: str, lang: str = "zh", df: pd.DataFrame | None = None) -> str:
    """Return the title of the result table ``name`` (a sheet name, a caption).

    A table the labels do not know takes the title its producer gave it (``df.attrs["title_zh"]`` /
    ``["title_en"]``), else keeps its name.
    """
    _check_lang(lang)
    if df is not None and str(name) not in load_labels().tables:
        own = df.attrs.get(f"title_{lang}")
        if own:
            return str(own)
    tables = load_labels().tables
    name = str(name)
    hit, rest = tables.get(name), ""
    if hit is None:
        prefixes = sorted(
            (k for k in tables if k.endswith("_") and name.startswith(k)), key=len, reverse=True
        )
        if prefixes:
            hit, rest = tables[prefixes[0]], name[len(prefixes[0]) :]
    if hit is None:
        return name
    title = hit.zh if lang == "zh" else hit.en
    return f"{title} {rest}" if rest else title


def source_kind(kind: str, lang: str = "zh") -> str:
    """Name of an input kind (``rivers``, ``wq``, ``scheme:<name>`` …) in ``lang``."""
    _check_lang(lang)
    base, _, rest = str(kind).partition(":")
    if base == "scheme":
        return f"补偿方案 {rest}" if lang == "zh" else f"compensation scheme {rest}"
    hit = load_labels().source_kinds.get(base)
    return str(kind) if hit is None else (hit.zh if lang == "zh" else hit.en)


def file_label(path: str, lang: str = "zh", fallback: str | None = None) -> str:
    """Return what an output file is, in ``lang``: ``岸线分区（GeoPackage）`` for ``zones/zones.gpkg``.

    The name comes from ``files`` of ``labels.yml`` by the path relative to the output folder without its
    suffix (``zones/zones``); a key may hold one ``*`` for any part of a name (``crossborder/*_ledger``: the
    ledger of a compensation scheme, whose name fills ``{0}``). The format comes from ``formats`` by the
    suffix. A file the labels do not know keeps ``fallback`` (the writer's own label), else its path.

    Parameters
    ----------
    path
        The file, relative to the run's output folder (``/`` separated).
    lang
        ``"zh"`` (default) or ``"en"``.
    fallback
        The label to return for a file the labels do not know.

    Returns
    -------
    str
    """
    _check_lang(lang)
    labels = load_labels()
    p = str(path).replace("\\", "/")
    stem, dot, suffix = p.rpartition(".")
    if not dot or "/" in suffix:
        stem, suffix = p, ""
    hit, fill = labels.files.get(stem), ""
    if hit is None:
        for key, value in labels.files.items():
            if "*" in key:
                head, _, tail = key.partition("*")
                if stem.startswith(head) and stem.endswith(tail) and len(stem) > len(head) + len(tail):
                    hit, fill = value, stem[len(head) : len(stem) - len(tail)]
                    break
    if hit is None:
        return fallback if fallback is not None else p
    name = (hit.zh if lang == "zh" else hit.en).replace("{0}", fill)
    fmt = labels.formats.get(suffix.lower())
    if fmt is None:
        return name
    kind = fmt.zh if lang == "zh" else fmt.en
    return f"{name}（{kind}）" if lang == "zh" else f"{name} ({kind})"


def phrase(key: str, lang: str = "zh") -> str:
    """Return a fixed phrase of the reports (headings, sentences) in ``lang``; raises for an unknown key."""
    _check_lang(lang)
    hit = load_labels().phrases.get(key)
    if hit is None:
        msg = f"no phrase {key!r} in basin/reports/labels.yml"
        raise SchemaError(msg)
    return hit.zh if lang == "zh" else hit.en


def localize(df: pd.DataFrame, lang: str = "zh", *, short: bool = False) -> pd.DataFrame:
    """Return a copy of ``df`` with headers and values in ``lang``, ready for an officer to read.

    Columns marked for the other language (``label_en`` in Chinese) and label columns doubling a labelled
    column (``class_label`` beside ``class``) are dropped, the geometry too; values of columns with a value
    set are written out (``prohibited`` -> ``禁止新建``, ``3`` -> ``Ⅲ类``); numbers are left as numbers (the
    writers format them, see :func:`field_spec`). Headers carry their unit (``距离(m)``) and stay unique.

    Parameters
    ----------
    df
        A result table (DataFrame or GeoDataFrame).
    lang
        ``"zh"`` (default) or ``"en"``.
    short
        Compact value forms where there are some (``Ⅲ`` for ``Ⅲ类``).

    Returns
    -------
    pandas.DataFrame
        ``attrs["fields"]`` holds the original column name of each header, in order.
    """
    _check_lang(lang)
    geom = getattr(df, "_geometry_column_name", None) if hasattr(df, "geometry") else None
    plain = pd.DataFrame(df.drop(columns=[geom])) if geom in df.columns else pd.DataFrame(df)
    keep: list[str] = []
    for col in plain.columns:
        spec = field_spec(col)
        if spec is not None and spec.only is not None and spec.only != lang:
            continue
        if spec is not None and spec.drop_if is not None and spec.drop_if in plain.columns:
            continue
        keep.append(col)
    out = {}
    headers: list[str] = []
    for col in keep:
        spec = field_spec(col)
        s = plain[col]
        labelled = spec is not None and spec.values is not None
        if labelled or s.dtype == bool or str(s.dtype) == "boolean":
            s = pd.Series([label(col, v, lang, short=short) for v in s], index=s.index, dtype=object)
        h = header(col, lang)
        while h in headers:
            h = f"{h} [{col}]" if f"[{col}]" not in h else h + "'"
        headers.append(h)
        out[h] = s
    res = pd.DataFrame(out, index=plain.index)
    res.attrs["fields"] = list(keep)
    return res


def format_cell(name: str, value: Any, lang: str = "zh", *, short: bool = False) -> str:
    """Return one cell of column ``name`` as text for a printed table: labels, percentages, decimals.

    Values with a value set are labelled (:func:`label`); numbers use the column's format and decimals from
    ``labels.yml`` (shares ``12.5%``, distances ``1,234``), other numbers 4 significant digits; missing
    values are empty.
    """
    if _missing(value):
        return ""
    spec = field_spec(name)
    if spec is not None and spec.values is not None or isinstance(value, bool | np.bool_):
        return label(name, value, lang, short=short)
    if isinstance(value, int | float | np.integer | np.floating):
        v = float(value)
        if math.isinf(v):
            return "∞" if v > 0 else "-∞"
        fmt = spec.format if spec is not None else None
        d = spec.decimals if spec is not None else None
        if fmt == "percent":
            return f"{v * 100:.{1 if d is None else d}f}%"
        if fmt == "integer":
            return f"{v:.0f}"
        if fmt == "text":
            return str(int(v)) if v.is_integer() else str(value)
        if d is not None:
            return f"{v:,.{d}f}"
        if isinstance(value, int | np.integer):
            return str(int(value))
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    return str(value)
