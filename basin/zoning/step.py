"""The run's riparian steps: zones A/B/C with their areas, and the siting audit of facilities.

``riparian_step`` and ``audit_step`` take the run (layers in memory) and return results; ``write_riparian`` and
``write_audit`` write them. Neither reads a file nor falls back to demo data.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from basin.io.tables import write_layers, write_summary, write_table


@dataclass
class RiparianResult:
    """Riparian zones (``zone`` A/B/C, dissolved), their areas per province/county and the rules applied."""

    zones: gpd.GeoDataFrame
    areas: pd.DataFrame
    rules: list[Any]
    rules_table: pd.DataFrame
    lakes_used: bool

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the result tables by name."""
        return {"zone_areas": self.areas, "rules": self.rules_table}

    def summary(self) -> dict[str, Any]:
        """Headline numbers: zone area in km² per zone."""
        from basin.crs import to_metric

        area = to_metric(self.zones, what="zones").area / 1e6
        per_zone = area.groupby(self.zones["zone"].to_numpy()).sum()
        return {
            "zones": len(self.zones),
            "area_km2": {str(z): round(float(a), 1) for z, a in per_zone.items()},
            "lakes_used": self.lakes_used,
        }


@dataclass
class AuditResult:
    """Violations of the riparian rules (one row per facility and rule broken) and their counts."""

    violations: gpd.GeoDataFrame
    summary_: dict[str, Any]
    facilities: gpd.GeoDataFrame

    def tables(self) -> dict[str, pd.DataFrame]:
        """Return the result tables by name."""
        return {"violations": self.violations}

    def summary(self) -> dict[str, Any]:
        """Return the audit counts (:func:`basin.zoning.audit.summarize`)."""
        return self.summary_


def _need(res: Any, kind: str, what: str) -> gpd.GeoDataFrame:
    from basin.run import Skipped

    gdf = res.layers.get(kind)
    if gdf is None:
        raise Skipped(what, f"no {kind} layer", f"add `layers: {kind}: {{path: …}}` to the project or pass --{kind}")
    return gdf


def _rules(res: Any) -> list[Any]:
    from basin.zoning.rules import load_rules

    path = res.project.choices.rules
    if path is not None:
        from basin.run import source_of

        res.sources["rules"] = source_of("rules", path, res.project)
    return load_rules(path)


def read_zones(path: Path) -> gpd.GeoDataFrame:
    """Read riparian zones written by an earlier run (layer ``zones`` or the first; a ``zone`` column A/B/C)."""
    import pyogrio

    from basin._errors import CRSError, DataError, SchemaError

    try:
        layers = [str(n) for n, _ in pyogrio.list_layers(path)]
        layer = "zones" if "zones" in layers else layers[0]
        z = gpd.read_file(path, layer=layer, engine="pyogrio")
    except Exception as exc:  # noqa: BLE001 - GDAL raises several types; the message says what to fix
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        msg = f"{path}: cannot read riparian zones ({detail[:120]}); expected a GeoPackage/GeoJSON with a 'zone' column"
        raise DataError(msg) from None
    if "zone" not in z.columns:
        msg = f"{path}, layer {layer!r}: riparian zones need a 'zone' column (A/B/C); found {list(z.columns)[:20]}"
        raise SchemaError(msg)
    bad = sorted({str(v) for v in z["zone"]} - {"A", "B", "C"})
    if bad:
        msg = f"{path}, layer {layer!r}: column 'zone' must hold A, B or C; found {bad[:10]}"
        raise SchemaError(msg)
    if z.crs is None:
        msg = f"{path}: the riparian zones have no CRS"
        raise CRSError(msg)
    return z


def riparian_step(res: Any) -> RiparianResult:
    """Build the riparian zones of the project's rivers (and lakes) over its admin region.

    With the run option ``zones_file`` the zones are read from that file instead (an earlier run's).
    """
    from basin.zoning.rules import rules_table
    from basin.zoning.zones import riparian_zones, zone_areas

    zones_file = res.options.get("zones_file")
    if zones_file is not None:
        from basin.run import source_of

        zones = read_zones(Path(zones_file))
        res.sources["zones"] = source_of("zones", zones_file, res.project)
        admin = res.layers.get("admin")
        areas = zone_areas(zones, admin) if admin is not None else pd.DataFrame()
        rules = _rules(res)
        return RiparianResult(zones, areas, rules, rules_table(rules), False)

    rivers = _need(res, "rivers", "riparian zones")
    admin = _need(res, "admin", "riparian zones")
    lakes = res.layers.get("lakes")
    if lakes is None:
        res.skipped.append(
            _skip("lake rule (3 km around connected lakes/reservoirs)", "no lakes layer", "add `layers: lakes:`")
        )
    rules = _rules(res)
    zones = riparian_zones(rivers, lakes, admin, rules=rules)
    areas = zone_areas(zones, admin)
    return RiparianResult(zones, areas, rules, rules_table(rules), lakes is not None)


def _skip(what: str, reason: str, how: str) -> Any:
    from basin.run import Skip

    return Skip(what, reason, how)


def write_riparian(result: RiparianResult, folder: Path, opts: Any) -> dict[str, Path]:
    """Write ``zones.gpkg`` (layer ``zones``), ``zones.geojson``, ``zone_areas.csv`` and ``rules.csv``."""
    files = write_layers({"zones": result.zones}, folder, "zones", opts)
    files.update(write_table(result.areas, folder, "zone_areas", opts))
    files.update(write_table(result.rules_table, folder, "rules", opts))
    return files


def audit_step(res: Any) -> AuditResult:
    """Audit the project's facilities against the riparian rules (geodesic distances)."""
    from basin.zoning.audit import audit_facilities, summarize

    facilities = _need(res, "facilities", "siting audit")
    rivers = _need(res, "rivers", "siting audit")
    lakes = res.layers.get("lakes")
    admin = res.layers.get("admin")
    rules = res.riparian.rules if res.riparian is not None else _rules(res)
    scheduler = res.options.get("scheduler")
    if scheduler:
        from basin.zoning.parallel import audit_facilities_dask

        viol = audit_facilities_dask(facilities, rivers, lakes, rules=rules, admin=admin, scheduler=scheduler)
    else:
        viol = audit_facilities(facilities, rivers, lakes, rules=rules, admin=admin)
    summary = summarize(viol, facilities)
    summary["rules"] = {r.id: {"zone": r.zone, "distance_m": r.distance_m, "text_en": r.text_en} for r in rules}
    summary["lakes_used"] = lakes is not None
    return AuditResult(viol, summary, facilities)


def write_audit(result: AuditResult, folder: Path, opts: Any) -> dict[str, Path]:
    """Write ``violations.csv``, ``violations.geojson`` and ``summary.json``."""
    files = write_table(result.violations, folder, "violations", opts)
    if opts.wants("geojson"):
        from basin.io import write_vector

        files["violations (GeoJSON)"] = write_vector(result.violations, folder / "violations.geojson")
    files.update(write_summary(result.summary_, folder))
    return files

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



__all__ = [
    "AuditResult",
    "RiparianResult",
    "audit_step",
    "riparian_step",
    "summary_text",
    "write_audit",
    "write_riparian",
]
