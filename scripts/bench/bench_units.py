"""Benchmark of basin.units on the demo data: zonal statistics and the management-map overlay.

Each timing is printed with a baseline measured in the same run:

* zonal means with exactextract (``basin.units.indicators.zonal_mean``: coverage-weighted, nodata left out)
  against a rasterstats-style baseline (``rasterio.mask`` per unit, cell centres inside the unit, plain mean);
  the table also gives the largest relative difference of the two results;
* the management map (``management_zones``: each unit clipped against the exploded parts of the zones it
  touches, STRtree) against the direct overlay of the dissolved zone geometry with every unit.

Usage::

    python scripts/bench/bench_units.py           # basin units (Voronoi, ~70 units): about a minute
    python scripts/bench/bench_units.py --full    # basin x county units (~550) with 500 m densification
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's basin, not an installed one

import geopandas as gpd
import numpy as np
import rasterio
import rasterio.mask
import shapely

from basin import datasets
from basin.crs import to_metric
from basin.io import read_layer
from basin.units.derive import region_from_admin, units_by_county, units_from_reaches
from basin.units.indicators import zonal_mean
from basin.units.management import management_zones


def timed(fn, *args, repeat: int = 1, **kwargs):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        best = min(best, time.perf_counter() - t0)
    return best, out


def mask_mean(units: gpd.GeoDataFrame, path) -> np.ndarray:
    """Baseline: cells whose centre lies in the unit, plain mean of the valid ones (rasterstats' default)."""
    with rasterio.open(path) as src:
        u = units.to_crs(src.crs)
        out = np.full(len(u), np.nan)
        for i, g in enumerate(u.geometry.values):
            try:
                arr, _ = rasterio.mask.mask(src, [g], crop=True, filled=False)
            except ValueError:
                continue
            vals = arr.compressed()
            if vals.size:
                out[i] = float(vals.mean())
        return out


def management_dissolved(zones: gpd.GeoDataFrame, units: gpd.GeoDataFrame) -> float:
    """Baseline: dissolve each level's zones into one geometry and overlay it with all units at once."""
    ug = units.geometry.values
    area = 0.0
    taken = None
    for classes in (["A"], ["B"]):
        geom = shapely.union_all(zones.geometry.values[zones["zone"].isin(classes).to_numpy()])
        if taken is not None:
            geom = shapely.difference(geom, taken)
        area += float(shapely.area(shapely.intersection(ug, geom)).sum())
        taken = geom if taken is None else shapely.union_all([taken, geom])
    return area


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--full", action="store_true", help="basin x county units, 500 m densification")
    args = ap.parse_args()
    spacing = 500.0 if args.full else 1000.0
    rivers = read_layer(datasets.get_path("rivers"), "rivers")
    admin = read_layer(datasets.get_path("admin"), "admin")
    region = region_from_admin(admin)

    t_vor, units = timed(units_from_reaches, rivers, region, spacing=spacing)
    n = len(rivers)
    print(f"Voronoi units from {n} reaches, spacing {spacing:.0f} m: {len(units)} units in {t_vor:.2f} s")
    if args.full:
        t_bc, units = timed(units_by_county, units, admin, min_area_km2=1.0)
        print(f"basin x county: {len(units)} units in {t_bc:.2f} s")

    pop = datasets.get_path("population")
    t_ee, ee = timed(zonal_mean, units, pop, name="population_density", repeat=3)
    t_mk, mk = timed(mask_mean, units, pop, repeat=3)
    rel = np.nanmax(np.abs(ee - mk) / np.maximum(np.abs(ee), 1e-9))
    print(
        f"zonal mean of population.tif over {len(units)} units: exactextract {t_ee:.3f} s, "
        f"rasterio.mask baseline {t_mk:.3f} s -> speed-up x{t_mk / t_ee:.1f}; "
        f"largest relative difference {rel:.1%} (the baseline ignores partial cells)"
    )

    rm = to_metric(region).geometry.iloc[0]
    main_rivers = to_metric(rivers[rivers["level"] <= 2])
    a = shapely.intersection(shapely.union_all(main_rivers.buffer(1000).values), rm)
    ab = shapely.intersection(shapely.union_all(main_rivers.buffer(5000).values), rm)
    zones = gpd.GeoDataFrame(
        {"zone": ["A", "B", "C"]},
        geometry=[a, shapely.difference(ab, a), shapely.difference(rm, ab)],
        crs=main_rivers.crs,
    )
    classified = to_metric(units).assign(class_code="LPHC")
    t_new, m = timed(management_zones, zones, classified)
    t_old, base_area = timed(management_dissolved, zones, classified)
    new_area = float(m.loc[m["mgmt_zone"].isin(["priority", "key"]), "area_km2"].sum()) * 1e6
    print(
        f"management map over {len(units)} units: per-unit parts {t_new:.2f} s, dissolved overlay baseline "
        f"{t_old:.2f} s -> speed-up x{t_old / t_new:.1f}; A+B area {new_area / 1e6:.1f} vs "
        f"{base_area / 1e6:.1f} km²"
    )


if __name__ == "__main__":
    main()
