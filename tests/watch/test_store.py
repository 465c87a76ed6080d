"""The feed store and ingest, on SQLite and on a real PostgreSQL server started on loopback."""

from __future__ import annotations

import itertools
from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from basin._errors import DataError
from basin.watch.ingest import ingest_file, ingest_packets, ingest_paths, reject_kind
from basin.watch.store import FeedStore, obs_t
from basin.waterquality.feeds.hj212 import build_packet, frame

from ._pg import postgres_server

NOW = datetime(2024, 5, 3, 12, 0)
STATIONS = pd.DataFrame({"station_id": ["S1", "S2"], "mn": ["MN001", "MN002"]})
_db_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = FeedStore(tmp_path / "watch.sqlite")
    else:
        url = request.getfixturevalue("pg_server")
        name = f"t{next(_db_counter)}"
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        admin.dispose()
        s = FeedStore(url.rsplit("/", 1)[0] + f"/{name}")
    assert s.dialect == request.param
    yield s
    s.close()


def packets_file(path, packets):
    path.write_bytes(b"".join(packets))
    return path


def test_same_file_twice_adds_nothing(store, tmp_path):
    f = packets_file(
        tmp_path / "a.hj212",
        [
            build_packet("MN001", f"2024-05-01 {h:02d}:00", {"NH3_N": 0.5 + h / 10, "TP": 0.1})
            for h in range(6)
        ],
    )
    s1 = ingest_file(store, f, stations=STATIONS, batch_id=1, now=NOW)
    assert (s1.files, s1.packets, s1.added, s1.rejected) == (1, 6, 12, 0)
    s2 = ingest_file(store, f, stations=STATIONS, batch_id=2, now=NOW)
    assert (s2.files, s2.files_already_ingested, s2.added) == (0, 1, 0)
    assert store.count("raw") == 1
    assert store.count("observations") == 12
    assert store.raw(1) == f.read_bytes()  # archived as received
    obs = store.observations()
    assert list(obs.columns) == ["station_id", "time", "parameter", "value", "flag", "status"]
    assert str(obs["time"].dtype) == "datetime64[ns]"
    assert obs.loc[obs["parameter"] == "NH3_N", "value"].tolist() == pytest.approx(
        [0.5, 0.6, 0.7, 0.8, 0.9, 1.0]
    )
    assert set(obs["station_id"]) == {"S1"}


def test_overlapping_file_same_values_unchanged_different_value_rejected(store, tmp_path):
    a = packets_file(
        tmp_path / "a.hj212", [build_packet("MN001", "2024-05-01 08:00", {"TP": 0.1, "DO": 7.0})]
    )
    b = packets_file(
        tmp_path / "b.hj212",
        [
            build_packet("MN001", "2024-05-01 08:00", {"TP": 0.1, "DO": 6.0}),  # TP same, DO differs
            build_packet("MN001", "2024-05-01 09:00", {"TP": 0.2}),
        ],
    )
    ingest_file(store, a, stations=STATIONS, batch_id=1, now=NOW)
    s = ingest_file(store, b, stations=STATIONS, batch_id=2, now=NOW)
    assert (s.added, s.unchanged, s.rejected) == (1, 1, 1)
    assert s.rejected_by_kind == {"duplicate_timestamp": 1}
    rej = store.rejects()
    assert len(rej) == 1
    assert (
        rej["reason"]
        .iloc[0]
        .startswith(
            "duplicate timestamp: DO of station S1 at 2024-05-01 08:00:00 already stored with value 7 flag N "
            "(raw #1); "
            "new value 6 flag N"
        )
    )
    assert rej["line"].iloc[0] == 1
    assert rej["raw_id"].iloc[0] == 2
    assert store.observations(parameters=["DO"])["value"].tolist() == [7.0]


def test_late_and_out_of_order_data_accepted(store):
    late = [build_packet("MN001", f"2024-05-01 {h:02d}:00", {"TP": 0.1 * h}) for h in (5, 6, 2, 3)]
    s1 = ingest_packets(store, late[:2], source="tcp:test", stations=STATIONS, batch_id=1, now=NOW)
    s2 = ingest_packets(store, late[2:], source="tcp:test", stations=STATIONS, batch_id=2, now=NOW)
    assert (s1.added, s1.late, s2.added, s2.late) == (2, 0, 2, 2)
    obs = store.observations()
    assert obs["time"].dt.hour.tolist() == [2, 3, 5, 6]  # sorted on the way out
    ch = store.changed(2)
    assert ch[["station_id", "parameter", "n"]].values.tolist() == [["S1", "TP", 2]]
    assert ch["start"].iloc[0] == pd.Timestamp("2024-05-01 02:00")
    # the same packets again add nothing
    s3 = ingest_packets(store, late, source="tcp:test", stations=STATIONS, batch_id=3, now=NOW)
    assert (s3.packets, s3.packets_already_ingested, s3.added) == (0, 4, 0)
    assert store.count("raw") == 4


