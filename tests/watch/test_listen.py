"""HJ 212 over TCP on loopback: answers per the protocol, CRC checks, batches into the store, clean stop."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pandas as pd
import pytest

from basin._errors import SchemaError
from basin.watch.listen import PacketListener, parse_listen
from basin.watch.store import FeedStore
from basin.waterquality.feeds.hj212 import build_packet, parse_packet

STATIONS = pd.DataFrame({"station_id": ["S1", "S2"], "mn": ["MN001", "MN002"]})
NOW = datetime(2024, 5, 3, 12, 0)


def _corrupt(p: bytes) -> bytes:
    i = p.index(b"-Rtd=") + 5
    return p[:i] + (b"9" if p[i : i + 1] != b"9" else b"8") + p[i + 1 :]


def test_listen_answers_checks_and_stores(tmp_path):
    store = FeedStore(tmp_path / "w.sqlite")
    p1 = build_packet("MN001", "2024-05-01 08:00", {"NH3_N": 1.2, "TP": 0.1}, ask_reply=True)
    bad = _corrupt(build_packet("MN001", "2024-05-01 09:00", {"NH3_N": 1.3}, ask_reply=True))
    p3 = build_packet("MN002", "2024-05-01 08:00", {"DO": 6.0})
    unknown = build_packet("MN777", "2024-05-01 08:00", {"DO": 6.0}, ask_reply=True)
    batches = []

    async def main():
        lst = PacketListener(
            store,
            port=0,
            stations=STATIONS,
            max_packets=5,
            flush_interval=0.05,
            now=lambda: NOW,
            on_batch=lambda b, s: batches.append((b, s.added)),
        )
        host, port = await lst.start()
        server = asyncio.create_task(lst.serve(duration=20))
        r, w = await asyncio.open_connection(host, port)
        try:
            w.write(p1[:9])  # a packet split over two reads
            await w.drain()
            await asyncio.sleep(0.05)
            w.write(p1[9:] + bad + p3)
            await w.drain()
            ack = await asyncio.wait_for(r.readline(), 10)
            w.write(p1 + unknown)  # the same packet again, and an unknown station code (CRC fine: answered)
            await w.drain()
            ack2 = await asyncio.wait_for(r.readline(), 10)
            ack3 = await asyncio.wait_for(r.readline(), 10)
            stats = await asyncio.wait_for(server, 20)
            rest = await asyncio.wait_for(
                r.read(), 10
            )  # the server closed the connection: EOF, no more answers
        finally:
            w.close()
            await w.wait_closed()
        return stats, ack, ack2, ack3, rest

    stats, ack, ack2, ack3, rest = asyncio.run(main())
    a = parse_packet(ack)
    assert (a.cn, a.st, a.qn, a.mn) == ("9014", "91", parse_packet(p1).qn, "MN001")
    assert ack2 == ack
    assert parse_packet(ack3).mn == "MN777"
    assert rest == b""
    assert (stats.packets, stats.replies, stats.bad_packets, stats.connections) == (5, 3, 1, 1)
    assert stats.ingest.added == 3  # NH3_N, TP of S1 and DO of S2
    assert stats.ingest.packets_already_ingested == 1
    assert dict(stats.ingest.rejected_by_kind) == {"bad_crc": 1, "unknown_station": 1}
    rej = store.rejects().sort_values("line")
    assert rej["line"].tolist() == [2, 5]  # packet numbers in the stream
    assert rej["reason"].iloc[0].startswith("bad CRC")
    assert rej["source"].str.startswith("tcp:127.0.0.1:").all()
    assert store.count("raw") == 4  # p1 once, bad, p3, unknown: every packet archived as received
    assert sum(n for _, n in batches) == 3
    store.close()


def test_listen_bounds_and_clean_stop(tmp_path):
    store = FeedStore(tmp_path / "w.sqlite")

    async def main():
        lst = PacketListener(
            store, port=0, max_connections=1, max_line=200, idle_timeout=30, flush_interval=0.05
        )
        host, port = await lst.start()
        server = asyncio.create_task(lst.serve())
        r1, w1 = await asyncio.open_connection(host, port)
        w1.write(b"x" * 500)  # no newline: cut at max_line, rejected, the buffer does not grow
        await w1.drain()
        await asyncio.sleep(0.2)
        r2, w2 = await asyncio.open_connection(host, port)  # over max_connections: closed at once
        refused = await asyncio.wait_for(r2.read(), 10)
        lst.stop()  # an idle client does not keep the server up
        stats = await asyncio.wait_for(server, 10)
        for w in (w1, w2):
            w.close()
            await w.wait_closed()
        return stats, refused

    stats, refused = asyncio.run(main())
    assert refused == b""
    assert stats.refused == 1
    assert stats.packets >= 1
    assert stats.bad_packets == stats.packets
    rej = store.rejects()
    assert rej["reason"].str.startswith("packet does not start with '##'").all()
    store.close()


def test_parse_listen():
    assert parse_listen("127.0.0.1:6000") == ("127.0.0.1", 6000)
    assert parse_listen("[::1]:0") == ("::1", 0)
    for bad in ("6000", "host:", "127.0.0.1:99999", "h:x"):
        with pytest.raises(SchemaError, match="expected HOST:PORT"):
            parse_listen(bad)
