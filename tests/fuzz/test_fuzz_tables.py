"""Fuzz the water-quality readers: long and wide CSV (UTF-8 and GBK), Excel."""

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from basin import datasets
from basin._errors import BasinError
from basin.waterquality import read_wq

from ._strategies import HOSTILE_TEXT

LONG_COLS = ["station_id", "time", "parameter", "value", "unit", "flag", "detection_limit", "站点", "时间", "extra"]
WIDE_COLS = ["station_id", "time", "NH3_N", "总磷(mg/L)", "pH", "DO", "CODMn", "氨氮", "TP (mg/L)", "温度"]
CELLS = st.one_of(
    st.sampled_from(["S001", "S002", "2015-01-01", "2015-02-01", "pH", "DO", "NH3_N", "TP", "mg/L", "7.5", "0.2"]),
    st.sampled_from(HOSTILE_TEXT),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-5, 10**6),
    st.none(),
)


@st.composite
def tables(draw, columns):
    cols = draw(st.lists(st.sampled_from(columns), min_size=1, max_size=7, unique=True))
    base = [c for c in columns[:4] if draw(st.booleans())]  # usually the required columns are there
    cols = list(dict.fromkeys(base + cols))
    n = draw(st.integers(0, 6))
    rows = [[draw(CELLS) for _ in cols] for _ in range(n)]
    return pd.DataFrame(rows, columns=cols, dtype=object)


STATIONS = datasets.get_path("stations")


def _check(path, **kw) -> None:
    try:
        read_wq(path, **kw)
    except BasinError as exc:
        assert str(exc) and "\n" not in str(exc), str(exc)


@pytest.mark.parametrize("columns", [LONG_COLS, WIDE_COLS], ids=["long", "wide"])
@given(data=st.data(), encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
def test_csv(columns, data, encoding, tmp_path_factory):
    df = data.draw(tables(columns))
    p = tmp_path_factory.mktemp("wq") / "wq.csv"
    p.write_bytes(df.to_csv(index=False).encode(encoding, errors="replace"))
    _check(p)


@given(raw=st.binary(max_size=300))
def test_csv_random_bytes(raw, tmp_path_factory):
    p = tmp_path_factory.mktemp("wq") / "wq.csv"
    p.write_bytes(raw)
    _check(p)


@pytest.mark.parametrize("columns", [LONG_COLS, WIDE_COLS], ids=["long", "wide"])
@given(data=st.data())
def test_excel(columns, data, tmp_path_factory):
    df = data.draw(tables(columns))
    df = df.map(lambda x: x if not isinstance(x, str) else "".join(ch for ch in x if ch >= " "))  # xlsx refuses control chars
    df = df.map(lambda x: None if isinstance(x, float) and x != x else x)
    df = df.map(lambda x: str(x) if isinstance(x, float) and x in (float("inf"), float("-inf")) else x)
    p = tmp_path_factory.mktemp("wq") / "wq.xlsx"
    df.to_excel(p, index=False)
    _check(p)


def test_excel_that_is_not_a_workbook(tmp_path):
    p = tmp_path / "wq.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    _check(p)


def test_with_stations(tmp_path):
    p = tmp_path / "wq.csv"
    p.write_text("station_id,time,parameter,value\nNOPE,2015-01-01,pH,7\n", encoding="utf-8")
    with pytest.raises(BasinError):
        read_wq(p, stations=STATIONS)
