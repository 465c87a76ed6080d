"""Fuzz the officers'-format readers: any bytes give a result or a BasinError, never another exception."""

from __future__ import annotations

import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basin import BasinError
from basin.io import load_mapping, read_layer
from basin.waterquality import read_wq

CELLS = st.sampled_from(
    [
        "断面编码",
        "断面名称",
        "监测时间",
        "总磷(mg/L)",
        "氨氮",
        "经度",
        "纬度",
        "S1",
        "2019年01月",
        "2019-01-15",
        "01/02/2019",
        "未检出",
        "ND",
        "0.01L",
        "<0.02",
        "inf",
        "1e999",
        "nan",
        "",
        "检出限",
        "单位",
        "mg/L",
        "106.5",
        "29.5",
        "Ⅲ类",
        "化工",
        "拟建",
        "x",
        "-1",
        "企业名称",
        "类别",
        "状态",
        "2019",
        "1",
        '"',
        "年份",
        "月份",
    ]
)
TABLES = st.lists(st.lists(CELLS, min_size=1, max_size=6), min_size=1, max_size=6)
SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def _csv(rows, encoding):
    return "\n".join(",".join(r) for r in rows).encode(encoding, errors="replace")


@SETTINGS
@given(rows=TABLES, encoding=st.sampled_from(["utf-8", "gbk"]))
def test_read_wq_any_table(tmp_path, rows, encoding):
    p = tmp_path / "wq.csv"
    p.write_bytes(_csv(rows, encoding))
    try:
        read_wq(p, on_invalid="report")
    except BasinError:
        pass


@SETTINGS
@given(rows=TABLES, kind=st.sampled_from(["stations", "facilities"]))
def test_read_layer_any_table(tmp_path, rows, kind):
    p = tmp_path / "points.csv"
    p.write_bytes(_csv(rows, "utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            read_layer(p, kind)
        except BasinError:
            pass


@SETTINGS
@given(data=st.binary(max_size=200))
def test_load_mapping_any_bytes(tmp_path, data):
    p = tmp_path / "m.yml"
    p.write_bytes(data)
    try:
        load_mapping(p, "stations")
    except BasinError:
        pass


@pytest.mark.parametrize(
    "value",
    [{"stations": {"columns": {"name": 3.5}}}, {"stations": {"values": {"target_class": {"Ⅲ类": [3]}}}}, [1]],
)
def test_load_mapping_odd_structures(value):
    try:
        load_mapping(value, "stations")  # type: ignore[arg-type]
    except BasinError:
        pass
