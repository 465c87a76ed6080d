"""Benchmark the siting audit against the naive GeoPandas way and PostGIS, in one run on the same data.

Methods (each in its own subprocess, so that its peak memory is its own):

* ``basin``   - :func:`basin.zoning.audit_facilities` (STRtree candidates + geodesic refinement, exact);
* ``naive``   - GeoPandas in one projection (China Albers): buffer the triggering rivers by each rule's distance,
  dissolve, ``sjoin`` the facilities;
* ``postgis`` - PostgreSQL + PostGIS: ``ST_DWithin`` on projected geometry (China Albers) with a GiST index;
* ``postgis_geog`` - the same on the ``geography`` type (spheroid distances), only up to ``--geog-max`` points.

Networks: the demo rivers (``basin.datasets``) and a synthetic dense network of ``--reaches`` random reaches
(default 100,000) over 97-110.5E 26-34.5N. Facilities: uniform random points with random category/status.

Exactness: every method's set of (facility, rule) inside-flags is compared with basin's (whose distances are
tested against pyproj.Geod in tests/zoning/test_geodesic.py); the differences are the facilities a method
misclassifies. PostgreSQL is started on loopback in a temporary data directory as the ``postgres`` user and
stopped after.

Usage::

    python scripts/bench/bench_audit.py                 # 1e4 and 1e5 facilities, a few minutes
    python scripts/bench/bench_audit.py --full          # adds 1e6 facilities
    python scripts/bench/bench_audit.py --sizes 10000 --no-postgis
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ALBERS = "+proj=aea +lat_1=25 +lat_2=47 +lat_0=0 +lon_0=105 +ellps=WGS84 +units=m +no_defs"
BBOX = (97.0, 26.0, 110.5, 34.5)


# ---------------------------------------------------------------------------------------------- data
def dense_network(n_reaches: int, seed: int = 1) -> "gpd.GeoDataFrame":  # noqa: F821
    """Random reaches: 6-vertex random walks with ~1.2 km steps (about 6 km per reach), levels 0-4."""
    import geopandas as gpd
    import shapely
    from pyproj import Geod

    geod = Geod(ellps="WGS84")
    rng = np.random.default_rng(seed)
    nv = 6
    lon = np.empty((n_reaches, nv))
    lat = np.empty((n_reaches, nv))
    lon[:, 0] = rng.uniform(BBOX[0], BBOX[2], n_reaches)
    lat[:, 0] = rng.uniform(BBOX[1], BBOX[3], n_reaches)
    az = rng.uniform(0, 360, n_reaches)
    for k in range(1, nv):
        az = az + rng.uniform(-35, 35, n_reaches)
        lon[:, k], lat[:, k], _ = geod.fwd(lon[:, k - 1], lat[:, k - 1], az, rng.uniform(800, 1600, n_reaches))
    lines = shapely.linestrings(np.stack([lon, lat], -1))
    level = rng.choice([0, 1, 2, 3, 4], n_reaches, p=[0.02, 0.08, 0.2, 0.3, 0.4])
    return gpd.GeoDataFrame(
        {"river_id": [f"D{i:07d}" for i in range(n_reaches)], "name": None, "level": level, "basin": "长江"},
        geometry=lines,
        crs=4326,
    )


def random_facilities(n: int, seed: int = 2) -> "gpd.GeoDataFrame":  # noqa: F821
    import geopandas as gpd

    rng = np.random.default_rng(seed)
    return gpd.GeoDataFrame(
        {
            "facility_id": [f"F{i:07d}" for i in range(n)],
            "category": rng.choice(["polluting_facility", "industrial_park", "other"], n, p=[0.6, 0.3, 0.1]),
            "status": rng.choice(["proposed", "existing"], n),
        },
        geometry=gpd.points_from_xy(rng.uniform(BBOX[0], BBOX[2], n), rng.uniform(BBOX[1], BBOX[3], n)),
        crs=4326,
    )


def demo_network():
    from basin import datasets
    from basin.io import read_layer

    rivers = read_layer(datasets.get_path("rivers"), "rivers").to_crs(4326)
    try:
        lakes = read_layer(datasets.get_path("lakes"), "lakes").to_crs(4326)
    except Exception:  # noqa: BLE001 - demo without lakes
        lakes = None
    return rivers, lakes


# -------------------------------------------------------------------------------------------- methods
def _rules():
    from basin.zoning import load_rules

    return load_rules()


def inside_flags_from_violations(viol, fac, rules) -> set[tuple[str, str]]:
    """(facility_id, rule_id) pairs 'inside' per a method, restricted to those the rule applies to."""
    return set(zip(viol["facility_id"].astype(str), viol["rule_id"].astype(str), strict=True))


def applicable(fac, rules, inside: dict[str, np.ndarray]) -> set[tuple[str, str]]:
    """Turn per-rule inside masks into the violation pairs (same category/status logic as basin)."""
    cat = fac["category"].to_numpy().astype(str)
    st = fac["status"].to_numpy().astype(str)
    ids = fac["facility_id"].to_numpy().astype(str)
    out: set[tuple[str, str]] = set()
    for r in rules:
        m = inside[r.id] & (
            ((st == "proposed") & np.isin(cat, r.prohibits)) | ((st == "existing") & np.isin(cat, r.phase_out))
        )
        out.update((i, r.id) for i in ids[m])
    return out


def run_basin(fac, rivers, lakes):
    from basin.zoning import audit_facilities

    t0 = time.perf_counter()
    v = audit_facilities(fac, rivers, lakes)
    return time.perf_counter() - t0, inside_flags_from_violations(v, fac, None), {}


def run_naive(fac, rivers, lakes):
    import geopandas as gpd
    import pandas as pd

    rules = _rules()
    t0 = time.perf_counter()
    fac_m = fac.to_crs(ALBERS)
    riv_m = rivers.to_crs(ALBERS)
    lak_m = lakes.to_crs(ALBERS) if lakes is not None else None
    inside = {}
    for r in rules:
        parts = [riv_m[r.river_mask(rivers)]]
        if lak_m is not None:
            parts.append(lak_m[r.lake_mask(lakes)])
        trig = pd.concat([p[["geometry"]] for p in parts], ignore_index=True)
        zone = gpd.GeoDataFrame(geometry=[trig.buffer(r.distance_m).union_all()], crs=ALBERS)
        hit = gpd.sjoin(fac_m[["geometry"]], zone, predicate="intersects", how="inner")
        inside[r.id] = fac.index.isin(hit.index)
    dt = time.perf_counter() - t0
    return dt, applicable(fac, rules, inside), {}


# PostGIS ---------------------------------------------------------------------------------------------
class PostGIS:
    """A throw-away PostgreSQL + PostGIS server on loopback (temp data dir, run as ``postgres``)."""

    def __init__(self) -> None:
        self.bindir = self._bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="basin_pg_"))
        self.port = self._free_port()
        self.user = "postgres" if os.geteuid() == 0 else None

    @staticmethod
    def _bindir() -> Path:
        for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (cand / "initdb").exists():
                return cand
        found = shutil.which("initdb")
        if found:
            return Path(found).resolve().parent
        msg = "PostgreSQL not found; apt-get install postgresql postgresql-15-postgis-3"
        raise RuntimeError(msg)

    @staticmethod
    def _free_port() -> int:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def _run(self, args: list[str], **kw):
        if self.user:
            args = ["runuser", "-u", self.user, "--", *args]
        return subprocess.run(args, check=True, capture_output=True, text=True, **kw)

    def start(self) -> None:
        if self.user:
            shutil.chown(self.dir, self.user, self.user)
        self._run([str(self.bindir / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres"])
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
            "-c shared_buffers=512MB -c work_mem=256MB -c maintenance_work_mem=512MB -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-o", opts, "-w", "-l",
                   str(self.dir / "log.txt"), "start"])
        self.sql("CREATE EXTENSION postgis;")

    def stop(self) -> None:
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def sql(self, query: str, stdin: str | None = None) -> str:
        args = [str(self.bindir / "psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
                "postgres", "-v", "ON_ERROR_STOP=1", "-q", "-A", "-t", "-c", query]
        return subprocess.run(args, check=True, capture_output=True, text=True, input=stdin).stdout


def run_postgis(fac, rivers, lakes, *, geography: bool = False, pg_port: int | None = None):
    import pandas as pd
    import shapely

    rules = _rules()
    pg = PostGIS.__new__(PostGIS)
    pg.bindir, pg.port = PostGIS._bindir(), pg_port
    srid = 4326 if geography else 990001
    col = "geography" if geography else "geometry"
    # load (not timed as the query; reported separately)
    t0 = time.perf_counter()
    if not geography:
        pg.sql(
            "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, proj4text, srtext) VALUES "
            f"(990001, 'basin', 990001, '{ALBERS}', '') ON CONFLICT DO NOTHING;"
        )
    fac_g = fac.geometry.to_crs(ALBERS) if not geography else fac.geometry
    wkb = shapely.to_wkb(shapely.set_srid(fac_g.to_numpy(), srid), hex=True, include_srid=True)
    pg.sql(f"DROP TABLE IF EXISTS fac; CREATE TABLE fac (i int, g {col});")
    buf = "\n".join(f"{i}\t{w}" for i, w in enumerate(wkb))
    pg.sql("COPY fac FROM STDIN", stdin=buf + "\n")
    pg.sql(f"DROP TABLE IF EXISTS trig; CREATE TABLE trig (grp int, g {col});")
    groups: dict = {}
    for r in rules:
        groups.setdefault(r.trigger_key, []).append(r)
    rows = []
    for gi, members in enumerate(groups.values()):
        r = members[0]
        parts = [rivers.geometry[r.river_mask(rivers)]]
        if lakes is not None:
            parts.append(lakes.geometry[r.lake_mask(lakes)])
        geo = pd.concat(parts)
        geo = geo.to_crs(ALBERS) if not geography else geo
        for w in shapely.to_wkb(shapely.set_srid(geo.to_numpy(), srid), hex=True, include_srid=True):
            rows.append(f"{gi}\t{w}")
    pg.sql("COPY trig FROM STDIN", stdin="\n".join(rows) + "\n")
    pg.sql("CREATE INDEX ON fac USING gist (g); CREATE INDEX ON trig USING gist (g); ANALYZE fac; ANALYZE trig;")
    t_load = time.perf_counter() - t0
    inside = {}
    t0 = time.perf_counter()
    for gi, members in enumerate(groups.values()):
        for r in members:
            out = pg.sql(
                f"SELECT f.i FROM fac f WHERE EXISTS (SELECT 1 FROM trig t WHERE t.grp = {gi} "
                f"AND ST_DWithin(f.g, t.g, {r.distance_m}))"
            )
            idx = np.array([int(x) for x in out.split()], dtype=np.int64)
            m = np.zeros(len(fac), dtype=bool)
            m[idx] = True
            inside[r.id] = m
    dt = time.perf_counter() - t0
    return dt, applicable(fac, rules, inside), {"load_index_s": round(t_load, 2)}


# ------------------------------------------------------------------------------------------ harness
def child(args: argparse.Namespace) -> None:
    """Run one method on one dataset; print a JSON line with time, peak RSS and the violation pairs file."""
    import geopandas as gpd

    fac = gpd.read_parquet(args.facilities)
    rivers = gpd.read_parquet(args.rivers)
    lakes = gpd.read_parquet(args.lakes) if args.lakes else None
    if args.method == "basin":
        dt, pairs, extra = run_basin(fac, rivers, lakes)
    elif args.method == "naive":
        dt, pairs, extra = run_naive(fac, rivers, lakes)
    elif args.method == "postgis":
        dt, pairs, extra = run_postgis(fac, rivers, lakes, pg_port=args.pg_port)
    else:
        dt, pairs, extra = run_postgis(fac, rivers, lakes, geography=True, pg_port=args.pg_port)
    Path(args.pairs_out).write_text("\n".join(sorted(f"{a},{b}" for a, b in pairs)), encoding="utf-8")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": dt, "peak_mb": peak_mb, **extra}))


def _spawn(method: str, files: dict, tmp: Path, pg_port: int | None, timeout: float) -> dict:
    out = tmp / f"pairs_{method}.txt"
    cmd = [sys.executable, __file__, "--child", method, "--facilities", str(files["fac"]), "--rivers",
           str(files["riv"]), "--pairs-out", str(out)]
    if files.get("lak"):
        cmd += ["--lakes", str(files["lak"])]
    if pg_port:
        cmd += ["--pg-port", str(pg_port)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout > {timeout:.0f} s"}
    if res.returncode != 0:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else f"exit {res.returncode}"}
    info = json.loads(res.stdout.strip().splitlines()[-1])
    text = out.read_text(encoding="utf-8")
    info["pairs"] = set(text.splitlines()) if text else set()
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also 1e6 facilities")
    ap.add_argument("--sizes", type=int, nargs="+", help="facility counts (default 1e4 1e5; --full adds 1e6)")
    ap.add_argument("--reaches", type=int, default=100_000, help="reaches of the dense network (default 100000)")
    ap.add_argument("--networks", nargs="+", default=["demo", "dense"], choices=["demo", "dense"])
    ap.add_argument("--no-postgis", action="store_true")
    ap.add_argument("--geog-max", type=int, default=100_000, help="largest size run on PostGIS geography")
    ap.add_argument("--naive-max", type=int, default=10**6, help="largest size run with the naive method")
    ap.add_argument("--timeout", type=float, default=3600, help="per method and size (s)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--facilities", help=argparse.SUPPRESS)
    ap.add_argument("--rivers", help=argparse.SUPPRESS)
    ap.add_argument("--lakes", help=argparse.SUPPRESS)
    ap.add_argument("--pairs-out", help=argparse.SUPPRESS)
    ap.add_argument("--pg-port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.method = args.child
        child(args)
        return
    sizes = args.sizes or ([10_000, 100_000, 1_000_000] if args.full else [10_000, 100_000])
    tmp = Path(tempfile.mkdtemp(prefix="basin_bench_"))
    pg = None
    results = []
    try:
        if not args.no_postgis:
            pg = PostGIS()
            pg.start()
            print(f"PostGIS {pg.sql('SELECT postgis_lib_version()').strip()} on 127.0.0.1:{pg.port}", flush=True)
        for net in args.networks:
            if net == "demo":
                rivers, lakes = demo_network()
            else:
                t0 = time.perf_counter()
                rivers, lakes = dense_network(args.reaches), None
                print(f"dense network: {len(rivers)} reaches generated in {time.perf_counter() - t0:.1f} s", flush=True)
            files = {"riv": tmp / f"{net}_rivers.parquet"}
            rivers.to_parquet(files["riv"])
            if lakes is not None:
                files["lak"] = tmp / f"{net}_lakes.parquet"
                lakes.to_parquet(files["lak"])
            for n in sorted(sizes):
                fac = random_facilities(n)
                files["fac"] = tmp / f"fac_{n}.parquet"
                fac.to_parquet(files["fac"])
                row = {"network": net, "reaches": len(rivers), "facilities": n}
                methods = ["basin"]
                if n <= args.naive_max:
                    methods.append("naive")
                if pg is not None:
                    methods.append("postgis")
                    if n <= args.geog_max:
                        methods.append("postgis_geog")
                for m in methods:
                    row[m] = _spawn(m, files, tmp, pg.port if pg else None, args.timeout)
                    info = row[m]
                    msg = info.get("error") or f"{info['seconds']:.2f} s, peak {info['peak_mb']:.0f} MB"
                    print(f"  {net:5s} n={n:>8d} {m:13s} {msg}", flush=True)
                truth = row["basin"].get("pairs", set())
                for m in methods[1:]:
                    if "pairs" in row[m]:
                        p = row[m]["pairs"]
                        wrong = {x.split(",")[0] for x in p ^ truth}
                        row[m]["misclassified_facilities"] = len(wrong)
                        row[m]["wrong_pairs"] = len(p ^ truth)
                row["violations"] = len(truth)
                results.append(row)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    _report(results)


def _report(results: list[dict]) -> None:
    print()
    print(f"{'network':7s} {'reaches':>8s} {'facilities':>10s} {'method':13s} {'time s':>8s} {'peak MB':>8s} "
          f"{'basin x faster':>14s} {'misclassified':>13s}")
    for row in results:
        b = row["basin"]
        for m in ("basin", "naive", "postgis", "postgis_geog"):
            if m not in row:
                continue
            info = row[m]
            if "error" in info:
                print(f"{row['network']:7s} {row['reaches']:8d} {row['facilities']:10d} {m:13s} {info['error']}")
                continue
            ratio = info["seconds"] / b["seconds"] if "seconds" in b else float("nan")
            mis = info.get("misclassified_facilities", 0)
            extra = f"  (load+index {info['load_index_s']} s)" if "load_index_s" in info else ""
            print(f"{row['network']:7s} {row['reaches']:8d} {row['facilities']:10d} {m:13s} {info['seconds']:8.2f} "
                  f"{info['peak_mb']:8.0f} {ratio:14.1f} {mis:13d}{extra}")
    # scaling of basin with facility count per network
    print("\nscaling (basin): time per facility count")
    for net in sorted({r["network"] for r in results}):
        rows = [r for r in results if r["network"] == net and "seconds" in r["basin"]]
        pts = ", ".join(f"{r['facilities']:.0e}: {r['basin']['seconds']:.2f} s" for r in rows)
        print(f"  {net}: {pts}")
        if len(rows) >= 2:
            a, b = rows[0], rows[-1]
            k = np.log(b["basin"]["seconds"] / a["basin"]["seconds"]) / np.log(b["facilities"] / a["facilities"])
            print(f"    time ~ n^{k:.2f} between {a['facilities']:.0e} and {b['facilities']:.0e}")
    print("\nJSON:", json.dumps([{k: ({kk: vv for kk, vv in v.items() if kk != "pairs"} if isinstance(v, dict) else v)
                                 for k, v in r.items()} for r in results]))


if __name__ == "__main__":
    main()
