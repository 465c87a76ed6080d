"""Audit reports: CSV, JSON, a self-contained HTML page and Markdown, each recording how it was made.

The HTML has no external resource (charts are inline SVG, the CJK font subset embedded) and every name from
the data is escaped; the Markdown embeds the same charts as ``data:`` URIs. The pages are in Chinese by
default (``lang="en"`` for English), their terms from :mod:`basin.reports.labels`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import platform
import re
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from basin import __version__
from basin.io import write_csv, write_json, write_text

CLASS_LABELS = {1: "Ⅰ", 2: "Ⅱ", 3: "Ⅲ", 4: "Ⅳ", 5: "Ⅴ", 6: "劣Ⅴ"}


def file_record(path: str | os.PathLike[str] | None) -> dict[str, Any] | None:
    """Return ``{"path", "sha256", "bytes"}`` of an input file (None for None)."""
    if path is None:
        return None
    p = Path(path)
    h = hashlib.sha256()
    with p.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return {"path": str(p.resolve()), "sha256": h.hexdigest(), "bytes": p.stat().st_size}


def provenance(
    inputs: dict[str, str | os.PathLike[str] | None],
    *,
    sections: pd.DataFrame | None = None,
    audit: pd.DataFrame | None = None,
    scheme: Any = None,
) -> dict[str, Any]:
    """Return what a report must record to be reproduced: inputs with SHA-256, versions and parameters."""
    out: dict[str, Any] = {
        "basin_version": __version__,
        "python": platform.python_version(),
        "inputs": {k: file_record(v) for k, v in inputs.items()},
    }
    if sections is not None:
        out["section_rules"] = dict(sections.attrs.get("parameters", {}))
    if audit is not None:
        out["standard"] = audit.attrs.get("standard")
        out["audit_rules"] = audit.attrs.get("rules")
        out["period"] = audit.attrs.get("period")
    if scheme is not None:
        out["scheme"] = scheme.provenance()
    return out


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the rows of ``df`` as JSON-ready dicts (missing values as None)."""
    plain = pd.DataFrame(df.drop(columns=[c for c in ("geometry",) if c in df.columns]))
    obj = plain.astype(object)
    return obj.where(plain.notna(), None).to_dict("records")


# ------------------------------------------------------------------------------------------------ chart
def _series_points(values: list[Any], x: np.ndarray, y_of: Any) -> list[list[tuple[float, float]]]:
    runs: list[list[tuple[float, float]]] = []
    cur: list[tuple[float, float]] = []
    for xi, v in zip(x, values, strict=True):
        if v is None or pd.isna(v):
            if cur:
                runs.append(cur)
            cur = []
            continue
        cur.append((float(xi), y_of(int(v))))
    if cur:
        runs.append(cur)
    return runs


