"""Warning rules of the feed watcher as data: load and validate ``rules/default.yaml`` or a user file.

A rule file has ``version: 1``, ``levels`` (mildest first, each ``{name, en}``) and ``rules``; each rule has
the common fields ``id``, ``kind``, ``level``, ``text_zh``, ``text_en``, ``source`` and optional
``parameters``, ``merge_gap_h``, ``close_after_h``, ``false_alarm``, plus the fields of its kind:

================= ==================================================================================
kind              fields (defaults)
================= ==================================================================================
class_exceedance  ``trigger`` worse_than_target | reaches_class, ``class`` (1-6, for reaches_class),
                  ``basis`` sample | daily_mean, ``min_samples`` (6: fewest valid samples of a day
                  for its daily mean to be judged)
sudden_change     ``window`` (168 samples), ``z`` (6), ``rel_floor`` (0.02), ``abs_floor`` (0),
                  ``direction`` worse | up | down | both
sustained_shift   ``penalty`` (6, × ln n), ``min_size_days`` (3), ``min_days`` (14), ``min_shift_sigma`` (3),
                  ``min_shift_rel`` (0.2), ``direction``
no_data           ``hours`` (12)
flatline          ``count`` (12)
impossible        ``limits`` ({parameter: [min, max]}, on top of ``parameters.csv``)
station_status    (none)
================= ==================================================================================

See ``docs/watch.md`` for what each rule computes and its false-alarm assumption.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from basin._errors import DataError, SchemaError
from basin._validate import parse_yaml
from basin.waterquality.standards import canonical_parameter, parameter_table

__all__ = ["FalseAlarm", "Level", "WarningRule", "WarningRules", "load_warning_rules", "parse_warning_rules"]

_COMMON_REQUIRED = ("id", "kind", "level", "text_zh", "text_en", "source")
_COMMON_OPTIONAL = ("parameters", "merge_gap_h", "close_after_h", "false_alarm")
_DIRECTIONS = ("worse", "up", "down", "both")

#: kind -> {field: (type, default, check)}; ``None`` default = required.
_KINDS: dict[str, dict[str, tuple[type | tuple[type, ...], Any]]] = {
    "class_exceedance": {
        "trigger": (str, None),
        "class": (int, 0),
        "basis": (str, "sample"),
        "min_samples": (int, 6),
    },
    "sudden_change": {
        "window": (int, 168),
        "z": ((int, float), 6.0),
        "rel_floor": ((int, float), 0.02),
        "abs_floor": ((int, float), 0.0),
        "direction": (str, "worse"),
    },
    "sustained_shift": {
        "penalty": ((int, float), 6.0),
        "min_size_days": (int, 3),
        "min_days": (int, 14),
        "min_shift_sigma": ((int, float), 3.0),
        "min_shift_rel": ((int, float), 0.2),
        "direction": (str, "worse"),
    },
    "no_data": {"hours": ((int, float), 12.0)},
    "flatline": {"count": (int, 12)},
    "impossible": {"limits": (dict, {})},
    "station_status": {},
}
#: Default episode merge gap and close-after time (hours) by kind.
_DEFAULT_GAP = {
    "sustained_shift": 24.0,
    "no_data": 0.0,
    "flatline": 0.0,
    "impossible": 6.0,
    "station_status": 6.0,
}
_DEFAULT_CLOSE = {
    "sustained_shift": 72.0,
    "no_data": 0.0,
    "flatline": 0.0,
    "impossible": 0.0,
    "station_status": 0.0,
}


@dataclass(frozen=True)
class Level:
    """One warning level: its name (Chinese, as written in the rule file) and English name."""

    name: str
    en: str
    rank: int


@dataclass(frozen=True)
class FalseAlarm:
    """A rule's stated false-alarm rate (``None`` when the rule is not a statistical test)."""

    rate: float | None
    per: str  # sample | day | series_year
    assumption: str


