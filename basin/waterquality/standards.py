"""Water-quality standards, parameters, aliases and units, all kept as data in ``standards/``.

Files (read with :mod:`importlib.resources`, validated on load):

============================ ===========================================================================
file                         content
============================ ===========================================================================
``standards.yml``            registry: one entry per standard (title, version, source, confidence, files,
                             and the 2011 evaluation method's items / priorities / river rules)
``GB3838-2002.csv``          Table 1 limits, long format (see below)
``GB3838-2002-table2.csv``   Table 2 supplementary items (one limit each)
``classes.csv``              class code -> label (Ⅰ … 劣Ⅴ), status (优 … 重度污染), colour
``parameters.csv``           canonical parameter codes, Chinese/English names, canonical unit, HJ 212 code,
                             plausible range
``aliases.csv``              other spellings (Chinese names, common abbreviations) -> canonical code
``units.csv``                unit spellings -> quantity and factor to the quantity's base unit
``trophic.yml``              TLI(Σ) weights, component formulas and classes
============================ ===========================================================================

Limits file columns: ``parameter, unit, class, lower, upper, lower_inclusive, upper_inclusive, direction,
waterbody, note``. One row per parameter, class (1-5) and waterbody (``all``, ``river`` or ``lake``; ``lake``
covers lakes and reservoirs). A row gives the range a value must lie in to *meet* that class: ``direction``
``upper`` (≤ upper limit), ``lower`` (≥ lower limit, DO) or ``range`` (pH 6-9). The ranges are nested
(class 1 ⊆ class 2 ⊆ … ⊆ class 5) and a value gets the first (best) class whose range holds it, so a value
equal to a limit belongs to the better class; a value outside the class-5 range is class 6 (劣Ⅴ).
"""

from __future__ import annotations

import functools
import os
import unicodedata
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from basin._errors import SchemaError, UnknownStandardError

__all__ = [
    "Limits",
    "Standard",
    "canonical_parameter",
    "class_table",
    "list_standards",
    "load_standard",
    "parameter_table",
    "unit_factor",
]

_PKG = "basin.waterquality"
_DIR = "standards"
LIMIT_COLUMNS = [
    "parameter",
    "unit",
    "class",
    "lower",
    "upper",
    "lower_inclusive",
    "upper_inclusive",
    "direction",
    "waterbody",
]
WATERBODIES = ("river", "lake", "reservoir")


def _read_text(name: str) -> str:
    return resources.files(_PKG).joinpath(_DIR, name).read_text(encoding="utf-8")


def _read_csv(name: str, base: Path | None = None) -> pd.DataFrame:
    if base is not None:
        return pd.read_csv(base / name, dtype=str, keep_default_na=False, encoding="utf-8")
    with resources.as_file(resources.files(_PKG).joinpath(_DIR, name)) as p:
        return pd.read_csv(p, dtype=str, keep_default_na=False, encoding="utf-8")


def normalize_name(text: str) -> str:
    """Normalise a parameter or unit spelling for lookups (NFKC, no spaces, case-folded)."""
    t = unicodedata.normalize("NFKC", str(text)).strip().casefold()
    return " ".join(t.split())


def _norm_unit(text: str) -> str:
    return normalize_name(text).replace(" ", "")


# --------------------------------------------------------------------------------------------- parameters
@functools.lru_cache(maxsize=1)
def parameter_table() -> pd.DataFrame:
    """Return the known parameters (index = canonical code): names, canonical unit, quantity, range."""
    df = _read_csv("parameters.csv").set_index("code")
    for col in ("min", "max"):
        df[col] = pd.to_numeric(df[col].replace("", np.nan))
    if df.index.duplicated().any():
        msg = f"parameters.csv: duplicate codes {sorted(df.index[df.index.duplicated()])}"
        raise SchemaError(msg)
    return df


@functools.lru_cache(maxsize=1)
def _alias_map() -> dict[str, str]:
    params = parameter_table()
    out: dict[str, str] = {}
    for code, row in params.iterrows():
        out[normalize_name(str(code))] = str(code)
        out[normalize_name(row["name_zh"])] = str(code)
        out[normalize_name(row["name_en"])] = str(code)
        if row["hj212"]:
            out[normalize_name(row["hj212"])] = str(code)
    aliases = _read_csv("aliases.csv")
    for alias, code in zip(aliases["alias"], aliases["code"], strict=True):
        if code not in params.index:
            msg = f"aliases.csv: alias {alias!r} points to unknown parameter {code!r}"
            raise SchemaError(msg)
        key = normalize_name(alias)
        if key in out and out[key] != code:
            msg = f"aliases.csv: alias {alias!r} maps to both {out[key]!r} and {code!r}"
            raise SchemaError(msg)
        out[key] = code
    return out


