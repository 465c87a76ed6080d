"""Provincial scale: ``basin run`` on dense networks of 10^3, 10^4, 10^5 reaches against the demo run.

Networks, facilities, stations and series come from ``scripts/make_dense_network.py`` (seeded; one facility
per reach, one station per 100 reaches, 10 years of monthly series; cached under ``--work``). Every run is a
fresh child process:

* ``run``    - :func:`basin.run.run_project` on the project file; per step (``RunResult.timings``) the wall
  time, the CPU time of the process and the peak resident memory during the step (sampled every 20 ms);
  ``write`` is the step writers, maps and reports not timed by the run itself;
* ``steps``  - the step functions of the issue's goals, timed directly: units from reaches + basin x county
  split, riparian zones, cross-border sections (province level), the static A3 map at 300 dpi;
* ``browser``- the run's web map opened from ``file://`` in headless Chromium (the browser test's driver):
  seconds until the page and its layers are drawn, and console errors.

The table gives each time with its ratio to the demo run (measured in the same session) and the scaling
exponent ``log(t2/t1) / log(n2/n1)`` between consecutive sizes. The machine may be shared: CPU seconds are
printed next to wall seconds, and the 1-minute load average at the start of each child.

Usage::

    python scripts/bench/bench_scale.py                         # 1e3, 1e4, 1e5 reaches (~15 min)
    python scripts/bench/bench_scale.py --sizes 1000 10000      # quicker
    python scripts/bench/bench_scale.py --dask 100000 10000000  # audit in memory vs on a local cluster
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]

SAMPLER = """
import json, os, resource, sys, threading, time
sys.path.insert(0, {root!r})
RSS = [0]
PEAK = [0]
def _rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
def _sample():
    while True:
        r = _rss()
        RSS[0] = r
        PEAK[0] = max(PEAK[0], r)
        time.sleep(0.02)
threading.Thread(target=_sample, daemon=True).start()
def mark():
    p = max(PEAK[0], _rss())
    PEAK[0] = _rss()
    return p / 2**20
"""

RUN_CHILD = (
    SAMPLER
    + """
from basin.project import demo_project, load_project
from basin.run import run_project
project = demo_project() if sys.argv[1] == 'demo' else load_project(sys.argv[1])
rows = {{}}
state = {{'t': time.perf_counter(), 'c': time.process_time()}}
def echo(line):
    line = str(line)
    if line.startswith('[') and '] done' in line:
        name = line[1:line.index(']')]
        rows[name] = {{'cpu': time.process_time() - state['c'], 'peak_mb': mark()}}
        state['c'] = time.process_time()
mark()
t0, c0 = time.perf_counter(), time.process_time()
load = os.getloadavg()[0]
res = run_project(project, outdir=sys.argv[2], force=True, echo=echo)
total, cpu = time.perf_counter() - t0, time.process_time() - c0
for name, sec in res.timings.items():
    rows.setdefault(name, {{'cpu': float('nan'), 'peak_mb': float('nan')}})['seconds'] = sec
