"""Station feeds: the national release export and HJ 212-2017 packets (fixtures in exact layouts)."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import Point

from basin._errors import DataError, SchemaError
from basin.cli import main as cli
from basin.waterquality import read_wq
from basin.waterquality.feeds import detect_layout, feed_dataset, parse_feed, read_feed
from basin.waterquality.feeds.hj212 import (
    PacketReader,
    build_packet,
    crc16,
    crc16_many,
    frame,
    parse_packet,
    reply_for,
)
from basin.waterquality.feeds.national import compare_classes, parse_class_label

HEADER = (
    "省份,流域,断面名称,监测时间,水质类别,水温(℃),pH(无量纲),溶解氧(mg/L),电导率(μS/cm),浊度(NTU),"
    "高锰酸盐指数(mg/L),氨氮(mg/L),总磷(mg/L),总氮(mg/L),叶绿素α(mg/L),藻密度(cells/L),站点情况"
)
ROWS = [
    "四川省,长江流域,朱沱,12-31 16:00,Ⅱ,12.1,7.85,9.12,345.6,12.3,2.1,0.12,0.052,1.85,*,*,正常",
    "四川省,长江流域,朱沱,12-31 20:00,Ⅱ,12.0,7.80,9.05,346.0,11.8,2.2,0.14,0.060,1.90,*,*,正常",
    "四川省,长江流域,朱沱,01-01 00:00,Ⅲ,11.9,7.82,9.00,344.0,11.5,2.0,0.13,0.058,1.88,*,*,正常",
    "四川省,长江流域,朱沱,01-01 04:00,--,--,--,--,--,--,--,--,--,--,*,*,维护",
    "四川省,长江流域,朱沱,01-01 08:00,Ⅱ,11.8,7.9,8.8,343,11.0,2.4,0.20,0.070,1.8,*,*,维护",
    "重庆市,长江流域,寸滩,12-31 20:00,Ⅲ,13.0,7.6,8.1,380,20,3.1,0.35,0.12,2.1,0.0012,1200000,正常",
    "重庆市,长江流域,寸滩,01-01 00:00,Ⅳ,12.9,7.5,5.5,381,21,3.3,1.2,0.15,2.2,0.0013,1300000,正常",
]


def write_export(path, rows=ROWS, header=HEADER, title=True):
    text = (
        ("国家地表水水质自动监测实时数据发布系统\n" if title else "") + header + "\n" + "\n".join(rows) + "\n"
    )
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def export(tmp_path):
    return write_export(tmp_path / "export.csv")


# ------------------------------------------------------------------------------------------ national export
def test_export_detected_and_year_rolls_over(export):
    assert detect_layout(export) == "national_export"
    long = read_feed(export, year=2023)
    assert list(long.columns) == ["station_id", "time", "parameter", "value", "flag", "status", "line"]
    zt = long[(long["station_id"] == "朱沱") & (long["parameter"] == "NH3_N")]
    assert zt["time"].dt.strftime("%Y-%m-%d %H:%M").tolist() == [
        "2023-12-31 16:00",
        "2023-12-31 20:00",
        "2024-01-01 00:00",
        "2024-01-01 08:00",
    ]
    # the second station starts again in December of the first year (January -> December steps back)
    ct = long[(long["station_id"] == "寸滩") & (long["parameter"] == "NH3_N")]
    assert ct["time"].dt.strftime("%Y-%m-%d").tolist() == ["2023-12-31", "2024-01-01"]
    # chlorophyll mg/L -> mg/m3, status kept
    chla = long[(long["station_id"] == "寸滩") & (long["parameter"] == "Chla")]["value"].tolist()
    assert chla == pytest.approx([1.2, 1.3])
    assert set(long.loc[long["line"] == 7, "status"]) == {"维护"}  # title line 1, header line 2
    assert (long["line"] == 6).sum() == 0  # the all-missing row gives nothing


def test_export_counts_and_daily_means(export):
    feed = parse_feed(export, year=2023)
    assert feed.info["missing"] == 9  # the 维护 row with -- in 9 columns
    assert feed.info["not_measured"] == 10  # * in 2 columns of 5 rows
    assert feed.info["status"] == {"正常": 5, "维护": 2}
    ds, rejects = feed_dataset(feed)
    assert len(rejects) == 0
    excluded = json.loads(ds.attrs["excluded"])
    assert excluded["by_status"] == {"维护": 9}
    assert excluded["values"] == 9
    nh3 = ds["NH3_N"].sel(station="朱沱")
    assert nh3.sel(time="2023-12-31").item() == pytest.approx((0.12 + 0.14) / 2)
    assert nh3.sel(time="2024-01-01").item() == pytest.approx(0.13)  # the 维护 row (0.20) is left out
    assert ds.sizes["time"] == 2


def test_read_wq_dispatch_and_layout(export):
    ds = read_wq(export, year=2023)
    assert set(ds["station"].values) == {"朱沱", "寸滩"}
    assert ds.attrs["layout"] == "national_export"
    ds2 = read_wq(export, layout="national_export", year=2023)
    assert ds2["TP"].equals(ds["TP"])
    with pytest.raises(SchemaError, match="layout must be"):
        read_wq(export, layout="csv")


def test_export_needs_a_year(export):
    with pytest.raises(SchemaError, match=r"no year in 监测时间.*--year"):
        read_wq(export)


def test_export_class_agreement(export):
    feed = parse_feed(export, year=2023)
    table, summary = compare_classes(feed.long, feed.info["samples"])
    assert summary == {"compared": 5, "agree": 4, "disagree": 1, "agreement": 0.8, "not_compared": 2}
    bad = table[~table["agree"]]
    assert bad["line"].tolist() == [5]
    assert bad["file_class"].tolist() == ["Ⅲ"]
    assert bad["basin_class"].tolist() == [2]
    assert bad["worst"].tolist() == ["TP"]  # TP 0.058 sets class II
    assert table.loc[table["line"] == 9, "basin_class_label"].item() == "Ⅳ"  # NH3-N 1.2


def test_class_labels_parsed():
    assert [parse_class_label(x) for x in ["Ⅰ", "Ⅲ类", "III", "劣Ⅴ", "劣Ⅴ类", "--", "*", ""]] == [
        1,
        3,
        3,
        6,
        6,
        0,
        0,
        0,
    ]


def test_export_errors_each_with_its_line(tmp_path):
    rows = [
        ROWS[0],
        ROWS[1].replace("12-31 20:00", "12/31 20:00"),
        ROWS[2].replace("正常", "停电"),
        ROWS[5].replace("3.1", "abc"),
        ROWS[6].replace("01-01 00:00", "02-30 00:00"),
        ROWS[6].replace("7.5", "15.2"),
    ]
    path = write_export(tmp_path / "bad.csv", rows, title=False)
    long, rej = read_feed(path, year=2023, on_invalid="report")
    reasons = dict(zip(rej["line"], rej["reason"], strict=True))
    assert "is not MM-DD HH:MM" in reasons[3]
    assert "站点情况 '停电' is not one of 正常" in reasons[4]
    assert "高锰酸盐指数(mg/L): text 'abc'" in reasons[5]
    assert "is not a date in 2024" in reasons[6]
    assert "pH(无量纲): 15.2 outside the plausible range 0-14" in reasons[7]
    with pytest.raises(SchemaError, match=r"rejected value\(s\): line 3: 监测时间"):
        read_wq(path, year=2023)


def test_export_missing_column_and_unknown_section(tmp_path, export):
    path = write_export(
        tmp_path / "nocol.csv",
        [r.rsplit(",", 2)[0] + ",正常" for r in ROWS],
        header=HEADER.replace(",藻密度(cells/L)", ""),
    )
    with pytest.raises(SchemaError, match=r"without column\(s\) \['藻密度\(cells/L\)'\]"):
        read_wq(path, year=2023)
    st = gpd.GeoDataFrame(
        {"station_id": ["S1"], "name": ["朱沱"], "waterbody": ["river"], "target_class": [3]},
        geometry=[Point(105.8, 29.0)],
        crs=4326,
    )
    ds, rej = read_wq(export, year=2023, stations=st, on_invalid="report")
    assert list(ds["station"].values) == ["S1"]
    assert (rej["reason"].str.contains("section '寸滩' is not a station name")).sum() == 2


# ------------------------------------------------------------------------------------------------- HJ 212
def test_crc_matches_the_standard_examples():
    # HJ 212-2017 appendix examples, as used by public implementations (golden vectors)
    seg = (
        "QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;"
        "CP=&&RtdInterval=30&&"
    )
    assert f"{crc16(seg):04X}" == "1C80"
    assert len(seg) == 101
    seg2 = (
        "ST=32;CN=2011;PW=123456;MN=0873HHMZWSLH02;CP=&&DataTime=20160103133030;060-Rtd=3.0943,060-Flag=N;"
        "011-Rtd=18.0412,011-Flag=N;001-Rtd=8.2137,001-Flag=N;B01-Rtd=10.9890,B01-Flag=N&&"
    )
    assert f"{crc16(seg2):04X}" == "A9C1"
    # the vectorised version agrees on random segments of random lengths
    rng = np.random.default_rng(1)
    segs = [
        bytes(rng.integers(32, 127, size=int(n)).astype(np.uint8)) for n in rng.integers(0, 300, size=200)
    ]
    assert crc16_many(segs).tolist() == [crc16(s) for s in segs]


def test_packet_roundtrip_and_reply():
    raw = build_packet("MN001", "2024-05-01 08:00", {"NH3_N": 1.25, "w01001": (7.1, "M")}, ask_reply=True)
    assert raw.startswith(b"##")
    assert raw.endswith(b"\r\n")
    p = parse_packet(raw)
    assert (p.mn, p.cn, p.st, p.needs_reply, p.version) == ("MN001", "2011", "21", True, 1)
    t, items, problems = p.cp_fields()
    assert t == "20240501080000"
    assert not problems
    assert ("w21003", "Rtd", "1.25") in items
    assert ("w01001", "Flag", "M") in items
    ack = reply_for(p)
    assert ack is not None
    a = parse_packet(ack)
    assert (a.cn, a.st, a.qn, a.mn, a.flag) == ("9014", "91", p.qn, "MN001", 4)
    assert reply_for(parse_packet(build_packet("MN001", "2024-05-01", {"TP": 0.1}))) is None


def _packet_file(tmp_path):
    good = [
        build_packet("MN001", "2024-05-01 08:00", {"NH3_N": 1.0, "TP": 0.10}),
        build_packet("MN001", "2024-05-01 12:00", {"NH3_N": 2.0, "TP": 0.20}),
        build_packet("MN002", "2024-05-01 08:00", {"NH3_N": (9.9, "M"), "DO": 6.5}, cn="2061"),
    ]
    bad_crc = bytearray(build_packet("MN001", "2024-05-01 16:00", {"NH3_N": 3.0}))
    i = bad_crc.index(b"3-Rtd=3") + 6
    bad_crc[i : i + 1] = b"4"  # value changed in transit, CRC not recomputed
    no_cp = frame("QN=1;ST=21;CN=2011;PW=1;MN=MN001;Flag=4;DataTime=20240501")
    short = b"##0999" + build_packet("MN001", "2024-05-01 20:00", {"TP": 0.1})[6:]
    unknown_mn = build_packet("MNXXX", "2024-05-01 08:00", {"TP": 0.1})
    unknown_code = build_packet("MN001", "2024-05-02 08:00", {"w99999": 1.0})
    negative = build_packet("MN001", "2024-05-02 09:00", {"TP": -0.1})
    heartbeat = frame("QN=20240501080000000;ST=21;CN=1062;PW=123456;MN=MN001;Flag=4;CP=&&RtdInterval=30&&")
    lines = [
        *good,
        bytes(bad_crc),
        no_cp,
        short,
        b"garbage line\r\n",
        b"\r\n",
        unknown_mn,
        unknown_code,
        negative,
        heartbeat,
    ]
    path = tmp_path / "feed.hj212"
    path.write_bytes(b"".join(lines))
    return path


def test_packet_file_rejects_with_line_and_reason(tmp_path):
    path = _packet_file(tmp_path)
    assert detect_layout(path) == "hj212"
    st = pd.DataFrame({"station_id": ["S1", "S2"], "mn": ["MN001", "MN002"]})
    feed = parse_feed(path, stations=st)
    reasons = dict(zip(feed.rejects["line"], feed.rejects["reason"], strict=True))
    assert reasons[4].startswith("bad CRC: packet says")
    assert reasons[5] == "no 'CP=&&' in the data segment"
    assert reasons[6].startswith("length field says 999 bytes")
    assert reasons[7].startswith("packet does not start with '##'")
    assert 8 not in reasons  # empty line
    assert reasons[9] == "unknown station code MN='MNXXX' (not in the stations' mn column)"
    assert reasons[10] == "pollutant code 'w99999' is not in the HJ 212 code table"
    assert "negative concentration" in reasons[11]
    assert len(reasons) == 7
    long = feed.long
    assert set(long["station_id"]) == {"S1", "S2"}
    assert long.loc[(long["station_id"] == "S2") & (long["parameter"] == "NH3_N"), "flag"].item() == "M"
    # the flagged value is kept in the long table but not in the statistics
    ds, rej = feed_dataset(feed, stations=None)
    assert json.loads(ds.attrs["excluded"])["by_flag"] == {"M": 1}
    assert ds["NH3_N"].sel(station="S1").item() == pytest.approx(1.5)  # daily mean of 1.0 and 2.0
    assert np.isnan(ds["NH3_N"].sel(station="S2").item())
    assert ds["DO"].sel(station="S2").item() == pytest.approx(6.5)
    with pytest.raises(SchemaError, match=r"7 rejected value\(s\): line 4: bad CRC"):
        read_wq(
            path,
            stations=gpd.GeoDataFrame(
                st.assign(waterbody="river", target_class=3), geometry=[Point(0, 0)] * 2, crs=4326
            ),
        )


def test_packet_errors():
    with pytest.raises(DataError, match="length field 'ab12' is not 4 digits"):
        parse_packet(b"##ab12QN=1")
    with pytest.raises(DataError, match="CRC 'ZZZZ' is not 4 hex digits"):
        parse_packet(b"##0011ST=21;CN=1;ZZZZ")
    with pytest.raises(DataError, match=r"missing header field\(s\) MN, Flag"):
        parse_packet(frame("ST=21;CN=2011;CP=&&&&"))
    with pytest.raises(DataError, match="Flag 'x' is not an integer"):
        parse_packet(frame("ST=21;CN=2011;MN=1;Flag=x;CP=&&&&"))
    with pytest.raises(DataError, match="line 7: the command parameters do not end with '&&'"):
        parse_packet(frame("ST=21;CN=2011;MN=1;Flag=4;CP=&&DataTime=1"), line=7)
    with pytest.raises(SchemaError, match="cn must be one of"):
        build_packet("MN", "2024-01-01", {"TP": 1}, cn="1062")


def test_stream_reader_is_bounded():
    r = PacketReader(max_buffer=100)
    pk = build_packet("MN001", "2024-05-01 08:00", {"TP": 0.1})
    out = list(r.feed_lines(pk[:20])) + list(r.feed_lines(pk[20:] + pk))
    assert [x[1] for x in out] == [pk, pk]
    flood = list(r.feed_lines(b"#" * 250))
    assert len(flood) == 1
    assert len(flood[0][1]) == 250
    assert r.buf == b""


# -------------------------------------------------------------------------------------------------- CLI
def test_cli_assess_national_export(export, tmp_path):
    out = tmp_path / "out"
    res = CliRunner().invoke(cli, ["wq", "assess", str(export), "--year", "2023", "-o", str(out)])
    assert res.exit_code == 0, res.output
    check = pd.read_csv(out / "class_check.csv")
    assert len(check) == 5
    assert check["agree"].sum() == 4
    dis = pd.read_csv(out / "class_disagreements.csv")
    assert dis["line"].tolist() == [5]
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["feed"]["class_agreement"]["agreement"] == 0.8
    assert summary["feed"]["status"] == {"正常": 5, "维护": 2}
    res = CliRunner().invoke(cli, ["wq", "assess", str(export), "-o", str(out)])
    assert res.exit_code == 2
    assert "--year" in res.output


def test_fast_path_equals_packet_by_packet():
    from basin.waterquality.feeds.hj212 import packets_to_long

    pk = [
        build_packet("MN001", "2024-05-01 08:00", {"NH3_N": 1.0, "TP": (0.1, "M"), "pH": 7.2}),
        build_packet("MN002", "2024-05-01 09:00", {"DO": 6.5, "CODMn": (3.2, "C")}, cn="2061"),
        build_packet("MN001", "2024-05-01 10:00", {"w99999": 1.0, "TP": -0.2, "NH3_N": 0.4}),
        frame(
            "QN=20240501110000000;ST=21;CN=2061;PW=1;MN=MN002;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20240501110000;"
            "w21003-Min=0.1,w21003-Avg=0.2,w21003-Max=0.3,w21003-Flag=N;w01009-Avg=7.1&&"
        ),
        frame("QN=1;ST=21;CN=2011;PW=1;MN=MN001;Flag=4;CP=&&DataTime=20240501120000;w21003-Rtd=0.5,w21003-Flag=&&"),
        frame("QN=1;ST=21;CN=2011;PW=1;MN=MNXX;Flag=4;CP=&&DataTime=20240501120000;w21003-Rtd=0.5&&"),
        frame("QN=1;ST=21;CN=2011;PW=1;MN=MN001;Flag=4;CP=&&DataTime=20240501130000;w21003-Rtd=abc&&"),
        frame("QN=1;ST=21;CN=2011;PW=1;MN=MN001;Flag=4;CP=&&DataTime=20241301130000;w21003-Rtd=1&&"),
        frame("QN=1;ST=21;CN=1062;PW=1;MN=MN001;Flag=4;CP=&&RtdInterval=30&&"),
        frame("QN=1;ST=21;CN=2011;PW=1;MN=MN001;Flag=4;CP=&&DataTime=20240501140000;w21003-Rtd=1,w21003-Flag=X&&"),
    ]
    lines = list(enumerate(pk, start=1))
    mn = {"MN001": "S1", "MN002": "S2"}
    fast, rej_f, n_f = packets_to_long(lines, mn_map=mn)
    slow, rej_s, n_s = packets_to_long(lines, mn_map=mn, fast=False)
    pd.testing.assert_frame_equal(fast, slow)
    pd.testing.assert_frame_equal(rej_f, rej_s)
    assert n_f == n_s == {"lines": 10, "packets": 10, "data_packets": 9}
    assert len(rej_f) == 6  # unknown code, negative TP, unknown MN, text value, month 13, flag X
    got = fast.loc[fast["line"] == 4, ["parameter", "value"]].to_numpy().tolist()
    assert got == [["NH3_N", 0.2], ["DO", 7.1]]
    assert fast.loc[fast["line"] == 5, "flag"].tolist() == ["N"]  # an empty flag is N


def test_export_gbk_and_excel(tmp_path):
    text = "国家地表水水质自动监测实时数据发布系统\n" + HEADER + "\n" + "\n".join(ROWS) + "\n"
    gbk = tmp_path / "export_gbk.csv"
    gbk.write_bytes(text.encode("gbk"))
    assert detect_layout(gbk) == "national_export"
    a = read_feed(gbk, year=2023)
    xlsx = tmp_path / "export.xlsx"
    rows = [r.split(",") for r in ROWS]
    pd.DataFrame(rows, columns=HEADER.split(",")).to_excel(xlsx, index=False)
    assert detect_layout(xlsx) == "national_export"
    b = read_feed(xlsx, year=2023)
    assert len(a) == len(b) == 58  # 3 x 9 + 9 (the 维护 row) + 2 x 11; the all-missing row none
    pd.testing.assert_frame_equal(a.drop(columns="line"), b.drop(columns="line"))
    assert b["line"].min() == 2  # Excel row numbers (header on row 1)