def canonical_parameter(name: str) -> str | None:
    """Return the canonical code of a parameter name, alias or HJ 212 code, or None when unknown.

    Examples
    --------
    >>> canonical_parameter("总磷"), canonical_parameter("w01009"), canonical_parameter("NH3-N")
    ('TP', 'DO', 'NH3_N')
    """
    return _alias_map().get(normalize_name(name))


@functools.lru_cache(maxsize=1)
def _unit_map() -> dict[str, tuple[str, float]]:
    df = _read_csv("units.csv")
    out: dict[str, tuple[str, float]] = {}
    for unit, qty, factor in zip(df["unit"], df["quantity"], df["factor"], strict=True):
        key = _norm_unit(unit)
        val = (qty, float(factor))
        if key in out and out[key] != val:
            msg = f"units.csv: unit {unit!r} is defined twice with different meanings"
            raise SchemaError(msg)
        out[key] = val
    return out


def unit_factor(unit: str, parameter: str) -> float | None:
    """Return the factor that converts a value of ``parameter`` in ``unit`` to its canonical unit.

    None when the unit is unknown or measures another quantity (e.g. ``m`` for a concentration).
    An empty unit means the canonical unit (factor 1).

    Examples
    --------
    >>> unit_factor("µg/L", "Hg"), unit_factor("MPN/100mL", "fecal_coliform"), unit_factor("µg/L", "Chla")
    (0.001, 10.0, 1.0)
    """
    params = parameter_table()
    if unit is None or (isinstance(unit, float) and np.isnan(unit)) or str(unit).strip() == "":
        return 1.0
    canon = params.at[parameter, "unit"]
    units = _unit_map()
    got = units.get(_norm_unit(unit))
    ref = units.get(_norm_unit(canon))
    if got is None or ref is None or got[0] != ref[0]:
        return None
    return got[1] / ref[1]


def known_units(parameter: str) -> list[str]:
    """Return the unit spellings accepted for ``parameter``."""
    qty = parameter_table().at[parameter, "quantity"]
    df = _read_csv("units.csv")
    return list(df.loc[df["quantity"] == qty, "unit"])


@functools.lru_cache(maxsize=1)
def class_table() -> pd.DataFrame:
    """Return the class table (index = class 0-6): label (Ⅰ … 劣Ⅴ), status (优 … 重度污染), colour."""
    df = _read_csv("classes.csv")
    df["class"] = df["class"].astype(int)
    df = df.set_index("class")
    if list(df.index) != list(range(7)):
        msg = f"classes.csv: classes must be 0..6 in order, found {list(df.index)}"
        raise SchemaError(msg)
    return df


# ---------------------------------------------------------------------------------------------- standards
@dataclass(frozen=True)
class Limits:
    """Class ranges of one parameter for one waterbody: arrays of length 5 (classes 1-5)."""

    parameter: str
    waterbody: str
    direction: str
    lower: np.ndarray
    upper: np.ndarray
    lower_inclusive: np.ndarray
    upper_inclusive: np.ndarray


@dataclass(frozen=True)
class Standard:
    """A loaded, validated water-quality standard.

    Attributes
    ----------
    name, title, version, confidence, sources
        Provenance from the registry.
    limits
        The limits table (long format, typed).
    supplementary
        Table-2 style single limits (may be empty).
    evaluation
        The evaluation-method settings of the registry entry (items, priorities, river rules).
    """

    name: str
    title: str
    version: str
    confidence: str
    sources: tuple[str, ...]
    limits: pd.DataFrame = field(repr=False)
    supplementary: pd.DataFrame = field(repr=False)
    evaluation: dict[str, Any] = field(repr=False)
    _index: dict[tuple[str, str], Limits] = field(repr=False, default_factory=dict)

    @property
    def parameters(self) -> list[str]:
        """Parameters that have classes in this standard."""
        return sorted(set(self.limits["parameter"]))

    @property
    def items(self) -> list[str]:
        """The evaluated items of the evaluation method (21 for GB 3838-2002)."""
        return list(self.evaluation.get("items", []))

    def get_limits(self, parameter: str, waterbody: str = "river") -> Limits | None:
        """Return the class ranges of ``parameter`` for a waterbody (river, lake, reservoir), or None."""
        wb = "lake" if waterbody in ("lake", "reservoir") else waterbody
        return self._index.get((parameter, wb)) or self._index.get((parameter, "all"))

    def class_limit(self, parameter: str, cls: int, waterbody: str = "river") -> float:
        """Return the limit of class ``cls`` (upper limit; lower limit for DO), NaN when none."""
        lim = self.get_limits(parameter, waterbody)
        if lim is None or lim.direction == "range":
            return float("nan")
        arr = lim.upper if lim.direction == "upper" else lim.lower
        return float(arr[cls - 1])


