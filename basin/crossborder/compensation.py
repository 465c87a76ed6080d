"""Settle a compensation scheme per section and period into a ledger (payer, payee, amount, reason).

The parties of a section are its upstream unit (``from_admin``) and downstream unit (``to_admin``). Boundary
reaches without a net crossing have no upstream/downstream relation and are listed as ``not settled``.
A section is judged at the station the scheme names (``station``: upstream, downstream or the nearest of the
two); without that station, or without data for a period, the ledger says so with amount 0, never silently.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import pandas as pd

from basin._errors import SchemaError
from basin.crossborder.schemes import Scheme, load_scheme

LEDGER_COLUMNS = [
    "scheme",
    "section_id",
    "river_name",
    "period",
    "station_id",
    "upstream",
    "downstream",
    "outcome",
    "value",
    "previous",
    "payer",
    "payer_id",
    "payee",
    "payee_id",
    "amount",
    "unit",
    "currency",
    "confidence",
    "reason",
]
SUMMARY_COLUMNS = [
    "party_a",
    "party_b",
    "paid_a_to_b",
    "paid_b_to_a",
    "net_a_to_b",
    "transfers",
    "periods_settled",
    "periods_without_data",
    "unit",
    "currency",
]


def _party(sec: pd.Series, side: str) -> tuple[str, str]:
    col = "from_admin" if side == "upstream" else "to_admin"
    pid = str(sec[col])
    name = sec.get(f"{col}_name")
    return (pid if name is None or pd.isna(name) else str(name)), pid


def _station(sec: pd.Series, choice: str) -> str | None:
    up, down = sec.get("upstream_station_id"), sec.get("downstream_station_id")
    up = None if up is None or pd.isna(up) else str(up)
    down = None if down is None or pd.isna(down) else str(down)
    if choice == "upstream":
        return up
    if choice == "downstream":
        return down
    if up is None or down is None:
        return up or down
    du, dd = sec.get("upstream_distance_m", np.nan), sec.get("downstream_distance_m", np.nan)
    return down if pd.notna(dd) and (pd.isna(du) or dd < du) else up


def _previous(period: str) -> str:
    """Return the same period of the previous year (``2020`` -> ``2019``, ``2020-03`` -> ``2019-03``)."""
    year, _, rest = period.partition("-")
    return f"{int(year) - 1}" + (f"-{rest}" if rest else "")


def _settled(sections: pd.DataFrame) -> pd.Series:
    net = (
        sections["net_crossing"]
        if "net_crossing" in sections.columns
        else pd.Series(True, index=sections.index)
    )
    return (sections["kind"] == "crossing") | net.fillna(False).astype(bool)


def _row(
    scheme: Scheme,
    sec: pd.Series,
    period: str,
    station: str | None,
    outcome: str,
    *,
    value: Any = np.nan,
    previous: Any = np.nan,
    reason: str,
) -> dict[str, Any]:
    out = scheme.outcomes.get(outcome)
    payer = payee = payer_id = payee_id = pd.NA
    amount = 0.0
    confidence = pd.NA
    if out is not None:
        confidence = out.confidence
        if out.payer != "none":
            other = "downstream" if out.payer == "upstream" else "upstream"
            payer, payer_id = _party(sec, out.payer)
            payee, payee_id = _party(sec, other)
            amount = out.amount
        if out.note:
            reason = f"{reason} ({out.note})"
    return {
        "scheme": scheme.name,
        "section_id": sec["section_id"],
        "river_name": sec.get("river_name", pd.NA),
        "period": period,
        "station_id": station if station is not None else pd.NA,
        "upstream": _party(sec, "upstream")[0],
        "downstream": _party(sec, "downstream")[0],
        "outcome": outcome,
        "value": value,
        "previous": previous,
        "payer": payer,
        "payer_id": payer_id,
        "payee": payee,
        "payee_id": payee_id,
        "amount": amount,
        "unit": scheme.unit,
        "currency": scheme.currency,
        "confidence": confidence,
        "reason": reason,
    }


def _in_window(periods: list[str], scheme: Scheme) -> list[str]:
    out = []
    for p in periods:
        if scheme.start is not None and p < scheme.start:
            continue
        if scheme.end is not None and p[: len(scheme.end)] > scheme.end:
            continue
        out.append(p)
    return out


def _require_sections(sections: pd.DataFrame) -> None:
    need = ["section_id", "kind", "from_admin", "to_admin", "upstream_station_id", "downstream_station_id"]
    missing = [c for c in need if c not in sections.columns]
    if missing:
        msg = f"sections: missing column(s) {missing}; pass the result of find_sections (or sections.csv)"
        raise SchemaError(msg)


def settle(audit_or_ds: Any, sections: pd.DataFrame, scheme: Any) -> pd.DataFrame:
    """Settle ``scheme`` for every section and period into a ledger.

    Parameters
    ----------
    audit_or_ds
        The result of :func:`basin.crossborder.audit_sections` (target/trend schemes with the class
        metric), or the water-quality Dataset (:func:`basin.waterquality.read_wq`; any scheme).
    sections
        The result of :func:`basin.crossborder.find_sections` (with stations assigned).
    scheme
        A :class:`~basin.crossborder.schemes.Scheme`, the name of a shipped scheme or a YAML path.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`LEDGER_COLUMNS`: one row per section and period with the outcome, the payer and payee
        (unit names, ids in ``payer_id``/``payee_id``), the amount in the scheme's ``unit`` and the reason.
        ``value``/``previous`` hold the assessed class (target/trend) or the index P.

    Raises
    ------
    SchemaError
        A bad scheme, sections without the needed columns, an audit of another period than the scheme's, or
        an index scheme given an audit table instead of the Dataset.
    """
    sch = load_scheme(scheme)
    _require_sections(sections)
    if isinstance(audit_or_ds, pd.DataFrame):
        audit = audit_or_ds
        if sch.kind == "index" or sch.trend.get("metric") == "concentration":
            msg = (
                f"scheme {sch.name!r} needs concentrations: pass the water-quality Dataset (read_wq), "
                "not an audit table"
            )
            raise SchemaError(msg)
        ledger = _settle_trend_from_audit(audit, sections, sch)
    else:
        ds = audit_or_ds
        if sch.kind == "index":
            ledger = _settle_index(ds, sections, sch)
        elif sch.trend["metric"] == "concentration":
            ledger = _settle_trend_concentration(ds, sections, sch)
        else:
            from basin.crossborder.audit import audit_sections

            ledger = _settle_trend_from_audit(audit_sections(sections, ds, period=sch.period), sections, sch)
    df = pd.DataFrame(ledger, columns=LEDGER_COLUMNS)
    df["amount"] = df["amount"].astype(float)
    for c in ("value", "previous"):
        df[c] = pd.to_numeric(df[c], errors="coerce")
    df.attrs["scheme"] = sch.provenance()
    return df


def _not_settled(sch: Scheme, sec: pd.Series) -> dict[str, Any]:
    return _row(
        sch,
        sec,
        "",
        None,
        "not settled",
        reason="boundary reach without a net crossing: no upstream/downstream parties",
    )


def _settle_trend_from_audit(
    audit: pd.DataFrame, sections: pd.DataFrame, sch: Scheme
) -> list[dict[str, Any]]:
    need = [
        "section_id",
        "period",
        "upstream_class",
        "upstream_target",
        "downstream_class",
        "downstream_target",
    ]
    missing = [c for c in need if c not in audit.columns]
    if missing:
        msg = f"audit: missing column(s) {missing}; pass the result of audit_sections"
        raise SchemaError(msg)
    periods_in = sorted(set(audit["period"].astype(str)))
    if periods_in and (len(periods_in[0]) == 4) != (sch.period == "year"):
        got = "year" if len(periods_in[0]) == 4 else "month"
        msg = (
            f"scheme {sch.name!r} settles per {sch.period}, the audit has {got}ly periods; "
            f"run audit_sections(..., period={sch.period!r})"
        )
        raise SchemaError(msg)
    idx = audit.set_index(["section_id", "period"])
    periods = _in_window(periods_in, sch)
    rows = []
    for _, sec in sections.iterrows():
        if not _settled(sections.loc[[sec.name]]).iloc[0]:
            rows.append(_not_settled(sch, sec))
            continue
        station = _station(sec, sch.station)
        side = (
            "upstream" if station is not None and station == sec.get("upstream_station_id") else "downstream"
        )
        for per in periods:
            if station is None:
                rows.append(
                    _row(sch, sec, per, None, "no station", reason=f"no {sch.station} station assigned")
                )
                continue
            key = (sec["section_id"], per)
            cls = idx[f"{side}_class"].get(key, pd.NA) if key in idx.index else pd.NA
            tgt = idx[f"{side}_target"].get(key, pd.NA) if key in idx.index else pd.NA
            pkey = (sec["section_id"], _previous(per))
            prev = idx[f"{side}_class"].get(pkey, pd.NA) if pkey in idx.index else pd.NA
            if pd.isna(cls):
                rows.append(_row(sch, sec, per, station, "no data", reason=f"no data at {station} in {per}"))
                continue
            if pd.isna(tgt):
                rows.append(
                    _row(
                        sch,
                        sec,
                        per,
                        station,
                        "no target",
                        value=cls,
                        reason=f"{station} has no target class",
                    )
                )
                continue
            cls, tgt = int(cls), int(tgt)
            if cls > tgt:
                outcome, why = "fails", f"class {cls} worse than target {tgt}"
            elif pd.isna(prev):
                outcome, why = (
                    "meets_no_previous",
                    f"class {cls} meets target {tgt}; no value for {_previous(per)}",
                )
            elif cls < int(prev):
                outcome, why = (
                    "meets_improves",
                    f"class {cls} meets target {tgt}, better than {int(prev)} in {_previous(per)}",
                )
            elif cls > int(prev):
                outcome, why = (
                    "meets_worsens",
                    f"class {cls} meets target {tgt}, worse than {int(prev)} in {_previous(per)}",
                )
            else:
                outcome, why = (
                    "meets_unchanged",
                    f"class {cls} meets target {tgt}, same as in {_previous(per)}",
                )
            rows.append(_row(sch, sec, per, station, outcome, value=cls, previous=prev, reason=why))
    return rows


def _station_means(ds: Any, period: Literal["year", "quarter", "month"]) -> tuple[pd.DataFrame, list[str]]:
    """Return period means (one column per parameter) by station and period, and all periods of ``ds``."""
    from basin.waterquality import period_means

    means = period_means(ds, period)
    if hasattr(means, "chunks") and means.chunks:
        means = means.compute()
    df = means.to_dataframe().reset_index()
    fmt = "%Y" if period == "year" else "%Y-%m"
    df["period"] = pd.DatetimeIndex(df["time"]).strftime(fmt)
    df["station_id"] = df["station"].astype(str)
    times = pd.DatetimeIndex(ds["time"].values)
    span = pd.period_range(times.min(), times.max(), freq="Y" if period == "year" else "M")
    return df, [p.strftime(fmt) for p in span]


def _canonical(names: list[str]) -> dict[str, str]:
    from basin.waterquality import canonical_parameter

    out = {}
    for n in names:
        c = canonical_parameter(n)
        if c is None:
            msg = f"scheme parameter {n!r} is not a known water-quality parameter"
            raise SchemaError(msg)
        out[n] = c
    return out


def _settle_index(ds: Any, sections: pd.DataFrame, sch: Scheme) -> list[dict[str, Any]]:
    if sch.K0 is None or sch.threshold is None:  # load_scheme guarantees both for an index scheme
        msg = f"scheme {sch.name!r}: an index scheme needs K0 and threshold"
        raise SchemaError(msg)
    k0, threshold = sch.K0, sch.threshold
    params = _canonical(list(sch.weights))
    means, periods = _station_means(ds, sch.period)
    missing = sorted({c for c in params.values() if c not in means.columns})
    if missing:
        msg = f"scheme {sch.name!r} weights {missing}, which the water-quality data does not have"
        raise SchemaError(msg)
    table = means.set_index(["station_id", "period"])
    annual, _ = _station_means(ds, "year")
    annual = annual.set_index(["station_id", "period"])
    if sch.baseline["method"] == "mean_of_years":
        y0, y1 = sch.baseline["years"]
        periods = [p for p in periods if int(p[:4]) > y1]
    periods = _in_window(periods, sch)
    rows = []
    for _, sec in sections.iterrows():
        if not _settled(sections.loc[[sec.name]]).iloc[0]:
            rows.append(_not_settled(sch, sec))
            continue
        station = _station(sec, sch.station)
        base: dict[str, float] = {}
        base_missing: list[str] = []
        if station is not None:
            if sch.baseline["method"] == "values":
                base = {params[p]: v for p, v in sch.baseline["values"].items()}
            else:
                for p, c in params.items():
                    yearly = [
                        annual[c].get((station, str(y)), np.nan)
                        if (station, str(y)) in annual.index
                        else np.nan
                        for y in range(y0, y1 + 1)
                    ]
                    v = float(np.nanmean(yearly)) if not all(np.isnan(yearly)) else np.nan
                    if np.isnan(v) or v <= 0:
                        base_missing.append(p)
                    base[c] = v
        for per in periods:
            if station is None:
                rows.append(
                    _row(sch, sec, per, None, "no station", reason=f"no {sch.station} station assigned")
                )
                continue
            if base_missing:
                rows.append(
                    _row(
                        sch,
                        sec,
                        per,
                        station,
                        "no baseline",
                        reason=(
                            f"no positive baseline mean {y0}-{y1} at {station} for {', '.join(base_missing)}"
                        ),
                    )
                )
                continue
            key = (station, per)
            vals = {c: (table[c].get(key, np.nan) if key in table.index else np.nan) for c in params.values()}
            gaps = [p for p, c in params.items() if np.isnan(vals[c])]
            if gaps:
                rows.append(
                    _row(
                        sch, sec, per, station, "no data", reason=f"no data at {station} in {per} for {gaps}"
                    )
                )
                continue
            p_val = k0 * sum(sch.weights[p] * vals[c] / base[c] for p, c in params.items())
            terms = ", ".join(f"{p} {vals[c]:.3g}/{base[c]:.3g}" for p, c in params.items())
            cmp = "<=" if p_val <= threshold else ">"
            outcome = "at_or_below" if p_val <= threshold else "above"
            why = f"P = {k0:g} x sum(K_i C_i/C_i0) = {p_val:.4f} {cmp} {threshold:g} ({terms})"
            rows.append(_row(sch, sec, per, station, outcome, value=round(p_val, 6), reason=why))
    return rows


def _settle_trend_concentration(ds: Any, sections: pd.DataFrame, sch: Scheme) -> list[dict[str, Any]]:
    """Target/trend with the concentration metric: the class decides meets/fails, the mean ratio the trend."""
    from basin.crossborder.audit import audit_sections

    audit = audit_sections(sections, ds, period=sch.period)
    base_rows = _settle_trend_from_audit(audit, sections, sch)
    params = _canonical(sch.trend["parameters"])
    means, _ = _station_means(ds, sch.period)
    table = means.set_index(["station_id", "period"])
    out = []
    for r in base_rows:
        if not str(r["outcome"]).startswith("meets_"):
            out.append(r)
            continue
        st, per = r["station_id"], r["period"]
        prev = _previous(per)
        ratios = []
        for c in params.values():
            now = table[c].get((st, per), np.nan) if (st, per) in table.index and c in table else np.nan
            before = table[c].get((st, prev), np.nan) if (st, prev) in table.index and c in table else np.nan
            if np.isfinite(now) and np.isfinite(before) and before > 0:
                ratios.append(now / before)
        sec = sections[sections["section_id"] == r["section_id"]].iloc[0]
        if not ratios:
            outcome, why = (
                "meets_no_previous",
                f"meets target; no {list(params)} means for both {per} and {prev}",
            )
            ratio = np.nan
        else:
            ratio = float(np.mean(ratios))
            outcome = "meets_improves" if ratio < 1 else "meets_worsens" if ratio > 1 else "meets_unchanged"
            why = f"meets target; mean concentration ratio {per}/{prev} of {list(params)} = {ratio:.3f}"
        out.append(_row(sch, sec, per, st, outcome, value=ratio, previous=1.0, reason=why))
    return out


NO_DATA_OUTCOMES = ("no data", "no station", "no target", "no baseline")


def summarize(ledger: pd.DataFrame) -> pd.DataFrame:
    """Sum a ledger per pair of parties (sorted by name): what each paid the other and the net flow.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`SUMMARY_COLUMNS`; ``net_a_to_b`` > 0 means ``party_a`` pays ``party_b`` on balance.
        ``periods_settled`` counts section-periods with an outcome of the scheme (including those without a
        transfer), ``periods_without_data`` those with outcome ``no data``, ``no station``, ``no target`` or
        ``no baseline``; ``transfers`` those with a payer.
    """
    rows: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for r in ledger.itertuples(index=False):
        if r.outcome == "not settled":
            continue
        a, b = sorted((str(r.upstream), str(r.downstream)))
        e = rows.setdefault(
            (a, b, str(r.unit), str(r.currency)),
            {
                "paid_a_to_b": 0.0,
                "paid_b_to_a": 0.0,
                "transfers": 0,
                "periods_settled": 0,
                "periods_without_data": 0,
            },
        )
        if r.outcome in NO_DATA_OUTCOMES:
            e["periods_without_data"] += 1
            continue
        e["periods_settled"] += 1
        if pd.isna(r.payer):
            continue
        e["transfers"] += 1
        e["paid_a_to_b" if str(r.payer) == a else "paid_b_to_a"] += float(r.amount)
    out = [
        {
            "party_a": a,
            "party_b": b,
            **e,
            "net_a_to_b": e["paid_a_to_b"] - e["paid_b_to_a"],
            "unit": u,
            "currency": c,
        }
        for (a, b, u, c), e in sorted(rows.items())
    ]
    return pd.DataFrame(out, columns=SUMMARY_COLUMNS)
