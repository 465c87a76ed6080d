"""``basin demo`` step: the riparian zones and the siting audit of the demo facilities."""

from __future__ import annotations

from pathlib import Path

from basin.zoning.outputs import write_audit, write_zones


def demo_step(outdir: Path) -> dict[str, Path]:
    """Write the zones and the audit of the demo dataset.

    Files: ``zones/zones.gpkg``, ``zones/zone_areas.csv``, ``zones/rules.csv``, ``audit/violations.csv``,
    ``audit/violations.geojson`` and ``audit/summary.json``.
    """
    out = dict(write_zones(Path(outdir) / "zones"))
    run = write_audit(Path(outdir) / "audit")
    out.update(run.paths)
    return out
