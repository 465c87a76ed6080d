"""The run's water-quality step: the 2011-method assessment of the project's series, in memory."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from basin.io.tables import write_summary, write_table


@dataclass
class WQResult:
    """The assessment tables (:func:`basin.waterquality.tables.assessment_tables`) and the monthly classes."""

    tables_: dict[str, pd.DataFrame]
    monthly: pd.DataFrame
    period: str
    summary_: dict[str, Any] = field(default_factory=dict)
    rejected: pd.DataFrame | None = None

    @property
    def sections(self) -> pd.DataFrame:
        """Section classes per station and period."""
        return self.tables_["sections"]

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the result tables by name (prefixed ``wq_`` in the workbook)."""
        out = {f"wq_{k}": v for k, v in self.tables_.items()}
        if self.rejected is not None:
            out["wq_rejected"] = self.rejected
        return out

    def summary(self) -> dict[str, Any]:
        """Headline numbers of the assessment."""
        return self.summary_


def wq_step(res: Any) -> WQResult:
    """Assess the project's water-quality series (2011 method, the project's period and standard)."""
    from basin.run import Skip, Skipped
    from basin.waterquality.assess import assess
    from basin.waterquality.tables import assessment_tables

    ds = res.wq
    if ds is None:
        raise Skipped(
            "water-quality assessment",
            "no water-quality data",
            "add `water_quality: paths: [...]` to the project or pass the file to `basin wq assess`",
        )
    if res.layers.get("stations") is None:
        res.skipped.append(
            Skip(
                "targets and river grades",
                "no stations layer (targets, waterbodies, rivers of the stations)",
                "add `layers: stations:` (or --stations)",
            )
        )
    choices = res.project.choices
    period = res.options.get("period") or choices.period
    tables = assessment_tables(ds, period=period, standard=choices.standard)
    monthly = assess(ds, period="month", standard=choices.standard)
    sections = tables["sections"]
    summary: dict[str, Any] = {
        "stations": int(ds.sizes["station"]),
        "period": period,
        "rows": len(sections),
        "class_counts": {str(k): int(v) for k, v in sections["class_label"].value_counts().sort_index().items()},
        "compliant_share": float(sections["compliant"].mean()) if sections["compliant"].notna().any() else None,
    }
    if ds.attrs.get("layout") in ("national_export", "hj212"):  # a station feed: its own checks (issue 12)
        from basin.waterquality.feeds import feed_report

        spec = res.project.water_quality
        checks = [
            feed_report(p, layout=ds.attrs["layout"], year=spec.year, stations=res.layers.get("stations"),
                        standard=choices.standard)
            for p in spec.paths
        ]
        for name in checks[0][0]:
            tables[name] = pd.concat([c[0][name] for c in checks], ignore_index=True)
        summary["feed"] = checks[0][1] if len(checks) == 1 else [c[1] for c in checks]
    rejected = res.options.get("rejected_rows")
    if rejected is not None:
        summary["rejected_values"] = len(rejected)
    return WQResult(tables, monthly, period, summary, rejected)


def write_wq(result: WQResult, folder: Path, opts: Any) -> dict[str, Path]:
    """Write every assessment table as CSV (``sections.csv``, ``compliance.csv``, ``trends.csv`` …)."""
    files: dict[str, Path] = {}
    for name, df in result.tables_.items():
        files.update(write_table(df, folder, name, opts))
    if result.rejected is not None:
        files.update(write_table(result.rejected, folder, "rejected", opts))
    files.update(write_summary(result.summary_, folder))
    return files


__all__ = ["WQResult", "write_wq", "wq_step"]