def class_chart_svg(
    rows: pd.DataFrame, *, title: str, width: int = 640, height: int = 180, lang: str = "en"
) -> str:
    """Return an inline SVG of the class history of a section's stations against their targets.

    ``rows`` are the audit rows of one section, in period order. Class Ⅰ is at the top; points out of target
    are red; the dashed lines are the targets.
    """
    left, right, top, bottom = 44, 12, 26, 28
    n = len(rows)
    pw, ph = width - left - right, height - top - bottom
    x = left + (np.arange(n) + 0.5) * (pw / max(n, 1))

    def y_of(c: int) -> float:
        return top + (c - 0.5) * ph / 6

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{html.escape(title)}" '
        'font-family="Noto Sans CJK SC, Microsoft YaHei, sans-serif" font-size="10">',
        f"<title>{html.escape(title)}</title>",
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>',
        f'<text x="{left}" y="14" font-size="11">{html.escape(title)}</text>',
    ]
    for c, lab in CLASS_LABELS.items():
        parts.append(f'<text x="{left - 6}" y="{y_of(c) + 3:.1f}" text-anchor="end">{lab}</text>')
        parts.append(
            f'<line x1="{left}" x2="{left + pw}" y1="{y_of(c):.1f}" y2="{y_of(c):.1f}" stroke="#eee"/>'
        )
    periods = list(rows["period"].astype(str))
    last_year = None
    for xi, p in zip(x, periods, strict=True):
        if p[:4] != last_year:
            last_year = p[:4]
            parts.append(f'<line x1="{xi:.1f}" x2="{xi:.1f}" y1="{top}" y2="{top + ph}" stroke="#ddd"/>')
            parts.append(
                f'<text x="{xi:.1f}" y="{top + ph + 14}" text-anchor="middle">{html.escape(p[:4])}</text>'
            )
    styles = {"upstream": "#1f77b4", "downstream": "#ff7f0e"}
    for side, colour in styles.items():
        off = -2 if side == "upstream" else 2
        tgt = [v for v in rows[f"{side}_target"] if pd.notna(v)]
        if tgt:
            # a target may change over time: draw it period by period
            ty = [y_of(int(v)) if pd.notna(v) else None for v in rows[f"{side}_target"]]
            for xi, yv in zip(x, ty, strict=True):
                if yv is not None:
                    half = pw / max(n, 1) / 2
                    parts.append(
                        f'<line x1="{xi - half:.1f}" x2="{xi + half:.1f}" y1="{yv + off:.1f}" '
                        f'y2="{yv + off:.1f}" stroke="{colour}" stroke-dasharray="3,2"/>'
                    )
        vals = list(rows[f"{side}_class"])
        for run in _series_points(vals, x, y_of):
            pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in run)
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.5"/>')
        comp = list(rows[f"{side}_compliant"])
        for xi, v, ok in zip(x, vals, comp, strict=True):
            if v is None or pd.isna(v):
                continue
            fill = "#d62728" if (ok is not None and not pd.isna(ok) and not bool(ok)) else colour
            parts.append(f'<circle cx="{xi:.1f}" cy="{y_of(int(v)):.1f}" r="2.5" fill="{fill}"/>')
    from basin.reports.labels import phrase

    lx = left + pw - 230
    parts.append(f'<rect x="{lx}" y="4" width="10" height="3" fill="#1f77b4"/>')
    parts.append(f'<text x="{lx + 14}" y="10">{html.escape(phrase("xb_upstream", lang))}</text>')
    parts.append(f'<rect x="{lx + 70}" y="4" width="10" height="3" fill="#ff7f0e"/>')
    parts.append(f'<text x="{lx + 84}" y="10">{html.escape(phrase("xb_downstream", lang))}</text>')
    parts.append(f'<circle cx="{lx + 156}" cy="6" r="3" fill="#d62728"/>')
    parts.append(f'<text x="{lx + 162}" y="10">{html.escape(phrase("xb_out", lang))}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


# ------------------------------------------------------------------------------------------------ tables
def _label(v: Any) -> str:
    return "" if v is None or pd.isna(v) else CLASS_LABELS.get(int(v), str(v))


def _labels(values: list[int]) -> str:
    return "/".join(_label(v) for v in values) or "–"


def _worst(s: pd.Series) -> Any:
    s = s.dropna()
    return int(s.max()) if len(s) else None


def _resp_text(s: pd.Series, lang: str | None = None) -> str:
    c = Counter(v for v in s if v not in ("none",) and v is not None and not pd.isna(v))
    if lang is None:  # the codes (JSON)
        return "; ".join(f"{k} ×{n}" for k, n in sorted(c.items())) or "none"
    from basin.reports.labels import label

    sep = "；" if lang == "zh" else "; "
    text = sep.join(f"{label('responsibility', k, lang)} ×{n}" for k, n in sorted(c.items()))
    return text or label("responsibility", "none", lang)


def section_summary(audit: pd.DataFrame) -> pd.DataFrame:
    """Return one row per section: periods assessed / out of target / without data, responsibility counts."""
    rows = []
    for sid, g in audit.groupby("section_id", sort=False):
        first = g.iloc[0]
        assessed = g["status"] == "assessed"
        out = g["compliant"].eq(False).fillna(False).astype(bool)
        verdict = "no data" if not assessed.any() else ("misses target" if out.any() else "meets target")
        rows.append(
            {
                "section_id": sid,
                "river_name": first["river_name"],
                "kind": first["kind"],
                "from": first["from_admin_name"]
                if pd.notna(first["from_admin_name"])
                else first["from_admin"],
                "to": first["to_admin_name"] if pd.notna(first["to_admin_name"]) else first["to_admin"],
                "upstream_station_id": first["upstream_station_id"],
                "downstream_station_id": first["downstream_station_id"],
                "periods": len(g),
                "periods_assessed": int(assessed.sum()),
                "periods_out_of_target": int(out.sum()),
                "periods_without_data": int((~assessed).sum()),
                "responsibility": _resp_text(g["responsibility"]),
                "verdict": verdict,
            }
        )
    return pd.DataFrame(rows)


def yearly_table(rows: pd.DataFrame, *, lang: str = "en") -> pd.DataFrame:
    """Return one row per year of one section's audit rows (the table shown under each chart), in ``lang``."""
    from basin.reports.labels import phrase

    out = []
    for year, g in rows.groupby(rows["period"].astype(str).str[:4], sort=True):
        assessed = g["status"] == "assessed"
        outs = g["compliant"].eq(False).fillna(False).astype(bool)
        pol = sorted(
            {
                re.sub(r"\(.*\)$", "", p)
                for s in g["main_pollutants"].dropna()
                for p in str(s).split("、")
                if p
            }
        )
        tu = sorted({int(v) for v in g["upstream_target"].dropna()})
        td = sorted({int(v) for v in g["downstream_target"].dropna()})
        out.append(
            {
                phrase("xb_year", lang): year,
                phrase("xb_assessed", lang): f"{int(assessed.sum())}/{len(g)}",
                phrase("xb_up_worst", lang): _label(_worst(g["upstream_class"])),
                phrase("xb_down_worst", lang): _label(_worst(g["downstream_class"])),
                phrase("xb_targets", lang): f"{_labels(tu)} / {_labels(td)}",
                phrase("xb_out_count", lang): int(outs.sum()),
                phrase("xb_responsibility", lang): _resp_text(g["responsibility"], lang),
                phrase("xb_pollutants", lang): "、".join(pol[:6]),
            }
        )
    return pd.DataFrame(out)


def _html_table(df: pd.DataFrame) -> str:
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in df.columns)
    body = []
    for r in df.itertuples(index=False):
        cells = "".join(
            f"<td>{html.escape('' if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v))}</td>"
            for v in r
        )
        body.append(f"<tr>{cells}</tr>")
    return (
        f"<div class='wrap'><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
    )


