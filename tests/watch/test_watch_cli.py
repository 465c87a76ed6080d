"""``basin watch`` end to end on the demo network with a simulated HJ 212 feed, and over TCP."""

from __future__ import annotations

import json
import os
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from click.testing import CliRunner

from basin import datasets
from basin.cli import main
from basin.waterquality.feeds.hj212 import build_packet, parse_packet

ROOT = Path(__file__).resolve().parents[2]


def layer_args():
    return [
        "--stations",
        str(datasets.get_path("stations")),
        "--rivers",
        str(datasets.get_path("rivers")),
        "--facilities",
        str(datasets.get_path("facilities")),
        "--admin",
        str(datasets.get_path("admin")),
    ]


def simulated_packets(seed=3, pulse=True, start="2024-05-01", days=10):
    """Hourly NH3-N and DO at four Jialing/Yangtze stations; a 6-hour NH3-N pulse passing S003 then S004."""
    rng = np.random.default_rng(seed)
    t0 = pd.Timestamp(start)
    out = []
    for st, lag in [("S027", -4), ("S003", 0), ("S004", 6), ("S013", 14)]:
        for h in range(24 * days):
            v = 0.30 + rng.normal(0, 0.02)
            if pulse and st != "S027" and 24 * 8 + lag <= h < 24 * 8 + lag + 6:
                v = 2.0
            out.append(
                build_packet(
                    st,
                    t0 + pd.Timedelta(hours=h),
                    {"NH3_N": round(v, 3), "DO": round(7.5 + rng.normal(0, 0.1), 2)},
                )
            )
    return out


def test_watch_once_on_the_demo_network(tmp_path):
    feed = tmp_path / "feeds"
    feed.mkdir()
    (feed / "day1.hj212").write_bytes(b"".join(simulated_packets()))
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["watch", str(feed), "--project", "demo", "-o", str(out)])
    assert res.exit_code == 1, res.output  # new warnings
    assert "960 packet(s): 1920 value(s) added" in res.output
    w = pd.read_csv(out / "warnings.csv")
    s004 = w[(w["station_id"] == "S004") & (w["parameter"] == "NH3_N")]
    assert len(s004) >= 1
    assert set(w["station_id"]) <= {"S003", "S004", "S013", "S027"}
    assert "S027" not in set(w["station_id"])  # no pulse there, no warning
    cand = pd.read_csv(out / "candidates.csv")
    top = cand[cand["warning_id"].isin(s004["warning_id"]) & (cand["rank"] <= 3)]
    assert "S003" in set(top["id"])  # the upstream station that saw the pulse first
    notices = json.loads((out / "notices.json").read_text(encoding="utf-8"))
    assert len(notices) == 1
    n = notices[0]
    assert (n["station_id"], n["from_province"], n["to_province"]) == ("S004", "四川省", "重庆市")
    assert n["text_zh"].startswith("【跨界联防联控通报】")
    assert "Cross-border" in n["text_en"]
    md = (out / "notices.md").read_text(encoding="utf-8")
    assert "四川省" in md
    layer = gpd.read_file(out / "map" / "warnings.geojson")
    assert layer.crs.to_epsg() == 4326
    assert set(layer["station_id"]) == set(w["station_id"])
    reaches = gpd.read_file(out / "map" / "traced_reaches.geojson")
    assert "R0022" in set(reaches["river_id"])
    assert len(gpd.read_file(out / "map" / "candidates.geojson")) > 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ingest"]["values_added"] == 1920
    assert summary["warnings"]["notices"] == 1
    # the same feed again adds nothing and raises nothing new
    res2 = CliRunner().invoke(main, ["watch", str(feed), *layer_args(), "-o", str(out)])
    assert res2.exit_code == 0, res2.output
    assert "0 file(s) (1 already ingested)" in res2.output
    assert len(pd.read_csv(out / "warnings.csv")) == len(w)


