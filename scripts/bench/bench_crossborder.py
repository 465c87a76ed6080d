"""Benchmark of basin.crossborder.find_sections on the demo network (80 rivers, 2 provinces / 221 counties).

* ``basin`` = ``find_sections`` (vectorised cut-and-label of each flow path, STRtree on the units and on the
  shared-boundary buffers, station assignment along the network);
* baseline = dense sampling: every river is sampled every ``--step`` metres (default 100 m), each sample is
  located in its unit with a vectorised point-in-polygon test (STRtree ``within`` query), and unit changes are
  counted along the samples. It is the simplest correct-ish method (it misses crossings shorter than the step
  and gives positions only to +-step/2) and the one used by the demo-data test to check directions.

Both are run at province and county level; ``--repeat`` copies the river network N times (shifted by 0 m: the
same geometry, new ids) to see how the time grows with the number of rivers; ``--full`` = ``--repeat 8``.

    python scripts/bench/bench_crossborder.py
    python scripts/bench/bench_crossborder.py --full
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from basin import datasets
from basin.crossborder import find_sections
from basin.crs import to_metric
from basin.io import read_layer


def dense_sampling(rivers: gpd.GeoDataFrame, admin: gpd.GeoDataFrame, level: str, step: float) -> int:
    rv = to_metric(rivers)
    units = to_metric(admin[admin.level == level]).reset_index(drop=True)
    tree = shapely.STRtree(units.geometry.values)
    n = 0
    for g in rv.geometry.values:
        k = max(int(g.length // step), 1)
        pts = shapely.line_interpolate_point(g, np.linspace(0, g.length, k + 1))
        p, u = tree.query(pts, predicate="within")
        lab = np.full(len(pts), -1)
        lab[p] = u
        lab = lab[lab >= 0]
        n += int((np.diff(lab) != 0).sum())
    return n


def replicate(rivers: gpd.GeoDataFrame, times: int) -> gpd.GeoDataFrame:
    if times == 1:
        return rivers
    parts = []
    for i in range(times):
        r = rivers.copy()
        for c in ("river_id", "downstream_id", "stem_id"):
            if c in r.columns:
                r[c] = r[c].where(r[c].isna(), r[c].astype("string") + f"_{i}")
        parts.append(r)
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), crs=rivers.crs)


def best_of(f, runs: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(runs):
        t = time.perf_counter()
        out = f()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=1, help="copies of the river network (default 1)")
    ap.add_argument("--full", action="store_true", help="--repeat 8")
    ap.add_argument(
        "--step", type=float, default=100.0, help="baseline sampling step in metres (default 100)"
    )
    ap.add_argument("--runs", type=int, default=3, help="best of N runs (default 3)")
    a = ap.parse_args()
    repeat = 8 if a.full else a.repeat
    rivers = replicate(read_layer(datasets.get_path("rivers"), "rivers"), repeat)
    admin = read_layer(datasets.get_path("admin"), "admin")
    stations = read_layer(datasets.get_path("stations"), "stations")
    km = to_metric(rivers).length.sum() / 1000
    print(f"rivers: {len(rivers)} segments, {km:,.0f} km; admin: {len(admin)} units")
    print(
        f"{'level':8} {'basin s':>9} {'baseline s':>11} {'ratio':>7} {'sections':>9} {'baseline changes':>17}"
    )
    for level in ("province", "county"):
        st = stations if repeat == 1 else None
        tb, secs = best_of(lambda lv=level, s=st: find_sections(rivers, admin, level=lv, stations=s), a.runs)
        t0, n = best_of(lambda lv=level: dense_sampling(rivers, admin, lv, a.step), a.runs)
        print(f"{level:8} {tb:9.2f} {t0:11.2f} {t0 / tb:6.1f}x {len(secs):9d} {n:17d}")


if __name__ == "__main__":
    main()
