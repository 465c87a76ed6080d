"""Demo step of ``basin demo``: the four-class evaluation units and the management map on the demo data."""

from __future__ import annotations

import logging
from pathlib import Path

from basin import datasets
from basin.io import read_layer
from basin.units.derive import region_from_admin
from basin.units.pipeline import load_zones, run_units, run_zoning

log = logging.getLogger(__name__)


def demo_step(outdir: Path) -> dict[str, Path]:
    """Write ``outdir/units/`` (classified basin x county units) and ``outdir/zoning/`` (management map).

    The riparian zones are read from ``outdir/zones/zones.gpkg`` (written by the riparian zoning step, which
    runs
    before this one) or, when that file is absent, computed with ``basin.zoning.riparian_zones``. When
    neither is
    available the management map is skipped and the log says so.
    """
    outdir = Path(outdir)
    zones_file = outdir / "zones" / "zones.gpkg"
    zones = zones_file if zones_file.exists() else None
    if zones is None:
        rivers = read_layer(datasets.get_path("rivers"), "rivers")
        lakes = read_layer(datasets.get_path("lakes"), "lakes")
        region = region_from_admin(read_layer(datasets.get_path("admin"), "admin"))
        zon = load_zones(None, rivers=rivers, lakes=lakes, region=region)
        if zon is not None:
            from basin.io import write_gpkg_layers

            zones = write_gpkg_layers({"zones": zon}, outdir / "units" / "riparian_zones.gpkg")
    _, files = run_units(outdir / "units", zones=zones, by_county=True)
    out = {f"units: {k}": v for k, v in files.items()}
    if zones is None:
        log.warning("management map skipped: no riparian zones (outdir/zones/zones.gpkg or basin.zoning)")
        return out
    _, zfiles = run_zoning(outdir / "zoning", units=files["units"], zones=zones)
    out.update({f"zoning: {k}": v for k, v in zfiles.items()})
    return out
