"""The maps step of ``basin run`` at provincial scale: :func:`basin.maps.render.render_maps` on a computed run.

The run is a pickled :class:`basin.run.RunResult` (``pickle.dump(compute_project(load_project(yml)), f)``),
e.g. of the 98,962-reach synthetic network of ``scripts/bench/bench_scale.py``; or a project file, computed
first (not timed). Each case is a fresh child process: the time of ``render_maps`` (the static maps, PNG +
PDF, and the web map), the peak resident memory while it runs (sampled every 20 ms) above the memory after
loading the run, and the size of each file written. ``--baseline DIR`` runs the same in a child whose
``basin`` is the checkout at ``DIR`` (e.g. ``/work/main``), in the same session, and prints the ratios;
``--browser`` opens each web map from ``file://`` in headless Chromium (the browser test's driver) and
prints the seconds until its layers are drawn and the console errors.

    python scripts/bench/bench_maps_scale.py /tmp/s2/result100k.pkl --browser
    python scripts/bench/bench_maps_scale.py /tmp/s2/result100k.pkl --baseline /work/main --keep /tmp/out
    python scripts/bench/bench_maps_scale.py demo                      # the demo project
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import json, os, pickle, sys, threading, time
sys.path.insert(0, {root!r})
PEAK = [0]
def _rss():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE')
def _sample():
    while True:
        PEAK[0] = max(PEAK[0], _rss())
        time.sleep(0.02)
import basin
src, out, formats = sys.argv[1], sys.argv[2], sys.argv[3].split(',')
if src.endswith('.pkl'):
    with open(src, 'rb') as f:
        res = pickle.load(f)
else:
    from basin.project import load_project
    from basin.run import compute_project
    from basin.project import demo_project
    res = compute_project(demo_project() if src == 'demo' else load_project(src))
from basin.maps.render import render_maps
from basin.run import WriteOptions
import matplotlib  # imported before the clock starts, as in a run
import folium
base = _rss()
threading.Thread(target=_sample, daemon=True).start()
t = time.perf_counter()
files = render_maps(res, out, WriteOptions(formats=tuple(formats)))
dt = time.perf_counter() - t
peak = max(PEAK[0], _rss())
sizes = {{p.name: p.stat().st_size for p in map(__import__('pathlib').Path, files.values())}}
print(json.dumps({{'seconds': dt, 'peak_mb': peak / 2**20, 'added_mb': (peak - base) / 2**20,
                  'files': sizes, 'basin': basin.__file__}}))
"""

BROWSER = """
import json, sys
sys.path.insert(0, {root!r})
sys.path.insert(0, {root!r} + '/tests/maps')
from _browser import time_draw
print(json.dumps(time_draw(sys.argv[1])))
"""


def child(code: str, *args: str) -> dict:
    res = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    if res.returncode:
        sys.stderr.write(res.stderr[-4000:])
        msg = f"child failed ({res.returncode})"
        raise RuntimeError(msg)
    return json.loads(res.stdout.strip().splitlines()[-1])


def measure(root: Path, src: str, out: Path, formats: str, browser: bool) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    r = child(CHILD.format(root=str(root)), src, str(out), formats)
    if browser and (out / "map.html").exists():
        r["browser"] = child(BROWSER.format(root=str(ROOT)), str(out / "map.html"))
    return r


def show(name: str, r: dict, base: dict | None) -> None:
    ratio = f"  ({r['seconds'] / base['seconds']:.2f}x of baseline)" if base else ""
    print(f"\n{name}: {r['basin']}")
    print(f"  render_maps {r['seconds']:8.1f} s{ratio}")
    print(f"  peak RSS    {r['peak_mb']:8.0f} MB (+{r['added_mb']:.0f} MB over the loaded run)")
    for f, n in sorted(r["files"].items()):
        was = f"   (baseline {base['files'][f] / 1e6:7.2f} MB)" if base and f in base["files"] else ""
        print(f"  {f:<28}{n / 1e6:8.2f} MB{was}")
    b = r.get("browser")
    if b:
        print(f"  Chromium    {b['seconds']:8.1f} s to draw, ok={b['ok']}, console errors: {len(b['errors'])}")
        for e in b["errors"]:
            print(f"     {e}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("source", help="a pickled RunResult (.pkl), a project file, or 'demo'")
    ap.add_argument("--formats", default="png,pdf,html")
    ap.add_argument("--baseline", type=Path, help="a checkout of basin to compare with (e.g. /work/main)")
    ap.add_argument("--browser", action="store_true", help="time the web map in headless Chromium")
    ap.add_argument("--keep", type=Path, help="write the maps under this folder (new/, baseline/)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        top = args.keep or Path(tmp)
        base = None
        if args.baseline:
            base = measure(args.baseline, args.source, top / "baseline", args.formats, args.browser)
            show("baseline", base, None)
        new = measure(ROOT, args.source, top / "new", args.formats, args.browser)
        show("this checkout", new, base)


if __name__ == "__main__":
    main()
