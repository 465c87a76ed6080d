"""Ledgers settled from a water-quality Dataset: the index scheme and the concentration trend, by hand."""

from __future__ import annotations

from importlib.resources import files

import pandas as pd
import pytest
import yaml
from xb_worlds import CRS, admin_world, rivers_world, stations_world, write_wq

from basin import waterquality as wq
from basin._errors import SchemaError
from basin.crossborder import find_sections
from basin.crossborder.compensation import settle, summarize
from basin.crossborder.schemes import load_scheme

STATIONS = [("S1", "R01", 5000, 2000, 3), ("S2", "R01", 15000, 2000, 2)]
BASE = {"CODMn": 2.0, "NH3_N": 0.5, "TN": 1.0, "TP": 0.1}


def index_scheme(**kw):
    raw = {
        "scheme": "test_index",
        "kind": "index",
        "title": "t",
        "version": "1",
        "confidence": "U",
        "sources": ["hand"],
        "period": "year",
        "unit": "万元",
        "currency": "CNY",
        "station": "upstream",
        "K0": 0.85,
        "weights": {"CODMn": 0.25, "NH3-N": 0.25, "TN": 0.25, "TP": 0.25},  # an alias is fine
        "baseline": {"method": "values", "values": {"CODMn": 2.0, "NH3-N": 0.5, "TN": 1.0, "TP": 0.1}},
        "threshold": 1.0,
        "outcomes": {
            "at_or_below": {"payer": "downstream", "amount": 10000, "confidence": "U"},
            "above": {"payer": "upstream", "amount": 10000, "confidence": "U"},
        },
    }
    raw.update(kw)
    return load_scheme(raw)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("wq")
    st = stations_world(STATIONS)
    sections = find_sections(rivers_world(["R01"]), admin_world(), crs=CRS, stations=st)
    # 2020: at the baseline; 2021: 1.5 x the baseline; 2022: TP missing
    series = {
        p: [v] * 12 + [1.5 * v] * 12 + ([v] * 12 if p != "TP" else [None] * 12) for p, v in BASE.items()
    }
    path = write_wq(tmp_path / "wq.csv", {"S1": series, "S2": {"NH3_N": [0.4] * 36}})
    return sections, wq.read_wq(path, stations=st)


def test_index_scheme_by_hand(world):
    sections, ds = world
    ledger = settle(ds, sections, index_scheme())
    got = [
        (
            r.period,
            r.outcome,
            None if pd.isna(r.value) else r.value,
            None if pd.isna(r.payer) else r.payer,
            r.amount,
        )
        for r in ledger.itertuples()
    ]
    assert got == [
        ("2020", "at_or_below", pytest.approx(0.85), "省B", 10000.0),  # P = 0.85 x 1 -> downstream pays
        ("2021", "above", pytest.approx(1.275), "省A", 10000.0),  # P = 0.85 x 1.5 -> upstream pays
        ("2022", "no data", None, None, 0.0),
    ]
    assert "P = 0.85 x sum(K_i C_i/C_i0) = 0.8500 <= 1" in ledger.reason.iloc[0]
    assert "['TP']" in ledger.reason.iloc[2]
    s = summarize(ledger).iloc[0]
    assert (s.paid_a_to_b, s.paid_b_to_a, s.net_a_to_b, s.periods_without_data) == (10000.0, 10000.0, 0.0, 1)


def test_index_baseline_from_years(world):
    sections, ds = world
    sch = index_scheme(baseline={"method": "mean_of_years", "years": [2020, 2020]})
    ledger = settle(ds, sections, sch)
    # settled after the baseline years only; 2021 = 1.5 x the 2020 means
    assert list(ledger.period) == ["2021", "2022"]
    assert ledger.value.iloc[0] == pytest.approx(1.275)


def test_index_no_baseline_data(world):
    sections, ds = world
    sch = index_scheme(baseline={"method": "mean_of_years", "years": [2015, 2016]})
    ledger = settle(ds, sections, sch)
    assert set(ledger.outcome) == {"no baseline"}
    assert ledger.reason.iloc[0] == "no positive baseline mean 2015-2016 at S1 for CODMn, NH3-N, TN, TP"


def test_index_unknown_parameter(world):
    sections, ds = world
    with pytest.raises(SchemaError, match="scheme parameter 'XYZ' is not a known water-quality parameter"):
        settle(
            ds,
            sections,
            index_scheme(weights={"XYZ": 1.0}, baseline={"method": "values", "values": {"XYZ": 1}}),
        )
    with pytest.raises(SchemaError, match=r"weights \['Hg'\], which the water-quality data does not have"):
        settle(
            ds,
            sections,
            index_scheme(weights={"Hg": 1.0}, baseline={"method": "values", "values": {"Hg": 1}}),
        )


def test_target_trend_from_dataset(world):
    sections, ds = world
    ledger = settle(ds, sections, "chongqing_target_trend")
    # S1 monthly: NH3 0.5 (II) in 2020, 0.75 (III) in 2021, 0.5 in 2022; TP 0.1 (II), 0.15 (III), missing
    by = ledger.groupby(ledger.period.str[:4]).outcome.agg(lambda s: sorted(set(s)))
    assert by["2020"] == ["meets_no_previous"]
    assert by["2021"] == ["meets_worsens"]
    assert by["2022"] == ["meets_improves"]
    assert len(ledger) == 36


def test_concentration_trend(world):
    sections, ds = world
    raw = yaml.safe_load(
        (files("basin.crossborder") / "schemes" / "chongqing_target_trend.yaml").read_text("utf-8")
    )
    raw["trend"] = {"metric": "concentration", "parameters": ["CODMn", "NH3_N"]}
    raw["period"] = "year"
    ledger = settle(ds, sections, raw)
    assert list(ledger.outcome) == ["meets_no_previous", "meets_worsens", "meets_improves"]
    assert ledger.value.iloc[1] == pytest.approx(1.5)
    assert ledger.value.iloc[2] == pytest.approx(1 / 1.5)
