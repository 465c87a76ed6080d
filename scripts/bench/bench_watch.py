"""Benchmark of basin.watch (issue 13), in sections (``--only`` runs one).

Section ``ingest`` - HJ 212 ingestion throughput into SQLite (goal: >= 20,000 packets/s on one core):
  * a packet file of N packets (default 100,000: 200 stations, hourly, 5 parameters per packet, HJ 212-2017
    CN 2011, valid CRC) is written to a temp folder;
  * ``basin`` = ``basin.watch.ingest.ingest_file`` into a new SQLite file: archive the file, parse and
    CRC-check every packet (vectorised CRC and regexes), map MN to stations, check the values, look up the
    stored keys, insert the observations; timed end to end (packets/s, wall and CPU time);
  * the stream path = ``ingest_packets`` in batches of 1,000 packets as the TCP listener does (every packet
    archived on its own, so a packet sent twice adds nothing);
  * baseline = the straightforward way with the same libraries: per packet ``parse_packet`` (byte-loop
    CRC) and ``Packet.cp_fields``, then one SQLAlchemy Core ``insert().on_conflict_do_nothing()``
    executemany of dict rows; timed on a sample (``--baseline-sample``) and extrapolated linearly (both
    are O(N));
  * floor = sqlite3's own ``executemany`` of the already parsed tuples (what the database alone costs).
  The process is pinned to one core (``os.sched_setaffinity``) so the figure is per core.

    python scripts/bench/bench_watch.py                    # every section
    python scripts/bench/bench_watch.py --only ingest --packets 20000
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's basin, not an installed one

PARAMS = {"pH": 7.5, "DO": 8.0, "CODMn": 3.0, "NH3_N": 0.5, "TP": 0.1}


def make_packets(n: int, stations: int = 200, seed: int = 0) -> list[bytes]:
    """N data packets: ``stations`` stations, hourly, 5 parameters each, small noise on the values."""
    from basin.waterquality.feeds.hj212 import build_packet

    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp("2024-01-01")
    noise = rng.normal(0, 0.02, size=(n, len(PARAMS)))
    out = []
    for i in range(n):
        vals = {p: round(v * (1 + noise[i, j]), 4) for j, (p, v) in enumerate(PARAMS.items())}
        out.append(build_packet(f"MN{i % stations:05d}", t0 + pd.Timedelta(hours=i // stations), vals))
    return out


def bench_ingest(args: argparse.Namespace) -> None:

    from basin.watch.ingest import ingest_file, ingest_packets
    from basin.watch.store import FeedStore, obs_t
    from basin.waterquality.feeds.hj212 import parse_packet

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    n = int(args.packets)
    stations = pd.DataFrame(
        {"station_id": [f"S{i:05d}" for i in range(200)], "mn": [f"MN{i:05d}" for i in range(200)]}
    )
    t = time.perf_counter()
    packets = make_packets(n)
    print(
        f"[ingest] {n:,} packets x {len(PARAMS)} values built in {time.perf_counter() - t:.1f} s "
        f"({sum(map(len, packets)) / n:.0f} bytes each)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        f = d / "feed.hj212"
        f.write_bytes(b"".join(packets))
        # basin, file path
        store = FeedStore(d / "basin.sqlite")
        t, c = time.perf_counter(), time.process_time()
        s = ingest_file(store, f, stations=stations, batch_id=1)
        t_basin, c_basin = time.perf_counter() - t, time.process_time() - c
        assert s.added == n * len(PARAMS), s.to_dict()
        assert s.rejected == 0, s.to_dict()
        t = time.perf_counter()
        s2 = ingest_file(store, f, stations=stations, batch_id=2)
        t_again = time.perf_counter() - t
        assert s2.files_already_ingested == 1
        assert store.count("observations") == n * len(PARAMS)
        store.close()
        # basin, stream path (batches of 1,000 packets, each archived)
        store = FeedStore(d / "stream.sqlite")
        t, c = time.perf_counter(), time.process_time()
        added = 0
        for i in range(0, n, 1000):
            added += ingest_packets(
                store,
                packets[i : i + 1000],
                source="tcp:bench",
                stations=stations,
                batch_id=1,
                first_number=i + 1,
            ).added
        t_stream, c_stream = time.perf_counter() - t, time.process_time() - c
        assert added == n * len(PARAMS)
        store.close()
        # baseline: per packet parse + dict rows + Core executemany, on a sample
        m = min(n, int(args.baseline_sample))
        store = FeedStore(d / "baseline.sqlite")
        mn = dict(zip(stations["mn"], stations["station_id"], strict=True))
        from basin.waterquality.feeds.hj212 import code_table

        to_param = code_table()["parameter"].to_dict()
        t, c = time.perf_counter(), time.process_time()
        rows = []
        for k, raw in enumerate(packets[:m]):
            p = parse_packet(raw, line=k + 1)
            dt, items, _ = p.cp_fields()
            tt = pd.Timestamp(dt).to_pydatetime()
            vals = {code: v for code, fld, v in items if fld == "Rtd"}
            flags = {code: v for code, fld, v in items if fld == "Flag"}
            for code, v in vals.items():
                rows.append(
                    {
                        "station_id": mn[p.mn],
                        "time": tt,
                        "parameter": to_param[code],
                        "value": float(v),
                        "flag": flags.get(code, "N"),
                        "status": "",
                        "raw_id": None,
                        "line": k + 1,
                        "batch_id": 1,
                    }
                )
        with store.engine.begin() as conn:
            conn.execute(store._insert(obs_t).on_conflict_do_nothing(), rows)
        t_base = (time.perf_counter() - t) * n / m
        c_base = (time.process_time() - c) * n / m
        store.close()
        # floor: sqlite3 executemany of parsed tuples
        with sqlite3.connect(d / "floor.sqlite") as con:
            con.execute(
                "create table o (s text, t text, p text, v real, f text, st text, primary key (s, t, p))"
            )
            tup = [
                (r["station_id"], r["time"].isoformat(" "), r["parameter"], r["value"], r["flag"], "")
                for r in rows
            ]
            t = time.perf_counter()
            con.executemany("insert or ignore into o values (?,?,?,?,?,?)", tup)
            con.commit()
            t_floor = (time.perf_counter() - t) * n / m
    rate, cpu_rate = n / t_basin, n / c_basin
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"[ingest] load average {load:.1f}: wall time counts waiting for the core, CPU time does not")
    print(
        f"[ingest] basin ingest_file:          wall {t_basin:6.2f} s {rate:9,.0f} packets/s | "
        f"CPU {c_basin:6.2f} s {cpu_rate:9,.0f} packets/s ({n * len(PARAMS) / c_basin:,.0f} values/s); "
        "goal >= 20,000/s on one core: "
        f"{'met' if cpu_rate >= 20000 else 'NOT met'} (CPU), {'met' if rate >= 20000 else 'not met'} (wall)"
    )
    print(f"[ingest] same file again (skipped):  wall {t_again:6.3f} s")
    print(
        f"[ingest] basin ingest_packets x1000: wall {t_stream:6.2f} s {n / t_stream:9,.0f} packets/s | CPU "
        f"{c_stream:6.2f} s {n / c_stream:9,.0f} packets/s"
    )
    print(
        f"[ingest] baseline per-packet + Core: wall {t_base:6.2f} s {n / t_base:9,.0f} packets/s | CPU "
        f"{c_base:6.2f} s {n / c_base:9,.0f} packets/s (sample {m:,}); "
        f"basin {c_base / c_basin:.1f}x faster (CPU), "
        f"{t_base / t_basin:.1f}x (wall)"
    )
    print(
        f"[ingest] floor sqlite3 executemany:  wall {t_floor:6.2f} s (the database alone: "
        f"{t_floor / t_basin:.0%} of basin's wall time)"
    )


SECTIONS: dict[str, Callable[[argparse.Namespace], None]] = {"ingest": bench_ingest}
#: sections that other branches add to this script (watch-rules: the rules and the tracing)
PLANNED = ("rules", "trace")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=sorted({*SECTIONS, *PLANNED}), help="run one section")
    ap.add_argument("--packets", type=float, default=100_000, help="ingest: packets (default 100,000)")
    ap.add_argument("--baseline-sample", type=float, default=10_000, help="ingest: baseline sample (packets)")
    args = ap.parse_args()
    names = [args.only] if args.only else list(SECTIONS)
    for name in names:
        if name not in SECTIONS:
            sys.exit(f"section {name!r} is not in this checkout yet (it comes with the watch-rules branch)")
        SECTIONS[name](args)


if __name__ == "__main__":
    main()
