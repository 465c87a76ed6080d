"""evaluate_warnings on tiny hand-made feeds with hand-computed episodes; kernels against the libraries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import ruptures

from basin._errors import DataError, SchemaError
from basin.watch.rules import load_warning_rules, parse_warning_rules
from basin.watch.warnings import WARNING_COLUMNS, evaluate_warnings, pelt_l2, robust_baseline

T0 = pd.Timestamp("2024-05-01 00:00")


def _stations() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "station_id": ["A", "L"],
            "name": ["甲站", "湖站"],
            "target_class": [3, 3],
            "waterbody": ["river", "lake"],
        }
    )


def _series(
    station: str, parameter: str, values: list[float] | np.ndarray, start: pd.Timestamp = T0, **cols: object
) -> pd.DataFrame:
    t = pd.date_range(start, periods=len(values), freq="h")
    df = pd.DataFrame(
        {"station_id": station, "time": t, "parameter": parameter, "value": np.asarray(values, float)}
    )
    df["flag"] = cols.get("flag", "N")
    df["status"] = cols.get("status", "正常")
    return df


def _noisy(n: int, level: float, seed: int = 0) -> np.ndarray:
    # small noise, rounded: no flat line, no sudden change
    rng = np.random.default_rng(seed)
    return np.round(level * (1 + 0.03 * rng.standard_normal(n)), 4)


def _only(*ids: str) -> object:
    return load_warning_rules().__class__(
        load_warning_rules().levels, tuple(r for r in load_warning_rules().rules if r.id in ids)
    )


def test_target_and_class_v_episodes() -> None:
    v = _noisy(48, 0.3)
    v[20:24] = [1.2, 1.8, 0.9, 1.6]  # target class Ⅲ: NH3-N limit 1.0; class Ⅴ reached above 1.5 (Ⅳ limit)
    w = evaluate_warnings(_series("A", "NH3_N", v), _stations(), rules=_only("W1", "W3"))
    assert list(w.columns) == WARNING_COLUMNS
    w1 = w[w["rule_id"] == "W1"].iloc[0]
    assert (w1["first_time"], w1["last_time"]) == (T0 + pd.Timedelta(hours=20), T0 + pd.Timedelta(hours=23))
    assert w1["n_samples"] == 3
    assert w1["value"] == 1.8
    assert w1["threshold"] == 1.0
    assert w1["level"] == "预警"
    assert w1["status"] == "closed"  # 24 h of data after the last exceedance
    w3 = w[w["rule_id"] == "W3"].iloc[0]
    assert w3["n_samples"] == 2
    assert w3["threshold"] == 1.5
    assert w3["level"] == "报警"
    assert "氨氮" in w1["message_zh"]
    assert "目标Ⅲ类" in w1["message_zh"]
    assert "ammonia" in w1["message_en"]
    assert len(w) == 2


def test_do_lower_limit_lake_limits_and_open_status() -> None:
    do = _noisy(30, 7.0)
    do[28:] = [4.0, 4.5]  # DO ≥ 5 for class Ⅲ: below is worse
    tp = _noisy(30, 0.02)
    tp[10] = 0.08  # lake TP limit of class Ⅲ is 0.05 (river: 0.2)
    obs = pd.concat([_series("A", "DO", do), _series("L", "TP", tp)])
    w = evaluate_warnings(obs, _stations(), rules=_only("W1"))
    do_w = w[w["parameter"] == "DO"].iloc[0]
    assert do_w["value"] == 4.0
    assert do_w["threshold"] == 5.0
    assert do_w["n_samples"] == 2
    assert do_w["status"] == "open"  # the feed ends inside the episode
    tp_w = w[w["parameter"] == "TP"].iloc[0]
    assert tp_w["station_id"] == "L"
    assert tp_w["threshold"] == 0.05


def test_daily_mean_needs_min_samples() -> None:
    v = np.r_[_noisy(24, 0.3), np.full(5, 1.4)]  # day 2 has 5 samples only
    rules = _only("W2")
    assert evaluate_warnings(_series("A", "NH3_N", v), _stations(), rules=rules).empty
    v = np.r_[_noisy(24, 0.3), _noisy(24, 1.2, 1)]
    w = evaluate_warnings(_series("A", "NH3_N", v), _stations(), rules=rules)
    assert len(w) == 1
    assert w["first_time"].iat[0] == T0 + pd.Timedelta(days=1)
    assert w["n_samples"].iat[0] == 24
    assert w["value"].iat[0] == pytest.approx(v[24:].mean())


def test_excluded_rows_flags_status_impossible() -> None:
    v = _noisy(30, 0.3)
    flags = np.full(30, "N", dtype=object)
    status = np.full(30, "正常", dtype=object)
    v[5], flags[5] = 3.0, "D"  # flagged: not a statistic
    v[8], status[8] = 3.0, "维护"  # maintenance: not a statistic, raises D4
    v[12] = -2.0  # impossible (concentration < 0)
    obs = _series("A", "NH3_N", v)
    obs["flag"], obs["status"] = flags, status
    w = evaluate_warnings(obs, _stations())
    assert set(w["rule_id"]) == {"D3", "D4"}
    d4 = w[w["rule_id"] == "D4"].iloc[0]
    assert d4["parameter"] == "*"
    assert "维护" in d4["message_zh"]
    d3 = w[w["rule_id"] == "D3"].iloc[0]
    assert d3["value"] == -2.0
    assert d3["threshold"] == 0.0


def test_no_data_and_flatline() -> None:
    a = _series("A", "NH3_N", _noisy(10, 0.3))
    b = _series("A", "NH3_N", _noisy(10, 0.3, 2), start=T0 + pd.Timedelta(hours=9 + 13))  # a 13-h gap
    flat = _series("L", "TP", np.r_[_noisy(5, 0.02), np.full(12, 0.021), _noisy(5, 0.02, 3)])
    w = evaluate_warnings(pd.concat([a, b, flat]), _stations(), rules=_only("D1", "D2"))
    d1 = w[w["rule_id"] == "D1"]
    assert len(d1) == 1
    assert d1["value"].iat[0] == 13.0
    assert d1["status"].iat[0] == "closed"
    d2 = w[w["rule_id"] == "D2"]
    assert len(d2) == 1
    assert d2["n_samples"].iat[0] == 12
    assert d2["value"].iat[0] == 0.021
    # 11 repeats are not a flat line; a trailing gap up to `now` is an open no-data warning
    flat11 = _series("L", "TP", np.r_[_noisy(5, 0.02), np.full(11, 0.021), _noisy(5, 0.02, 3)])
    assert evaluate_warnings(flat11, _stations(), rules=_only("D2")).empty
    w = evaluate_warnings(a, _stations(), rules=_only("D1"), now=T0 + pd.Timedelta(hours=30))
    assert len(w) == 1
    assert w["status"].iat[0] == "open"
    assert w["value"].iat[0] == 21.0


def test_sudden_change_and_baseline_against_pandas() -> None:
    rng = np.random.default_rng(5)
    v = np.round(1.0 + 0.05 * rng.standard_normal(24 * 10), 4)
    v[24 * 9 + 5] = 2.0  # 20 sigma on day 10
    w = evaluate_warnings(_series("A", "CODMn", v), _stations(), rules=_only("W4"))
    assert len(w) == 1
    assert w["first_time"].iat[0] == T0 + pd.Timedelta(hours=24 * 9 + 5)
    # baseline = pandas rolling median / MAD of the 168 samples before the day's first sample
    g = np.zeros(v.size, dtype=np.int64)
    t = pd.date_range(T0, periods=v.size, freq="h").to_numpy("datetime64[ns]").view(np.int64)
    med, mad = robust_baseline(v, g, t, 168)
    med_np, mad_np = robust_baseline(v, g, t, 168, use_numba=False)  # the numpy path gives the same
    np.testing.assert_array_equal(med, med_np)
    np.testing.assert_array_equal(mad, mad_np)
    # ties (a coarse sensor resolution), odd windows and several series: compiled kernel = numpy medians
    tied = np.round(rng.standard_normal(3000), 1)
    gg = np.repeat([0, 1, 2], 1000)
    tt = np.tile(pd.date_range(T0, periods=1000, freq="h").to_numpy("datetime64[ns]").view(np.int64), 3)
    for window in (5, 24, 49, 168):
        a = robust_baseline(tied, gg, tt, window)
        b = robust_baseline(tied, gg, tt, window, use_numba=False)
        np.testing.assert_array_equal(a[0], b[0])
        np.testing.assert_array_equal(a[1], b[1])
    s = pd.Series(v)
    ref_med = s.rolling(168, closed="left").median()
    ref_mad = s.rolling(168, closed="left").apply(lambda a: np.median(np.abs(a - np.median(a))), raw=True)
    starts = np.arange(0, v.size, 24)
    for b in starts:
        sl = slice(b, b + 24)
        if b < 168:
            assert np.isnan(med[sl]).all()
        else:
            np.testing.assert_allclose(med[sl], ref_med[b], rtol=0, atol=1e-12)
            np.testing.assert_allclose(mad[sl], ref_mad[b], rtol=0, atol=1e-12)


def test_pelt_equals_ruptures() -> None:
    rng = np.random.default_rng(11)
    for _ in range(40):
        n = int(rng.integers(15, 70))
        x = rng.standard_normal(n)
        for _ in range(int(rng.integers(0, 3))):
            x[int(rng.integers(0, n)) :] += rng.normal(0, 4)
        ms, pen = int(rng.integers(2, 5)), float(rng.uniform(2, 15))
        ref = ruptures.Pelt(model="l2", min_size=ms, jump=1).fit(x).predict(pen=pen)
        got = pelt_l2(x[None, :], np.array([n]), np.array([pen]), ms)[0].tolist()
        assert got == ref
    # rows of different lengths in one call
    x = np.vstack(
        [np.r_[np.zeros(20), np.full(20, 5.0)], np.r_[np.zeros(10), np.full(20, 5.0), np.zeros(10)]]
    )
    got = pelt_l2(x + 0.01 * rng.standard_normal(x.shape), np.array([40, 30]), np.array([3.0, 3.0]), 3)
    assert got[0].tolist() == [20, 40]
    assert got[1].tolist() == [10, 30]


def test_sustained_shift() -> None:
    rng = np.random.default_rng(2)
    days = 40
    daily = 0.3 + 0.01 * rng.standard_normal(days)
    daily[25:] += 0.1  # 10 sigma of the daily means, +33 %
    t = pd.date_range(T0, periods=days, freq="D")
    obs = pd.DataFrame({"station_id": "A", "time": t, "parameter": "NH3_N", "value": daily, "flag": "N"})
    w = evaluate_warnings(obs, _stations(), rules=_only("W5"))
    assert len(w) == 1
    assert w["first_time"].iat[0] == t[25]
    assert w["last_time"].iat[0] == t[-1]
    assert w["status"].iat[0] == "open"
    assert w["value"].iat[0] == pytest.approx(daily[25:].mean())
    down = obs.assign(value=np.r_[daily[:25], daily[25:] - 0.2])  # a drop is not worse for NH3-N
    assert evaluate_warnings(down, _stations(), rules=_only("W5")).empty


def test_open_warnings_are_extended_and_ids_are_stable() -> None:
    v = np.full(48, 0.3) + 0.001 * np.arange(48)
    v[20:30] = 1.5
    obs = _series("A", "NH3_N", v)
    rules = _only("W1")
    full = evaluate_warnings(obs, _stations(), rules=rules)
    first = evaluate_warnings(obs.iloc[:25], _stations(), rules=rules)
    assert first["status"].iat[0] == "open"
    assert first["n_samples"].iat[0] == 5
    later = evaluate_warnings(obs.iloc[25:], _stations(), rules=rules, open_warnings=first)
    assert len(later) == 1
    for col in ("warning_id", "first_time", "last_time", "n_samples", "status", "value"):
        assert later[col].iat[0] == full[col].iat[0], col
    again = evaluate_warnings(
        obs.sample(frac=1.0, random_state=1), _stations(), rules=rules
    )  # unsorted input
    pd.testing.assert_frame_equal(again, full)
    # an open warning with no new data stays open; after close_after_h of data without exceedance it closes
    quiet = _series("A", "NH3_N", np.full(30, 0.3) + 0.001 * np.arange(30), start=T0 + pd.Timedelta(hours=30))
    closed = evaluate_warnings(quiet, _stations(), rules=rules, open_warnings=first)
    assert closed["warning_id"].iat[0] == first["warning_id"].iat[0]
    assert closed["status"].iat[0] == "closed"


def test_categorical_input_same_result() -> None:
    v = _noisy(48, 0.3)
    v[30] = 2.5
    obs = _series("A", "NH3_N", v)
    cat = obs.astype(
        {"station_id": "category", "parameter": "category", "flag": "category", "status": "category"}
    )
    pd.testing.assert_frame_equal(evaluate_warnings(cat, _stations()), evaluate_warnings(obs, _stations()))


def test_bad_input() -> None:
    st = _stations()
    obs = _series("A", "NH3_N", [0.3, 0.4])
    with pytest.raises(SchemaError, match=r"missing column\(s\) \['value'\]"):
        evaluate_warnings(obs.drop(columns="value"), st)
    with pytest.raises(DataError, match=r"station_id\(s\) \['Z'\] are not in the stations layer"):
        evaluate_warnings(obs.assign(station_id="Z"), st)
    with pytest.raises(SchemaError, match=r"value\(s\) \['氨'\] that are not canonical codes"):
        evaluate_warnings(obs.assign(parameter="氨"), st)
    with pytest.raises(SchemaError, match="column 'value' is not numeric"):
        evaluate_warnings(obs.assign(value=["x", "y"]), st)
    with pytest.raises(DataError, match="column 'time' has a missing time"):
        evaluate_warnings(obs.assign(time=[T0, pd.NaT]), st)
    with pytest.raises(DataError, match="duplicate station_id"):
        evaluate_warnings(obs, pd.concat([st, st]))
    with pytest.raises(SchemaError, match=r"open_warnings: missing column\(s\)"):
        evaluate_warnings(obs, st, open_warnings=pd.DataFrame({"warning_id": ["x"]}))
    assert evaluate_warnings(obs.iloc[:0], st).columns.tolist() == WARNING_COLUMNS


def test_rules_from_a_document() -> None:
    doc = {
        "rules": [
            {
                "id": "T",
                "kind": "class_exceedance",
                "trigger": "reaches_class",
                "class": 4,
                "level": "报警",
                "parameters": ["TP"],
                "text_zh": "总磷Ⅳ类",
                "text_en": "TP class IV",
                "source": "test",
            }
        ]
    }
    obs = _series("A", "TP", [0.1, 0.25, 0.1])  # river TP: Ⅲ ≤ 0.2 < 0.25 → Ⅳ
    w = evaluate_warnings(obs, _stations(), rules=parse_warning_rules(doc))
    assert w["rule_id"].tolist() == ["T"]
    assert w["threshold"].iat[0] == 0.2
