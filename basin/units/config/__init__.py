"""Configuration of the units evaluation (``default.yaml``) and of the management map (``management.yaml``).

Both are data files shipped in the package and validated on load; a user file is merged over the defaults
(keys it leaves out keep the default).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from basin._errors import DataError, SchemaError

__all__ = ["CLASS_CODES", "INDICATORS", "MGMT_LEVELS", "load_config", "load_rules"]

INDICATORS = (
    "population_density",
    "economic_intensity",
    "town_pressure",
    "river_density",
    "water_sensitivity",
    "water_capacity",
    "water_capacity_per_km2",
    "load_capacity_ratio",
    "riparian_share",
    "lake_share",
    "target_strictness",
)
NORMALISATIONS = ("minmax", "rank", "zscore")
TRANSFORMS = ("none", "log1p")
THRESHOLDS = ("median", "quantile", "fixed", "natural_breaks")
CLASS_CODES = ("HPLC", "LPLC", "HPHC", "LPHC")
MGMT_LEVELS = ("priority", "key", "general")
LAYER_NAMES = ("redline", "water_sources")


def _read_yaml(
    source: str | os.PathLike[str] | Mapping[str, Any] | None, default: str
) -> tuple[dict[str, Any], str]:
    text = resources.files("basin.units.config").joinpath(default).read_text(encoding="utf-8")
    base = yaml.safe_load(text)
    if source is None:
        return base, f"basin/units/config/{default}"
    if isinstance(source, Mapping):
        return _merge(base, dict(source)), "config"
    path = Path(source)
    try:
        user = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        msg = f"config file {path} does not exist"
        raise DataError(msg) from exc
    except yaml.YAMLError as exc:
        msg = f"config file {path} is not valid YAML: {exc}"
        raise SchemaError(msg) from exc
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        msg = f"config file {path}: expected a mapping at the top level, got {type(user).__name__}"
        raise SchemaError(msg)
    return _merge(base, dict(user)), str(path)


def _merge(base: dict[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in user.items():
        if key == "indices" and isinstance(value, Mapping):
            # an index given by the user replaces the default list of indicators of that index
            out.setdefault("indices", {})
            for name, inds in value.items():
                out["indices"][name] = copy.deepcopy(inds)
        elif isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _num(value: Any, where: str, *, minimum: float | None = None, strict: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{where}: expected a number, got {value!r}"
        raise SchemaError(msg)
    if minimum is not None and (value <= minimum if strict else value < minimum):
        msg = f"{where}: must be {'>' if strict else '>='} {minimum}, got {value!r}"
        raise SchemaError(msg)
    return float(value)


def load_config(source: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Load and validate the evaluation configuration (defaults merged with ``source``).

    Parameters
    ----------
    source
        YAML file or dict overriding parts of ``basin/units/config/default.yaml``; None for the defaults.

    Returns
    -------
    dict
        Keys ``normalisation``, ``threshold``, ``indices`` (``pressure`` and ``capacity``: indicator ->
        ``{weight, direction, optional}``), ``sensitivity`` and ``robustness``.

    Raises
    ------
    SchemaError
        Unknown keys, methods or indicators, negative weights, a fixed threshold without values ...
    DataError
        When the file does not exist.
    """
    cfg, where = _read_yaml(source, "default.yaml")
    known = {"normalisation", "threshold", "indices", "sensitivity", "robustness"}
    bad = sorted(set(cfg) - known)
    if bad:
        msg = f"{where}: unknown key(s) {bad}; expected some of {sorted(known)}"
        raise SchemaError(msg)
    if cfg["normalisation"] not in NORMALISATIONS:
        msg = (
            f"{where}: normalisation {cfg['normalisation']!r} unknown; expected one of {list(NORMALISATIONS)}"
        )
        raise SchemaError(msg)
    th = cfg["threshold"]
    if not isinstance(th, Mapping) or th.get("method") not in THRESHOLDS:
        msg = f"{where}: threshold.method must be one of {list(THRESHOLDS)}, got {th.get('method')!r}"
        raise SchemaError(msg)
    q = _num(th.get("q", 0.5), f"{where}: threshold.q", minimum=0.0, strict=True)
    if q >= 1:
        msg = f"{where}: threshold.q must be between 0 and 1 (exclusive), got {q}"
        raise SchemaError(msg)
    if th["method"] == "fixed":
        for idx in ("pressure", "capacity"):
            if th.get(idx) is None:
                msg = f"{where}: threshold.method 'fixed' needs threshold.{idx} (a value of the 0-1 index)"
                raise SchemaError(msg)
            _num(th[idx], f"{where}: threshold.{idx}")
    indices = cfg["indices"]
    if not isinstance(indices, Mapping) or set(indices) != {"pressure", "capacity"}:
        got = sorted(indices) if isinstance(indices, Mapping) else indices
        msg = f"{where}: indices must have exactly 'pressure' and 'capacity', got {got}"
        raise SchemaError(msg)
    for idx, inds in indices.items():
        if not isinstance(inds, Mapping) or not inds:
            msg = f"{where}: indices.{idx} must map indicator names to {{weight, direction}}"
            raise SchemaError(msg)
        for name, spec in inds.items():
            w = f"{where}: indices.{idx}.{name}"
            if name not in INDICATORS:
                msg = f"{w}: unknown indicator; expected one of {list(INDICATORS)}"
                raise SchemaError(msg)
            if not isinstance(spec, Mapping):
                msg = f"{w}: expected {{weight: ..., direction: 1 or -1}}, got {spec!r}"
                raise SchemaError(msg)
            extra = sorted(set(spec) - {"weight", "direction", "optional", "transform"})
            if extra:
                msg = f"{w}: unknown key(s) {extra}; expected weight, direction, optional, transform"
                raise SchemaError(msg)
            if spec.get("transform", "none") not in TRANSFORMS:
                msg = f"{w}.transform: must be one of {list(TRANSFORMS)}, got {spec.get('transform')!r}"
                raise SchemaError(msg)
            spec = dict(spec)
            spec["weight"] = _num(spec.get("weight"), f"{w}.weight", minimum=0.0, strict=True)
            if spec.get("direction", 1) not in (1, -1):
                msg = f"{w}.direction: must be 1 or -1, got {spec.get('direction')!r}"
                raise SchemaError(msg)
            spec["direction"] = int(spec.get("direction", 1))
            spec["optional"] = bool(spec.get("optional", False))
            spec["transform"] = str(spec.get("transform", "none"))
            indices[idx][name] = spec
    sens = cfg["sensitivity"]
    from basin.units.indicators import SENSITIVITY_PARTS

    if not isinstance(sens, Mapping) or sorted(set(sens) - set(SENSITIVITY_PARTS)):
        msg = f"{where}: sensitivity must map some of {list(SENSITIVITY_PARTS)} to weights, got {sens!r}"
        raise SchemaError(msg)
    for name, val in sens.items():
        sens[name] = _num(val, f"{where}: sensitivity.{name}", minimum=0.0)
    steps = (cfg.get("robustness") or {}).get("steps", [-0.2, 0.2])
    if not isinstance(steps, list) or not steps:
        msg = f"{where}: robustness.steps must be a non-empty list of relative steps, e.g. [-0.2, 0.2]"
        raise SchemaError(msg)
    cfg["robustness"] = {
        "steps": [_num(s, f"{where}: robustness.steps", minimum=-1.0, strict=True) for s in steps]
    }
    cfg["source"] = where
    return cfg