_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|])")


def md_escape(v: Any) -> str:
    """Escape a value for a Markdown table cell."""
    s = "" if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v)
    return _MD_SPECIAL.sub(r"\\\1", s).replace("\n", " ")


def _md_table(df: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(md_escape(c) for c in df.columns) + " |", "|" + "---|" * len(df.columns)]
    for r in df.itertuples(index=False):
        lines.append("| " + " | ".join(md_escape(v) for v in r) + " |")
    return "\n".join(lines)


_CSS = """
.wrap{overflow-x:auto} .misses{color:#b00} .meets{color:#070} .nodata{color:#777}
code{background:#f4f4f4;padding:0 3px} h2{margin-top:1.6em}
"""


def _prov_rows(prov: dict[str, Any], lang: str = "en") -> list[tuple[str, str]]:
    from basin.reports.labels import phrase

    rows = [
        (phrase("xb_version", lang), prov.get("basin_version", "")),
    ]
    for k, rec in (prov.get("inputs") or {}).items():
        rows.append(
            (
                f"{phrase('xb_input', lang)}: {k}",
                "–" if rec is None else f"{rec['path']} (sha256 {rec['sha256']})",
            )
        )
    if prov.get("standard"):
        s = prov["standard"]
        rows.append(
            (phrase("xb_standard", lang), f"{s.get('name')} – {s.get('version')} [{s.get('confidence')}]")
        )
    if prov.get("audit_rules"):
        rows.append((phrase("xb_rules", lang), str(prov["audit_rules"])))
    if prov.get("period"):
        rows.append((phrase("xb_period", lang), str(prov["period"])))
    if prov.get("section_rules"):
        rows.append(
            (
                phrase("xb_section_rules", lang),
                ", ".join(f"{k}={v}" for k, v in prov["section_rules"].items()),
            )
        )
    return rows