rows['write'] = {{'seconds': total - sum(res.timings.values()), 'cpu': float('nan'), 'peak_mb': mark()}}
rows['total'] = {{'seconds': total, 'cpu': cpu,
                  'peak_mb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}
maps = res.files.get('maps', {{}})
html = [str(p) for p in maps.values() if str(p).endswith('.html')]
print(json.dumps({{'rows': rows, 'html': html, 'load': load,
                  'counts': {{k: len(v) for k, v in res.layers.items()}}}}))
"""
)

STEPS_CHILD = (
    SAMPLER
    + """
from basin.io import read_layer
d = sys.argv[1]
riv = read_layer(f'{{d}}/rivers.gpkg', 'rivers')
adm = read_layer(f'{{d}}/admin.gpkg', 'admin', layer='admin')
lak = read_layer(f'{{d}}/lakes.gpkg', 'lakes')
st = read_layer(f'{{d}}/stations.gpkg', 'stations')
rows = {{}}
def timed(name, fn):
    mark()
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    rows[name] = {{'seconds': time.perf_counter() - t, 'cpu': time.process_time() - c, 'peak_mb': mark()}}
    return out
from basin.units.derive import region_from_admin, units_by_county, units_from_reaches
from basin.zoning.zones import riparian_zones
from basin.crossborder.sections import find_sections
from basin.maps.static import static_map
load = os.getloadavg()[0]
u = timed('units from reaches + county split',
          lambda: units_by_county(units_from_reaches(riv, region_from_admin(adm)), adm, min_area_km2=1.0))
z = timed('riparian zones', lambda: riparian_zones(riv, lak, adm))
s = timed('cross-border sections', lambda: find_sections(riv, adm, stations=st))
timed('static map A3 300 dpi', lambda: static_map(rivers=riv, admin=adm, lakes=lak, stations=st, zones=z,
                                                  theme='zones', paper='A3', dpi=300,
                                                  filepath=sys.argv[2] + '/a3.png'))
print(json.dumps({{'rows': rows, 'load': load, 'n_units': len(u), 'n_sections': len(s)}}))
"""
)

BROWSER_CHILD = """
import json, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {root!r} + '/tests/maps')
from _browser import time_draw
print(json.dumps(time_draw(sys.argv[1])))
"""

DASK_CHILD = (
    SAMPLER
    + """
import geopandas as gpd, numpy as np, pandas as pd, shapely
from basin.io import read_layer
from basin.zoning import audit_facilities, prepare_network
from basin.zoning.parallel import audit_facilities_dask, seconds_per_facility
from distributed import Client, LocalCluster
def main():
    d, n = sys.argv[1], int(sys.argv[2])
    riv = read_layer(f'{{d}}/rivers.gpkg', 'rivers')
    lak = read_layer(f'{{d}}/lakes.gpkg', 'lakes')
    reg = gpd.read_file(f'{{d}}/admin.gpkg', layer='admin')
    reg = reg[reg['level'] == 'province']
    rng = np.random.default_rng(5)
    b = reg.total_bounds
    pts = shapely.points(rng.uniform(b[0], b[2], n), rng.uniform(b[1], b[3], n))
    fac = gpd.GeoDataFrame({{'facility_id': np.char.add('F', np.arange(n).astype(str)).astype(object),
                            'category': rng.choice(['polluting_facility', 'industrial_park', 'other'], n),
                            'status': rng.choice(['proposed', 'existing'], n)}}, geometry=pts, crs=4326)
    net = prepare_network(riv, lak)
    out = {{'n': n, 'n_reaches': len(riv), 'load': os.getloadavg()[0]}}
    mark()
    t, c = time.perf_counter(), time.process_time()
    single = audit_facilities(fac, network=net)
    out['memory_s'], out['memory_cpu_s'] = time.perf_counter() - t, time.process_time() - c
    out['peak_mem_mb'] = mark()
    t = time.perf_counter()
    import dask.config  # the workers as audit_facilities_dask starts its own (docs/zoning.md)
    with dask.config.set({{'distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_': None}}):
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=':0')
    client = Client(cluster)
    out['cluster_start_s'] = time.perf_counter() - t
    import logging, re
    plans = []  # what the call itself chose, from its log line
    class Plan(logging.Handler):
        def emit(self, record):
            m = re.search(r'in (\\d+) partitions', record.getMessage())
            plans.append(int(m.group(1)) if m else 1)
    logging.getLogger('basin.zoning.parallel').addHandler(Plan())
    logging.getLogger('basin.zoning.parallel').setLevel(logging.INFO)
    out['us_per_facility'] = seconds_per_facility(fac, net) * 1e6  # the estimate, sampled again here
    out['load_dask'] = os.getloadavg()[0]
    mark()
    wcpu = sum(client.run(time.process_time).values())
    t, c = time.perf_counter(), time.process_time()
    dist = audit_facilities_dask(fac, network=net, client=client)
    out['dask_s'], out['client_cpu_s'] = time.perf_counter() - t, time.process_time() - c
    out['workers_cpu_s'] = sum(client.run(time.process_time).values()) - wcpu
    out['peak_dask_mb'] = mark()
    out['partitions'] = plans[-1] if plans else 0
    try:  # the same table: values, dtypes, row order, index, CRS
        pd.testing.assert_frame_equal(pd.DataFrame(dist), pd.DataFrame(single))
        out['identical'] = bool(dist.crs == single.crs)
    except AssertionError as exc:
        out['identical'], out['difference'] = False, ' '.join(str(exc).split())[:300]
    out['violations'] = len(single)
    del dist
    t = time.perf_counter()  # again on the same (now warm) workers: what a session's next audit costs
    audit_facilities_dask(fac, network=net, client=client)
    out['dask_warm_s'] = time.perf_counter() - t
    client.close(); cluster.close()
    print(json.dumps(out))
if __name__ == '__main__':  # the worker processes are spawned: they must not run the benchmark
    main()