def _registry(path: Path | None) -> dict[str, Any]:
    text = path.read_text(encoding="utf-8") if path else _read_text("standards.yml")
    reg = yaml.safe_load(text) or {}
    if not isinstance(reg, dict):
        msg = "standards.yml: expected a mapping of standard name -> entry"
        raise SchemaError(msg)
    return reg


def list_standards() -> list[str]:
    """Return the names of the shipped standards.

    Examples
    --------
    >>> list_standards()
    ['GB3838-2002']
    """
    return sorted(_registry(None))


def _bool(series: pd.Series, where: str) -> np.ndarray:
    m = {"true": True, "false": False, "": False, "1": True, "0": False}
    low = series.str.strip().str.lower()
    bad = ~low.isin(list(m))
    if bad.any():
        msg = f"{where}: boolean columns must be true/false, found {sorted(set(series[bad]))}"
        raise SchemaError(msg)
    return low.map(m).to_numpy(bool)


def _num(series: pd.Series, where: str, col: str) -> np.ndarray:
    s = series.str.strip().replace({"": "nan", "inf": "inf", "-inf": "-inf"})
    out = pd.to_numeric(s, errors="coerce")
    bad = out.isna() & (s != "nan")
    if bad.any():
        msg = f"{where}: column {col!r} has non-numeric values {sorted(set(series[bad]))}"
        raise SchemaError(msg)
    return out.to_numpy(float)


def _validate_limits(df: pd.DataFrame, where: str) -> tuple[pd.DataFrame, dict[tuple[str, str], Limits]]:
    missing = [c for c in LIMIT_COLUMNS if c not in df.columns]
    if missing:
        msg = f"{where}: missing column(s) {missing}; expected {LIMIT_COLUMNS}"
        raise SchemaError(msg)
    params = parameter_table()
    problems: list[str] = []
    unknown = sorted(set(df["parameter"]) - set(params.index))
    if unknown:
        problems.append(f"unknown parameter(s) {unknown}")
    out = pd.DataFrame(
        {
            "parameter": df["parameter"],
            "unit": df["unit"],
            "class": pd.to_numeric(df["class"], errors="coerce"),
            "lower": _num(df["lower"], where, "lower"),
            "upper": _num(df["upper"], where, "upper"),
            "lower_inclusive": _bool(df["lower_inclusive"], where),
            "upper_inclusive": _bool(df["upper_inclusive"], where),
            "direction": df["direction"],
            "waterbody": df["waterbody"],
        }
    )
    if "note" in df.columns:
        out["note"] = df["note"]
    if out["class"].isna().any() or not out["class"].isin(range(1, 6)).all():
        problems.append("column 'class' must hold 1..5")
    bad_dir = sorted(set(out["direction"]) - {"upper", "lower", "range"})
    if bad_dir:
        problems.append(f"unknown direction(s) {bad_dir}; expected upper, lower or range")
    bad_wb = sorted(set(out["waterbody"]) - {"all", "river", "lake"})
    if bad_wb:
        problems.append(f"unknown waterbody value(s) {bad_wb}; expected all, river or lake")
    if problems:
        raise SchemaError(f"{where}: " + "; ".join(problems))
    index: dict[tuple[str, str], Limits] = {}
    for (param, wb), g in out.groupby(["parameter", "waterbody"], sort=False):
        g = g.sort_values("class")
        tag = f"{param} ({wb})"
        if list(g["class"]) != [1, 2, 3, 4, 5]:
            problems.append(f"{tag}: classes {list(g['class'])}, expected exactly 1..5")
            continue
        if (g["unit"] != params.at[param, "unit"]).any():
            problems.append(
                f"{tag}: unit {sorted(set(g['unit']))} but the canonical unit is {params.at[param, 'unit']!r}"
            )
        dirs = set(g["direction"])
        if len(dirs) != 1:
            problems.append(f"{tag}: mixed directions {sorted(dirs)}")
            continue
        d = dirs.pop()
        lo, up = g["lower"].to_numpy(), g["upper"].to_numpy()
        need_lo, need_up = d in ("lower", "range"), d in ("upper", "range")
        if need_lo and np.isnan(lo).any() or need_up and np.isnan(up).any():
            problems.append(
                f"{tag}: direction {d!r} needs {'lower' if need_lo else ''} "
                f"{'upper' if need_up else ''} bounds"
            )
            continue
        if not need_lo and not np.isnan(lo).all() or not need_up and not np.isnan(up).all():
            problems.append(f"{tag}: direction {d!r} must leave the other bound empty")
            continue
        lo = np.where(np.isnan(lo), -np.inf, lo)
        up = np.where(np.isnan(up), np.inf, up)
        # nested: class k's range inside class k+1's range
        if (up[1:] < up[:-1]).any() or (lo[1:] > lo[:-1]).any():
            problems.append(f"{tag}: class ranges are not nested (a better class must have stricter limits)")
        if (lo > up).any():
            problems.append(f"{tag}: lower bound above upper bound")
        other = "lake" if wb == "river" else "river" if wb == "lake" else None
        if wb == "all" and ((param, "river") in index or (param, "lake") in index):
            problems.append(f"{tag}: both 'all' and river/lake rows")
        if other and (param, "all") in index:
            problems.append(f"{tag}: both 'all' and river/lake rows")
        index[(param, wb)] = Limits(
            param,
            wb,
            d,
            lo,
            up,
            g["lower_inclusive"].to_numpy(bool) | ~np.isfinite(lo),
            g["upper_inclusive"].to_numpy(bool) | ~np.isfinite(up),
        )
    if problems:
        raise SchemaError(f"{where}: " + "; ".join(problems))
    return out, index


