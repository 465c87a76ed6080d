"""The run's cross-border step: sections found from the layers, audited, and compensation settled."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd


@dataclass
class CrossborderResult:
    """Sections (with stations), their audit against targets, and one ledger per compensation scheme."""

    sections: gpd.GeoDataFrame
    audit: pd.DataFrame | None
    ledgers: dict[str, pd.DataFrame] = field(default_factory=dict)
    provenance: dict[str, Any] = field(default_factory=dict)
    schemes: dict[str, Any] = field(default_factory=dict)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the result tables by name."""
        from basin.crossborder.compensation import summarize

        out: dict[str, pd.DataFrame] = {"xb_sections": pd.DataFrame(self.sections.drop(columns="geometry"))}
        if self.audit is not None:
            out["xb_audit"] = self.audit
        for name, ledger in self.ledgers.items():
            out[f"xb_ledger_{name}"] = ledger
            out[f"xb_ledger_summary_{name}"] = summarize(ledger)
        return out

    def summary(self) -> dict[str, Any]:
        """Return the counts of sections, assessed periods and ledger transfers."""
        from basin.crossborder.audit import failing

        out: dict[str, Any] = {"sections": len(self.sections)}
        if self.audit is not None:
            bad = failing(self.audit)
            out["assessed"] = int((self.audit["status"] == "assessed").sum())
            out["out_of_target"] = len(bad)
            out["sections_out_of_target"] = int(bad["section_id"].nunique())
        out["ledgers"] = {
            name: {"rows": len(ledger), "transfers": int(ledger["payer"].notna().sum())}
            for name, ledger in self.ledgers.items()
        }
        return out


def _prefix(name: str, first: bool) -> str:
    return "" if first else f"{name}_"


def crossborder_step(res: Any) -> CrossborderResult:
    """Find the sections where rivers cross the admin boundaries; audit and settle them when data allow."""
    from basin.crossborder.audit import audit_sections
    from basin.crossborder.compensation import settle
    from basin.crossborder.schemes import load_scheme
    from basin.crossborder.sections import find_sections
    from basin.run import Skip, Skipped, source_of

    rivers, admin = res.layers.get("rivers"), res.layers.get("admin")
    if rivers is None or admin is None:
        missing = " and ".join(k for k, v in (("rivers", rivers), ("admin", admin)) if v is None)
        raise Skipped("cross-border sections", f"no {missing} layer", f"add `layers: {missing.split()[0]}:`")
    choice = res.project.choices.crossborder
    stations = res.layers.get("stations")
    secs = find_sections(
        rivers,
        admin,
        level=choice.level,
        stations=stations,
        merge_tolerance_m=choice.merge_tolerance_m,
        boundary_tolerance_m=choice.boundary_tolerance_m,
        boundary_min_length_m=choice.boundary_min_length_m,
        station_tolerance_m=choice.station_tolerance_m,
    )
    audit = None
    ledgers: dict[str, pd.DataFrame] = {}
    schemes: dict[str, Any] = {}
    if res.wq is None:
        res.skipped.append(
            Skip("cross-border audit and compensation", "no water-quality data", "add `water_quality:` to the project")
        )
    elif stations is None:
        res.skipped.append(
            Skip("cross-border audit and compensation", "no stations layer", "add `layers: stations:`")
        )
    else:
        period = res.options.get("period") or choice.period or res.project.choices.period
        audit = audit_sections(secs, res.wq, period=period, standard=res.project.choices.standard)
        for name in choice.schemes:
            sch = load_scheme(name)
            if sch.path and Path(sch.path).is_file() and not str(sch.path).startswith(str(Path(__file__).parent)):
                res.sources[f"scheme:{sch.name}"] = source_of(f"scheme:{sch.name}", sch.path, res.project)
            uses_audit = sch.kind != "index" and sch.trend.get("metric") != "concentration" and sch.period == period
            ledgers[sch.name] = settle(audit if uses_audit else res.wq, secs, sch)
            schemes[sch.name] = sch
    from basin.crossborder.report import provenance

    paths = {k: v.path for k, v in res.sources.items() if k in {"rivers", "admin", "stations", "wq"}}
    prov = provenance(paths, sections=secs, audit=audit)
    return CrossborderResult(secs, audit, ledgers, prov, schemes)


def write_crossborder(result: CrossborderResult, folder: Path, opts: Any) -> dict[str, Path]:
    """Write the sections, the audit report (CSV, JSON, HTML, Markdown) and each scheme's ledger."""
    from basin.crossborder.pipeline import write_ledger, write_sections
    from basin.crossborder.report import write_audit_report

    files = write_sections(result.sections, folder, result.provenance)
    if result.audit is not None:
        files.update(
            write_audit_report(result.audit, folder, prov=result.provenance, lang=getattr(opts, "lang", "zh"))
        )
    for i, (name, ledger) in enumerate(result.ledgers.items()):
        prov = {**result.provenance, "scheme": result.schemes[name].provenance()}
        files.update(write_ledger(ledger, folder, prov, prefix=_prefix(name, i == 0)))
    return files


__all__ = ["CrossborderResult", "crossborder_step", "write_crossborder"]