@dataclass(frozen=True)
class WarningRule:
    """One warning rule (see the module docs); kind-specific fields are in ``options``."""

    id: str
    kind: str
    level: str
    parameters: tuple[str, ...] | None  # None = every parameter
    merge_gap_h: float
    close_after_h: float
    false_alarm: FalseAlarm
    text_zh: str
    text_en: str
    source: str
    options: Mapping[str, Any] = field(default_factory=dict)

    def applies_to(self, parameter: str) -> bool:
        """Return True when the rule covers ``parameter`` (canonical code)."""
        return self.parameters is None or parameter in self.parameters


@dataclass(frozen=True)
class WarningRules:
    """A validated rule file: the levels (mildest first) and the rules."""

    levels: tuple[Level, ...]
    rules: tuple[WarningRule, ...]
    where: str = "rules"

    def level(self, name: str) -> Level:
        """Return the :class:`Level` called ``name``."""
        return next(lv for lv in self.levels if lv.name == name)

    def table(self) -> pd.DataFrame:
        """Return one row per rule: id, kind, level, parameters, options, false-alarm rate, texts, source."""
        return pd.DataFrame(
            [
                {
                    "rule_id": r.id,
                    "kind": r.kind,
                    "level": r.level,
                    "level_en": self.level(r.level).en,
                    "parameters": "all" if r.parameters is None else ",".join(r.parameters),
                    "options": ", ".join(f"{k}={v}" for k, v in r.options.items()),
                    "false_alarm_rate": r.false_alarm.rate,
                    "false_alarm_per": r.false_alarm.per,
                    "false_alarm_assumption": r.false_alarm.assumption,
                    "text_zh": r.text_zh,
                    "text_en": r.text_en,
                    "source": r.source,
                }
                for r in self.rules
            ]
        )


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _number(
    value: Any, where: str, name: str, *, positive: bool = False, minimum: float | None = None
) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        msg = f"{where}: field {name!r} must be a number, got {_short(value)}"
        raise SchemaError(msg)
    if positive and value <= 0:
        msg = f"{where}: field {name!r} must be positive, got {value!r}"
        raise SchemaError(msg)
    if minimum is not None and value < minimum:
        msg = f"{where}: field {name!r} must be at least {minimum}, got {value!r}"
        raise SchemaError(msg)
    return float(value)