@functools.lru_cache(maxsize=8)
def _load(name: str, registry: str | None) -> Standard:
    base = Path(registry).parent if registry else None
    reg = _registry(Path(registry) if registry else None)
    if name not in reg:
        known = sorted(reg)
        msg = f"unknown water-quality standard {name!r}; known standards: {', '.join(known)}"
        raise UnknownStandardError(msg)
    entry = reg[name]
    for key in ("title", "version", "limits", "confidence", "sources"):
        if key not in entry:
            msg = f"standards.yml: entry {name!r} lacks {key!r}"
            raise SchemaError(msg)
    limits, index = _validate_limits(_read_csv(entry["limits"], base), entry["limits"])
    if entry.get("supplementary"):
        sup = _read_csv(entry["supplementary"], base)
        unknown = sorted(set(sup["parameter"]) - set(parameter_table().index))
        if unknown:
            msg = f"{entry['supplementary']}: unknown parameter(s) {unknown}"
            raise SchemaError(msg)
        sup = sup.assign(
            lower=_num(sup["lower"], entry["supplementary"], "lower"),
            upper=_num(sup["upper"], entry["supplementary"], "upper"),
        )
    else:
        sup = pd.DataFrame(columns=["parameter", "unit", "lower", "upper", "direction"])
    ev = dict(entry.get("evaluation") or {})
    unknown_items = sorted(
        {p for key in ("items", "priority") for p in ev.get(key, [])} - set(limits["parameter"])
    )
    if unknown_items:
        msg = f"standards.yml: evaluation of {name!r} names parameters without limits: {unknown_items}"
        raise SchemaError(msg)
    return Standard(
        name=name,
        title=str(entry["title"]),
        version=str(entry["version"]),
        confidence=str(entry["confidence"]),
        sources=tuple(entry["sources"]),
        limits=limits,
        supplementary=sup,
        evaluation=ev,
        _index=index,
    )


def load_standard(
    name: str | Standard | None = None, *, registry: str | os.PathLike[str] | None = None
) -> Standard:
    """Load and validate a standard by name (default: the ``standard`` option, ``GB3838-2002``).

    Parameters
    ----------
    name
        A name from :func:`list_standards`, or an already loaded :class:`Standard` (returned as is).
    registry
        Path of another ``standards.yml`` (its limit files beside it), to add a standard without changing
        the package.

    Raises
    ------
    UnknownStandardError
        The name is not in the registry; the message lists the known standards.
    SchemaError
        The limits file breaks the schema (missing classes, ranges not nested, unknown units ...).
    """
    if isinstance(name, Standard):
        return name
    if name is None:
        from basin.options import get_options

        name = get_options()["standard"]
    return _load(str(name), str(Path(registry).resolve()) if registry else None)
