"""Read the inputs (demo data by default), run zoning / audit and write the output files (CLI and demo)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd

from basin import datasets
from basin._errors import DataError
from basin.io import ensure_not_input, read_layer, write_csv, write_json, write_vector
from basin.zoning.audit import audit_facilities, summarize
from basin.zoning.rules import load_rules, rules_table
from basin.zoning.zones import riparian_zones, zone_areas

PathLike = str | os.PathLike[str]


def _read(path: PathLike | None, kind: str, mapping: Any) -> gpd.GeoDataFrame:
    if path is None:
        return read_layer(datasets.get_path(kind), kind)  # type: ignore[arg-type]
    return read_layer(path, kind, mapping=mapping)  # type: ignore[arg-type]


def _read_lakes(path: PathLike | None, mapping: Any) -> gpd.GeoDataFrame | None:
    if path is not None:
        return read_layer(path, "lakes", mapping=mapping)
    try:
        demo = datasets.get_path("lakes")
    except DataError:  # a demo dataset without lakes: the lake rules have nothing to trigger them
        return None
    return read_layer(demo, "lakes")


def write_zones(
    outdir: PathLike,
    *,
    rivers: PathLike | None = None,
    lakes: PathLike | None = None,
    admin: PathLike | None = None,
    rules: PathLike | None = None,
    mapping: PathLike | None = None,
) -> dict[str, Path]:
    """Build the zone layer and the area table from files (demo data where None) and write them.

    Files in ``outdir``: ``zones.gpkg`` (layer ``zones``), ``zone_areas.csv`` and ``rules.csv``.
    """
    outdir = Path(outdir)
    rule_list = load_rules(rules)
    inputs = [rivers, lakes, admin, rules, mapping]
    riv = _read(rivers, "rivers", mapping)
    lak = _read_lakes(lakes, mapping)
    adm = _read(admin, "admin", mapping)
    zones = riparian_zones(riv, lak, adm, rules=rule_list)
    areas = zone_areas(zones, adm)
    paths = {"zones": outdir / "zones.gpkg", "zone areas": outdir / "zone_areas.csv"}
    for p in paths.values():
        ensure_not_input(p, inputs)
    write_vector(zones, paths["zones"], layer="zones")
    write_csv(areas, paths["zone areas"])
    write_csv(rules_table(rule_list), outdir / "rules.csv")
    paths["rules"] = outdir / "rules.csv"
    return paths


@dataclass
class AuditRun:
    """What :func:`write_audit` produced."""

    violations: gpd.GeoDataFrame
    summary: dict[str, Any]
    paths: dict[str, Path]


def write_audit(
    outdir: PathLike,
    facilities: PathLike | None = None,
    *,
    rivers: PathLike | None = None,
    lakes: PathLike | None = None,
    admin: PathLike | None = None,
    rules: PathLike | None = None,
    mapping: PathLike | None = None,
    scheduler: str | None = None,
) -> AuditRun:
    """Audit facilities from files (demo data where None) and write the results.

    Files in ``outdir``: ``violations.csv``, ``violations.geojson`` and ``summary.json``.
    """
    outdir = Path(outdir)
    rule_list = load_rules(rules)
    fac = _read(facilities, "facilities", mapping)
    riv = _read(rivers, "rivers", mapping)
    lak = _read_lakes(lakes, mapping)
    adm = _read(admin, "admin", mapping)
    if scheduler:
        from basin.zoning.parallel import audit_facilities_dask

        viol = audit_facilities_dask(fac, riv, lak, rules=rule_list, admin=adm, scheduler=scheduler)
    else:
        viol = audit_facilities(fac, riv, lak, rules=rule_list, admin=adm)
    summary = summarize(viol, fac)
    summary["rules"] = {
        r.id: {"zone": r.zone, "distance_m": r.distance_m, "text_en": r.text_en} for r in rule_list
    }
    summary["inputs"] = {
        "facilities": str(facilities or datasets.get_path("facilities")),
        "rivers": str(rivers or datasets.get_path("rivers")),
        "lakes": str(lakes) if lakes else ("demo" if lak is not None else None),
        "admin": str(admin or datasets.get_path("admin")),
        "rules": str(rules) if rules else "basin/zoning/rules/riparian.yaml",
    }
    paths = {
        "violations": outdir / "violations.csv",
        "violations map": outdir / "violations.geojson",
        "summary": outdir / "summary.json",
    }
    for p in paths.values():
        ensure_not_input(p, [facilities, rivers, lakes, admin, rules, mapping])
    write_csv(viol, paths["violations"])
    write_vector(viol, paths["violations map"])
    write_json(summary, paths["summary"])
    return AuditRun(viol, summary, paths)


def summary_text(summary: dict[str, Any]) -> str:
    """Format a summary as a few lines for the terminal."""
    lines = [
        f"{summary.get('facilities_audited', '?')} facilities audited: {summary['violations']} violation(s) by "
        f"{summary['facilities_in_violation']} facilit(y/ies)"
    ]
    for key in ("by_rule", "by_action", "by_category"):
        if summary.get(key):
            lines.append(f"  {key[3:]}: " + ", ".join(f"{k} {v}" for k, v in summary[key].items()))
    county = summary.get("by_county") or {}
    if county:
        top = sorted(county.items(), key=lambda kv: (-kv[1], kv[0]))[:5]
        lines.append("  top counties: " + ", ".join(f"{k} {v}" for k, v in top))
    return "\n".join(lines)


__all__ = ["AuditRun", "summary_text", "write_audit", "write_zones"]
