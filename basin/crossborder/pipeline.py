"""File-to-folder runs of the cross-border tools, shared by the CLI and ``basin demo``.

Every input defaults to the embedded demo dataset (:mod:`basin.datasets`); every output folder gets the
provenance of its inputs (paths and SHA-256), the versions and the parameters.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin import datasets
from basin.crossborder.audit import audit_sections, failing
from basin.crossborder.compensation import settle, summarize
from basin.crossborder.report import provenance, write_audit_report
from basin.crossborder.schemes import load_scheme
from basin.crossborder.sections import find_sections
from basin.io import ensure_not_input, read_layer, write_csv, write_json, write_vector

PathLike = str | os.PathLike[str] | None


def input_paths(
    *,
    rivers: PathLike = None,
    admin: PathLike = None,
    stations: PathLike = None,
    wq: PathLike = None,
    keys: tuple[str, ...] = ("rivers", "admin", "stations", "wq"),
) -> dict[str, Path]:
    """Return the input paths named in ``keys``, with the demo dataset for those not given."""
    given = {"rivers": rivers, "admin": admin, "stations": stations, "wq": wq}
    return {k: Path(given[k]) if given[k] is not None else datasets.get_path(k) for k in keys}  # type: ignore[arg-type]


def _check_out(outdir: Path, paths: dict[str, Path], names: list[str]) -> None:
    for n in names:
        ensure_not_input(outdir / n, paths.values())


def sections_from_files(
    paths: dict[str, Path], *, mapping: PathLike = None, level: str = "province", **options: Any
) -> gpd.GeoDataFrame:
    """Read the layers and return :func:`find_sections` of them (``options`` are its keyword options)."""
    rivers = read_layer(paths["rivers"], "rivers", mapping=mapping)
    admin = read_layer(paths["admin"], "admin", mapping=mapping)
    stations = read_layer(paths["stations"], "stations", mapping=mapping)
    return find_sections(rivers, admin, level=level, stations=stations, **options)  # type: ignore[arg-type]


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


def run_sections(
    outdir: PathLike, *, mapping: PathLike = None, level: str = "province", **kw: Any
) -> dict[str, Path]:
    """Find the sections from files (demo data by default) and write them into ``outdir``."""
    out = Path(outdir)  # type: ignore[arg-type]
    keys = ("rivers", "admin", "stations")
    paths = input_paths(**{k: kw.pop(k) for k in keys if k in kw}, keys=keys)
    _check_out(out, paths, ["sections.csv", "sections.geojson", "sections_provenance.json"])
    secs = sections_from_files(paths, mapping=mapping, level=level, **kw)
    return write_sections(secs, out, provenance(dict(paths), sections=secs))


def read_wq_for(paths: dict[str, Path], mapping: PathLike = None) -> Any:
    """Read the water-quality series of ``paths["wq"]`` with the stations of ``paths["stations"]``."""
    from basin.waterquality import read_wq

    stations = read_layer(paths["stations"], "stations", mapping=mapping)
    return read_wq(paths["wq"], stations=stations)


def write_ledger(
    ledger: pd.DataFrame, outdir: Path, prov: dict[str, Any], *, prefix: str = ""
) -> dict[str, Path]:
    """Write ``<prefix>ledger.csv``, ``<prefix>summary.csv`` and ``<prefix>ledger_provenance.json``."""
    return {
        f"{prefix}ledger": write_csv(ledger, outdir / f"{prefix}ledger.csv"),
        f"{prefix}ledger summary": write_csv(summarize(ledger), outdir / f"{prefix}summary.csv"),
        f"{prefix}ledger provenance": write_json(prov, outdir / f"{prefix}ledger_provenance.json"),
    }


def scheme_inputs(paths: dict[str, Path], scheme: Any) -> dict[str, Any]:
    """Return the inputs to record for a ledger: the layers, the series and a scheme given as a file."""
    inputs: dict[str, Any] = dict(paths)
    if scheme.path and Path(scheme.path).is_file():
        inputs["scheme"] = scheme.path
    return inputs


def run_audit(
    outdir: PathLike, *, period: str = "month", mapping: PathLike = None, level: str = "province", **kw: Any
) -> tuple[dict[str, Path], pd.DataFrame]:
    """Find the sections, audit them against the water-quality data and write the reports into ``outdir``.

    Returns the files written and the audit table (whose failing rows decide the CLI exit code).
    """
    out = Path(outdir)  # type: ignore[arg-type]
    paths = input_paths(**{k: kw.pop(k) for k in ("rivers", "admin", "stations", "wq") if k in kw})
    names = [
        "sections.csv",
        "sections.geojson",
        "sections_provenance.json",
        "audit.csv",
        "audit.json",
        "report.html",
        "report.md",
    ]
    _check_out(out, paths, names)
    secs = sections_from_files(paths, mapping=mapping, level=level, **kw)
    ds = read_wq_for(paths, mapping)
    audit = audit_sections(secs, ds, period=period)  # type: ignore[arg-type]
    prov = provenance(dict(paths), sections=secs, audit=audit)
    files = write_sections(secs, out, provenance(dict(paths), sections=secs))
    files.update(write_audit_report(audit, out, prov=prov))
    return files, audit


def run_compensate(
    outdir: PathLike,
    *,
    scheme: Any = "chongqing_target_trend",
    mapping: PathLike = None,
    level: str = "province",
    prefix: str = "",
    **kw: Any,
) -> tuple[dict[str, Path], pd.DataFrame]:
    """Settle a scheme on the sections and water-quality data; write ``ledger.csv`` and ``summary.csv``."""
    out = Path(outdir)  # type: ignore[arg-type]
    sch = load_scheme(scheme)
    paths = input_paths(**{k: kw.pop(k) for k in ("rivers", "admin", "stations", "wq") if k in kw})
    names = [f"{prefix}ledger.csv", f"{prefix}summary.csv", f"{prefix}ledger_provenance.json"]
    _check_out(out, paths, names)
    secs = sections_from_files(paths, mapping=mapping, level=level, **kw)
    ds = read_wq_for(paths, mapping)
    ledger = settle(ds, secs, sch)
    prov = provenance(scheme_inputs(paths, sch), sections=secs, scheme=sch)
    return write_ledger(ledger, out, prov, prefix=prefix), ledger


__all__ = [
    "failing",
    "input_paths",
    "read_wq_for",
    "run_audit",
    "run_compensate",
    "run_sections",
    "scheme_inputs",
    "sections_from_files",
    "write_ledger",
    "write_sections",
]
