"""Writers of the cross-border results: sections and ledgers, each with the provenance of its inputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin.crossborder.compensation import summarize
from basin.io import write_csv, write_json, write_vector


def write_sections(sections: gpd.GeoDataFrame, outdir: Path, prov: dict[str, Any]) -> dict[str, Path]:
    """Write ``sections.csv``, ``sections.geojson`` and ``sections_provenance.json``."""
    return {
        "sections csv": write_csv(sections, outdir / "sections.csv"),
        "sections geojson": write_vector(sections, outdir / "sections.geojson"),
        "sections provenance": write_json(
            {**prov, "excursions_merged_away": sections.attrs.get("excursions", 0)},
            outdir / "sections_provenance.json",
        ),
    }


def write_ledger(
    ledger: pd.DataFrame, outdir: Path, prov: dict[str, Any], *, prefix: str = ""
) -> dict[str, Path]:
    """Write ``<prefix>ledger.csv``, ``<prefix>summary.csv`` and ``<prefix>ledger_provenance.json``."""
    return {
        f"{prefix}ledger": write_csv(ledger, outdir / f"{prefix}ledger.csv"),
        f"{prefix}ledger summary": write_csv(summarize(ledger), outdir / f"{prefix}summary.csv"),
        f"{prefix}ledger provenance": write_json(prov, outdir / f"{prefix}ledger_provenance.json"),
    }


__all__ = ["write_ledger", "write_sections"]
