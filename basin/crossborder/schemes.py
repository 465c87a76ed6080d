"""Compensation schemes as data: load and check the YAML files of ``basin/crossborder/schemes/``.

Two kinds of scheme are understood:

``target_trend``
    The bet used between Chongqing districts: the section meets its target and improves on the same period of
    the previous year -> downstream pays upstream; meets it but worsens, or fails it -> upstream pays
    downstream. Outcomes ``meets_improves, meets_worsens, meets_unchanged, meets_no_previous, fails``.
``index``
    The Xin'anjiang index ``P = K0 * sum_i K_i * C_i / C_i0``; ``P <= threshold`` -> outcome ``at_or_below``
    (downstream pays upstream), else ``above`` (upstream pays downstream).

Every amount, payer, period and parameter comes from the file; nothing is hard-coded in the code. See
``docs/crossborder.md`` for the fields.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from basin import _validate as v
from basin._errors import SchemaError

KINDS = ("target_trend", "index")
PERIODS = ("month", "year")
STATIONS = ("upstream", "downstream", "nearest")
PAYERS = ("upstream", "downstream", "none")
CONFIDENCE = ("V2", "V1", "D", "U")
OUTCOMES = {
    "target_trend": ("meets_improves", "meets_worsens", "meets_unchanged", "meets_no_previous", "fails"),
    "index": ("at_or_below", "above"),
}
COMMON_REQUIRED = (
    "scheme",
    "kind",
    "title",
    "version",
    "confidence",
    "sources",
    "period",
    "unit",
    "currency",
    "station",
    "outcomes",
)
COMMON_OPTIONAL = ("notes", "unverified", "start", "end")
KIND_REQUIRED = {"target_trend": ("trend",), "index": ("K0", "weights", "baseline", "threshold")}
TREND_METRICS = ("class", "concentration")


@dataclass(frozen=True)
class Outcome:
    """Who pays whom, and how much per period, for one outcome of a scheme."""

    payer: str
    amount: float
    confidence: str
    note: str = ""


@dataclass(frozen=True)
class Scheme:
    """A validated compensation scheme (see the module docs); ``source`` is the file and its SHA-256."""

    name: str
    kind: str
    title: str
    version: str
    confidence: str
    sources: tuple[str, ...]
    period: Literal["month", "year"]
    unit: str
    currency: str
    station: str
    outcomes: dict[str, Outcome]
    notes: str = ""
    unverified: tuple[str, ...] = ()
    start: str | None = None
    end: str | None = None
    trend: dict[str, Any] = field(default_factory=dict)
    K0: float | None = None
    weights: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    threshold: float | None = None
    path: str = ""
    sha256: str = ""

    def provenance(self) -> dict[str, Any]:
        """Return the fields a report records about the scheme."""
        return {
            "scheme": self.name,
            "kind": self.kind,
            "version": self.version,
            "confidence": self.confidence,
            "unverified": list(self.unverified),
            "path": self.path,
            "sha256": self.sha256,
        }


def list_schemes() -> list[str]:
    """Return the names of the schemes shipped with basin."""
    root = importlib.resources.files("basin.crossborder") / "schemes"
    return sorted(p.name[: -len(".yaml")] for p in root.iterdir() if p.name.endswith(".yaml"))


def load_scheme(source: str | os.PathLike[str] | Mapping[str, Any] | Scheme) -> Scheme:
    """Load and check a compensation scheme.

    Parameters
    ----------
    source
        The name of a shipped scheme (:func:`list_schemes`), a path to a YAML file, a dict with the same
        fields, or a :class:`Scheme` (returned as is).

    Raises
    ------
    SchemaError
        Missing or unknown field, wrong type or value (the message names the file and the field); the file
        is not valid YAML.
    DataError
        The file does not exist, is a folder or is not UTF-8 text.
    """
    if isinstance(source, Scheme):
        return source
    if isinstance(source, Mapping):
        return _build(dict(v.mapping(source, "scheme")), "scheme", "", "")
    text, where = _read(source)
    data = v.load_yaml(where, what="scheme file", text=text)
    data = v.mapping(data, f"scheme file {where}", expected="a mapping of fields")
    return _build(dict(data), f"scheme file {where}", where, hashlib.sha256(text.encode("utf-8")).hexdigest())


def _read(source: str | os.PathLike[str]) -> tuple[str, str]:
    s = str(source)
    if isinstance(source, str) and not s.endswith((".yaml", ".yml")) and os.sep not in s and "/" not in s:
        names = list_schemes()
        if s not in names:
            msg = (
                f"unknown scheme {v.cut(s)}{v.did_you_mean(s, names)}; shipped schemes: {names} "
                "(or give the path of a YAML file)"
            )
            raise SchemaError(msg)
        res = importlib.resources.files("basin.crossborder") / "schemes" / f"{s}.yaml"
        return res.read_text(encoding="utf-8"), f"{s}.yaml (shipped)"
    path = Path(source)
    return v.read_text(path, what="scheme file", max_bytes=v.MAX_YAML_BYTES), str(path)


def _num(where: str, key: str, x: Any, *, positive: bool = False) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(float(x)):
        msg = f"{where}: field {key!r} must be a number, got {v.cut(x)}"
        raise SchemaError(msg)
    if x < 0 or (positive and x == 0):
        msg = f"{where}: field {key!r} must be {'> 0' if positive else '>= 0'}, got {v.cut(x)}"
        raise SchemaError(msg)
    return float(x)


def _choice(where: str, key: str, x: Any, allowed: tuple[str, ...]) -> str:
    if not isinstance(x, str) or x not in allowed:
        hint = v.did_you_mean(x, allowed) if isinstance(x, str) else ""
        msg = f"{where}: field {key!r} must be one of {list(allowed)}, got {v.cut(x)}{hint}"
        raise SchemaError(msg)
    return str(x)


def _text(where: str, key: str, x: Any) -> str:
    return v.text(x, f"{where}: field {key!r}", numbers=True)


def _build(data: dict[str, Any], where: str, path: str, sha: str) -> Scheme:
    kind = data.get("kind")
    if "kind" not in data:
        msg = f"{where}: missing field 'kind' (one of {list(KINDS)})"
        raise SchemaError(msg)
    kind = _choice(where, "kind", kind, KINDS)
    required = (*COMMON_REQUIRED, *KIND_REQUIRED[kind])
    v.check_keys(data, where, required=required, optional=COMMON_OPTIONAL, noun="field", none_is_missing=True)
    sources = data["sources"]
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not sources or not all(isinstance(x, str | int) for x in sources):
        msg = f"{where}: field 'sources' must be a non-empty list of texts"
        raise SchemaError(msg)
    outcomes_raw = data["outcomes"]
    if not isinstance(outcomes_raw, Mapping):
        msg = f"{where}: field 'outcomes' must be a mapping of {list(OUTCOMES[kind])}"
        raise SchemaError(msg)
    want = OUTCOMES[kind]
    miss = [o for o in want if o not in outcomes_raw]
    extra = sorted(set(outcomes_raw) - set(want))
    if miss or extra:
        got = v.cut(list(outcomes_raw), 80)
        msg = f"{where}: outcomes {got}; a {kind!r} scheme needs exactly {list(want)}"
        raise SchemaError(msg)
    outcomes = {o: _outcome(where, o, outcomes_raw[o]) for o in want}
    unverified = data.get("unverified") or []
    if not isinstance(unverified, list) or not all(isinstance(x, str) for x in unverified):
        msg = f"{where}: field 'unverified' must be a list of field names"
        raise SchemaError(msg)
    kw: dict[str, Any] = {
        "name": _text(where, "scheme", data["scheme"]),
        "kind": kind,
        "title": _text(where, "title", data["title"]),
        "version": _text(where, "version", data["version"]),
        "confidence": _choice(where, "confidence", data["confidence"], CONFIDENCE),
        "sources": tuple(str(s) for s in sources),
        "period": cast(Literal["month", "year"], _choice(where, "period", data["period"], PERIODS)),
        "unit": _text(where, "unit", data["unit"]),
        "currency": _text(where, "currency", data["currency"]),
        "station": _choice(where, "station", data["station"], STATIONS),
        "outcomes": outcomes,
        "notes": "" if data.get("notes") is None else _text(where, "notes", data["notes"]),
        "unverified": tuple(str(u) for u in unverified),
        "start": None if data.get("start") is None else _text(where, "start", data["start"]),
        "end": None if data.get("end") is None else _text(where, "end", data["end"]),
        "path": path,
        "sha256": sha,
    }
    if kind == "target_trend":
        kw["trend"] = _trend(where, data["trend"])
    else:
        kw["K0"] = _num(where, "K0", data["K0"], positive=True)
        kw["threshold"] = _num(where, "threshold", data["threshold"], positive=True)
        kw["weights"] = _weights(where, data["weights"])
        kw["baseline"] = _baseline(where, data["baseline"], kw["weights"])
    return Scheme(**kw)


def _outcome(where: str, name: str, x: Any) -> Outcome:
    w = f"{where}: outcome {name!r}"
    if not isinstance(x, Mapping):
        msg = f"{w} must be a mapping with payer, amount, confidence"
        raise SchemaError(msg)
    v.check_keys(x, w, required=("payer", "amount", "confidence"), optional=("note",), noun="field")
    payer = _choice(w, "payer", x["payer"], PAYERS)
    amount = _num(w, "amount", x["amount"])
    if payer == "none" and amount != 0:
        msg = f"{w}: payer 'none' needs amount 0, got {amount:g}"
        raise SchemaError(msg)
    note = "" if x.get("note") is None else _text(w, "note", x["note"])
    return Outcome(payer, amount, _choice(w, "confidence", x["confidence"], CONFIDENCE), note)


def _trend(where: str, x: Any) -> dict[str, Any]:
    if not isinstance(x, Mapping) or "metric" not in x:
        msg = f"{where}: field 'trend' must be a mapping with 'metric' ({list(TREND_METRICS)})"
        raise SchemaError(msg)
    v.check_keys(x, f"{where}: trend", optional=("metric", "compare_to", "parameters"), noun="field")
    metric = _choice(where, "trend.metric", x["metric"], TREND_METRICS)
    compare = _choice(
        where,
        "trend.compare_to",
        x.get("compare_to", "same_period_previous_year"),
        ("same_period_previous_year",),
    )
    out: dict[str, Any] = {"metric": metric, "compare_to": compare}
    if metric == "concentration":
        params = x.get("parameters")
        if not isinstance(params, list) or not params or not all(isinstance(p, str) for p in params):
            msg = f"{where}: trend metric 'concentration' needs 'parameters': a list of parameter names"
            raise SchemaError(msg)
        if "DO" in params:
            msg = f"{where}: trend.parameters: DO is a lower limit (higher is better); use upper limits"
            raise SchemaError(msg)
        out["parameters"] = list(params)
    return out


def _weights(where: str, x: Any) -> dict[str, float]:
    if not isinstance(x, Mapping) or not x:
        msg = f"{where}: field 'weights' must be a mapping parameter -> weight (K_i)"
        raise SchemaError(msg)
    w = {str(k): _num(where, f"weights.{str(k)[:30]}", val) for k, val in x.items()}
    total = sum(w.values())
    if abs(total - 1.0) > 1e-6:
        msg = f"{where}: weights must sum to 1, they sum to {total:g} ({v.cut(w, 80)})"
        raise SchemaError(msg)
    return w


def _baseline(where: str, x: Any, weights: dict[str, float]) -> dict[str, Any]:
    if not isinstance(x, Mapping) or "method" not in x:
        msg = f"{where}: field 'baseline' must be a mapping with 'method' (mean_of_years | values)"
        raise SchemaError(msg)
    method = _choice(where, "baseline.method", x["method"], ("mean_of_years", "values"))
    if method == "mean_of_years":
        years: Any = x.get("years")
        ok = (
            isinstance(years, list)
            and len(years) == 2
            and all(isinstance(y, int) and not isinstance(y, bool) for y in years)
            and years[0] <= years[1]
        )
        if not ok:
            got = v.cut(years)
            msg = f"{where}: baseline.years must be [first, last] (inclusive integer years), got {got}"
            raise SchemaError(msg)
        return {"method": method, "years": [int(years[0]), int(years[1])]}
    values = x.get("values")
    if not isinstance(values, Mapping):
        msg = f"{where}: baseline method 'values' needs 'values': parameter -> C_i0"
        raise SchemaError(msg)
    missing = [p for p in weights if p not in values]
    if missing:
        msg = f"{where}: baseline.values has no value for {missing} (every weighted parameter needs one)"
        raise SchemaError(msg)
    return {
        "method": method,
        "values": {p: _num(where, f"baseline.values.{p}", values[p], positive=True) for p in weights},
    }