def load_rules(source: str | os.PathLike[str] | Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
    """Load and validate the management-map rules (``basin/units/config/management.yaml`` or ``source``).

    A user file replaces the default ``levels`` list as a whole.

    Returns
    -------
    list of dict
        One dict per level in order of precedence: ``name``, ``zones``, ``classes``, ``layers``, ``rest``.

    Raises
    ------
    SchemaError
        Unknown level names, keys, zone classes, class codes or layer names; levels missing or repeated; no
        ``rest`` level last.
    """
    if source is None:
        cfg, where = _read_yaml(None, "management.yaml")
    elif isinstance(source, Mapping):
        cfg, where = dict(source), "rules"
    else:
        path = Path(source)
        try:
            cfg = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            msg = f"rules file {path} does not exist"
            raise DataError(msg) from exc
        except yaml.YAMLError as exc:
            msg = f"rules file {path} is not valid YAML: {exc}"
            raise SchemaError(msg) from exc
        where = str(path)
    if not isinstance(cfg, Mapping) or not isinstance(cfg.get("levels"), list):
        msg = f"{where}: expected a mapping with a 'levels' list"
        raise SchemaError(msg)
    levels = []
    for i, lv in enumerate(cfg["levels"]):
        w = f"{where}: levels[{i}]"
        if not isinstance(lv, Mapping):
            msg = f"{w}: expected a mapping"
            raise SchemaError(msg)
        extra = sorted(set(lv) - {"name", "zones", "classes", "layers", "rest"})
        if extra:
            msg = f"{w}: unknown key(s) {extra}; expected name, zones, classes, layers, rest"
            raise SchemaError(msg)
        if lv.get("name") not in MGMT_LEVELS:
            msg = f"{w}: name must be one of {list(MGMT_LEVELS)}, got {lv.get('name')!r}"
            raise SchemaError(msg)
        rule = {
            "name": lv["name"],
            "zones": list(lv.get("zones") or []),
            "classes": list(lv.get("classes") or []),
            "layers": list(lv.get("layers") or []),
            "rest": bool(lv.get("rest", False)),
        }
        for key, allowed in (("zones", ("A", "B", "C")), ("classes", CLASS_CODES), ("layers", LAYER_NAMES)):
            wrong = sorted(set(map(str, rule[key])) - set(allowed))
            if wrong:
                msg = f"{w} ({rule['name']}): unknown {key} {wrong}; expected some of {list(allowed)}"
                raise SchemaError(msg)
        levels.append(rule)
    names = [lv["name"] for lv in levels]
    if sorted(names) != sorted(MGMT_LEVELS):
        msg = f"{where}: levels must be each of {list(MGMT_LEVELS)} exactly once, got {names}"
        raise SchemaError(msg)
    if not levels[-1]["rest"] or any(lv["rest"] for lv in levels[:-1]):
        msg = f"{where}: exactly the last level must have 'rest: true' (it takes what the others leave)"
        raise SchemaError(msg)
    return levels
