"""Audit cross-border sections against their targets with the water-quality engine.

Classes, targets, compliance and main pollutants come from :func:`basin.waterquality.assess` and
:func:`basin.waterquality.compliance`; nothing is classified here. Per section and period:

* each of the section's two stations (upstream and downstream of the border) gets its class, target and
  compliance; the section is judged by its *reference* station: the first station out of target (upstream
  first), else the upstream station, else the downstream one. ``class``, ``target_class``, ``compliant``,
  ``main_pollutants`` and the year's ``attainment_rate``, ``months_out_of_target`` and ``longest_run``
  (of the calendar year that holds the period) are those of the reference station. So ``compliant`` is
  False as soon as either station misses its target.
* ``responsibility``: ``upstream`` when the upstream station is out of target (the upstream unit is
  responsible); ``downstream`` when the upstream station meets its target and the downstream one does not (the
  cause lies downstream of the border); ``none`` when no assessed station is out of target; ``undetermined``
  when only the downstream station is out of target and the upstream one has no data; ``no data`` when neither
  station has data for the period (or the section has no station: ``status = no station``).
* every period between the first and the last month (or year) of the data is listed for every section; a
  period without data is a row with ``status = no data``, never dropped.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from basin._errors import SchemaError

RULES_VERSION = "basin.crossborder audit rules 1 (reference station; responsibility upstream/downstream/none)"

AUDIT_COLUMNS = [
    "section_id",
    "river_name",
    "kind",
    "from_admin",
    "from_admin_name",
    "to_admin",
    "to_admin_name",
    "period",
    "status",
    "upstream_station_id",
    "upstream_class",
    "upstream_class_label",
    "upstream_target",
    "upstream_compliant",
    "downstream_station_id",
    "downstream_class",
    "downstream_class_label",
    "downstream_target",
    "downstream_compliant",
    "station_id",
    "class",
    "class_label",
    "target_class",
    "compliant",
    "attainment_rate",
    "months_out_of_target",
    "longest_run",
    "main_pollutants",
    "responsibility",
    "responsible_unit",
    "note",
]


def _periods(ds: Any, period: str) -> list[str]:
    times = pd.DatetimeIndex(np.asarray(ds["time"].values))
    if len(times) == 0:
        return []
    fmt, freq = ("%Y", "Y") if period == "year" else ("%Y-%m", "M")
    return [p.strftime(fmt) for p in pd.period_range(times.min(), times.max(), freq=freq)]


def _str_or_none(v: Any) -> str | None:
    return None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)


def audit_sections(
    sections: pd.DataFrame,
    ds: Any,
    *,
    period: Literal["month", "year"] = "month",
    standard: str | None = None,
) -> pd.DataFrame:
    """Audit every section and period against the targets of its stations.

    Parameters
    ----------
    sections
        The result of :func:`basin.crossborder.find_sections` with stations assigned (or ``sections.csv``).
    ds
        Water-quality Dataset from :func:`basin.waterquality.read_wq` (dims ``station, time``; coordinate
        ``target_class``).
    period
        ``"month"`` (default) or ``"year"``.
    standard
        Water-quality standard (default: the ``standard`` option, GB 3838-2002).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`AUDIT_COLUMNS`, one row per section and period (rules in the module docs).
        ``attrs["standard"]`` records the standard used, ``attrs["rules"]`` :data:`RULES_VERSION`.

    Raises
    ------
    SchemaError
        Unknown period, sections without the station columns, or a Dataset that is not a water-quality one.
    """
    from basin.waterquality import assess, compliance, load_standard

    if period not in ("month", "year"):
        msg = f"period must be 'month' or 'year', got {period!r}"
        raise SchemaError(msg)
    need = ["section_id", "kind", "from_admin", "to_admin", "upstream_station_id", "downstream_station_id"]
    missing = [c for c in need if c not in sections.columns]
    if missing:
        msg = f"sections: missing column(s) {missing}; pass the result of find_sections (or sections.csv)"
        raise SchemaError(msg)
    if "station" not in getattr(ds, "dims", {}) or "time" not in getattr(ds, "dims", {}):
        msg = "ds: expected a water-quality Dataset with dims (station, time), as read_wq returns"
        raise SchemaError(msg)
    std = load_standard(standard)
    periods = _periods(ds, period)
    known = {str(s) for s in np.asarray(ds["station"].values)}
    # only the sections' stations are assessed (the engine's cost grows with the number of stations)
    used = sorted(
        {str(v) for c in ("upstream_station_id", "downstream_station_id") for v in sections[c].dropna()}
        & known
    )
    labels = np.asarray(ds["station"].values)
    sub = ds.isel(station=[i for i, s in enumerate(labels) if str(s) in set(used)])
    if used:
        a = assess(sub, period=period, standard=std)
        comp = compliance(sub, standard=std)
    else:
        a = pd.DataFrame(
            columns=[
                "station_id",
                "period",
                "class",
                "class_label",
                "target_class",
                "compliant",
                "main_pollutants",
            ]
        )
        comp = pd.DataFrame(
            columns=["station_id", "year", "attainment_rate", "months_out", "longest_run_out"]
        )
    A = a.set_index(["station_id", "period"]).sort_index()
    C = comp.set_index(["station_id", "year"]).sort_index()

    rows = []
    for sec in sections.to_dict("records"):
        up = _str_or_none(sec.get("upstream_station_id"))
        down = _str_or_none(sec.get("downstream_station_id"))
        targets = {
            up: sec.get("upstream_target_class"),
            down: sec.get("downstream_target_class"),
        }
        notes = []
        within = _str_or_none(sec.get("stations_within"))
        if within:
            notes.append(f"stations within the section ({within}) are not audited")
        absent = [s for s in (up, down) if s is not None and s not in known]
        if absent:
            notes.append(f"no water-quality series for {', '.join(absent)}")
        for per in periods:
            rows.append(_row(sec, per, up, down, targets, A, C, "; ".join(notes)))
    df = pd.DataFrame(rows, columns=AUDIT_COLUMNS)
    for c in (
        "upstream_class",
        "upstream_target",
        "downstream_class",
        "downstream_target",
        "class",
        "target_class",
        "months_out_of_target",
        "longest_run",
    ):
        df[c] = pd.array(df[c].tolist(), dtype="Int64") if len(df) else pd.array([], dtype="Int64")
    for c in ("upstream_compliant", "downstream_compliant", "compliant"):
        df[c] = pd.array(df[c].tolist(), dtype="boolean") if len(df) else pd.array([], dtype="boolean")
    df["attainment_rate"] = df["attainment_rate"].astype(float)
    df.attrs["standard"] = {"name": std.name, "version": std.version, "confidence": std.confidence}
    df.attrs["rules"] = RULES_VERSION
    df.attrs["period"] = period
    return df


def _side(station: str | None, per: str, A: pd.DataFrame, target_fallback: Any) -> dict[str, Any]:
    if station is None:
        return {"state": "no station"}
    key = (station, per)
    if key not in A.index:
        return {"state": "no data", "station": station}
    r = A.loc[key]
    target = r["target_class"]
    if pd.isna(target) and target_fallback is not None and not pd.isna(target_fallback):
        target = int(target_fallback)
    cls = int(r["class"])
    if cls == 0:
        return {"state": "no data", "station": station}
    compliant = pd.NA if pd.isna(target) else bool(cls <= int(target))
    if not pd.isna(r["compliant"]):
        compliant = bool(r["compliant"])
    state = "no target" if pd.isna(compliant) else ("ok" if compliant else "out")
    return {
        "state": state,
        "station": station,
        "class": cls,
        "label": r["class_label"],
        "target": pd.NA if pd.isna(target) else int(target),
        "compliant": compliant,
        "pollutants": r["main_pollutants"] or "",
    }


def _row(
    sec: dict[str, Any],
    per: str,
    up: str | None,
    down: str | None,
    targets: dict[Any, Any],
    A: pd.DataFrame,
    C: pd.DataFrame,
    note: str,
) -> dict[str, Any]:
    u = _side(up, per, A, targets.get(up))
    d = _side(down, per, A, targets.get(down))
    base = {
        "section_id": sec["section_id"],
        "river_name": sec.get("river_name"),
        "kind": sec.get("kind"),
        "from_admin": sec["from_admin"],
        "from_admin_name": sec.get("from_admin_name"),
        "to_admin": sec["to_admin"],
        "to_admin_name": sec.get("to_admin_name"),
        "period": per,
        "upstream_station_id": up,
        "upstream_class": u.get("class", pd.NA),
        "upstream_class_label": u.get("label", pd.NA),
        "upstream_target": u.get("target", pd.NA),
        "upstream_compliant": u.get("compliant", pd.NA),
        "downstream_station_id": down,
        "downstream_class": d.get("class", pd.NA),
        "downstream_class_label": d.get("label", pd.NA),
        "downstream_target": d.get("target", pd.NA),
        "downstream_compliant": d.get("compliant", pd.NA),
        "note": note or pd.NA,
    }
    assessed = [s for s in (u, d) if "class" in s]
    if up is None and down is None:
        status, resp = "no station", "no data"
    elif not assessed:
        status, resp = "no data", "no data"
    else:
        status = "assessed"
        if u["state"] == "out":
            resp = "upstream"
        elif d["state"] == "out":
            resp = "downstream" if u["state"] == "ok" else "undetermined"
        else:
            resp = "none"
    ref = next((s for s in (u, d) if s["state"] == "out"), None) or (assessed[0] if assessed else None)
    unit = {
        "upstream": sec.get("from_admin_name") or sec["from_admin"],
        "downstream": sec.get("to_admin_name") or sec["to_admin"],
    }.get(resp, pd.NA)
    out = {
        **base,
        "status": status,
        "station_id": pd.NA,
        "class": pd.NA,
        "class_label": pd.NA,
        "target_class": pd.NA,
        "compliant": pd.NA,
        "attainment_rate": np.nan,
        "months_out_of_target": pd.NA,
        "longest_run": pd.NA,
        "main_pollutants": pd.NA,
        "responsibility": resp,
        "responsible_unit": unit,
    }
    if ref is not None:
        out.update(
            {
                "station_id": ref["station"],
                "class": ref["class"],
                "class_label": ref["label"],
                "target_class": ref["target"],
                "compliant": ref["compliant"],
                "main_pollutants": ref["pollutants"] or pd.NA,
            }
        )
        ckey = (ref["station"], int(per[:4]))
        if ckey in C.index:
            c = C.loc[ckey]
            out["attainment_rate"] = float(c["attainment_rate"]) if pd.notna(c["attainment_rate"]) else np.nan
            out["months_out_of_target"] = c["months_out"]
            out["longest_run"] = c["longest_run_out"]
    return out


def failing(audit: pd.DataFrame) -> pd.DataFrame:
    """Return the audit rows whose section misses its target (``compliant`` is False)."""
    return audit[audit["compliant"].eq(False).fillna(False).astype(bool)]
