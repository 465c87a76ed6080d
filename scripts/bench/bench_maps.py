"""Benchmark the maps: a print-quality static map (A3 at 300 dpi, PNG and PDF) and the offline web map.

Peak memory is measured in a fresh child process per case (ru_maxrss), against a baseline child that only
imports matplotlib and reads the demo layers, so the numbers show what drawing and saving add.

    python scripts/bench/bench_maps.py            # A3 at 300 dpi (the goal), PNG + PDF, and the web map
    python scripts/bench/bench_maps.py --full     # also A1 at 300 dpi
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import textwrap

CHILD = textwrap.dedent(
    """
    import json, resource, sys, time
    case, out = sys.argv[1], sys.argv[2]
    import matplotlib
    from basin.maps.demo import demo_layers, DEMO_SOURCES
    layers = demo_layers()
    t = time.perf_counter()
    if case.startswith("static"):
        _, paper, dpi, fmt = case.split(":")
        from basin.maps import static_map
        static_map(**layers, paper=paper, dpi=int(dpi), sources=DEMO_SOURCES, filepath=f"{out}/map.{fmt}")
    elif case == "web":
        from basin.maps import web_map, write_web_map
        write_web_map(web_map(**layers), f"{out}/map.html")
    dt = time.perf_counter() - t
    print(json.dumps({"seconds": dt, "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
    """
)


def run(case: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        cmd = [sys.executable, "-c", CHILD, case, out]
        res = subprocess.run(cmd, capture_output=True, text=True, check=True)
        row = json.loads(res.stdout.strip().splitlines()[-1])
        import pathlib

        files = list(pathlib.Path(out).iterdir())
        row["bytes"] = sum(f.stat().st_size for f in files)
        return row


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also A1 at 300 dpi")
    args = ap.parse_args()
    cases = ["baseline", "static:A3:300:png", "static:A3:300:pdf", "web"]
    if args.full:
        cases.append("static:A1:300:png")
    base = None
    print(f"{'case':<22}{'seconds':>9}{'peak MB':>10}{'+MB vs base':>13}{'output MB':>11}")
    for case in cases:
        r = run(case)
        if base is None:
            base = r["peak_mb"]
        extra = r["peak_mb"] - base
        print(f"{case:<22}{r['seconds']:>9.2f}{r['peak_mb']:>10.0f}{extra:>13.0f}{r['bytes'] / 1e6:>11.2f}")


if __name__ == "__main__":
    main()