"""
)


def child(code: str, *args: str, timeout: float = 3600) -> dict:
    res = subprocess.run(
        [sys.executable, "-c", code.format(root=str(ROOT)), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )
    if res.returncode != 0:
        raise RuntimeError(res.stderr[-3000:])
    return json.loads(res.stdout.strip().splitlines()[-1])


def network(n: int, work: Path) -> Path:
    d = work / f"dense{n}"
    if not (d / "basin.yml").exists():
        subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "make_dense_network.py"), str(n), "--out", str(d)],
            check=True,
            cwd=ROOT,
        )
    return d


def exponent(t1: float, t2: float, n1: float, n2: float) -> float:
    if not (t1 > 0 and t2 > 0):
        return float("nan")
    return float(np.log(t2 / t1) / np.log(n2 / n1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "basin-bench-scale")
    ap.add_argument(
        "--dask", type=int, nargs="*", default=None, help="facility counts for the Dask comparison"
    )
    ap.add_argument("--no-browser", action="store_true")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    if args.dask is not None:
        d = network(max(args.sizes), args.work)
        print(
            f"{'facilities':>11}{'memory s':>10}{'dask s':>9}{'ratio':>7}{'warm s':>8}{'ratio':>7}{'parts':>6}"
            f"{'µs/fac':>8}{'cpu s client+workers':>21}{'peak MB mem/dask':>18}{'load':>10}{'identical':>10}"
        )
        for n in args.dask:
            r = child(DASK_CHILD, str(d), str(n), timeout=7200)
            print(
                f"{n:>11}{r['memory_s']:>10.2f}{r['dask_s']:>9.2f}{r['dask_s'] / r['memory_s']:>7.2f}"
                f"{r['dask_warm_s']:>8.2f}{r['dask_warm_s'] / r['memory_s']:>7.2f}{r['partitions']:>6}"
                f"{r['us_per_facility']:>8.1f}{r['client_cpu_s']:>13.1f}+{r['workers_cpu_s']:<7.1f}"
                f"{r['peak_mem_mb']:>9.0f}/{r['peak_dask_mb']:<8.0f}{r['load']:>6.1f}/{r['load_dask']:<3.1f}"
                f"{str(r['identical']):>10}",
                flush=True,
            )
            if not r["identical"]:
                print("   ", r.get("difference", "different CRS"))
        print(
            f"network: {r['n_reaches']} reaches; ratio = dask s / memory s (the goal: <= 3 at 1e5, < 1 at 1e7).\n"
            "dask s: first call on a fresh 2-worker LocalCluster (started before timing, "
            f"{r['cluster_start_s']:.1f} s); warm s: the same call again; cpu s: the dask call's CPU seconds in "
            "the client and in the workers; peak MB: resident memory of the client process; load: 1-minute "
            "load average before the in-memory / the dask call (other work on the machine shares the cores)"
        )
        return
    runs: dict[str, dict] = {}
    steps: dict[str, dict] = {}
    label = {"demo": "demo (80)"}
    t = time.perf_counter()
    runs["demo"] = child(RUN_CHILD, "demo", str(args.work / "out-demo"))
    steps["demo"] = child(STEPS_CHILD, str(ROOT / "geodata"), str(args.work))
    print(f"demo done in {time.perf_counter() - t:.0f} s", flush=True)
    for n in args.sizes:
        d = network(n, args.work)
        t = time.perf_counter()
        runs[str(n)] = child(RUN_CHILD, str(d / "basin.yml"), str(d / "out"))
        steps[str(n)] = child(STEPS_CHILD, str(d), str(d))
        label[str(n)] = f"{runs[str(n)]['counts'].get('rivers', n)}"
        print(f"{n} reaches done in {time.perf_counter() - t:.0f} s", flush=True)
    if not args.no_browser:
        for r in runs.values():
            if r["html"]:
                r["browser"] = child(BROWSER_CHILD, r["html"][0])
                r["map_mb"] = Path(r["html"][0]).stat().st_size / 1e6
    keys = list(runs)
    sizes = {"demo": 80, **{str(n): int(label[str(n)]) for n in args.sizes}}
    print()
    print(
        "basin run (wall s / CPU s / peak MB during the step), ratio to the demo, exponent vs previous size"
    )
    names = [n for n in runs[keys[-1]]["rows"] if n != "total"] + ["total"]
    head = f"{'step':<14}" + "".join(f"{'reaches ' + label[k]:>34}" for k in keys)
    print(head)
    for name in names:
        line = f"{name:<14}"
        for i, k in enumerate(keys):
            row = runs[k]["rows"].get(name, {})
            s = row.get("seconds", float("nan"))
            base = runs["demo"]["rows"].get(name, {}).get("seconds", float("nan"))
            ex = (
                exponent(
                    runs[keys[i - 1]]["rows"].get(name, {}).get("seconds", float("nan")),
                    s,
                    sizes[keys[i - 1]],
                    sizes[k],
                )
                if i > 1
                else float("nan")
            )
            cell = f"{s:.1f}/{row.get('cpu', float('nan')):.1f}/{row.get('peak_mb', float('nan')):.0f}"
            cell += f" x{s / base:.1f}" if k != "demo" and base > 0 else ""
            cell += f" e{ex:.2f}" if np.isfinite(ex) else ""
            line += f"{cell:>34}"
        print(line)
    print()
    print("goal steps timed directly (wall s / CPU s / peak MB), exponent vs previous size")
    print(f"{'step':<36}" + "".join(f"{'reaches ' + label[k]:>26}" for k in keys))
    for name in steps[keys[-1]]["rows"]:
        line = f"{name:<36}"
        for i, k in enumerate(keys):
            row = steps[k]["rows"][name]
            ex = (
                exponent(
                    steps[keys[i - 1]]["rows"][name]["seconds"], row["seconds"], sizes[keys[i - 1]], sizes[k]
                )
                if i > 1
                else float("nan")
            )
            cell = f"{row['seconds']:.1f}/{row['cpu']:.1f}/{row['peak_mb']:.0f}"
            cell += f" e{ex:.2f}" if np.isfinite(ex) else ""
            line += f"{cell:>26}"
        print(line)
    print()
    print(f"{'web map':<14}" + "".join(f"{'reaches ' + label[k]:>34}" for k in keys))
    line_mb = f"{'size MB':<14}"
    line_dt = f"{'draw s':<14}"
    line_err = f"{'console errors':<14}"
    for k in keys:
        r = runs[k]
        line_mb += f"{r.get('map_mb', float('nan')):>34.1f}"
        b = r.get("browser", {})
        line_dt += f"{b.get('seconds', float('nan')):>34.2f}"
        line_err += f"{len(b.get('errors', [])) if b else 'n/a':>34}"
    print(line_mb)
    print(line_dt)
    print(line_err)
    print()
    print(
        "load average (1 min) at the start of each run child: "
        + ", ".join(f"{label[k]}: {runs[k]['load']:.1f}" for k in keys)
    )
    for k in keys:
        for e in runs[k].get("browser", {}).get("errors", []):
            print(f"  console error ({label[k]}): {e}")
    goals(runs[keys[-1]], steps[keys[-1]], label[keys[-1]])


#: issue 14's goals at 10^5 reaches: (what, value in the runs, limit)
GOALS = [
    ("basin run, wall s", lambda r, s: r["rows"]["total"]["seconds"], 600.0),
    (
        "basin run, peak memory MB",
        lambda r, s: float(np.nanmax([v.get("peak_mb", np.nan) for v in r["rows"].values()])),
        4096.0,
    ),
    (
        "units from reaches + county split, s",
        lambda r, s: s["rows"]["units from reaches + county split"]["seconds"],
        60.0,
    ),
    ("riparian zones, s", lambda r, s: s["rows"]["riparian zones"]["seconds"], 60.0),
    ("cross-border sections, s", lambda r, s: s["rows"]["cross-border sections"]["seconds"], 30.0),
    ("static map A3 300 dpi, s", lambda r, s: s["rows"]["static map A3 300 dpi"]["seconds"], 60.0),
    ("web map, MB", lambda r, s: r.get("map_mb", float("nan")), 25.0),
    ("web map drawn in Chromium, s", lambda r, s: r.get("browser", {}).get("seconds", float("nan")), 5.0),
    (
        "web map console errors",
        lambda r, s: len(r.get("browser", {}).get("errors", [])) if r.get("browser") else float("nan"),
        0.0,
    ),
]


def goals(run: dict, steps: dict, label: str) -> None:
    """Print each goal of issue 14 at the largest size with its value and whether it is met."""
    print()
    print(f"goals at {label} reaches")
    for what, get, limit in GOALS:
        try:
            value = float(get(run, steps))
        except KeyError:
            value = float("nan")
        verdict = "met" if value <= limit else ("not measured" if not np.isfinite(value) else "NOT MET")
        print(f"  {what:<40}{value:>10.1f}  (goal <= {limit:g})  {verdict}")


if __name__ == "__main__":
    main()
