"""Write the water-quality assessment of a series into a folder (used by ``basin wq assess`` and ``basin demo``)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from basin.io import ensure_not_input, write_csv, write_json
from basin.waterquality.assess import Period, assess, compliance, evaluate_rivers
from basin.waterquality.reader import read_wq
from basin.waterquality.trend import trend


def assess_to_dir(
    path: str | os.PathLike[str],
    outdir: str | os.PathLike[str],
    *,
    stations: Any = None,
    period: Period = "year",
    standard: str | None = None,
    rejected: str | os.PathLike[str] | None = None,
    layout: str = "auto",
    year: int | None = None,
) -> dict[str, Path]:
    """Read a series and write ``sections.csv``, ``compliance.csv``, ``trends.csv`` (and ``rivers.csv``).

    ``rivers.csv`` (river-level evaluation, :func:`evaluate_rivers`) is written when the stations give a
    ``river_id``. Rejected values stop with a :class:`SchemaError` listing their lines, unless ``rejected`` names
    a CSV to set them aside in (line, reason ...); they are never used. ``layout``/``year`` go to
    :func:`read_wq`; a station feed also gets its own checks (``class_check.csv``, ``class_disagreements.csv``
    for a national export, :func:`basin.waterquality.feeds.feed_report`). Returns the written files by label.
    """
    outdir = Path(outdir)
    inputs = [path, stations if isinstance(stations, (str, os.PathLike)) else None]
    for name in ("sections.csv", "compliance.csv", "trends.csv", "rivers.csv", "summary.json"):
        ensure_not_input(outdir / name, inputs)
    if rejected is None:
        ds = read_wq(path, stations=stations, standard=standard, layout=layout, year=year)
    else:  # rejected values are set aside in their own table (with line numbers and reasons), never used
        ensure_not_input(rejected, inputs)
        ds, rejected_rows = read_wq(
            path, stations=stations, standard=standard, on_invalid="report", layout=layout, year=year
        )
        rejected_path = write_csv(rejected_rows, rejected)
    sections = assess(ds, period=period, standard=standard)
    written = {
        "sections": write_csv(sections.drop(columns=["period_start"]), outdir / "sections.csv"),
        "compliance": write_csv(compliance(ds, standard=standard), outdir / "compliance.csv"),
        "trends": write_csv(trend(ds), outdir / "trends.csv"),
    }
    if "river_id" in ds.coords and (ds["river_id"].astype(str) != "").any():
        rivers = evaluate_rivers(ds, by="river_id", period=period, standard=standard, sections=sections)
        written["rivers"] = write_csv(rivers, outdir / "rivers.csv")
    summary = {
        "input": str(path),
        "stations": int(ds.sizes["station"]),
        "period": period,
        "rows": len(sections),
        "class_counts": {
            str(k): int(v) for k, v in sections["class_label"].value_counts().sort_index().items()
        },
        "compliant_share": float(sections["compliant"].mean())
        if sections["compliant"].notna().any()
        else None,
    }
    if ds.attrs.get("layout") in ("national_export", "hj212"):
        from basin.waterquality.feeds import feed_report

        feed_tables, summary["feed"] = feed_report(
            path, layout=ds.attrs["layout"], year=year, stations=stations, standard=standard
        )
        for name, table in feed_tables.items():
            written[name] = write_csv(table, outdir / f"{name}.csv")
    if rejected is not None:
        summary["rejected_values"] = len(rejected_rows)
        summary["rejected_file"] = str(rejected_path)
        written["rejected"] = rejected_path
    written["summary"] = write_json(summary, outdir / "summary.json")
    return written


def demo_step(outdir: Path) -> dict[str, Path]:
    """Assess the demo monthly series (geodata/wq_monthly.csv with geodata/stations.gpkg) into ``outdir/wq/``."""
    from basin import datasets

    return assess_to_dir(datasets.get_path("wq"), Path(outdir) / "wq", stations=datasets.get_path("stations"))