def _display_summary(audit: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Return the summary table as the page shows it: headers and values in ``lang``."""
    from basin.reports.labels import localize

    s = section_summary(audit)
    if len(s):
        s["responsibility"] = [
            _resp_text(g["responsibility"], lang) for _, g in audit.groupby("section_id", sort=False)
        ]
    loc = localize(s, lang)
    resp = "责任方" if lang == "zh" else "Responsibility"
    if resp in loc.columns and len(s):  # already written out by _resp_text
        loc[resp] = s["responsibility"].to_numpy()
    return loc


def write_audit_report(
    audit: pd.DataFrame, outdir: str | os.PathLike[str], *, prov: dict[str, Any], lang: str = "zh"
) -> dict[str, Path]:
    """Write ``audit.csv``, ``audit.json``, ``report.html`` and ``report.md`` into ``outdir``.

    The HTML page and the Markdown are in ``lang`` (``"zh"``, default, or ``"en"``); the CSV and JSON keep
    the codes of the audit table.
    """
    from basin.reports.html import html_page
    from basin.reports.labels import label, phrase

    outdir = Path(outdir)
    summary = section_summary(audit)
    files = {
        "audit csv": write_csv(audit, outdir / "audit.csv"),
        "audit json": write_json(
            {"provenance": prov, "summary": records(summary), "rows": records(audit)}, outdir / "audit.json"
        ),
    }
    n_out = int((summary["verdict"] == "misses target").sum()) if len(summary) else 0
    title = phrase("xb_title", lang)
    intro = phrase("xb_intro", lang).format(n=len(summary), out=n_out)
    shown = _display_summary(audit, lang)
    h = [
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(intro)} {html.escape(phrase('xb_resp_note', lang))}</p>",
        f"<h2>{html.escape(phrase('summary', lang))}</h2>",
        _html_table(shown),
    ]
    m = [f"# {md_escape(title)}", "", md_escape(intro), "", md_escape(phrase("xb_resp_note", lang)), ""]
    m += [f"## {phrase('summary', lang)}", "", _md_table(shown), ""]
    for sid, g in audit.groupby("section_id", sort=False):
        first = g.iloc[0]
        frm = first["from_admin_name"] if pd.notna(first["from_admin_name"]) else first["from_admin"]
        to = first["to_admin_name"] if pd.notna(first["to_admin_name"]) else first["to_admin"]
        name = first["river_name"] if pd.notna(first["river_name"]) else phrase("xb_unnamed", lang)
        sep = "：" if lang == "zh" else ": "
        heading = f"{sid}{sep}{name}, {frm} → {to} ({label('kind', first['kind'], lang)})"
        svg = class_chart_svg(g.sort_values("period"), title=f"{name} {frm} → {to}", lang=lang)
        up, down = first["upstream_station_id"], first["downstream_station_id"]
        up, down = (v if pd.notna(v) else "–" for v in (up, down))
        stations = phrase("xb_stations", lang).format(up=up, down=down)
        table = yearly_table(g, lang=lang)
        h += [f"<h2>{html.escape(heading)}</h2>", f"<p>{html.escape(stations)}</p>", svg, _html_table(table)]
        if pd.notna(first["note"]):
            h.append(f"<p class='nodata'>{html.escape(str(first['note']))}</p>")
        b64 = base64.b64encode(svg.encode("utf-8")).decode("ascii")
        m += [
            f"## {md_escape(heading)}",
            "",
            md_escape(stations),
            "",
            f"![{md_escape(phrase('xb_chart_alt', lang).format(sid=sid))}](data:image/svg+xml;base64,{b64})",
            "",
            _md_table(table),
            "",
        ]
        if pd.notna(first["note"]):
            m += [f"_{md_escape(first['note'])}_", ""]
    prov_df = pd.DataFrame(
        _prov_rows(prov, lang), columns=[phrase("xb_item", lang), phrase("xb_value", lang)]
    )
    h += [f"<h2>{html.escape(phrase('xb_provenance', lang))}</h2>", _html_table(prov_df)]
    m += [f"## {phrase('xb_provenance', lang)}", "", _md_table(prov_df), ""]
    page = html_page(title, "\n".join(h), lang=lang, css=_CSS)
    files["report html"] = write_text(page, outdir / "report.html")
    files["report md"] = write_text("\n".join(m), outdir / "report.md")
    return files