def test_bad_input_kept_with_reasons(store, tmp_path):
    good = build_packet("MN001", "2024-05-01 08:00", {"TP": 0.1})
    bad_crc = good[:-6] + (b"0000" if not good[:-2].endswith(b"0000") else b"1111") + b"\r\n"
    future = build_packet("MN001", "2024-06-01 08:00", {"TP": 0.1})
    f = packets_file(
        tmp_path / "bad.hj212",
        [
            good,
            bad_crc,
            b"##00ZZ garbage\r\n",
            build_packet("MN999", "2024-05-01 08:00", {"TP": 0.1}),
            future,
            frame("QN=1;ST=21;CN=2011;PW=1;MN=MN001;Flag=4;CP=&&DataTime=2024;w21011-Rtd=0.1&&"),
        ],
    )
    s = ingest_file(store, f, stations=STATIONS, batch_id=1, now=NOW)
    assert s.added == 1
    assert s.rejected == 5
    assert s.rejected_by_kind == {
        "bad_crc": 1,
        "malformed_packet": 2,
        "unknown_station": 1,
        "future_timestamp": 1,
    }
    rej = store.rejects().sort_values("line")
    assert rej["line"].tolist() == [2, 3, 4, 5, 6]
    assert (
        rej["reason"]
        .iloc[3]
        .startswith("future timestamp: TP of station S1 at 2024-06-01 08:00:00 is later than")
    )
    assert (rej["raw_id"] == 1).all()
    assert rej["source"].iloc[0] == str(f)
    assert rej["packet"].iloc[1].startswith("##00ZZ")
    # an export without its year cannot be read: archived and kept as one reject, the run goes on
    exp = tmp_path / "export.csv"
    exp.write_text(
        "省份,流域,断面名称,监测时间,水质类别,水温(℃),pH(无量纲),溶解氧(mg/L),电导率(μS/cm),浊度(NTU),"
        "高锰酸盐指数(mg/L),氨氮(mg/L),总磷(mg/L),总氮(mg/L),叶绿素α(mg/L),藻密度(cells/L),站点情况\n"
        "四川省,长江流域,朱沱,05-01 08:00,Ⅱ,12,7.8,9,345,12,2.1,0.12,0.05,1.8,*,*,正常\n",
        encoding="utf-8",
    )
    missing = tmp_path / "nope.hj212"
    s2 = ingest_paths(store, [exp, missing], stations=STATIONS, batch_id=2, now=NOW)
    assert s2.rejected_by_kind == {"unreadable_file": 2}
    r2 = store.rejects(batch_id=2)
    assert "no year in 监测时间" in r2["reason"].iloc[0]
    assert r2["raw_id"].iloc[0] == 2
    assert pd.isna(r2["raw_id"].iloc[1])
    assert store.count("raw") == 2


def test_export_ingested_with_status(store, tmp_path):
    exp = tmp_path / "export.csv"
    exp.write_text(
        "省份,流域,断面名称,监测时间,水质类别,水温(℃),pH(无量纲),溶解氧(mg/L),电导率(μS/cm),浊度(NTU),"
        "高锰酸盐指数(mg/L),氨氮(mg/L),总磷(mg/L),总氮(mg/L),叶绿素α(mg/L),藻密度(cells/L),站点情况\n"
        "四川省,长江流域,朱沱,05-01 08:00,Ⅱ,12,7.8,9,345,12,2.1,0.12,0.05,1.8,*,*,正常\n"
        "四川省,长江流域,朱沱,05-01 12:00,--,--,--,--,--,--,--,0.30,--,--,*,*,维护\n",
        encoding="utf-8",
    )
    st = pd.DataFrame({"station_id": ["S1"], "name": ["朱沱"]})
    s = ingest_file(store, exp, stations=st, year=2024, batch_id=1, now=NOW)
    assert s.added == 10
    obs = store.observations(parameters=["NH3_N"])
    assert obs["status"].tolist() == ["正常", "维护"]
    assert obs["station_id"].tolist() == ["S1", "S1"]


