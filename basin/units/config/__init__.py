"""Configuration of the units evaluation (``default.yaml``) and of the management map (``management.yaml``).

Both are data files shipped in the package and validated on load; a user file is merged over the defaults
(keys it leaves out keep the default).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Mapping
from importlib import resources
from typing import Any

from basin import _validate as v
from basin._errors import SchemaError

__all__ = ["CLASS_CODES", "INDICATORS", "MGMT_LEVELS", "SENSITIVITY_PARTS", "load_config", "load_rules"]

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
#: Ingredients of water-environment sensitivity (:func:`basin.units.indicators.water_sensitivity`).
SENSITIVITY_PARTS = ("riparian_share", "lake_share", "target_strictness")
_TOP_KEYS = ("normalisation", "threshold", "indices", "sensitivity", "robustness")


def _shipped(name: str) -> tuple[Any, str]:
    where = f"basin/units/config/{name}"
    text = resources.files("basin.units.config").joinpath(name).read_text(encoding="utf-8")
    return v.load_yaml(where, what="shipped config", text=text), where


def _read_yaml(
    source: str | os.PathLike[str] | Mapping[str, Any] | None, default: str
) -> tuple[dict[str, Any], str]:
    base, where = _shipped(default)
    if source is None:
        return base, where
    if isinstance(source, Mapping):
        return _merge(base, v.mapping(source, "config")), "config"
    user = v.load_yaml(source, what="config file")
    where = f"config file {source}"
    if user is None:
        msg = f"{where} is empty; leave the configuration out to use the defaults ({default})"
        raise SchemaError(msg)
    user = v.mapping(user, where, expected="a mapping at the top level")
    v.check_keys(user, where, optional=_TOP_KEYS)
    return _merge(base, user), str(source)


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
    return v.number(value, where, minimum=minimum, strict=strict)


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
    v.check_keys(cfg, where, optional=_TOP_KEYS)
    if cfg["normalisation"] not in NORMALISATIONS:
        norm = cfg["normalisation"]
        hint = v.did_you_mean(norm, NORMALISATIONS) if isinstance(norm, str) else ""
        msg = f"{where}: normalisation {v.cut(norm)} unknown{hint}; expected one of {list(NORMALISATIONS)}"
        raise SchemaError(msg)
    th = cfg["threshold"]
    if isinstance(th, str):  # `threshold: median` is the short form of `threshold: {method: median}`
        th = {"method": th}
    th = v.mapping(th, f"{where}: threshold", expected=f"a mapping with 'method' ({', '.join(THRESHOLDS)})")
    v.check_keys(th, f"{where}: threshold", optional=("method", "q", "pressure", "capacity"))
    if th.get("method") not in THRESHOLDS:
        msg = f"{where}: threshold.method must be one of {list(THRESHOLDS)}, got {v.cut(th.get('method'))}"
        raise SchemaError(msg)
    th = dict(th)
    q = _num(th.get("q", 0.5), f"{where}: threshold.q", minimum=0.0, strict=True)
    if q >= 1:
        msg = f"{where}: threshold.q must be between 0 and 1 (exclusive), got {q}"
        raise SchemaError(msg)
    th["q"] = q
    if th["method"] == "fixed":
        for idx in ("pressure", "capacity"):
            if th.get(idx) is None:
                msg = f"{where}: threshold.method 'fixed' needs threshold.{idx} (a value of the 0-1 index)"
                raise SchemaError(msg)
            th[idx] = _num(th[idx], f"{where}: threshold.{idx}")
    cfg["threshold"] = th
    indices = cfg["indices"]
    if not isinstance(indices, Mapping) or set(indices) != {"pressure", "capacity"}:
        got = sorted(map(str, indices)) if isinstance(indices, Mapping) else v.cut(indices)
        msg = f"{where}: indices must have exactly 'pressure' and 'capacity', got {got}"
        raise SchemaError(msg)
    indices = {k: indices[k] for k in ("pressure", "capacity")}
    for idx in ("pressure", "capacity"):
        inds = indices[idx]
        if not isinstance(inds, Mapping) or not inds:
            msg = f"{where}: indices.{idx} must map indicator names to {{weight, direction}}"
            raise SchemaError(msg)
        checked: dict[str, Any] = {}
        for name, spec in inds.items():
            w = f"{where}: indices.{idx}.{str(name)[:40]}"
            if name not in INDICATORS:
                hint = v.did_you_mean(name, INDICATORS) if isinstance(name, str) else ""
                msg = f"{w}: unknown indicator{hint}; expected one of {list(INDICATORS)}"
                raise SchemaError(msg)
            spec = v.mapping(spec, w, expected="{weight: ..., direction: 1 or -1}")
            v.check_keys(spec, w, optional=("weight", "direction", "optional", "transform"))
            if spec.get("transform", "none") not in TRANSFORMS:
                msg = f"{w}.transform: must be one of {list(TRANSFORMS)}, got {v.cut(spec.get('transform'))}"
                raise SchemaError(msg)
            if spec.get("direction", 1) not in (1, -1) or isinstance(spec.get("direction"), bool):
                msg = f"{w}.direction: must be 1 or -1, got {v.cut(spec.get('direction'))}"
                raise SchemaError(msg)
            optional = spec.get("optional", False)
            if not isinstance(optional, bool):
                msg = f"{w}.optional: must be true or false, got {v.cut(optional)}"
                raise SchemaError(msg)
            checked[name] = {
                "weight": _num(spec.get("weight"), f"{w}.weight", minimum=0.0, strict=True),
                "direction": int(spec.get("direction", 1)),
                "optional": optional,
                "transform": str(spec.get("transform", "none")),
            }
        indices[idx] = checked
    cfg["indices"] = indices
    sens = v.mapping(
        cfg["sensitivity"],
        f"{where}: sensitivity",
        expected=f"a mapping of some of {list(SENSITIVITY_PARTS)} to weights",
    )
    v.check_keys(sens, f"{where}: sensitivity", optional=SENSITIVITY_PARTS, noun="ingredient")
    cfg["sensitivity"] = {
        name: _num(val, f"{where}: sensitivity.{name}", minimum=0.0) for name, val in sens.items()
    }
    rob = cfg.get("robustness")
    rob = {} if rob is None else v.mapping(rob, f"{where}: robustness", expected="a mapping with 'steps'")
    v.check_keys(rob, f"{where}: robustness", optional=("steps",))
    steps = rob.get("steps", [-0.2, 0.2])
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
        cfg, where = _shipped("management.yaml")
    elif isinstance(source, Mapping):
        cfg, where = dict(source), "rules"
    else:
        cfg, where = v.load_yaml(source, what="rules file"), f"rules file {source}"
    if not isinstance(cfg, Mapping) or not isinstance(cfg.get("levels"), list):
        msg = f"{where}: expected a mapping with a 'levels' list"
        raise SchemaError(msg)
    v.check_keys(cfg, where, optional=("levels",))
    levels = []
    for i, lv in enumerate(cfg["levels"]):
        w = f"{where}: levels[{i}]"
        if not isinstance(lv, Mapping):
            msg = f"{w}: expected a mapping"
            raise SchemaError(msg)
        v.check_keys(lv, w, optional=("name", "zones", "classes", "layers", "rest"))
        if lv.get("name") not in MGMT_LEVELS:
            msg = f"{w}: name must be one of {list(MGMT_LEVELS)}, got {v.cut(lv.get('name'))}"
            raise SchemaError(msg)
        rest = lv.get("rest", False)
        if not isinstance(rest, bool):
            msg = f"{w}.rest: must be true or false, got {v.cut(rest)}"
            raise SchemaError(msg)
        rule = {
            "name": lv["name"],
            "zones": list(v.str_list(lv.get("zones"), f"{w}.zones", allow_single=True)),
            "classes": list(v.str_list(lv.get("classes"), f"{w}.classes", allow_single=True)),
            "layers": list(v.str_list(lv.get("layers"), f"{w}.layers", allow_single=True)),
            "rest": rest,
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