def test_watch_late_data_and_bad_input_never_stop_it(tmp_path):
    feed = tmp_path / "feeds"
    feed.mkdir()
    pk = simulated_packets(pulse=False, days=1)  # 2024-05-01, arrives after 2024-05-02..03
    (feed / "a.hj212").write_bytes(b"".join(simulated_packets(pulse=False, start="2024-05-02", days=2)))
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main, ["watch", str(feed), "--stations", str(datasets.get_path("stations")), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "skipped: source tracing" not in res.output  # nothing to trace
    # later: the first half arrives late, with a bad CRC, a garbage line and an unknown station code
    bad = bytearray(pk[0])
    bad[-4:-2] = b"00" if bytes(bad[-4:-2]) != b"00" else b"11"
    late = b"".join(pk[1:]) + bytes(bad) + b"garbage\r\n" + build_packet("X999", "2024-05-01", {"TP": 0.1})
    (feed / "b.hj212").write_bytes(late)
    (feed / "export.csv").write_text(
        "省份,流域,断面名称,监测时间,站点情况\n四川省,长江流域,朱沱,05-01 08:00,正常\n", encoding="utf-8"
    )
    res = CliRunner().invoke(
        main, ["watch", str(feed), "--stations", str(datasets.get_path("stations")), "-o", str(out)]
    )
    assert res.exit_code == 0, res.output
    assert "(1 already ingested)" in res.output
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    ing = summary["ingest"]
    assert ing["values_late"] == ing["values_added"] > 0
    assert ing["rejected_by_kind"] == {
        "bad_crc": 1,
        "malformed_packet": 1,
        "unknown_station": 1,
        "unreadable_file": 1,
    }
    rej = pd.read_csv(out / "rejects.csv")
    assert len(rej) == 4
    assert rej["reason"].str.contains("no year in 监测时间").any()


def test_watch_usage_errors(tmp_path):
    r = CliRunner().invoke(main, ["watch", "-o", str(tmp_path)])
    assert r.exit_code == 2
    assert "give FEED files or folders, or --listen" in r.output
    f = tmp_path / "f.hj212"
    f.write_bytes(b"")
    r = CliRunner().invoke(main, ["watch", str(f), "--once", "--interval", "5", "-o", str(tmp_path)])
    assert r.exit_code == 2
    assert "--once and --interval exclude each other" in r.output
    r = CliRunner().invoke(main, ["watch", "--listen", "localhost", "-o", str(tmp_path)])
    assert r.exit_code == 2
    assert "expected HOST:PORT" in r.output
    r = CliRunner().invoke(main, ["watch", str(tmp_path / "none"), "-o", str(tmp_path)])
    assert r.exit_code == 2
    assert "FEED not found" in r.output


def test_watch_interval_runs_and_stops(tmp_path):
    feed = tmp_path / "feeds"
    feed.mkdir()
    (feed / "a.hj212").write_bytes(b"".join(simulated_packets(pulse=False, days=1)))
    out = tmp_path / "out"
    r = CliRunner().invoke(
        main, ["watch", str(feed), "--interval", "0.2", "--duration", "0.6", "-o", str(out)]
    )
    assert r.exit_code == 0, r.output
    assert (out / "summary.json").exists()
    batches = json.loads((out / "summary.json").read_text(encoding="utf-8"))["batch_id"]
    assert batches >= 2  # the first pass and at least one repeat


def test_watch_listen_subprocess(tmp_path):
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "basin",
            "watch",
            "--listen",
            "127.0.0.1:0",
            "--max-packets",
            "3",
            "--duration",
            "60",
            "--interval",
            "0.2",
            "--stations",
            str(datasets.get_path("stations")),
            "-o",
            str(out),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=ROOT,
        env=env,
    )
    try:
        port = None
        deadline = time.monotonic() + 60
        line = b""
        while port is None and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stderr], [], [], 1)
            if ready:
                line = proc.stderr.readline()
                if b"listening on" in line:
                    port = int(line.split(b"listening on ")[1].split(b" ")[0].rsplit(b":", 1)[1])
            if proc.poll() is not None:
                break
        assert port is not None, (line, proc.stderr.read())
        with socket.create_connection(("127.0.0.1", port), timeout=30) as s:
            p1 = build_packet("S001", "2024-05-01 08:00", {"NH3_N": 0.3}, ask_reply=True)
            s.sendall(p1 + build_packet("S001", "2024-05-01 09:00", {"NH3_N": 0.31}) + b"bad packet\r\n")
            f = s.makefile("rb")
            ack = f.readline()
        assert parse_packet(ack).cn == "9014"
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, stderr.decode()
    assert b"received 3 packet(s)" in stdout
    assert b"1 answered" in stdout
    rej = pd.read_csv(out / "rejects.csv")
    assert rej["reason"].tolist() == ["packet does not start with '##': b'bad packet'"]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["ingest"]["values_added"] == 2


def test_watch_db_option(tmp_path):
    db = tmp_path / "elsewhere.sqlite"
    f = tmp_path / "a.hj212"
    f.write_bytes(b"".join(simulated_packets(pulse=False, days=1)))
    r = CliRunner().invoke(main, ["watch", str(f), "--db", str(db), "-o", str(tmp_path / "out")])
    assert r.exit_code == 0, r.output
    assert db.exists()
    assert not (tmp_path / "out" / "watch.sqlite").exists()


def test_watch_mn_table(tmp_path):
    f = tmp_path / "a.hj212"
    f.write_bytes(
        build_packet("EQ-1", "2024-05-01 08:00", {"NH3_N": 0.3})
        + build_packet("EQ-9", "2024-05-01 08:00", {"TP": 0.1})
    )
    mn = tmp_path / "mn.csv"
    mn.write_text("mn,station_id\nEQ-1,S001\n", encoding="utf-8")
    out = tmp_path / "out"
    args = [
        "watch",
        str(f),
        "--stations",
        str(datasets.get_path("stations")),
        "--mn",
        str(mn),
        "-o",
        str(out),
    ]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    rej = pd.read_csv(out / "rejects.csv")
    assert rej["reason"].tolist() == ["unknown station code MN='EQ-9' (not in the stations' mn column)"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["ingest"]["values_added"] == 1
    bad = tmp_path / "bad.csv"
    bad.write_text("mn,station_id\nEQ-1,S999\n", encoding="utf-8")
    r = CliRunner().invoke(main, [*args[:-4], "--mn", str(bad), "-o", str(out)])
    assert r.exit_code == 2
    assert "station_id(s) ['S999'] are not in the stations layer" in r.output


def test_watch_output_inside_the_feed_folder_is_not_ingested(tmp_path):
    (tmp_path / "a.hj212").write_bytes(b"".join(simulated_packets(pulse=False, days=1)))
    args = ["watch", str(tmp_path), "-o", str(tmp_path)]  # warnings.csv, rejects.csv ... land in the feed folder
    assert CliRunner().invoke(main, args).exit_code == 0
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    assert "0 file(s) (1 already ingested)" in r.output
    assert "0 rejected" in r.output