def test_driver_insert_equals_core_insert(store):
    """The tuple fast path writes what SQLAlchemy Core's insert would write."""
    rows = pd.DataFrame(
        {
            "station_id": ["S1", "S1", "S2"],
            "time": [
                pd.Timestamp("2024-05-01 08:00"),
                pd.Timestamp("2024-05-01 08:00:30.5"),
                pd.Timestamp("2024-05-02"),
            ],
            "parameter": ["TP", "TP", "DO"],
            "value": [0.1, 0.25, 7.5],
            "flag": ["N", "M", "N"],
            "status": ["", "", "正常"],
            "line": [1, 2, 3],
        }
    )
    store.add_observations(rows, raw_id=None, batch_id=7, now=NOW)
    fast = store.observations()
    with store.engine.begin() as conn:
        conn.execute(sa.delete(obs_t))
        conn.execute(
            store._insert(obs_t).on_conflict_do_nothing(),
            [
                {**r, "time": r["time"].to_pydatetime(), "batch_id": 7, "raw_id": None}
                for r in rows.to_dict("records")
            ],
        )
    core = store.observations()
    pd.testing.assert_frame_equal(fast, core)
    # and the range queries see the fast-path times
    assert len(store.observations(start="2024-05-01 08:00:10", end="2024-05-01 09:00")) == 1


def test_warnings_candidates_notices_roundtrip(store):
    w = pd.DataFrame(
        {
            "warning_id": ["S1|NH3_N|class|1"],
            "station_id": ["S1"],
            "parameter": ["NH3_N"],
            "rule_id": ["class"],
            "level": ["报警"],
            "first_time": [pd.Timestamp("2024-05-01 08:00")],
            "last_time": [pd.Timestamp("2024-05-01 12:00")],
            "status": ["open"],
            "value": [2.5],
            "threshold": [1.0],
            "n_samples": [2],
            "message_zh": ["氨氮超标"],
            "message_en": ["NH3-N above target"],
        }
    )
    assert store.save_warnings(w, batch_id=1) == (["S1|NH3_N|class|1"], [])
    w2 = w.assign(last_time=pd.Timestamp("2024-05-01 20:00"), status="closed", n_samples=4)
    assert store.save_warnings(w2, batch_id=2) == ([], ["S1|NH3_N|class|1"])
    got = store.warnings()
    assert got["status"].tolist() == ["closed"]
    assert got["last_time"].iloc[0] == pd.Timestamp("2024-05-01 20:00")
    assert store.warnings(status="open").empty
    cand = pd.DataFrame(
        {
            "rank": [1, 2],
            "kind": ["facility", "station"],
            "id": ["F1", "S0"],
            "name": ["厂", "站"],
            "reach_id": ["R1", "R2"],
            "travel_time_h": [3.0, 5.5],
            "distance_km": [10.8, 19.8],
            "score": [0.9, 0.4],
            "evidence": ["lag 3 h", "r=0.8"],
            "province": ["重庆市", "四川省"],
            "county": ["A", "B"],
        }
    )
    store.save_candidates("S1|NH3_N|class|1", cand, batch_id=1)
    store.save_candidates("S1|NH3_N|class|1", cand.iloc[:1], batch_id=2)  # replaced, not appended
    assert store.candidates()["id"].tolist() == ["F1"]
    assert store.save_notice("S1|NH3_N|class|1", {"upstream_province": "四川省", "text_zh": "通报"})
    assert not store.save_notice("S1|NH3_N|class|1", {"upstream_province": "四川省", "text_zh": "通报2"})
    notes = store.notices()
    assert len(notes) == 1
    assert notes[0]["text_zh"] == "通报2"


def test_reject_kinds():
    assert reject_kind("bad CRC: packet says 0000") == "bad_crc"
    assert reject_kind("unknown station code MN='X'") == "unknown_station"
    assert reject_kind("length field says 9 bytes") == "malformed_packet"
    assert reject_kind("pH(无量纲): 15 outside the plausible range 0-14") == "bad_value"


def test_store_open_errors(tmp_path):
    with pytest.raises(DataError, match="cannot open"):
        FeedStore("postgresql+psycopg://nobody@127.0.0.1:1/none")
    with pytest.raises(DataError, match="database URL 'nosuchdb://x'"):
        FeedStore("nosuchdb://x")
    with pytest.raises(DataError, match="cannot open"):
        FeedStore(tmp_path / "no" / "such" / "dir" / "w.sqlite")


def test_long_table_ingested(store, tmp_path):
    f = tmp_path / "long.csv"
    f.write_text(
        "station_id,time,parameter,value,unit\n"
        "S1,2024-05-01 08:00,总磷,0.1,mg/L\n"
        "S1,2024-05-01 08:00,氨氮,0.05L,mg/L\n"
        "S1,2024-05-01 09:00,总磷,abc,mg/L\n",
        encoding="utf-8",
    )
    s = ingest_file(store, f, stations=STATIONS, batch_id=1, now=NOW)
    assert (s.added, s.rejected) == (2, 1)
    assert s.rejected_by_kind == {"bad_value": 1}
    obs = store.observations().set_index("parameter")
    assert obs.loc["NH3_N", "flag"] == "L"  # below the detection limit, half the limit stored
    assert obs.loc["NH3_N", "value"] == pytest.approx(0.025)
    assert store.rejects()["line"].tolist() == [4]
