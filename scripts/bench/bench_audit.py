"""Benchmark the siting audit against the naive GeoPandas way and PostGIS, in one run on the same data.

Methods (each in its own subprocess, so that its peak memory is its own):

* ``basin``   - :func:`basin.zoning.audit_facilities` (k-d tree candidates + geodesic refinement, exact);
* ``naive``   - GeoPandas in one projection (China Albers): buffer the triggering rivers by each rule's distance,
  dissolve, ``sjoin`` the facilities;
* ``postgis`` - PostgreSQL + PostGIS: ``ST_DWithin`` on projected geometry (China Albers) with a GiST index;
* ``postgis_geog`` - the same on the ``geography`` type (spheroid distances), only up to ``--geog-max`` points;
  the naive way only up to ``--naive-max``; a method over ``--timeout`` is reported as such.

Networks: the demo rivers (``basin.datasets``) and a synthetic dense network of ``--reaches`` random reaches
(default 100,000) over 97-110.5E 26-34.5N. Facilities: uniform random points with random category/status.

Exactness: every method's set of (facility, rule) inside-flags is compared with basin's (whose distances are
tested against pyproj.Geod in tests/zoning/test_geodesic.py); the differences are the facilities a method
misclassifies. PostgreSQL is started on loopback in a temporary data directory as the ``postgres`` user and
stopped after.

Usage::

    python scripts/bench/bench_audit.py                 # 1e4 + 1e5 facilities (naive, geography: 1e4), ~10 min
    python scripts/bench/bench_audit.py --full          # adds 1e6; naive up to 1e6 (hours on the dense network)
    python scripts/bench/bench_audit.py --sizes 10000 --methods basin naive --networks demo
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
def dense_network(n_reaches: int, seed: int = 1) -> gpd.GeoDataFrame:  # noqa: F821
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
        lon[:, k], lat[:, k], _ = geod.fwd(
            lon[:, k - 1], lat[:, k - 1], az, rng.uniform(800, 1600, n_reaches)
        )
    lines = shapely.linestrings(np.stack([lon, lat], -1))
    level = rng.choice([0, 1, 2, 3, 4], n_reaches, p=[0.02, 0.08, 0.2, 0.3, 0.4])
    return gpd.GeoDataFrame(
        {"river_id": [f"D{i:07d}" for i in range(n_reaches)], "name": None, "level": level, "basin": "长江"},
        geometry=lines,
        crs=4326,
    )


def random_facilities(n: int, seed: int = 2) -> gpd.GeoDataFrame:  # noqa: F821
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


def applicable(fac, rules, inside: dict[str, np.ndarray]) -> set[tuple[str, str]]:
    """Turn per-rule inside masks into the violation pairs (same category/status logic as basin)."""
    cat = fac["category"].to_numpy().astype(str)
    st = fac["status"].to_numpy().astype(str)
    ids = fac["facility_id"].to_numpy().astype(str)
    out: set[tuple[str, str]] = set()
    for r in rules:
        m = inside[r.id] & (
            ((st == "proposed") & np.isin(cat, r.prohibits))
            | ((st == "existing") & np.isin(cat, r.phase_out))
        )
        out.update((i, r.id) for i in ids[m])
    return out


# PostGIS ---------------------------------------------------------------------------------------------
class PostGIS:
    """A throw-away PostgreSQL + PostGIS server on loopback (temp data dir, run as ``postgres``)."""

    def __init__(self) -> None:
        self.bindir = self._bindir()
        self.dir = Path(tempfile.mkdtemp(prefix="basin_pg_"))
        self.port = self._free_port()
        self.user = "postgres" if os.geteuid() == 0 else None

    @staticmethod
    def _find_bindir() -> Path | None:
        for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
            if (cand / "initdb").exists() and list(cand.parent.glob("lib/postgis*")):
                return cand
        found = shutil.which("initdb")
        return Path(found).resolve().parent if found else None

    @classmethod
    def _bindir(cls) -> Path:
        found = cls._find_bindir()
        if found is None and os.geteuid() == 0 and shutil.which("apt-get"):
            # a clean machine: install Debian's PostgreSQL + PostGIS (the benchmark's reference), as the issue asks
            print("installing Debian's postgresql + postgis (apt-get) ...", flush=True)
            env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
            subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
            subprocess.run(
                ["apt-get", "install", "-y", "-qq", "postgresql", "postgresql-postgis"], check=True, env=env,
                stdout=subprocess.DEVNULL,
            )
            found = cls._find_bindir()
        if found is None:
            msg = (
                "PostgreSQL + PostGIS not found; apt-get install postgresql postgresql-postgis "
                "(or run without --methods postgis)"
            )
            raise RuntimeError(msg)
        return found

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
        self._run(
            [str(self.bindir / "initdb"), "-D", str(self.dir / "data"), "-A", "trust", "-U", "postgres"]
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories={self.dir} "
            "-c shared_buffers=512MB -c work_mem=256MB -c maintenance_work_mem=512MB -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            [
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.dir / "data"),
                "-o",
                opts,
                "-w",
                "-l",
                str(self.dir / "log.txt"),
                "start",
            ]
        )
        self.sql("CREATE EXTENSION postgis;")

    def stop(self) -> None:
        try:
            self._run([str(self.bindir / "pg_ctl"), "-D", str(self.dir / "data"), "-m", "fast", "-w", "stop"])
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def sql(self, query: str, stdin: str | None = None) -> str:
        args = [
            str(self.bindir / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-q",
            "-A",
            "-t",
            "-c",
            query,
        ]
        return subprocess.run(args, check=True, capture_output=True, text=True, input=stdin).stdout


class Basin:
    """basin: prepare the network once (edges, trees), then audit each facility set."""

    def __init__(self, rivers, lakes) -> None:
        from basin.zoning import prepare_network

        self.net = prepare_network(rivers, lakes)

    def query(self, fac):
        from basin.zoning import audit_facilities

        v = audit_facilities(fac, network=self.net)
        return set(zip(v["facility_id"].astype(str), v["rule_id"].astype(str), strict=True)), {}


class Naive:
    """GeoPandas in one projection: buffer + dissolve once per rule, then ``sjoin`` each facility set."""

    def __init__(self, rivers, lakes) -> None:
        import geopandas as gpd
        import pandas as pd

        self.rules = _rules()
        riv_m = rivers.to_crs(ALBERS)
        lak_m = lakes.to_crs(ALBERS) if lakes is not None else None
        self.zones = {}
        cache = {}
        for r in self.rules:
            key = (r.trigger_key, r.distance_m)
            if key not in cache:
                parts = [riv_m[r.river_mask(rivers)][["geometry"]]]
                if lak_m is not None:
                    parts.append(lak_m[r.lake_mask(lakes)][["geometry"]])
                trig = pd.concat(parts, ignore_index=True)
                cache[key] = gpd.GeoDataFrame(geometry=[trig.buffer(r.distance_m).union_all()], crs=ALBERS)
            self.zones[r.id] = cache[key]

    def query(self, fac):
        import geopandas as gpd

        fac_m = fac[["geometry"]].to_crs(ALBERS)
        inside = {}
        for r in self.rules:
            hit = gpd.sjoin(fac_m, self.zones[r.id], predicate="intersects", how="inner")
            inside[r.id] = fac.index.isin(hit.index)
        return applicable(fac, self.rules, inside), {}


class PostGISMethod:
    """PostGIS: the triggering features in a table with a GiST index; each facility set loaded and indexed, then
    one ``EXISTS (... ST_DWithin ...)`` query per rule. ``geography=True`` uses spheroid distances."""

    def __init__(self, rivers, lakes, *, port: int, geography: bool = False) -> None:
        import pandas as pd
        import shapely

        self.rules = _rules()
        self.pg = PostGIS.__new__(PostGIS)
        self.pg.bindir, self.pg.port = PostGIS._bindir(), port
        self.geography = geography
        self.srid = 4326 if geography else 990001
        self.col = "geography" if geography else "geometry"
        if not geography:
            self.pg.sql(
                "INSERT INTO spatial_ref_sys (srid, auth_name, auth_srid, proj4text, srtext) VALUES "
                f"(990001, 'basin', 990001, '{ALBERS}', '') ON CONFLICT DO NOTHING;"
            )
        self.groups: dict = {}
        for r in self.rules:
            self.groups.setdefault(r.trigger_key, []).append(r)
        rows = []
        for gi, members in enumerate(self.groups.values()):
            r = members[0]
            parts = [rivers.geometry[r.river_mask(rivers)]]
            if lakes is not None:
                parts.append(lakes.geometry[r.lake_mask(lakes)])
            geo = pd.concat(parts)
            geo = geo.to_crs(ALBERS) if not geography else geo.to_crs(4326)
            for w in shapely.to_wkb(shapely.set_srid(geo.to_numpy(), self.srid), hex=True, include_srid=True):
                rows.append(f"{gi}\t{w}")
        self.pg.sql(f"DROP TABLE IF EXISTS trig; CREATE TABLE trig (grp int, g {self.col});")
        self.pg.sql("COPY trig FROM STDIN", stdin="\n".join(rows) + "\n")
        self.pg.sql("CREATE INDEX ON trig USING gist (g); ANALYZE trig;")

    def query(self, fac):
        import shapely

        t0 = time.perf_counter()
        g = fac.geometry.to_crs(ALBERS) if not self.geography else fac.geometry.to_crs(4326)
        wkb = shapely.to_wkb(shapely.set_srid(g.to_numpy(), self.srid), hex=True, include_srid=True)
        self.pg.sql(f"DROP TABLE IF EXISTS fac; CREATE TABLE fac (i int, g {self.col});")
        self.pg.sql("COPY fac FROM STDIN", stdin="\n".join(f"{i}\t{w}" for i, w in enumerate(wkb)) + "\n")
        self.pg.sql("CREATE INDEX ON fac USING gist (g); ANALYZE fac;")
        t_load = time.perf_counter() - t0
        inside = {}
        t0 = time.perf_counter()
        for gi, members in enumerate(self.groups.values()):
            for r in members:
                out = self.pg.sql(
                    f"SELECT f.i FROM fac f WHERE EXISTS (SELECT 1 FROM trig t WHERE t.grp = {gi} "
                    f"AND ST_DWithin(f.g, t.g, {r.distance_m}))"
                )
                m = np.zeros(len(fac), dtype=bool)
                m[np.array([int(x) for x in out.split()], dtype=np.int64)] = True
                inside[r.id] = m
        return applicable(fac, self.rules, inside), {
            "load_index_s": round(t_load, 2),
            "sql_s": round(time.perf_counter() - t0, 2),
        }


# ------------------------------------------------------------------------------------------ harness
def child(args: argparse.Namespace) -> None:
    """Run one method on one network for every facility file; print one JSON line with the times and peak RSS."""
    import geopandas as gpd
    import scipy.spatial  # noqa: F401

    import basin.zoning  # noqa: F401 - imports (scipy.spatial, pyproj) are not part of the timings
    import basin.zoning.geodesic  # noqa: F401

    rivers = gpd.read_parquet(args.rivers)
    lakes = gpd.read_parquet(args.lakes) if args.lakes else None
    t0 = time.perf_counter()
    if args.method == "basin":
        m = Basin(rivers, lakes)
    elif args.method == "naive":
        m = Naive(rivers, lakes)
    else:
        m = PostGISMethod(rivers, lakes, port=args.pg_port, geography=args.method == "postgis_geog")
    out = {"prep_s": time.perf_counter() - t0, "sizes": {}}
    for path in args.facilities:
        fac = gpd.read_parquet(path)
        t0 = time.perf_counter()
        pairs, extra = m.query(fac)
        dt = time.perf_counter() - t0
        pout = Path(path).with_suffix(f".{args.method}.txt")
        pout.write_text("\n".join(sorted(f"{a},{b}" for a, b in pairs)), encoding="utf-8")
        out["sizes"][str(len(fac))] = {"query_s": dt, "pairs": str(pout), **extra}
        print(json.dumps({"progress": len(fac), "query_s": round(dt, 2)}), file=sys.stderr, flush=True)
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def _spawn(
    method: str, riv: Path, lak: Path | None, facs: list[Path], pg_port: int | None, timeout: float
) -> dict:
    cmd = [sys.executable, __file__, "--child", method, "--rivers", str(riv), "--facilities", *map(str, facs)]
    if lak:
        cmd += ["--lakes", str(lak)]
    if pg_port:
        cmd += ["--pg-port", str(pg_port)]
    try:
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timeout > {timeout:.0f} s"}
    if res.returncode != 0:
        return {
            "error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else f"exit {res.returncode}"
        }
    info = json.loads(res.stdout.strip().splitlines()[-1])
    for v in info["sizes"].values():
        text = Path(v["pairs"]).read_text(encoding="utf-8")
        v["pairs"] = set(text.splitlines()) if text else set()
    return info


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--full", action="store_true", help="also 1e6 facilities")
    ap.add_argument("--sizes", type=int, nargs="+", help="facility counts (default 1e4 1e5; --full adds 1e6)")
    ap.add_argument(
        "--reaches", type=int, default=100_000, help="reaches of the dense network (default 100000)"
    )
    ap.add_argument("--networks", nargs="+", default=["demo", "dense"], choices=["demo", "dense"])
    ap.add_argument(
        "--methods",
        nargs="+",
        default=["basin", "naive", "postgis", "postgis_geog"],
        choices=["basin", "naive", "postgis", "postgis_geog"],
    )
    ap.add_argument("--geog-max", type=int, help="largest size run on PostGIS geography (default 1e4; --full 1e5)")
    ap.add_argument("--naive-max", type=int, help="largest size run the naive way (default 1e4; --full 1e6)")
    ap.add_argument("--timeout", type=float, help="per method and network, s (default 300; --full 7200)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--facilities", nargs="+", help=argparse.SUPPRESS)
    ap.add_argument("--rivers", help=argparse.SUPPRESS)
    ap.add_argument("--lakes", help=argparse.SUPPRESS)
    ap.add_argument("--pg-port", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        args.method = args.child
        child(args)
        return
    sizes = sorted(args.sizes or ([10_000, 100_000, 1_000_000] if args.full else [10_000, 100_000]))
    geog_max = args.geog_max or (100_000 if args.full else 10_000)
    naive_max = args.naive_max or (1_000_000 if args.full else 10_000)
    timeout = args.timeout or (7200.0 if args.full else 300.0)
    tmp = Path(tempfile.mkdtemp(prefix="basin_bench_"))
    pg = None
    results = []
    try:
        if any(m.startswith("postgis") for m in args.methods):
            pg = PostGIS()
            pg.start()
            print(
                f"PostGIS {pg.sql('SELECT postgis_lib_version()').strip()} on 127.0.0.1:{pg.port}", flush=True
            )
        facs = []
        for n in sizes:
            facs.append(tmp / f"fac_{n}.parquet")
            random_facilities(n).to_parquet(facs[-1])
        for net in args.networks:
            if net == "demo":
                rivers, lakes = demo_network()
            else:
                t0 = time.perf_counter()
                rivers, lakes = dense_network(args.reaches), None
                print(
                    f"dense network: {len(rivers)} reaches generated in {time.perf_counter() - t0:.1f} s",
                    flush=True,
                )
            riv = tmp / f"{net}_rivers.parquet"
            rivers.to_parquet(riv)
            lak = None
            if lakes is not None:
                lak = tmp / f"{net}_lakes.parquet"
                lakes.to_parquet(lak)
            row = {"network": net, "reaches": len(rivers), "methods": {}}
            for m in args.methods:
                limit = {"postgis_geog": geog_max, "naive": naive_max}.get(m, max(sizes))
                use = [f for f, n in zip(facs, sizes, strict=True) if n <= limit]
                if not use:
                    continue
                info = _spawn(m, riv, lak, use, pg.port if pg else None, timeout)
                row["methods"][m] = info
                if "error" in info:
                    print(f"  {net:5s} {m:13s} {info['error']}", flush=True)
                    continue
                times = ", ".join(f"n={k}: {v['query_s']:.2f} s" for k, v in info["sizes"].items())
                print(
                    f"  {net:5s} {m:13s} prep {info['prep_s']:.2f} s; {times}; peak {info['peak_mb']:.0f} MB",
                    flush=True,
                )
            truth = row["methods"].get("basin", {}).get("sizes", {})
            for m, info in row["methods"].items():
                for k, v in info.get("sizes", {}).items():
                    if k in truth and m != "basin":
                        diff = v["pairs"] ^ truth[k]["pairs"]
                        v["misclassified_facilities"] = len({x.split(",")[0] for x in diff})
                    v["violations"] = len(v["pairs"])
            results.append(row)
    finally:
        if pg is not None:
            pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    _report(results)


def _report(results: list[dict]) -> None:
    print()
    print(
        "time = network preparation (once) + facility query; ratio = method total / basin total (> 1: basin faster)"
    )
    print(
        f"{'network':7s} {'reaches':>8s} {'method':13s} {'facilities':>10s} {'prep s':>8s} {'query s':>8s} "
        f"{'total s':>8s} {'ratio':>7s} {'q-ratio':>7s} {'peak MB':>8s} {'misclassified':>13s}"
    )
    for row in results:
        base = row["methods"].get("basin", {})
        for m, info in row["methods"].items():
            if "error" in info:
                bound = ""
                if info["error"].startswith("timeout") and base.get("sizes"):
                    t = float(info["error"].split(">")[1].split()[0])
                    k = min(base["sizes"], key=int)  # the method gets all its sizes in one process
                    bound = f"  (>= {t / (base['prep_s'] + base['sizes'][k]['query_s']):.0f}x basin at n={k})"
                print(f"{row['network']:7s} {row['reaches']:8d} {m:13s} {info['error']}{bound}")
                continue
            for k, v in info["sizes"].items():
                total = info["prep_s"] + v["query_s"]
                b = base.get("sizes", {}).get(k)
                ratio = total / (base["prep_s"] + b["query_s"]) if b else float("nan")
                qratio = v["query_s"] / b["query_s"] if b else float("nan")
                mis = v.get("misclassified_facilities", 0)
                extra = (
                    f"  (load+index {v['load_index_s']} s, SQL {v['sql_s']} s)" if "load_index_s" in v else ""
                )
                print(
                    f"{row['network']:7s} {row['reaches']:8d} {m:13s} {int(k):10d} {info['prep_s']:8.2f} "
                    f"{v['query_s']:8.2f} {total:8.2f} {ratio:7.1f} {qratio:7.1f} {info['peak_mb']:8.0f} "
                    f"{mis:13d}{extra}"
                )
    print("\nscaling (query time): time ~ n^k between the smallest and the largest facility count")
    for row in results:
        for m, info in row["methods"].items():
            sz = info.get("sizes", {})
            if len(sz) >= 2:
                ks = sorted(sz, key=int)
                a, b = sz[ks[0]]["query_s"], sz[ks[-1]]["query_s"]
                k = np.log(b / a) / np.log(int(ks[-1]) / int(ks[0]))
                print(
                    f"  {row['network']:5s} {m:13s} k = {k:.2f} ({ks[0]} -> {ks[-1]}: {a:.2f} s -> {b:.2f} s)"
                )
    clean = [
        {
            **r,
            "methods": {
                m: {
                    **i,
                    "sizes": {
                        k: {kk: vv for kk, vv in v.items() if kk != "pairs"}
                        for k, v in i.get("sizes", {}).items()
                    },
                }
                for m, i in r["methods"].items()
            },
        }
        for r in results
    ]
    print("\nJSON:", json.dumps(clean))


if __name__ == "__main__":
    main()
