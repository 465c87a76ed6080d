"""The index page of an output folder: ``outdir/index.html`` linking every result, with a short text summary.

The page is one self-contained, offline HTML file (no script, no external stylesheet). It lists whatever the
capabilities wrote into the folder (``maps/``, ``zones/``, ``audit/``, ``wq/``, ``units/``, ``zoning/``,
``crossborder/``), shows the static maps as pictures, previews the main tables, and summarises the numbers
an officer looks at first. Every name and value from the data is HTML-escaped.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from basin.io import write_text

# (folder, title, description); the order of the page
SECTIONS: list[tuple[str, str, str]] = [
    (
        "maps",
        "地图 Maps",
        "The interactive map (opens offline in any browser) and the printable static maps.",
    ),
    ("zones", "岸线分区 Riparian zones", "Zones A / B / C of the 1 km / 3 km / 5 km rules and their areas."),
    ("audit", "选址审查 Facility siting audit", "Facilities that break a rule, by rule and status."),
    (
        "wq",
        "水质评价 Water-quality assessment",
        "Section classes (GB 3838-2002, 2011 method), compliance, trends.",
    ),
    ("units", "评价单元 Evaluation units", "Pressure / capacity indicators and the four classes."),
    ("zoning", "管控分区 Management zoning", "Priority protection / key control / general maintenance."),
    (
        "crossborder",
        "跨界断面 Cross-border sections",
        "Sections, the audit against targets, compensation ledgers.",
    ),
    ("layers", "数据检查 Layer check", "The data-model check of the input layers."),
]
# tables previewed on the page (folder/file -> title)
PREVIEWS: dict[str, str] = {
    "zones/zone_areas.csv": "Zone areas (km²)",
    "audit/violations.csv": "Siting violations (first rows)",
    "wq/sections.csv": "Section assessment (first rows)",
    "units/classes.csv": "Units per class",
    "zoning/area_by_province.csv": "Management zones by province (km²)",
    "crossborder/audit.csv": "Cross-border audit (first rows)",
    "crossborder/summary.csv": "Compensation by pair of parties",
}
_CSS = """
body { font: 14px/1.5 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #2171b5; padding-bottom: 2px; }
table { border-collapse: collapse; font-size: 12px; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; }
th { background: #eef3f8; }
.files li { margin: 2px 0; } .muted { color: #666; }
.thumbs img { max-width: 48%; border: 1px solid #ccc; margin: 4px; }
.summary li { margin: 3px 0; }
"""


def _e(v: Any) -> str:
    return html.escape("" if v is None else str(v), quote=True)


def _size(p: Path) -> str:
    n = float(p.stat().st_size)
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"  # pragma: no cover


def _table_html(df: pd.DataFrame, max_rows: int = 12) -> str:
    head = "".join(f"<th>{_e(c)}</th>" for c in df.columns)
    rows = []
    for _, r in df.head(max_rows).iterrows():
        cells = "".join(f"<td>{_e(_fmt(v))}</td>" for v in r)
        rows.append(f"<tr>{cells}</tr>")
    more = f'<p class="muted">{len(df) - max_rows} more rows in the file.</p>' if len(df) > max_rows else ""
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{more}"


def _fmt(v: Any) -> Any:
    if isinstance(v, float):
        return "" if pd.isna(v) else f"{v:.4g}"
    return "" if v is None or (not isinstance(v, str) and pd.isna(v)) else v


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _read_csv(path: Path) -> pd.DataFrame | None:
    try:
        return pd.read_csv(path, encoding="utf-8")
    except (OSError, ValueError):
        return None


def summary_lines(outdir: str | Path) -> list[str]:
    """Return the text summary of an output folder: one plain sentence per result found (not escaped)."""
    out = Path(outdir)
    lines: list[str] = []
    areas = _read_csv(out / "zones" / "zone_areas.csv")
    if areas is not None and {"zone", "area_km2"} <= set(areas.columns):
        tot = areas.groupby("zone")["area_km2"].sum()
        if "level" in areas.columns:  # area tables by province and county: count provinces only
            prov = areas[areas["level"].astype(str) == "province"]
            if len(prov):
                tot = prov.groupby("zone")["area_km2"].sum()
        lines.append("Riparian zones: " + ", ".join(f"zone {z} {a:,.0f} km²" for z, a in tot.items()) + ".")
    viol = _read_json(out / "audit" / "summary.json") or _read_json(out / "zones" / "summary.json")
    if isinstance(viol, dict):
        n = viol.get("violations", viol.get("total"))
        if n is not None:
            lines.append(f"Siting audit: {n} rule violation(s) found among the facilities.")
    wq = _read_json(out / "wq" / "summary.json")
    if isinstance(wq, dict):
        counts = wq.get("class_counts") or {}
        share = wq.get("compliant_share")
        text = f"Water quality: {wq.get('stations', '?')} stations assessed by {wq.get('period', 'period')}"
        if counts:
            text += "; classes " + ", ".join(f"{k}: {v}" for k, v in counts.items())
        if share is not None:
            text += f"; {share:.0%} of station-periods meet their target"
        lines.append(text + ".")
    classes = _read_csv(out / "units" / "classes.csv")
    if classes is not None and len(classes):
        code = next((c for c in ("class_zh", "class_code") if c in classes.columns), classes.columns[0])
        cnt = next((c for c in ("count", "n_units", "units") if c in classes.columns), None)
        if cnt:
            lines.append(
                "Evaluation units: " + ", ".join(f"{r[code]} {r[cnt]}" for _, r in classes.iterrows()) + "."
            )
    audit = _read_csv(out / "crossborder" / "audit.csv")
    if audit is not None and "section_id" in audit.columns:
        n_sec = audit["section_id"].nunique()
        text = f"Cross-border sections: {n_sec} audited"
        if "compliant" in audit.columns:
            bad = audit[audit["compliant"].astype(str).str.lower() == "false"]
            text += f"; {bad['section_id'].nunique()} missed their target in at least one period"
        lines.append(text + ".")
    ledger = _read_csv(out / "crossborder" / "ledger.csv")
    if ledger is not None and "amount" in ledger.columns:
        total = pd.to_numeric(ledger["amount"], errors="coerce")
        unit = ""
        if "unit" in ledger.columns and ledger["unit"].notna().any():
            unit = " " + str(ledger["unit"].dropna().iloc[0])
        lines.append(
            f"Compensation ledger: {len(ledger)} entries, {int((total > 0).sum())} with a transfer, "
            f"{total.sum():,.0f}{unit} transferred in total."
        )
    return lines


def write_index(outdir: str | Path, *, title: str = "basin 成果汇总 Results") -> Path:
    """Write ``outdir/index.html`` linking every result found in ``outdir`` and return its path.

    Parameters
    ----------
    outdir
        An output folder of ``basin demo`` or of the capabilities' commands.
    title
        Page title.
    """
    from basin import __version__

    out = Path(outdir)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{_e(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="muted">Written by basin {_e(__version__)} (the run time and the inputs\' checksums are in '
        "manifest.json). All links are relative: the folder can be copied or zipped as it is.</p>",
    ]
    lines = summary_lines(out)
    if lines:
        parts.append(
            "<h2>摘要 Summary</h2><ul class='summary'>"
            + "".join(f"<li>{_e(s)}</li>" for s in lines)
            + "</ul>"
        )
    for folder, head, desc in SECTIONS:
        d = out / folder
        if not d.is_dir():
            continue
        files = sorted(p for p in d.rglob("*") if p.is_file() and not p.name.startswith("."))
        if not files:
            continue
        parts.append(f"<h2>{_e(head)}</h2><p>{_e(desc)}</p>")
        if folder == "maps":
            web = [p for p in files if p.suffix == ".html"]
            for p in web:
                parts.append(
                    f'<p><b><a href="{_e(p.relative_to(out).as_posix())}">'
                    "交互地图 Open the interactive map</a></b></p>"
                )
            pngs = [p for p in files if p.suffix == ".png"]
            if pngs:
                parts.append(
                    '<div class="thumbs">'
                    + "".join(
                        f'<a href="{_e(p.relative_to(out).as_posix())}">'
                        f'<img src="{_e(p.relative_to(out).as_posix())}" '
                        f'alt="{_e(p.stem)}" loading="lazy"></a>'
                        for p in pngs
                    )
                    + "</div>"
                )
        report = d / "report.html"
        if report.exists():
            parts.append(
                f'<p><b><a href="{_e(report.relative_to(out).as_posix())}">Read the report</a></b></p>'
            )
        for rel, caption in PREVIEWS.items():
            if rel.split("/")[0] == folder and (out / rel).exists():
                df = _read_csv(out / rel)
                if df is not None:
                    parts.append(f"<h3>{_e(caption)}</h3>{_table_html(df)}")
        parts.append(
            "<ul class='files'>"
            + "".join(
                f'<li><a href="{_e(p.relative_to(out).as_posix())}">{_e(p.relative_to(out).as_posix())}</a> '
                f'<span class="muted">({_size(p)})</span></li>'
                for p in files
            )
            + "</ul>"
        )
    if not lines and len(parts) == 5:
        parts.append("<p>No results found in this folder yet.</p>")
    parts.append("</body></html>")
    return write_text("\n".join(parts) + "\n", out / "index.html")