def _parameters(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None or value == "all":
        return None
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        msg = (
            f"{where}: field 'parameters' must be 'all' or a non-empty list of parameter codes, "
            f"got {_short(value)}"
        )
        raise SchemaError(msg)
    out = []
    for p in value:
        code = canonical_parameter(str(p)) if isinstance(p, str) else None
        if code is None:
            msg = (
                f"{where}: field 'parameters' names unknown parameter {_short(p)}; expected codes of "
                "basin/waterquality/standards/parameters.csv (NH3_N, TP, CODMn, DO, pH, ...)"
            )
            raise SchemaError(msg)
        out.append(code)
    return tuple(dict.fromkeys(out))


def _false_alarm(value: Any, where: str, kind: str) -> FalseAlarm:
    statistical = kind in ("sudden_change", "sustained_shift")
    if value is None:
        if statistical:
            msg = (
                f"{where}: a {kind} rule must state its false-alarm rate: field 'false_alarm' "
                f"{{rate, per, assumption}}"
            )
            raise SchemaError(msg)
        return FalseAlarm(None, "sample", "not a statistical test")
    if (
        not isinstance(value, Mapping)
        or not {"rate", "assumption"} <= set(value)
        or set(value)
        - {
            "rate",
            "per",
            "assumption",
        }
    ):
        msg = f"{where}: field 'false_alarm' must be a mapping {{rate, per, assumption}}, got {_short(value)}"
        raise SchemaError(msg)
    rate = value["rate"]
    if rate is not None:
        rate = _number(rate, where, "false_alarm.rate", minimum=0.0)
        if rate > 1:
            msg = f"{where}: field 'false_alarm.rate' is a probability (0-1), got {rate!r}"
            raise SchemaError(msg)
    elif statistical:
        msg = f"{where}: a {kind} rule must state a numeric 'false_alarm.rate'"
        raise SchemaError(msg)
    per = value.get("per", "sample")
    if per not in ("sample", "day", "series_year"):
        msg = f"{where}: field 'false_alarm.per' must be sample, day or series_year, got {_short(per)}"
        raise SchemaError(msg)
    if not isinstance(value["assumption"], str) or not value["assumption"].strip():
        msg = f"{where}: field 'false_alarm.assumption' must say under which assumption the rate holds"
        raise SchemaError(msg)
    return FalseAlarm(rate, per, " ".join(value["assumption"].split()))


def _options(raw: Mapping[str, Any], kind: str, where: str) -> dict[str, Any]:
    spec = _KINDS[kind]
    opts: dict[str, Any] = {}
    for name, (typ, default) in spec.items():
        value = raw.get(name, default)
        if value is None:
            msg = f"{where}: missing field {name!r} (a {kind} rule needs {list(spec)})"
            raise SchemaError(msg)
        if typ is int and (isinstance(value, bool) or not isinstance(value, int)):
            msg = f"{where}: field {name!r} must be a whole number, got {_short(value)}"
            raise SchemaError(msg)
        if typ == (int, float):
            value = _number(value, where, name)
        if typ is str and not isinstance(value, str):
            msg = f"{where}: field {name!r} must be text, got {_short(value)}"
            raise SchemaError(msg)
        if typ is dict and not isinstance(value, Mapping):
            msg = f"{where}: field {name!r} must be a mapping, got {_short(value)}"
            raise SchemaError(msg)
        opts[name] = value
    _check_kind(opts, kind, where)
    return opts


def _check_kind(opts: dict[str, Any], kind: str, where: str) -> None:  # noqa: C901 - one check per field
    if kind == "class_exceedance":
        if opts["trigger"] not in ("worse_than_target", "reaches_class"):
            msg = (
                f"{where}: field 'trigger' must be worse_than_target or reaches_class, got "
                f"{_short(opts['trigger'])}"
            )
            raise SchemaError(msg)
        if opts["trigger"] == "reaches_class" and not 2 <= opts["class"] <= 6:
            msg = (
                f"{where}: field 'class' must be a class 2-6 (6 = 劣Ⅴ) for trigger reaches_class, "
                f"got {opts['class']!r}"
            )
            raise SchemaError(msg)
        if opts["basis"] not in ("sample", "daily_mean"):
            msg = f"{where}: field 'basis' must be sample or daily_mean, got {_short(opts['basis'])}"
            raise SchemaError(msg)
    if "direction" in opts and opts["direction"] not in _DIRECTIONS:
        msg = (
            f"{where}: field 'direction' must be one of {list(_DIRECTIONS)}, got {_short(opts['direction'])}"
        )
        raise SchemaError(msg)
    if "min_samples" in opts and opts["min_samples"] < 1:
        msg = f"{where}: field 'min_samples' must be at least 1, got {opts['min_samples']!r}"
        raise SchemaError(msg)
    for name in ("window", "count"):
        if name in opts and opts[name] < 3:
            msg = f"{where}: field {name!r} must be at least 3, got {opts[name]!r}"
            raise SchemaError(msg)
    for name in ("z", "hours", "penalty", "min_size_days", "min_days"):
        if name in opts and opts[name] <= 0:
            msg = f"{where}: field {name!r} must be positive, got {opts[name]!r}"
            raise SchemaError(msg)
    for name in ("rel_floor", "abs_floor", "min_shift_sigma", "min_shift_rel"):
        if name in opts and opts[name] < 0:
            msg = f"{where}: field {name!r} must not be negative, got {opts[name]!r}"
            raise SchemaError(msg)
    if kind == "sustained_shift" and opts["min_days"] < 2 * opts["min_size_days"]:
        msg = f"{where}: field 'min_days' must be at least twice 'min_size_days'"
        raise SchemaError(msg)
    if kind == "impossible":
        limits = {}
        for p, rng in opts["limits"].items():
            code = canonical_parameter(str(p))
            if code is None:
                msg = f"{where}: field 'limits' names unknown parameter {_short(p)}"
                raise SchemaError(msg)
            if (
                not isinstance(rng, Sequence)
                or isinstance(rng, str)
                or len(rng) != 2
                or any(v is not None and (isinstance(v, bool) or not isinstance(v, int | float)) for v in rng)
                or (rng[0] is not None and rng[1] is not None and rng[0] >= rng[1])
            ):
                msg = (
                    f"{where}: field 'limits.{p}' must be [min, max] with min < max (null = no "
                    f"bound), got {_short(rng)}"
                )
                raise SchemaError(msg)
            limits[code] = (rng[0], rng[1])
        opts["limits"] = limits


def _parse_rule(raw: Any, where: str, levels: Sequence[Level]) -> WarningRule:
    if not isinstance(raw, Mapping):
        msg = f"{where}: a rule must be a mapping with fields {list(_COMMON_REQUIRED)}, got {_short(raw)}"
        raise SchemaError(msg)
    rid = raw.get("id")
    if rid is not None:
        where = f"{where} (id {str(rid)[:40]!r})"
    missing = [f for f in _COMMON_REQUIRED if raw.get(f) in (None, "")]
    if missing:
        msg = f"{where}: missing field(s) {missing}; a rule needs {list(_COMMON_REQUIRED)}"
        raise SchemaError(msg)
    if isinstance(rid, bool) or not isinstance(rid, str | int):
        msg = f"{where}: field 'id' must be text, got {_short(rid)}"
        raise SchemaError(msg)
    kind = raw["kind"]
    if kind not in _KINDS:
        msg = f"{where}: unknown kind {_short(kind)}; expected one of {list(_KINDS)}"
        raise SchemaError(msg)
    unknown = sorted(set(raw) - set(_COMMON_REQUIRED) - set(_COMMON_OPTIONAL) - set(_KINDS[kind]))
    if unknown:
        allowed = list(_COMMON_REQUIRED + _COMMON_OPTIONAL) + list(_KINDS[kind])
        msg = f"{where}: unknown field(s) {unknown} for a {kind} rule; allowed: {allowed}"
        raise SchemaError(msg)
    names = [lv.name for lv in levels]
    if raw["level"] not in names:
        msg = f"{where}: field 'level' {_short(raw['level'])} is not one of the file's levels {names}"
        raise SchemaError(msg)
    gap = _number(raw.get("merge_gap_h", _DEFAULT_GAP.get(kind, 6.0)), where, "merge_gap_h", minimum=0.0)
    close = _number(
        raw.get("close_after_h", _DEFAULT_CLOSE.get(kind, 24.0)), where, "close_after_h", minimum=0.0
    )
    for f in ("text_zh", "text_en", "source"):
        if not isinstance(raw[f], str):
            msg = f"{where}: field {f!r} must be text, got {_short(raw[f])}"
            raise SchemaError(msg)
    return WarningRule(
        id=str(rid),
        kind=kind,
        level=raw["level"],
        parameters=_parameters(raw.get("parameters"), where),
        merge_gap_h=gap,
        close_after_h=close,
        false_alarm=_false_alarm(raw.get("false_alarm"), where, kind),
        text_zh=raw["text_zh"].strip(),
        text_en=raw["text_en"].strip(),
        source=" ".join(raw["source"].split()),
        options=_options(raw, kind, where),
    )


def _levels(value: Any, where: str) -> tuple[Level, ...]:
    if value is None:
        return (Level("提示", "notice", 0), Level("预警", "warning", 1), Level("报警", "alarm", 2))
    if isinstance(value, str) or not isinstance(value, Sequence) or not value:
        msg = f"{where}: 'levels' must be a non-empty list of {{name, en}}, mildest first"
        raise SchemaError(msg)
    out = []
    for i, lv in enumerate(value):
        if isinstance(lv, str):
            lv = {"name": lv, "en": lv}
        if not isinstance(lv, Mapping) or not isinstance(lv.get("name"), str) or not lv["name"]:
            msg = f"{where}: level {i + 1} must be a mapping {{name, en}}, got {_short(lv)}"
            raise SchemaError(msg)
        out.append(Level(lv["name"], str(lv.get("en", lv["name"])), i))
    names = [lv.name for lv in out]
    if len(set(names)) != len(names):
        msg = f"{where}: duplicate level names in {names}"
        raise SchemaError(msg)
    return tuple(out)


def parse_warning_rules(data: Any, where: str = "rules") -> WarningRules:
    """Validate a parsed rule document (see the module docs) and return it.

    Raises
    ------
    SchemaError
        For any malformed rule, naming the file, the rule and the field.
    """
    if not isinstance(data, Mapping) or "rules" not in data:
        msg = f"{where}: expected a mapping with 'version', 'levels' and a 'rules' list"
        raise SchemaError(msg)
    if data.get("version", 1) != 1:
        msg = f"{where}: unsupported rule file version {_short(data.get('version'))}; expected 1"
        raise SchemaError(msg)
    extra = sorted(set(data) - {"version", "levels", "rules"})
    if extra:
        msg = f"{where}: unknown top-level key(s) {extra}; expected version, levels, rules"
        raise SchemaError(msg)
    levels = _levels(data.get("levels"), where)
    items = data["rules"]
    if isinstance(items, str) or not isinstance(items, Sequence) or not items:
        msg = f"{where}: 'rules' must be a non-empty list of rules"
        raise SchemaError(msg)
    rules = tuple(_parse_rule(r, f"{where}: rule {i + 1}", levels) for i, r in enumerate(items))
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        msg = f"{where}: duplicate rule id(s) {dup}"
        raise SchemaError(msg)
    return WarningRules(levels, rules, where)


def load_warning_rules(path: str | os.PathLike[str] | WarningRules | None = None) -> WarningRules:
    """Load and validate a warning rule file (default: the shipped ``basin/watch/rules/default.yaml``).

    Parameters
    ----------
    path
        YAML rule file; None for the shipped rules; a :class:`WarningRules` is returned unchanged.

    Returns
    -------
    WarningRules

    Raises
    ------
    DataError
        The file does not exist.
    SchemaError
        The file is not UTF-8 YAML, or a rule is malformed (the message names the file, the rule
        and the field).
    """
    if isinstance(path, WarningRules):
        return path
    if path is None:
        return _default_rules()
    else:
        p = Path(path)
        where = str(p)
        if not p.is_file():
            msg = f"warning rule file {where} does not exist"
            raise DataError(msg)
        try:
            text = p.read_text(encoding="utf-8")
        except UnicodeDecodeError as exc:
            msg = f"warning rule file {where} is not UTF-8 text"
            raise SchemaError(msg) from exc
    # safe loading without aliases, one-line messages with the line and column (basin._validate)
    data = parse_yaml(text, where=f"warning rule file {where}")
    return parse_warning_rules(data, where)


@functools.lru_cache(maxsize=1)
def _default_rules() -> WarningRules:
    text = resources.files("basin.watch").joinpath("rules", "default.yaml").read_text(encoding="utf-8")
    return parse_warning_rules(yaml.safe_load(text), "basin/watch/rules/default.yaml")


def physical_limits() -> dict[str, tuple[float | None, float | None]]:
    """Plausible range of every parameter from ``parameters.csv`` (``None`` = no bound)."""
    table = parameter_table()
    out: dict[str, tuple[float | None, float | None]] = {}
    for code, row in table.iterrows():
        lo = pd.to_numeric(row.get("min"), errors="coerce")
        hi = pd.to_numeric(row.get("max"), errors="coerce")
        out[str(code)] = (None if pd.isna(lo) else float(lo), None if pd.isna(hi) else float(hi))
    return out
