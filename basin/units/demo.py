"""Demo step of ``basin demo``: the four-class evaluation units and the management map on the demo data."""

from __future__ import annotations

from pathlib import Path

from basin.units.pipeline import run_units, run_zoning


def demo_step(outdir: Path) -> dict[str, Path]:
    """Write ``outdir/units/`` (classified basin x county units) and ``outdir/zoning/`` (management map).

    The riparian zones are read from ``outdir/zones/zones.gpkg`` (written by the riparian zoning step, which runs
    before this one) or, when that file is absent, computed with ``basin.zoning.riparian_zones``.
    """
    zones_file = Path(outdir) / "zones" / "zones.gpkg"
    zones = zones_file if zones_file.exists() else None
    _, units_files = run_units(Path(outdir) / "units", zones=zones, by_county=True)
    _, zoning_files = run_zoning(Path(outdir) / "zoning", units=units_files["units"], zones=zones)
    return {**{f"units: {k}": v for k, v in units_files.items()}, **{f"zoning: {k}": v for k, v in zoning_files.items()}}
