"""Riparian siting rules as data: load, validate and select the rivers and lakes that trigger each rule.

The shipped rules are ``basin/zoning/rules/riparian.yaml`` (R1 1 km, R2 5 km, R3 3 km; see that file and
``docs/zoning.md``). A user rule file has the same layout::

    version: 1
    rules:
      - id: R4
        zone: A                      # A (strict ban) or B (outer ban)
        distance_m: 3000             # geodesic metres, > 0; a facility at exactly this distance is inside
        rivers: {levels: [0], basin: {exclude: [黄河]}}   # optional; basin has include/exclude name prefixes
        lakes: {connected: any}      # optional; true | false | any
        prohibits: [polluting_facility]   # categories banned for NEW (proposed) facilities
        phase_out: []                # categories whose EXISTING facilities inside are phase-out candidates
        text_zh: 长江干流岸线3公里范围内禁止新建尾矿库
        text_en: No new tailings ponds within 3 km of the main stem
        source: 长江保护法 art. 26
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd

from basin import _validate as v
from basin._errors import SchemaError
from basin.io.layers import SCHEMAS

#: Facility categories of the data model (``facilities.category``).
CATEGORIES: tuple[str, ...] = next(c for c in SCHEMAS["facilities"].columns if c.name == "category").allowed  # type: ignore[assignment]
ZONES = ("A", "B")
_REQUIRED = ("id", "zone", "distance_m", "prohibits", "text_zh", "text_en", "source")
_OPTIONAL = ("rivers", "lakes", "phase_out")
_CONNECTED = {True: "true", False: "false", "any": "any", "true": "true", "false": "false"}


@dataclass(frozen=True)
class Rule:
    """One riparian siting rule (see the module docs for the fields)."""

    id: str
    zone: str
    distance_m: float
    river_levels: tuple[int, ...] | None
    basin_include: tuple[str, ...]
    basin_exclude: tuple[str, ...]
    lakes: str | None  # "true" | "false" | "any" | None (no lake trigger)
    prohibits: tuple[str, ...]
    phase_out: tuple[str, ...]
    text_zh: str
    text_en: str
    source: str

    @property
    def trigger_key(self) -> tuple[Any, ...]:
        """Rules with the same key are triggered by the same rivers and lakes (one distance computation)."""
        return (self.river_levels, self.basin_include, self.basin_exclude, self.lakes)

    def river_mask(self, rivers: pd.DataFrame) -> np.ndarray:
        """Boolean mask of the rivers (data-model columns ``level``, optional ``basin``) that trigger the rule."""
        if self.river_levels is None or len(rivers) == 0:
            return np.zeros(len(rivers), dtype=bool)
        level = pd.to_numeric(rivers["level"], errors="coerce")
        mask = level.isin(self.river_levels).to_numpy(dtype=bool, copy=True)
        if "basin" in rivers.columns and (self.basin_include or self.basin_exclude):
            basin = rivers["basin"].astype("string")
            has = basin.notna().to_numpy(dtype=bool)
            text = basin.fillna("").astype(str)
            if self.basin_include:
                inc = text.str.startswith(self.basin_include).to_numpy(dtype=bool)
                mask &= has & inc
            if self.basin_exclude:
                exc = text.str.startswith(self.basin_exclude).to_numpy(dtype=bool)
                mask &= ~(has & exc)
        elif self.basin_include:
            mask &= False  # include asks for a basin value that the layer does not have
        return mask

    def lake_mask(self, lakes: pd.DataFrame | None) -> np.ndarray:
        """Boolean mask of the lakes (data-model column ``connected``) that trigger the rule."""
        if lakes is None:
            return np.zeros(0, dtype=bool)
        if self.lakes is None or len(lakes) == 0:
            return np.zeros(len(lakes), dtype=bool)
        if self.lakes == "any":
            return np.ones(len(lakes), dtype=bool)
        conn = lakes["connected"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        return conn if self.lakes == "true" else ~conn

    def describe_triggers(self) -> str:
        """Short English description of what triggers the rule (for labels and docs)."""
        parts = []
        if self.river_levels is not None:
            parts.append("river levels " + "/".join(str(v) for v in self.river_levels))
        if self.lakes is not None:
            parts.append(
                {"true": "connected lakes", "false": "unconnected lakes", "any": "lakes"}[self.lakes]
            )
        return " and ".join(parts) or "nothing"


def _strings(value: Any, where: str, field: str) -> tuple[str, ...]:
    return v.str_list(value, f"{where}: {field!r}")


def _categories(value: Any, where: str, field: str) -> tuple[str, ...]:
    cats = _strings(value, where, field)
    unknown = sorted(set(cats) - set(CATEGORIES))
    if unknown:
        msg = f"{where}: {field!r} has unknown categor(y/ies) {unknown}; allowed: {list(CATEGORIES)}"
        raise SchemaError(msg)
    return cats


def _parse_rule(raw: Any, where: str) -> Rule:
    if not isinstance(raw, Mapping):
        msg = f"{where}: a rule must be a mapping with fields {list(_REQUIRED)}, got {v.cut(raw)}"
        raise SchemaError(msg)
    raw = v.mapping(raw, where)
    rid = raw.get("id")
    where = f"{where} (id {v.cut(rid, 40)})" if rid is not None else where
    v.check_keys(raw, where, required=_REQUIRED, optional=_OPTIONAL, noun="field", none_is_missing=True)
    if not isinstance(rid, str | int) or isinstance(rid, bool):
        msg = f"{where}: 'id' must be a string, got {v.cut(rid)}"
        raise SchemaError(msg)
    zone = raw["zone"]
    if not isinstance(zone, str) or zone not in ZONES:
        msg = f"{where}: unknown zone {v.cut(zone)}; expected one of {list(ZONES)}"
        raise SchemaError(msg)
    dist = raw["distance_m"]
    if isinstance(dist, bool) or not isinstance(dist, int | float) or not np.isfinite(float(dist)):
        msg = f"{where}: 'distance_m' must be a number of metres, got {v.cut(dist)}"
        raise SchemaError(msg)
    if dist <= 0:
        msg = f"{where}: 'distance_m' must be positive, got {v.cut(dist)}"
        raise SchemaError(msg)
    if dist > 100_000:
        msg = (
            f"{where}: 'distance_m' {v.cut(dist)} is over 100 km; riparian rules are local "
            "(check the unit: metres)"
        )
        raise SchemaError(msg)
    levels: tuple[int, ...] | None = None
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    rivers = raw.get("rivers")
    if rivers is not None:
        if not isinstance(rivers, Mapping):
            got = v.cut(rivers)
            msg = f"{where}: 'rivers' must be a mapping with 'levels' and optional 'basin', got {got}"
            raise SchemaError(msg)
        w_riv = f"{where}: 'rivers'"
        v.check_keys(v.mapping(rivers, w_riv), w_riv, optional=("levels", "basin"))
        lv = rivers.get("levels")
        if (
            not isinstance(lv, Sequence)
            or isinstance(lv, str)
            or not lv
            or any(isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= 9 for v in lv)
        ):
            msg = f"{where}: 'rivers.levels' must be a non-empty list of river levels 0-9, got {v.cut(lv)}"
            raise SchemaError(msg)
        levels = tuple(sorted(set(lv)))
        basin = rivers.get("basin")
        if basin is not None:
            if not isinstance(basin, Mapping) or not set(basin) <= {"include", "exclude"}:
                msg = (
                    f"{where}: 'rivers.basin' must be a mapping with 'include' and/or 'exclude' prefixes, "
                    f"got {v.cut(basin)}"
                )
                raise SchemaError(msg)
            include = _strings(basin.get("include"), where, "rivers.basin.include")
            exclude = _strings(basin.get("exclude"), where, "rivers.basin.exclude")
    lakes_sel: str | None = None
    lakes = raw.get("lakes")
    if lakes is not None:
        if not isinstance(lakes, Mapping) or set(lakes) != {"connected"}:
            msg = f"{where}: 'lakes' must be a mapping {{connected: true | false | any}}, got {v.cut(lakes)}"
            raise SchemaError(msg)
        conn = lakes["connected"]
        if isinstance(conn, str):
            conn = conn.lower()
        if not isinstance(conn, bool | str) or conn not in _CONNECTED:
            msg = f"{where}: 'lakes.connected' must be true, false or any, got {v.cut(lakes['connected'])}"
            raise SchemaError(msg)
        lakes_sel = _CONNECTED[conn]
    if levels is None and lakes_sel is None:
        msg = f"{where}: the rule has neither 'rivers' nor 'lakes'; nothing would trigger it"
        raise SchemaError(msg)
    prohibits = _categories(raw["prohibits"], where, "prohibits")
    phase_out = _categories(raw.get("phase_out") or [], where, "phase_out")
    if not prohibits and not phase_out:
        msg = f"{where}: 'prohibits' and 'phase_out' are both empty; the rule would never be broken"
        raise SchemaError(msg)
    for f in ("text_zh", "text_en", "source"):
        if not isinstance(raw[f], str):
            msg = f"{where}: {f!r} must be text, got {v.cut(raw[f])}"
            raise SchemaError(msg)
    return Rule(
        id=str(rid),
        zone=zone,
        distance_m=float(dist),
        river_levels=levels,
        basin_include=include,
        basin_exclude=exclude,
        lakes=lakes_sel,
        prohibits=prohibits,
        phase_out=phase_out,
        text_zh=raw["text_zh"].strip(),
        text_en=raw["text_en"].strip(),
        source=raw["source"].strip(),
    )


def parse_rules(data: Any, where: str = "rules") -> list[Rule]:
    """Validate a parsed rule document (``{'version': 1, 'rules': [...]}``) and return its rules.

    Raises
    ------
    SchemaError
        For any malformed rule, naming the rule and the field.
    """
    if isinstance(data, Mapping):
        if "rules" not in data:
            keys = [v.cut(k, 30) for k in list(data)[:10]]
            msg = f"{where}: no 'rules' list found (top-level keys: [{', '.join(keys)}])"
            raise SchemaError(msg)
        v.check_keys(data, where, optional=("version", "rules"))
        version = data.get("version", 1)
        if version != 1 or isinstance(version, bool):
            msg = f"{where}: unsupported rule file version {v.cut(version)}; expected 1"
            raise SchemaError(msg)
        items = data["rules"]
    else:
        items = data
    if not isinstance(items, Sequence) or isinstance(items, str) or not items:
        msg = f"{where}: 'rules' must be a non-empty list of rules"
        raise SchemaError(msg)
    rules = [_parse_rule(r, f"{where}: rule {i + 1}") for i, r in enumerate(items)]
    seen: dict[str, int] = {}
    for r in rules:
        seen[r.id] = seen.get(r.id, 0) + 1
    dup = sorted(k for k, n in seen.items() if n > 1)
    if dup:
        msg = f"{where}: duplicate rule id(s) {dup}"
        raise SchemaError(msg)
    return rules


def load_rules(path: str | os.PathLike[str] | Sequence[Rule] | None = None) -> list[Rule]:
    """Load and validate a rule file (default: the shipped ``riparian.yaml``).

    Parameters
    ----------
    path
        YAML rule file; None for the shipped rules. A list of :class:`Rule` is returned unchanged.

    Returns
    -------
    list of Rule

    Raises
    ------
    DataError
        The file does not exist, is a folder or is not UTF-8 text.
    SchemaError
        The file is not valid YAML (or uses aliases) or a rule is malformed: missing field, unknown category,
        zero/negative distance, duplicate id, unknown zone, bad river levels or lake selection.
    """
    if path is not None and not isinstance(path, str | os.PathLike):
        rules = list(path)
        if not all(isinstance(r, Rule) for r in rules):
            msg = "rules must be a path to a rule file or a list of Rule objects"
            raise SchemaError(msg)
        return rules
    if path is None:
        ref = resources.files("basin.zoning") / "rules" / "riparian.yaml"
        where = "basin/zoning/rules/riparian.yaml"
        data = v.load_yaml(where, what="shipped rule file", text=ref.read_text(encoding="utf-8"))
    else:
        where = str(path)
        data = v.load_yaml(path, what="rule file")
    return parse_rules(data, where)


def rules_table(rules: Sequence[Rule]) -> pd.DataFrame:
    """One row per rule: id, zone, distance, triggers, prohibited and phase-out categories, texts, source."""
    return pd.DataFrame(
        [
            {
                "rule_id": r.id,
                "zone": r.zone,
                "distance_m": r.distance_m,
                "triggers": r.describe_triggers(),
                "prohibits": ",".join(r.prohibits),
                "phase_out": ",".join(r.phase_out),
                "text_zh": r.text_zh,
                "text_en": r.text_en,
                "source": r.source,
            }
            for r in rules
        ]
    )
