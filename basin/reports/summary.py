"""What the reports say about a run: the headline sentences, the data-source table, the output list.

Everything here reads the run's results in memory (``basin.run.RunResult``: its step results, ``sources``,
``skipped``, ``files``), never an output file, and returns plain text (not escaped) in the report's language.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from basin.reports.labels import label, phrase, source_kind


def _num(v: float, lang: str, decimals: int = 0) -> str:
    return f"{v:,.{decimals}f}"


def _pct(v: float) -> str:
    return f"{v:.0%}" if abs(v * 100 - round(v * 100)) < 1e-9 or v >= 0.1 else f"{v:.1%}"


def _sep(lang: str) -> str:
    return "，" if lang == "zh" else ", "


def _zones(res: Any, lang: str) -> str | None:
    rip = getattr(res, "riparian", None)
    if rip is None:
        return None
    summ = rip.summary() if hasattr(rip, "summary") else {}
    areas = summ.get("area_km2") or {}
    if not areas:
        return None
    parts = [
        f"{label('zone', z, lang, short=True)} {_num(float(a), lang)} km²" for z, a in sorted(areas.items())
    ]
    return phrase("sum_zones", lang).format(parts=_sep(lang).join(parts))


def _audit(res: Any, lang: str) -> str | None:
    audit = getattr(res, "audit", None)
    if audit is None or getattr(audit, "violations", None) is None:
        return None
    v = audit.violations
    parts = ""
    if len(v) and "action" in v.columns:
        counts = v["action"].astype(str).value_counts()
        inner = _sep(lang).join(f"{label('action', a, lang)} {int(n)}" for a, n in counts.items())
        parts = f"（{inner}）" if lang == "zh" else f" ({inner})"
    return phrase("sum_audit", lang).format(n=len(v), parts=parts)


def _wq(res: Any, lang: str) -> str | None:
    wq = getattr(res, "waterquality", None)
    if wq is None:
        return None
    sec = getattr(wq, "sections", None)
    if sec is None or not len(sec):
        return None
    periods = sec["period"].astype(str)
    last = periods.max()
    latest = sec[periods == last]
    counts = pd.to_numeric(latest["class"], errors="coerce").dropna().astype(int).value_counts().sort_index()
    classes = _sep(lang).join(f"{label('class', k, lang)} {int(n)}" for k, n in counts.items())
    comp = latest["compliant"].dropna() if "compliant" in latest.columns else pd.Series(dtype=object)
    share = _pct(float(comp.astype(bool).mean())) if len(comp) else ("—" if lang == "zh" else "n/a")
    return phrase("sum_wq", lang).format(
        stations=sec["station_id"].nunique(), period=last, classes=classes, share=share
    )


def _units(res: Any, lang: str) -> str | None:
    units = getattr(res, "units", None)
    gdf = getattr(units, "units", None)
    if gdf is None or "class_code" not in gdf.columns:
        return None
    counts = gdf["class_code"].astype(str).value_counts()
    order = ["HPLC", "LPLC", "HPHC", "LPHC"]
    keys = [k for k in order if k in counts.index] + [k for k in counts.index if k not in order]
    parts = [f"{label('unit_class', k, lang)} {int(counts[k])}" for k in keys]
    return phrase("sum_units", lang).format(parts=_sep(lang).join(parts))


def _management(res: Any, lang: str) -> str | None:
    mg = getattr(res, "management", None)
    zones = getattr(mg, "zones", None)
    if zones is None or "mgmt_zone" not in zones.columns:
        return None
    if "area_km2" in zones.columns:
        area = zones.groupby(zones["mgmt_zone"].astype(str))["area_km2"].sum()
    else:
        from basin.crs import to_metric

        a = to_metric(zones, what="management zones").area / 1e6
        area = a.groupby(zones["mgmt_zone"].astype(str).to_numpy()).sum()
    order = ["priority", "key", "general"]
    keys = [k for k in order if k in area.index] + [k for k in area.index if k not in order]
    parts = [f"{label('mgmt_zone', k, lang)} {_num(float(area[k]), lang)} km²" for k in keys]
    return phrase("sum_mgmt", lang).format(parts=_sep(lang).join(parts))


def _crossborder(res: Any, lang: str) -> list[str]:
    xb = getattr(res, "crossborder", None)
    if xb is None or getattr(xb, "sections", None) is None:
        return []
    extra = ""
    audit = getattr(xb, "audit", None)
    if audit is not None and len(audit) and "compliant" in audit.columns:
        bad = audit[audit["compliant"].astype("boolean").eq(False).fillna(False).to_numpy(bool)]
        extra = phrase("sum_xb_bad", lang).format(bad=bad["section_id"].nunique())
    out = [phrase("sum_xb", lang).format(n=len(xb.sections), extra=extra)]
    for name, ledger in (getattr(xb, "ledgers", None) or {}).items():
        if ledger is None or "amount" not in ledger.columns:
            continue
        amount = pd.to_numeric(ledger["amount"], errors="coerce")
        unit = (
            str(ledger["unit"].dropna().iloc[0]) if "unit" in ledger and ledger["unit"].notna().any() else ""
        )
        transfers = (
            int(ledger["payer"].notna().sum()) if "payer" in ledger.columns else int((amount > 0).sum())
        )
        out.append(
            phrase("sum_ledger", lang).format(
                scheme=name,
                rows=len(ledger),
                transfers=transfers,
                total=_num(float(amount.sum()), lang),
                unit=unit,
            )
        )
    return out


def summary_lines(res: Any, *, lang: str = "zh") -> list[str]:
    """Return the headline sentences of a run, one per result, in ``lang`` (plain text, not escaped)."""
    lines: list[str] = []
    one: list[Callable[[Any, str], str | None]] = [_zones, _audit, _wq, _units, _management]
    for f in one:
        s = f(res, lang)
        if s:
            lines.append(s)
    lines += _crossborder(res, lang)
    return lines


def sources_table(res: Any, *, lang: str = "zh") -> pd.DataFrame:
    """Return the run's inputs as a table: input, origin (user / demo / built-in), file, layer, SHA-256.

    A demo input is marked as such (with the demo data's provenance in :func:`sources_note`).
    """
    rows = []
    for key, src in (getattr(res, "sources", None) or {}).items():
        rows.append(
            {
                "kind": source_kind(getattr(src, "kind", key) or key, lang),
                "origin": label("origin", getattr(src, "origin", None), lang),
                "path": getattr(src, "path", None) or "",
                "layer": getattr(src, "layer", None) or "",
                "features": getattr(src, "features", None),
                "sha256": getattr(src, "sha256", None) or "",
            }
        )
    heads = {
        "kind": "数据" if lang == "zh" else "Input",
        "origin": "来源类型" if lang == "zh" else "Origin",
        "path": "文件" if lang == "zh" else "File",
        "layer": "图层" if lang == "zh" else "Layer",
        "features": "要素数" if lang == "zh" else "Features",
        "sha256": "SHA-256",
    }
    df = pd.DataFrame(rows, columns=list(heads))
    df["features"] = df["features"].astype("Int64")
    return df.rename(columns=heads)


def uses_demo(res: Any) -> bool:
    """Return True when any input of the run is demo data."""
    return any(getattr(s, "origin", None) == "demo" for s in (getattr(res, "sources", None) or {}).values())


def sources_note(res: Any, *, lang: str = "zh") -> str:
    """Return the data-source note of the maps: the user's file names, or demo data with its provenance."""
    parts = []
    for key, src in (getattr(res, "sources", None) or {}).items():
        kind = getattr(src, "kind", key) or key
        if str(kind).startswith("scheme:") or getattr(src, "origin", None) == "builtin":
            continue
        path = getattr(src, "path", None)
        name = Path(path).name if path else "?"
        tag = ("示例 " if lang == "zh" else "demo ") if getattr(src, "origin", None) == "demo" else ""
        parts.append(f"{source_kind(kind, lang)}: {tag}{name}")
    head = "数据来源：" if lang == "zh" else "Data: "
    text = head + ("；" if lang == "zh" else "; ").join(parts) if parts else head + "—"
    if uses_demo(res):
        text += " " + phrase("demo_note", lang)
    return text


def output_files(res: Any, base: str | os.PathLike[str]) -> list[tuple[str, str, str, Path]]:
    """Return this run's outputs as ``(step, label, link relative to base, path)``, in the run's order."""
    out = []
    base_p = Path(base).resolve()
    for step, files in (getattr(res, "files", None) or {}).items():
        for lab, path in (files or {}).items():
            p = Path(path).resolve()  # the run's paths are relative to the working folder, like its -o
            rel = Path(os.path.relpath(p, base_p)).as_posix()
            out.append((str(step), str(lab), rel, p))
    return out


def file_size(p: Path) -> str:
    """Return a human-readable size of ``p`` (empty when it does not exist)."""
    if not p.is_file():
        return ""
    n = float(p.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return ""  # pragma: no cover
