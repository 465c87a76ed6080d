"""Issue 12: the rest of the 2011 method, each rule checked on a tiny world computed by hand."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import spearmanr
from scipy.stats import t as student_t

from basin._errors import SchemaError
from basin.waterquality import assess, evaluate_river, evaluate_rivers, tli
from basin.waterquality.assess import do_class_saturation, do_saturation, evaluated_as
from basin.waterquality.method import (
    change,
    change_by_proportions,
    change_by_status,
    class_proportions,
    cwqi,
    drinking_water,
    exceedance,
    reference_items,
    sample_exceedance,
    spearman_critical_value,
    spearman_rs,
    spearman_trend,
    temperature_change,
)
from basin.waterquality.tables import TABLES, assessment_tables

from .conftest import make_ds


def _years(values: dict[str, list[list[float]]], start: int = 2020, **kw) -> xr.Dataset:
    """One value per station and year (mid-year)."""
    n = len(next(iter(values.values()))[0])
    times = pd.date_range(f"{start}-07-01", periods=n, freq="YS-JUL")
    return make_ds(values, times=times, **kw)


# ------------------------------------------------------------------------------ class proportions
def test_class_proportions_by_river_basin_and_network():
    # 8 sections, one year: TP means -> classes I, II, III, III, IV, V, 劣V, 劣V
    tp = [0.02, 0.1, 0.2, 0.15, 0.3, 0.4, 0.5, 0.9]
    ds = _years({"TP": [[v] for v in tp]})
    ds = ds.assign_coords(river_id=("station", ["A"] * 4 + ["B"] * 4), basin_id=("station", ["X"] * 8))
    out = class_proportions(ds).set_index(["level", "group"])
    a = out.loc[("river_id", "A")]
    assert (a["n_sections"], a["n_I"], a["n_II"], a["n_III"]) == (4, 1, 1, 2)
    assert a["share_I_III"] == 1.0
    b = out.loc[("river_id", "B")]
    assert (b["n_IV"], b["n_V"], b["n_worse_than_V"]) == (1, 1, 2)
    assert (b["share_IV_V"], b["share_worse_than_V"]) == (0.5, 0.5)
    for key in [("basin_id", "X"), ("all", "全部")]:
        x = out.loc[key]
        assert x["n_sections"] == 8
        assert x["share_I_III"] == pytest.approx(4 / 8)
        assert x["share_IV_V"] == pytest.approx(2 / 8)
        assert x["share_worse_than_V"] == pytest.approx(2 / 8)
        assert x["share_III"] == pytest.approx(2 / 8)
    with pytest.raises(SchemaError, match=r"no station coordinate\(s\) \['county'\]"):
        class_proportions(ds, by=["county"])


# ------------------------------------------------------------------------------ exceedance
def test_section_exceedance_rate_per_item():
    # TP means 0.1 (II), 0.25 (IV), 0.5 (劣V), no TP at S4 -> 2 of 3 sections worse than III;
    # max multiple (0.5 - 0.2)/0.2 = 1.5 at S3. DO 4 (IV) at S1 only: 1 of 4, no multiple.
    ds = _years({"TP": [[0.1], [0.25], [0.5], [np.nan]], "DO": [[4.0], [6.0], [7.0], [8.0]]})
    ds = ds.assign_coords(river_id=("station", ["R"] * 4))
    out = exceedance(ds)
    tp = out[(out.level == "river_id") & (out.parameter == "TP")].iloc[0]
    assert (tp["n_sections"], tp["n_exceeding"]) == (3, 2)
    assert tp["rate"] == pytest.approx(2 / 3)
    assert tp["max_multiple"] == pytest.approx(1.5)
    assert tp["max_station"] == "S3"
    assert tp["name_zh"] == "总磷"
    do = out[(out.level == "all") & (out.parameter == "DO")].iloc[0]
    assert (do["n_sections"], do["n_exceeding"], do["rate"]) == (4, 1, 0.25)
    assert np.isnan(do["max_multiple"])


def test_sample_exceedance_against_target_and_class_iii():
    times = pd.date_range("2021-01-10", periods=4, freq="MS")
    ds = make_ds({"TP": [[0.05, 0.12, 0.3, 0.08]], "DO": [[7.0, 4.0, 2.5, 6.0]]}, times=times, target=[2])
    out = sample_exceedance(ds).set_index("parameter")
    # target II: TP limit 0.1 -> 0.12 and 0.3 exceed (2 of 4); worst 0.3, multiple (0.3 - 0.1)/0.1 = 2
    tp = out.loc["TP"]
    assert (tp["reference_class"], tp["limit"], tp["n_samples"], tp["n_exceeding"]) == (2, 0.1, 4, 2)
    assert tp["rate"] == 0.5
    assert tp["max_multiple"] == pytest.approx(2.0)
    assert tp["worst_time"] == times[2]
    # DO below the class II limit 6: 4.0 and 2.5 (6.0 meets it); worst = the lowest, no multiple
    do = out.loc["DO"]
    assert (do["n_exceeding"], do["worst_value"], do["worst_time"]) == (2, 2.5, times[2])
    assert np.isnan(do["max_multiple"])
    iii = sample_exceedance(ds, against="III").set_index("parameter").loc["TP"]
    assert (iii["limit"], iii["n_exceeding"], iii["max_multiple"]) == (0.2, 1, pytest.approx(0.5))
    with pytest.raises(SchemaError, match="against must be 'target' or 'III'"):
        sample_exceedance(ds, against="IV")


# ------------------------------------------------------------------------------ reference items
def test_reference_items_tn_lakes_only_and_fecal_coliform():
    ds = _years(
        {"TN": [[1.2], [1.2], [1.2]], "fecal_coliform": [[2500.0], [150.0], [50000.0]], "TP": [[0.1]] * 3},
        waterbody=["lake", "river", "reservoir"],
    )
    ds = ds.assign_coords(river_type_reservoir=("station", [False, False, True]))
    out = reference_items(ds).set_index("station_id")
    # lake TN 1.2 -> IV (1.0 < 1.2 <= 1.5); rivers and the river-type reservoir: no TN class
    assert out.loc["S1", "TN_class"] == 4
    assert out.loc["S1", "TN_class_label"] == "Ⅳ"
    assert pd.isna(out.loc["S2", "TN_class"])
    assert pd.isna(out.loc["S3", "TN_class"])
    # fecal coliform 2500 -> III (2000 < x <= 10000), 150 -> I, 50000 -> 劣V
    assert out["fecal_coliform_class"].tolist() == [3, 1, 6]
    assert out["temperature_ok"].isna().all()


def test_water_temperature_rule_against_baseline():
    # 2 ISO weeks of daily values in January 2024 (week 2 = Jan 8-14, week 3 = Jan 15-21)
    days = pd.date_range("2024-01-08", periods=14, freq="D")
    s1 = [11.0] * 7 + [9.0] * 7  # +1.0 then -1.0 against 10: within the rule
    s2 = [11.5] * 7 + [7.5] * 7  # +1.5 (> 1 rise) and -2.5 (> 2 drop)
    ds = make_ds({"temperature": [s1, s2]}, times=days)
    base = pd.DataFrame({"周": [2, 3], "水温": [10.0, 10.0]})
    out = temperature_change(ds, base).set_index("station_id")
    assert out.loc["S1", "temperature_weeks"] == 2
    assert (out.loc["S1", "temperature_max_rise"], out.loc["S1", "temperature_max_drop"]) == (1.0, 1.0)
    assert bool(out.loc["S1", "temperature_ok"]) is True
    assert (out.loc["S2", "temperature_max_rise"], out.loc["S2", "temperature_max_drop"]) == (1.5, 2.5)
    assert bool(out.loc["S2", "temperature_ok"]) is False
    # a station's own baseline wins over the general one: S2 against 11.5 / 9.5 -> +0, -2.0: within
    own = pd.concat(
        [
            base.assign(断面编码=""),
            pd.DataFrame({"断面编码": ["S2", "S2"], "周": [2, 3], "水温": [11.5, 9.5]}),
        ]
    )
    out2 = temperature_change(ds, own).set_index("station_id")
    assert bool(out2.loc["S2", "temperature_ok"]) is True
    ref = reference_items(ds, baseline=base).set_index("station_id")
    assert ref.loc["S2", "temperature"] == pytest.approx(9.5)
    assert bool(ref.loc["S2", "temperature_ok"]) is False
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['week'\]"):
        temperature_change(ds, pd.DataFrame({"temperature": [1.0]}))
    with pytest.raises(SchemaError, match="row 2: week must be 1-53"):
        temperature_change(ds, pd.DataFrame({"week": [1, 60], "temperature": [1.0, 2.0]}))


# ------------------------------------------------------------------------------ drinking water
def test_drinking_water_table2():
    ds = _years({"sulfate": [[100.0], [300.0]], "Fe": [[0.45], [0.2]], "TP": [[0.1], [0.1]]})
    ds = ds.assign_coords(drinking_source=("station", [True, False]))
    out = drinking_water(ds)
    assert out["station_id"].tolist() == ["S1"]  # S2 is not a drinking-water source
    r = out.iloc[0]
    assert bool(r["sulfate_compliant"]) is True
    assert bool(r["Fe_compliant"]) is False
    assert pd.isna(r["Mn_compliant"])
    assert bool(r["compliant"]) is False
    assert r["exceeding"] == "铁(0.5)"  # (0.45 - 0.3) / 0.3
    assert r["not_measured"] == "氯化物、硝酸盐、锰"
    assert r["n_items"] == 2
    assert drinking_water(ds.drop_vars("drinking_source")).empty


# ------------------------------------------------------------------------------ CWQI
def test_cwqi_by_hand_and_ranking():
    # S1 river: pH 8 -> (8-7)/2 = 0.5; DO 4 -> 5/4 = 1.25; TP 0.1 -> 0.1/0.2 = 0.5; NH3-N 1.5 -> 1.5 => 3.75
    # S2 lake: pH 6.5 -> (7-6.5)/1 = 0.5; DO 10 -> 0.5; TP 0.1 -> 0.1/0.05 = 2; NH3-N 0.5 -> 0.5 => 3.5
    ds = _years(
        {"pH": [[8.0], [6.5]], "DO": [[4.0], [10.0]], "TP": [[0.1], [0.1]], "NH3_N": [[1.5], [0.5]]},
        waterbody=["river", "lake"],
    )
    out = cwqi(ds).set_index("station_id")
    assert out.loc["S1", "cwqi"] == pytest.approx(3.75)
    assert out.loc["S2", "cwqi"] == pytest.approx(3.5)
    assert out.loc["S2", "cwqi_TP"] == pytest.approx(2.0)
    assert (out.loc["S2", "rank"], out.loc["S1", "rank"], out.loc["S1", "n_ranked"]) == (1, 2, 2)
    assert out.loc["S1", "n_items"] == 4


# ------------------------------------------------------------------------------ change over time
@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ("优", "优", (0, "无明显变化")),  # class I -> II is the same grade
        ("良好", "优", (-1, "有所好转")),
        ("重度污染", "轻度污染", (-2, "明显好转")),
        ("良好", "轻度污染", (1, "有所变差")),
        ("优", "重度污染", (4, "明显变差")),
    ],
)
def test_change_by_status(before, after, expected):
    assert change_by_status(before, after) == expected


@pytest.mark.parametrize(
    ("shares", "expected"),
    [
        ((0.60, 0.20, 0.65, 0.15), (10.0, "无明显变化")),  # ΔG 5, ΔD -5 -> 10: not more than 10
        ((0.60, 0.20, 0.66, 0.15), (11.0, "有所好转")),
        ((0.60, 0.20, 0.75, 0.15), (20.0, "有所好转")),
        ((0.60, 0.20, 0.75, 0.10), (25.0, "明显好转")),
        ((0.80, 0.00, 0.70, 0.05), (-15.0, "有所变差")),
        ((0.80, 0.00, 0.60, 0.10), (-30.0, "明显变差")),
    ],
)
def test_change_by_proportions(shares, expected):
    assert change_by_proportions(*shares) == expected


def test_change_sections_and_river():
    # 6 sections, two years; S1 III -> II (良好 -> 优: 有所好转), S2 II -> 劣V (优 -> 重度污染: 明显变差)
    tp = [[0.15, 0.05], [0.05, 0.5], [0.05, 0.05], [0.05, 0.05], [0.5, 0.05], [0.5, 0.05]]
    ds = _years({"TP": tp}).assign_coords(river_id=("station", ["R"] * 6))
    out = change(ds)
    s = out[out.level == "section"].set_index("id")
    assert (s.loc["S1", "before"], s.loc["S1", "after"]) == ("2020", "2021")
    assert s.loc["S1", "change"] == "有所好转"
    assert (s.loc["S2", "class_before"], s.loc["S2", "class_after"], s.loc["S2", "change"]) == (
        2,
        6,
        "明显变差",
    )
    # river: I-III 4/6 -> 5/6 (ΔG = +16.7), 劣V 2/6 -> 1/6 (ΔD = -16.7) -> ΔG - ΔD = 33.3 -> 明显好转
    r = out[out.level == "river_id"].iloc[0]
    assert r["method"] == "proportion"
    assert r["delta_g_minus_d"] == pytest.approx(100 / 3)
    assert r["change"] == "明显好转"
    with pytest.raises(SchemaError, match="before='1999' is not a period of the data"):
        change(ds, before="1999")
    assert change(_years({"TP": [[0.1]]})).empty


# ------------------------------------------------------------------------------ Spearman
def test_spearman_rs_equals_scipy():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(40, 9))
    x[:10] = np.round(x[:10])  # ties: average ranks, as scipy
    x[5, 3] = np.nan
    got = spearman_rs(x)
    for i in range(len(x)):
        row = x[i][~np.isnan(x[i])]
        assert got[i] == pytest.approx(spearmanr(row, np.arange(len(row))).statistic, abs=1e-12)
    # the method's formula without ties: r_s = 1 - 6 Σd² / (N³ - N); ranks [2, 1, 4, 3, 5] -> Σd² = 4
    assert float(spearman_rs([2.0, 1.0, 4.0, 3.0, 5.0])[0]) == pytest.approx(1 - 6 * 4 / (125 - 5))


@pytest.mark.parametrize("n", [4, 5, 6, 7, 8, 9])
def test_spearman_critical_values_exact(n):
    # exact one-sided distribution of r_s under H0 (all n! orders equally likely): W_p is the smallest
    # attainable r_s with P(r_s >= W_p) <= alpha, rounded to 3 decimals as in the table
    perms = np.array(list(itertools.permutations(range(n))))
    d2 = ((perms - np.arange(n)) ** 2).sum(axis=1)
    rs = 1 - 6 * d2 / (n**3 - n)
    for alpha in (0.05, 0.01):
        vals = np.unique(rs)[::-1]
        ok = [v for v in vals if (rs >= v - 1e-12).mean() <= alpha]
        expected = round(float(min(ok)), 3) if ok else np.nan
        assert spearman_critical_value(n, alpha) == pytest.approx(expected, nan_ok=True)


def test_spearman_critical_value_ten_exact():
    # n = 10 by enumerating the 10! orders (histogram of Σd²): exact W(0.05) = 0.558, W(0.01) = 0.739; the
    # table's 0.564 / 0.746 (Olds' approximation) are slightly stricter, never looser
    n = 10
    counts = np.zeros(n**3, dtype=np.int64)
    perms = itertools.permutations(range(n))
    while chunk := list(itertools.islice(perms, 400_000)):
        d2 = ((np.array(chunk, dtype=np.int16) - np.arange(n)) ** 2).sum(axis=1)
        counts += np.bincount(d2, minlength=counts.size)
    tail = np.cumsum(counts) / counts.sum()  # P(Σd² <= k) = P(r_s >= 1 - 6k/(n³-n))
    for alpha, exact in ((0.05, 0.558), (0.01, 0.739)):
        w = spearman_critical_value(n, alpha)
        k_max = int(np.floor((1 - w) * (n**3 - n) / 6 + 1e-9))
        assert tail[k_max] <= alpha  # the table's test keeps its level
        assert 0 <= w - exact < 0.01


@pytest.mark.parametrize("n", [12, 14, 16, 18, 20, 22, 24, 26, 28, 30])
def test_spearman_critical_values_large_n_near_t_approximation(n):
    # the t approximation of r_s's null distribution gives one-sided p-values near alpha at the table's W
    for alpha, low in ((0.05, 0.7), (0.01, 0.4)):
        w = spearman_critical_value(n, alpha)
        t = w * np.sqrt((n - 2) / (1 - w**2))
        p = student_t.sf(t, n - 2)
        assert low * alpha <= p <= 1.3 * alpha
    assert spearman_critical_value(11) == spearman_critical_value(10)  # conservative: next smaller n
    assert np.isnan(spearman_critical_value(3))
    assert spearman_critical_value(40) == pytest.approx(1.6449 / np.sqrt(39), abs=1e-4)
    with pytest.raises(SchemaError, match="alpha must be 0.05 or 0.01"):
        spearman_critical_value(10, 0.1)


def test_spearman_trend():
    # 6 years rising: r_s = 1 >= W(6) = 0.829 -> 上升; for TP that is 加重, for DO 好转;
    # S2 flat-ish: r_s = 0.2
    ds = _years(
        {
            "TP": [[0.1, 0.12, 0.15, 0.17, 0.2, 0.22], [0.1, 0.3, 0.1, 0.3, 0.2, 0.15]],
            "DO": [[5.0, 5.5, 6.0, 6.5, 7.0, 7.5], [np.nan, np.nan, np.nan, 6.0, 6.5, 7.0]],
        }
    )
    out = spearman_trend(ds).set_index(["station_id", "parameter"])
    a = out.loc[("S1", "TP")]
    assert (a["r_s"], a["critical_value"], a["trend"], a["assessment"]) == (1.0, 0.829, "上升", "加重")
    assert out.loc[("S1", "DO"), "assessment"] == "好转"
    b = out.loc[("S2", "TP")]
    assert b["r_s"] == pytest.approx(spearmanr([0.1, 0.3, 0.1, 0.3, 0.2, 0.15], range(6)).statistic)
    assert (b["significant"], b["trend"], b["assessment"]) == (False, "无显著变化", "稳定")
    assert out.loc[("S2", "DO"), "trend"] == "not tested"  # 3 periods (< 4)


# ------------------------------------------------------------------------------ lakes, reservoirs, DO
def test_lake_with_several_points_is_the_mean_of_its_points():
    # point A: two samples 0.02, 0.04 -> time mean 0.03; point B: one sample 0.09 -> the lake mean is
    # (0.03 + 0.09)/2 = 0.06 -> lake TP class IV (pooling the samples would give 0.05 -> III)
    times = pd.date_range("2021-03-01", periods=2, freq="MS")
    ds = make_ds({"TP": [[0.02, 0.04], [0.09, np.nan]]}, times=times, waterbody=["lake", "lake"])
    ds = ds.assign_coords(lake_id=("station", ["L", "L"]))
    out = evaluate_rivers(ds, by="lake_id").iloc[0]
    assert (out["method"], out["river_class"], out["main_pollutants"]) == ("lake_mean", 4, "总磷(0.2)")


def test_lake_with_six_points_never_uses_proportions_and_tli_from_lake_means():
    tp = [0.02, 0.04, 0.06, 0.08, 0.1, 0.12]  # mean 0.07 -> lake IV
    vals = {"TP": [[v] for v in tp], "Chla": [[c] for c in (5, 10, 15, 20, 25, 30)]}
    vals |= {"TN": [[1.0]] * 6, "SD": [[1.0]] * 6, "CODMn": [[4.0]] * 6}
    ds = _years(vals, waterbody=["reservoir"] * 6).assign_coords(lake_id=("station", ["K"] * 6))
    out = evaluate_rivers(ds, by="lake_id").iloc[0]
    assert (out["method"], out["n_sections"], out["river_class"], out["status"]) == (
        "lake_mean",
        6,
        4,
        "轻度污染",
    )
    assert out["tli"] == pytest.approx(float(tli(chla=17.5, tp=0.07, tn=1.0, sd=1.0, codmn=4.0)))
    r = evaluate_river([2, 3, 3, 4, 4, 5], means=pd.DataFrame({"TP": tp}), waterbody="lake")
    assert (r.method, r.river_class) == ("lake_mean", 4)
    with pytest.raises(SchemaError, match="a lake or reservoir is evaluated on the mean of its points"):
        evaluate_river([2, 3, 3, 4, 4, 5], waterbody="lake")


def test_river_type_reservoir_evaluated_as_river():
    # TP 0.08: reservoir (lake limits) -> IV; river-type reservoir (river limits) -> II
    ds = _years({"TP": [[0.08], [0.08]]}, waterbody=["reservoir", "reservoir"])
    ds = ds.assign_coords(river_type_reservoir=("station", [False, True]))
    assert evaluated_as(ds).tolist() == ["lake", "river"]
    sec = assess(ds).set_index("station_id")
    assert (sec.loc["S1", "class"], sec.loc["S2", "class"]) == (4, 2)
    assert sec.loc["S2", "evaluated_as"] == "river"
    assert sec.loc["S2", "waterbody"] == "reservoir"


def test_do_class_one_by_saturation():
    # DO_f = 468 / (31.6 + T): 7.597 mg/L at 30 ℃, 14.81 at 0 ℃
    assert float(do_saturation(30.0)) == pytest.approx(468 / 61.6)
    assert float(do_saturation(0.0)) == pytest.approx(14.810, abs=1e-3)
    # 7.2 at 30 ℃: 94.8 % -> I (7.5 mg/L rule: II); 7.6 at 5 ℃: 59 % -> II (7.5 rule: I); 4.0 -> IV either way
    got = do_class_saturation([7.2, 7.6, 4.0, 7.6], [30.0, 5.0, 30.0, np.nan])
    assert got.tolist() == [1, 2, 4, 1]  # no temperature: the 7.5 mg/L limit
    ds = _years({"DO": [[7.2], [7.6]], "temperature": [[30.0], [5.0]]})
    assert assess(ds)["class"].tolist() == [2, 1]
    assert assess(ds, do_saturation=True)["class"].tolist() == [1, 2]


# ------------------------------------------------------------------------------ one entry point
def test_assessment_tables_all_names_and_titles():
    tp = [[0.15, 0.05], [0.05, 0.5], [0.05, 0.05], [0.05, 0.05], [0.5, 0.05], [0.1, 0.08]]
    ds = _years({"TP": tp, "TN": [[1.0, 1.2]] * 6}, waterbody=["river"] * 5 + ["lake"])
    ds = ds.assign_coords(
        river_id=("station", ["R"] * 5 + [""]),
        lake_id=("station", [""] * 5 + ["L"]),
        drinking_source=("station", [True] + [False] * 5),
    )
    tables = assessment_tables(ds)
    assert list(tables) == [k for k in TABLES if k in tables]
    assert set(TABLES) == set(tables)
    for name, df in tables.items():
        assert df.attrs["title_zh"] == TABLES[name][0]
        assert df.attrs["title_en"] == TABLES[name][1]
    assert "no natural baseline" in tables["reference"].attrs["note"]
    assert tables["lakes"].iloc[0]["method"] == "lake_mean"
    assert not tables["change"].empty
    with pytest.raises(SchemaError, match=r"unknown option\(s\) \['colour'\]"):
        assessment_tables(ds, colour="red")


@pytest.mark.parametrize("period", ["year", "quarter", "month"])
def test_period_means_fast_path_equals_xarray_resample(period):
    from basin.waterquality.assess import PERIODS, period_means

    rng = np.random.default_rng(4)
    times = pd.date_range("2019-11-03", periods=60, freq="9D")  # irregular within months, gaps across periods
    v = rng.lognormal(size=(5, 60))
    v[rng.random(v.shape) < 0.3] = np.nan
    v[:, 20:32] = np.nan  # whole empty months -> all-NaN bins, as resample gives
    ds = make_ds({"TP": v.tolist(), "DO": (v * 3).tolist()}, times=times)
    fast = period_means(ds, period)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = ds[["TP", "DO"]].resample(time=PERIODS[period]).mean(keep_attrs=True)
    assert (fast["time"].values == ref["time"].values).all()
    for p in ("TP", "DO"):
        np.testing.assert_allclose(fast[p].values, ref[p].transpose("station", "time").values, rtol=1e-12)
        assert fast[p].attrs == ref[p].attrs


def test_read_wq_carries_station_flags_and_groups(tmp_path):
    from basin.waterquality import read_wq

    csv = tmp_path / "wq.csv"
    csv.write_text(
        "station_id,time,parameter,value\nA,2021-01-05,TP,0.1\nB,2021-01-05,TP,0.08\nC,2021-01-05,TP,0.3\n",
        encoding="utf-8",
    )
    st = pd.DataFrame(
        {
            "station_id": ["A", "B", "C"],
            "waterbody": ["river", "reservoir", "reservoir"],
            "drinking_source": ["是", "否", ""],
            "river_type_reservoir": [False, True, None],
            "basin_id": ["长江", "长江", "嘉陵江"],
        }
    )
    ds = read_wq(csv, stations=st)
    assert ds["drinking_source"].values.tolist() == [True, False, False]
    assert ds["river_type_reservoir"].values.tolist() == [False, True, False]
    assert ds["basin_id"].values.tolist() == ["长江", "长江", "嘉陵江"]
    assert evaluated_as(ds).tolist() == ["river", "river", "lake"]
    assert drinking_water(ds)["station_id"].unique().tolist() == ["A"]
    bad = st.assign(drinking_source=["yes", "maybe", "no"])
    with pytest.raises(
        SchemaError, match=r"column 'drinking_source' must be true/false .* station 'B' has 'maybe'"
    ):
        read_wq(csv, stations=bad)
