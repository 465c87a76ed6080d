"""Evaluate the warning rules on station observations: one warning per episode, extended and closed.

The observations are a long table (one row per station, time and parameter; see :data:`OBS_COLUMNS`). Every
rule of :mod:`basin.watch.rules` is evaluated on whole arrays (numpy, no Python loop per sample):

1. rows are put in (station, parameter, time) order (skipped when already sorted) and *valid* rows marked:
   flag ``N``, status 正常 or empty, a finite value inside the physical range;
2. each rule marks its triggering items (samples, days, gaps or runs) with a value, a threshold and a
   "badness" (how far beyond the threshold);
3. triggering items of one station, parameter and rule closer than the rule's ``merge_gap_h`` are one
   **episode**: first and last time, the worst value (largest badness) and its threshold, the number of
   samples. An episode is ``closed`` once its series has gone on for ``close_after_h`` past the last
   triggering item without a new one, else ``open``;
4. open warnings from the store (``open_warnings``) are extended by the first new episode of the same
   station, parameter and rule that starts within ``merge_gap_h`` of their last time (keeping their id
   and first time), and closed by the same rule as above.

The warning id is the first 16 hex digits of SHA-1 over ``station|parameter|rule|first_time``: evaluating
the same data again gives the same ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from basin._errors import DataError, SchemaError
from basin.watch.rules import WarningRule, WarningRules, load_warning_rules, physical_limits
from basin.waterquality.classify import class_labels, classify
from basin.waterquality.standards import Limits, Standard, load_standard, parameter_table

__all__ = ["OBS_COLUMNS", "WARNING_COLUMNS", "evaluate_warnings", "robust_baseline", "pelt_l2"]

OBS_COLUMNS = ["station_id", "time", "parameter", "value", "flag", "status"]
WARNING_COLUMNS = [
    "warning_id",
    "station_id",
    "parameter",
    "rule_id",
    "level",
    "first_time",
    "last_time",
    "status",
    "value",
    "threshold",
    "n_samples",
    "message_zh",
    "message_en",
]
_OK_STATUS = ("正常", "")
_HOUR = 3_600_000_000_000  # ns
_DAY = 24 * _HOUR
_MAD = 1.4826  # 1 / Phi^-1(0.75): MAD -> sigma for Gaussian data
_CHUNK = 1 << 16  # baseline windows per chunk (bounds memory to ~_CHUNK * window * 8 bytes)

try:  # numba is a dependency (the classify kernels use it); the numpy path below is the fallback
    from numba import njit, prange

    @njit(cache=True, nogil=True)
    def _kth(a, k):  # pragma: no cover - jit
        # Wirth's selection in place: afterwards a[:k] <= a[k] <= a[k+1:]
        lo, hi = 0, a.size - 1
        while lo < hi:
            x = a[k]
            i, j = lo, hi
            while True:
                while a[i] < x:
                    i += 1
                while x < a[j]:
                    j -= 1
                if i <= j:
                    a[i], a[j] = a[j], a[i]
                    i += 1
                    j -= 1
                if i > j:
                    break
            if j < k:
                lo = i
            if k < i:
                hi = j
        return a[k]

    @njit(cache=True, nogil=True)
    def _median_inplace(a):  # pragma: no cover - jit
        n = a.size
        k = n // 2
        x = _kth(a, k)
        if n % 2 == 1:
            return x
        y = a[0]
        for i in range(1, k):
            y = max(y, a[i])
        return (x + y) / 2.0

    @njit(cache=True, nogil=True, parallel=True)
    def _baseline_kernel(v, starts, window, med, mad):  # pragma: no cover - jit
        n_chunks = 64
        per = (starts.size + n_chunks - 1) // n_chunks
        for c in prange(n_chunks):
            buf = np.empty(window)
            for k in range(c * per, min(starts.size, (c + 1) * per)):
                b = starts[k]
                buf[:] = v[b - window : b]
                m = _median_inplace(buf)
                for i in range(window):
                    buf[i] = abs(v[b - window + i] - m)
                med[k] = m
                mad[k] = _median_inplace(buf)

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover
    HAVE_NUMBA = False


# ----------------------------------------------------------------------------------------- observations
@dataclass
class _Obs:
    """The observations as sorted numpy arrays (see :func:`_prepare`)."""

    station_ids: np.ndarray  # station id per station code
    parameters: np.ndarray  # canonical parameter per parameter code
    st: np.ndarray  # station code per row
    par: np.ndarray  # parameter code per row
    series: np.ndarray  # st * n_par + par
    t: np.ndarray  # int64 ns
    v: np.ndarray  # float64
    flag_ok: np.ndarray  # bool
    status: np.ndarray  # status code per row (index into status_values)
    status_values: np.ndarray
    valid: np.ndarray  # bool: usable in statistics
    impossible: np.ndarray  # bool
    series_end: np.ndarray  # int64 ns: last row time per series code (any row)
    now: int
    _rows: dict[int, np.ndarray] | None = None

    def rows_of(self, p: int) -> np.ndarray:
        """Row positions of parameter code ``p`` (in series, time order)."""
        if self._rows is None:
            order = np.argsort(self.par, kind="stable")
            bounds = np.searchsorted(self.par[order], np.arange(self.n_par + 1))
            self._rows = {q: order[bounds[q] : bounds[q + 1]] for q in range(self.n_par)}
        return self._rows[p]

    @property
    def n_par(self) -> int:
        return len(self.parameters)


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = np.asarray(col.cat.categories.astype(str), dtype=object)
        return col.cat.codes.to_numpy(np.int64), cats
    codes, uniques = pd.factorize(col, use_na_sentinel=True)
    return codes.astype(np.int64), np.asarray([str(u) for u in uniques], dtype=object)


def _times(col: pd.Series) -> np.ndarray:
    if isinstance(col.dtype, pd.DatetimeTZDtype):
        col = col.dt.tz_convert("Asia/Shanghai").dt.tz_localize(None)
    try:
        t = pd.to_datetime(col).to_numpy("datetime64[ns]")
    except (ValueError, TypeError) as exc:
        msg = f"observations: column 'time' is not a date-time column ({str(exc)[:80]})"
        raise SchemaError(msg) from exc
    if np.isnat(t).any():
        row = int(np.flatnonzero(np.isnat(t))[0])
        msg = f"observations: column 'time' has a missing time (row {row})"
        raise DataError(msg)
    return t.view(np.int64)


def _prepare(  # noqa: C901 - one block per column
    obs: pd.DataFrame,
    stations: pd.DataFrame,
    limits: dict[str, tuple[float | None, float | None]],
    now: Any,
) -> tuple[_Obs, pd.DataFrame]:
    if not isinstance(obs, pd.DataFrame):
        msg = "observations must be a pandas DataFrame with columns " + ", ".join(OBS_COLUMNS)
        raise SchemaError(msg)
    missing = [c for c in ("station_id", "time", "parameter", "value") if c not in obs.columns]
    if missing:
        msg = f"observations: missing column(s) {missing}; expected {OBS_COLUMNS}"
        raise SchemaError(msg)
    st_table = _stations(stations)
    st_codes, st_uniques = _codes(obs["station_id"])
    if (st_codes < 0).any():
        msg = f"observations: column 'station_id' is missing in row {int(np.flatnonzero(st_codes < 0)[0])}"
        raise DataError(msg)
    idx = st_table.index.get_indexer(pd.Index(st_uniques))
    if (idx < 0).any():
        unknown = [str(u)[:30] for u in st_uniques[idx < 0][:5]]
        msg = (
            f"observations: station_id(s) {unknown} are not in the stations layer (add them or "
            "reject the rows)"
        )
        raise DataError(msg)
    par_codes, par_uniques = _codes(obs["parameter"])
    known = set(parameter_table().index)
    bad = [str(p)[:30] for p in par_uniques if p not in known]
    if bad or (par_codes < 0).any():
        msg = (
            f"observations: column 'parameter' has value(s) {bad[:5] or ['(missing)']} that are "
            "not canonical codes "
            "of basin/waterquality/standards/parameters.csv (NH3_N, TP, CODMn, DO, pH, ...)"
        )
        raise SchemaError(msg)
    st = idx[st_codes]
    par = par_codes
    n_par = len(par_uniques)
    series = st * n_par + par
    t = _times(obs["time"])
    try:
        v = obs["value"].to_numpy(np.float64, na_value=np.nan)
    except (ValueError, TypeError) as exc:
        msg = f"observations: column 'value' is not numeric ({str(exc)[:80]})"
        raise SchemaError(msg) from exc
    if "flag" in obs.columns:
        f_codes, f_uniques = _codes(obs["flag"].fillna("N") if obs["flag"].hasnans else obs["flag"])
        flag_ok = np.asarray([u == "N" for u in f_uniques] + [False], dtype=bool)[f_codes]
    else:
        flag_ok = np.ones(len(obs), dtype=bool)
    if "status" in obs.columns:
        s_col = obs["status"]
        if not isinstance(s_col.dtype, pd.CategoricalDtype) and s_col.hasnans:
            s_col = s_col.fillna("")
        s_codes, s_values = _codes(s_col)
        s_values = np.append(s_values, "")
        s_codes = np.where(s_codes < 0, len(s_values) - 1, s_codes)
    else:
        s_codes = np.zeros(len(obs), dtype=np.int64)
        s_values = np.asarray([""], dtype=object)
    status_ok = np.isin(s_values, _OK_STATUS)[s_codes]

    # sort by (series, time) unless sorted already
    if len(t):
        t0 = int(t.min())
        key = (series.astype(np.int64) << 42) | ((t - t0) // 1_000_000_000)
        if not bool(np.all(key[1:] >= key[:-1])):
            order = np.argsort(key, kind="stable")
            st, par, series, t, v = st[order], par[order], series[order], t[order], v[order]
            flag_ok, s_codes, status_ok = flag_ok[order], s_codes[order], status_ok[order]
    finite = np.isfinite(v)
    lo_p = np.asarray([_bound(limits.get(str(c), (None, None))[0], -np.inf) for c in par_uniques] + [-np.inf])
    hi_p = np.asarray([_bound(limits.get(str(c), (None, None))[1], np.inf) for c in par_uniques] + [np.inf])
    impossible = finite & ((v < lo_p[par]) | (v > hi_p[par]))
    valid = flag_ok & status_ok & finite & ~impossible
    n_series = len(st_table) * n_par
    series_end = np.full(n_series, np.iinfo(np.int64).min, dtype=np.int64)
    if len(t):
        last = np.r_[series[1:] != series[:-1], True]
        series_end[series[last]] = t[last]
    if now is None:
        now_ns = int(t.max()) if len(t) else 0
    else:
        now_ns = int(pd.Timestamp(now).value)
    prepared = _Obs(
        station_ids=st_table.index.to_numpy(object),
        parameters=np.asarray(par_uniques, dtype=object),
        st=st,
        par=par,
        series=series,
        t=t,
        v=v,
        flag_ok=flag_ok,
        status=s_codes,
        status_values=s_values,
        valid=valid,
        impossible=impossible,
        series_end=series_end,
        now=now_ns,
    )
    return prepared, st_table


def _bound(x: float | None, default: float) -> float:
    return default if x is None else float(x)


def _stations(stations: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(stations, pd.DataFrame) or "station_id" not in stations.columns:
        msg = (
            "stations: expected a (Geo)DataFrame with columns station_id, target_class (and name, waterbody)"
        )
        raise SchemaError(msg)
    ids = stations["station_id"].astype(str)
    if ids.duplicated().any():
        msg = f"stations: duplicate station_id(s) {ids[ids.duplicated()].unique()[:5].tolist()}"
        raise DataError(msg)
    out = pd.DataFrame(index=pd.Index(ids.to_numpy(), name="station_id"))
    out["name"] = (
        stations["name"].astype("string").fillna("").to_numpy() if "name" in stations.columns else ""
    )
    target = (
        pd.to_numeric(stations["target_class"], errors="coerce") if "target_class" in stations else np.nan
    )
    out["target_class"] = np.asarray(target, dtype=float) if not np.isscalar(target) else np.nan
    wb = (
        stations["waterbody"].astype("string").fillna("river") if "waterbody" in stations.columns else "river"
    )
    out["waterbody"] = np.asarray(wb, dtype=object) if not isinstance(wb, str) else wb
    out["lake"] = out["waterbody"].isin(["lake", "reservoir"]).to_numpy()
    return out


# ------------------------------------------------------------------------------------------- episodes
@dataclass
class _Hits:
    """Triggering items of one rule, sorted by (series key, time)."""

    key: np.ndarray  # int64 series key (series code, or station code for station-level rules)
    t: np.ndarray  # int64 ns, start of the item
    t_end: np.ndarray  # int64 ns, end of the item
    value: np.ndarray
    threshold: np.ndarray
    badness: np.ndarray
    n: np.ndarray  # samples per item
    extra: np.ndarray | None = None  # per-item label (status text)


def _episodes(h: _Hits, gap_h: float) -> pd.DataFrame:
    """Group items into episodes: same key, start within ``gap_h`` of the previous item's end."""
    cols = ["key", "first", "last", "value", "threshold", "badness", "n", "extra"]
    if h.key.size == 0:
        return pd.DataFrame({c: [] for c in cols})
    gap = int(round(gap_h * 3600))
    new_key = np.r_[True, h.key[1:] != h.key[:-1]]
    kid = np.cumsum(new_key) - 1
    run_end = _grouped_cummax(h.t_end // 1_000_000_000, kid)
    prev_end = np.r_[np.iinfo(np.int64).min, run_end[:-1]]
    t_sec = h.t // 1_000_000_000
    new = new_key | (t_sec - prev_end > gap)
    starts = np.flatnonzero(new)
    ep = np.cumsum(new) - 1
    # worst item of each episode: order by (episode, badness), take the last
    order = np.lexsort((h.badness, ep))
    last_of = np.r_[ep[order][1:] != ep[order][:-1], True]
    worst = order[last_of]
    return pd.DataFrame(
        {
            "key": h.key[starts],
            "first": h.t[starts],
            "last": np.maximum.reduceat(h.t_end, starts),
            "value": h.value[worst],
            "threshold": h.threshold[worst],
            "badness": h.badness[worst],
            "n": np.add.reduceat(h.n, starts),
            "extra": h.extra[starts] if h.extra is not None else "",
        }
    )


def _grouped_cummax(x: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Cumulative maximum of integer ``x`` (seconds) restarting at every new ``group`` (groups contiguous)."""
    if x.size == 0:
        return x
    x0 = int(x.min())
    packed = (group.astype(np.int64) << 40) | (x - x0)
    return (np.maximum.accumulate(packed) & ((1 << 40) - 1)) + x0


# ------------------------------------------------------------------------------------------ the rules
def _direction(parameter: str, direction: str) -> str:
    if direction != "worse":
        return direction
    if parameter == "DO":
        return "down"
    if parameter == "pH":
        return "both"
    return "up"


def _limit_arrays(lim: Limits, cls: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bound of class ``cls`` (1-5) per item."""
    k = np.clip(cls, 1, 5) - 1
    return lim.lower[k], lim.upper[k]


def _class_rule(o: _Obs, st: pd.DataFrame, rule: WarningRule, std: Standard) -> _Hits:  # noqa: C901
    trigger, basis = rule.options["trigger"], rule.options["basis"]
    target = st["target_class"].to_numpy(float)
    lake = st["lake"].to_numpy(bool)
    parts: list[_Hits] = []
    for p, code in enumerate(o.parameters):
        if not rule.applies_to(code) or code not in std.parameters:
            continue
        idx = o.rows_of(p)
        idx = idx[o.valid[idx]]
        if idx.size == 0:
            continue
        if basis == "daily_mean":
            key_rows, t_rows, v_rows = o.series[idx], o.t[idx], o.v[idx]
            day = t_rows // _DAY
            new = np.r_[True, (key_rows[1:] != key_rows[:-1]) | (day[1:] != day[:-1])]
            starts = np.flatnonzero(new)
            n = np.diff(np.r_[starts, idx.size])
            vals = np.add.reduceat(v_rows, starts) / n
            t_first = t_rows[starts]
            t_last = np.maximum.reduceat(t_rows, starts)
            stc = o.st[idx[starts]]
            keys = key_rows[starts]
            full = n >= int(rule.options["min_samples"])
            vals, t_first, t_last, stc, keys, n = (
                vals[full],
                t_first[full],
                t_last[full],
                stc[full],
                keys[full],
                n[full],
            )
        else:
            vals, t_first, t_last = o.v[idx], o.t[idx], o.t[idx]
            stc, keys = o.st[idx], o.series[idx]
            n = np.ones(idx.size, dtype=np.int64)
        cls = np.zeros(vals.size, dtype=np.int8)
        for is_lake in (False, True):
            sel = lake[stc] == is_lake
            if sel.any():
                cls[sel] = classify(vals[sel], code, waterbody="lake" if is_lake else "river", standard=std)
        if trigger == "worse_than_target":
            tgt = target[stc]
            hit = (cls > 0) & np.isfinite(tgt) & (cls > np.nan_to_num(tgt, nan=9))
            ref = np.nan_to_num(tgt, nan=5).astype(int)
        else:
            hit = cls >= rule.options["class"]
            ref = np.full(vals.size, rule.options["class"] - 1, dtype=int)
        if not hit.any():
            continue
        vals, ref, stc = vals[hit], ref[hit], stc[hit]
        lo = np.empty(vals.size)
        hi = np.empty(vals.size)
        for is_lake in (False, True):
            sel = lake[stc] == is_lake
            lim = std.get_limits(code, "lake" if is_lake else "river")
            if sel.any() and lim is not None:
                lo[sel], hi[sel] = _limit_arrays(lim, ref[sel])
        above = vals > hi
        thr = np.where(above, hi, lo)
        bad = np.where(above, vals - hi, lo - vals)
        parts.append(_Hits(keys[hit], t_first[hit], t_last[hit], vals, thr, bad, n[hit].astype(np.int64)))
    return _concat(parts)


def _concat(parts: Sequence[_Hits]) -> _Hits:
    if not parts:
        e = np.zeros(0, dtype=np.int64)
        f = np.zeros(0)
        return _Hits(e, e, e, f, f, f, e)
    h = _Hits(
        *(
            np.concatenate([getattr(p, a) for p in parts])
            for a in ("key", "t", "t_end", "value", "threshold", "badness", "n")
        )
    )
    if any(p.extra is not None for p in parts):
        h.extra = np.concatenate([p.extra if p.extra is not None else np.full(p.key.size, "") for p in parts])
    order = np.lexsort((h.t, h.key))
    h.key, h.t, h.t_end, h.value = h.key[order], h.t[order], h.t_end[order], h.value[order]
    h.threshold, h.badness, h.n = h.threshold[order], h.badness[order], h.n[order]
    if h.extra is not None:
        h.extra = h.extra[order]
    return h


def robust_baseline(
    v: np.ndarray, group: np.ndarray, t: np.ndarray, window: int, *, use_numba: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Median and MAD of the ``window`` samples before the start of each sample's day.

    Parameters
    ----------
    v, group, t
        Values, series codes and times (int64 ns) of valid samples sorted by (group, time).
    window
        Number of samples in the baseline window (all in the same series, before the day's first sample).
    use_numba
        Use the compiled kernel (parallel over the days; numba) rather than the numpy path (same result).

    Returns
    -------
    (median, mad)
        Per sample; NaN where the series has fewer than ``window`` samples before the day.
    """
    n = v.size
    med = np.full(n, np.nan)
    mad = np.full(n, np.nan)
    if n == 0:
        return med, mad
    day = t // _DAY
    new_series = np.r_[True, group[1:] != group[:-1]]
    new_block = new_series | np.r_[True, day[1:] != day[:-1]]
    series_start = np.maximum.accumulate(np.where(new_series, np.arange(n), 0))
    b = np.flatnonzero(new_block)
    ok = b - series_start[b] >= window
    bb = b[ok]
    bmed = np.full(b.size, np.nan)
    bmad = np.full(b.size, np.nan)
    res_med = np.empty(bb.size)
    res_mad = np.empty(bb.size)
    if HAVE_NUMBA and use_numba:
        vv = np.ascontiguousarray(v, dtype=np.float64)
        _baseline_kernel(vv, bb.astype(np.int64), int(window), res_med, res_mad)
    else:
        steps = np.arange(-window, 0)
        for s in range(0, bb.size, _CHUNK):
            win = v[bb[s : s + _CHUNK, None] + steps]
            m = np.median(win, axis=1)
            res_med[s : s + _CHUNK] = m
            np.subtract(win, m[:, None], out=win)
            np.abs(win, out=win)
            res_mad[s : s + _CHUNK] = np.median(win, axis=1)
    bmed[ok] = res_med
    bmad[ok] = res_mad
    blk = np.cumsum(new_block) - 1
    return bmed[blk], bmad[blk]


def _sudden_rule(o: _Obs, rule: WarningRule) -> _Hits:
    opts = rule.options
    use = np.asarray([rule.applies_to(p) for p in o.parameters] + [False], dtype=bool)
    m = o.valid & use[o.par]
    idx = np.flatnonzero(m)
    if idx.size == 0:
        return _concat([])
    v, key, t, par = o.v[idx], o.series[idx], o.t[idx], o.par[idx]
    med, mad = robust_baseline(v, key, t, int(opts["window"]))
    scale = np.maximum(_MAD * mad, np.maximum(opts["rel_floor"] * np.abs(med), opts["abs_floor"]))
    with np.errstate(invalid="ignore", divide="ignore"):
        z = (v - med) / scale
    z = np.where(np.isfinite(z) & (scale > 0), z, 0.0)
    zc = float(opts["z"])
    dirs = [_direction(p, opts["direction"]) for p in o.parameters]
    up_p = np.asarray([d in ("up", "both") for d in dirs] + [False], dtype=bool)
    down_p = np.asarray([d in ("down", "both") for d in dirs] + [False], dtype=bool)
    up, down = up_p[par], down_p[par]
    hit_up = up & (z > zc)
    hit_down = down & (z < -zc)
    hit = hit_up | hit_down
    if not hit.any():
        return _concat([])
    thr = np.where(hit_up, med + zc * scale, med - zc * scale)
    return _Hits(
        key[hit], t[hit], t[hit], v[hit], thr[hit], np.abs(z[hit]), np.ones(int(hit.sum()), np.int64)
    )


def pelt_l2(x: np.ndarray, lengths: np.ndarray, pen: np.ndarray, min_size: int) -> list[np.ndarray]:
    """Exact penalised change points of mean shifts (l2 cost) for many series at once.

    Solves the problem PELT solves (Killick et al. 2012; ``ruptures.Pelt(model="l2", jump=1)``): minimise
    the sum of squared deviations from the segment means plus ``pen`` per segment, with segments of at least
    ``min_size`` points, by optimal partitioning on all series together (numpy, one step per time index).

    Parameters
    ----------
    x
        (n_series, n) values, each row left-aligned; positions at or after the row's length are ignored.
    lengths
        Number of points of each row.
    pen
        Penalty per row (same unit as the squared values).
    min_size
        Shortest segment.

    Returns
    -------
    list of numpy.ndarray
        Per row the breakpoints as ruptures returns them: the end index of each segment, the last one
        equal to the row's length.
    """
    n_rows, n = x.shape
    xs = np.where(np.arange(n)[None, :] < lengths[:, None], x, 0.0)
    last = np.zeros((n + 1, n_rows), dtype=np.int32)
    rows = 256  # rows per block: keeps the (time x rows) work arrays in cache
    for r0 in range(0, n_rows, rows):
        r1 = min(n_rows, r0 + rows)
        k = r1 - r0
        s1 = np.zeros((n + 1, k))
        s2 = np.zeros((n + 1, k))
        np.cumsum(xs[r0:r1].T, axis=0, out=s1[1:])
        np.cumsum((xs[r0:r1] ** 2).T, axis=0, out=s2[1:])
        f = np.full((n + 1, k), np.inf)
        f[0] = -pen[r0:r1]
        cols = np.arange(k)
        for t in range(min_size, n + 1):
            d0 = s1[t]
            best = f[0] + s2[t] - d0 * d0 / t
            arg = np.zeros(k, dtype=np.int32)
            if t >= 2 * min_size:
                a, b = min_size, t - min_size + 1
                d1 = s1[t] - s1[a:b]
                cost = s2[t] - s2[a:b]
                d1 *= d1
                d1 *= 1.0 / (t - np.arange(a, b, dtype=np.float64))[:, None]
                cost -= d1
                cost += f[a:b]
                j = np.argmin(cost, axis=0)
                m = cost[j, cols]
                better = m < best
                best = np.where(better, m, best)
                arg = np.where(better, j + a, 0).astype(np.int32)
            f[t] = best + pen[r0:r1]
            last[t, r0:r1] = arg
    last = last.T
    out = []
    for r in range(n_rows):
        bk = [int(lengths[r])]
        pos = int(lengths[r])
        while pos > 0:
            pos = int(last[r, pos])
            if pos > 0:
                bk.append(pos)
        out.append(np.asarray(bk[::-1], dtype=np.int64))
    return out


def _shift_rule(o: _Obs, rule: WarningRule) -> _Hits:  # noqa: C901 - one pass per step of the method
    opts = rule.options
    use = np.asarray([rule.applies_to(p) for p in o.parameters] + [False], dtype=bool)
    idx = np.flatnonzero(o.valid & use[o.par])
    if idx.size == 0:
        return _concat([])
    key, t, v, par = o.series[idx], o.t[idx], o.v[idx], o.par[idx]
    day = t // _DAY
    new = np.r_[True, (key[1:] != key[:-1]) | (day[1:] != day[:-1])]
    starts = np.flatnonzero(new)
    cnt = np.diff(np.r_[starts, idx.size])
    dmean = np.add.reduceat(v, starts) / cnt
    dkey, dfirst, dlast, dpar = key[starts], t[starts], np.maximum.reduceat(t, starts), par[starts]
    # series of daily means -> padded matrix
    snew = np.r_[True, dkey[1:] != dkey[:-1]]
    sstart = np.flatnonzero(snew)
    slen = np.diff(np.r_[sstart, dkey.size])
    keep = slen >= int(opts["min_days"])
    if not keep.any():
        return _concat([])
    sstart, slen = sstart[keep], slen[keep]
    width = int(slen.max())
    pos = sstart[:, None] + np.arange(width)[None, :]
    inside = np.arange(width)[None, :] < slen[:, None]
    mat = np.where(inside, dmean[np.minimum(pos, dkey.size - 1)], np.nan)
    centre = np.nanmedian(mat, axis=1)
    diffs = np.abs(np.diff(mat, axis=1))
    sigma = _MAD * np.nanmedian(diffs, axis=1) / np.sqrt(2.0)
    sigma = np.maximum(sigma, 1e-6 * np.maximum(np.abs(centre), 1e-12))
    zmat = np.where(inside, (mat - centre[:, None]) / sigma[:, None], 0.0)
    pen = float(opts["penalty"]) * np.log(slen.astype(float))
    bks = pelt_l2(zmat, slen, pen, int(opts["min_size_days"]))
    parts: list[_Hits] = []
    for r, bk in enumerate(bks):  # one iteration per series (not per sample); most have no change
        if bk.size < 2:
            continue
        edges = np.r_[0, bk]
        base = sstart[r]
        seg_means = np.array(
            [
                np.average(mat[r, a:b], weights=cnt[base + a : base + b])
                for a, b in zip(edges[:-1], edges[1:], strict=False)
            ]
        )
        d = _direction(str(o.parameters[dpar[base]]), opts["direction"])
        for j in range(1, seg_means.size):
            prev, cur = seg_means[j - 1], seg_means[j]
            shift = cur - prev
            worse = (shift > 0 and d in ("up", "both")) or (shift < 0 and d in ("down", "both"))
            need = max(float(opts["min_shift_sigma"]) * sigma[r], float(opts["min_shift_rel"]) * abs(prev))
            if not worse or abs(shift) < need:
                continue
            a, b = base + edges[j], base + edges[j + 1] - 1
            thr = prev + np.sign(shift) * need
            parts.append(
                _Hits(
                    np.asarray([dkey[a]]),
                    np.asarray([dfirst[a]]),
                    np.asarray([dlast[b]]),
                    np.asarray([cur]),
                    np.asarray([thr]),
                    np.asarray([abs(shift) / sigma[r]]),
                    np.asarray([int(cnt[a : b + 1].sum())], dtype=np.int64),
                )
            )
    return _concat(parts)


def _nodata_rule(o: _Obs, rule: WarningRule) -> tuple[_Hits, np.ndarray]:
    """Gaps longer than ``hours`` between received rows of a series, and from the last row to ``now``."""
    limit = int(round(float(rule.options["hours"]) * _HOUR))
    use = np.asarray([rule.applies_to(p) for p in o.parameters] + [False], dtype=bool)
    idx = np.flatnonzero(use[o.par])
    key, t = o.series[idx], o.t[idx]
    if idx.size == 0:
        return _concat([]), np.zeros(0, dtype=bool)
    same = np.r_[False, key[1:] == key[:-1]]
    dt = np.r_[0, np.diff(t)]
    inner = same & (dt > limit)
    last = np.r_[key[1:] != key[:-1], True]
    trailing = last & (o.now - t > limit)
    k = np.r_[key[inner], key[trailing]]
    t0 = np.r_[t[np.flatnonzero(inner) - 1], t[trailing]]
    t1 = np.r_[t[inner], np.full(int(trailing.sum()), o.now, dtype=np.int64)]
    hours = (t1 - t0) / _HOUR
    ongoing = np.r_[np.zeros(int(inner.sum()), bool), np.ones(int(trailing.sum()), bool)]
    order = np.lexsort((t0, k))
    thr = np.full(k.size, float(rule.options["hours"]))
    h = _Hits(k[order], t0[order], t1[order], hours[order], thr, hours[order], np.zeros(k.size, np.int64))
    return h, ongoing[order]


def _flatline_rule(o: _Obs, rule: WarningRule) -> _Hits:
    count = int(rule.options["count"])
    use = np.asarray([rule.applies_to(p) for p in o.parameters] + [False], dtype=bool)
    idx = np.flatnonzero(o.valid & use[o.par])
    if idx.size == 0:
        return _concat([])
    key, t, v = o.series[idx], o.t[idx], o.v[idx]
    same = np.r_[False, (key[1:] == key[:-1]) & (v[1:] == v[:-1])]
    starts = np.flatnonzero(~same)
    length = np.diff(np.r_[starts, idx.size])
    long_ = length >= count
    s, ln = starts[long_], length[long_]
    e = s + ln - 1
    return _Hits(
        key[s], t[s], t[e], v[s], np.full(s.size, float(count)), ln.astype(float), ln.astype(np.int64)
    )


def _impossible_rule(
    o: _Obs, rule: WarningRule, limits: dict[str, tuple[float | None, float | None]]
) -> _Hits:
    use = np.asarray([rule.applies_to(p) for p in o.parameters] + [False], dtype=bool)
    idx = np.flatnonzero(o.impossible & use[o.par])
    if idx.size == 0:
        return _concat([])
    v, par = o.v[idx], o.par[idx]
    lo = np.asarray([_none(limits.get(p, (None, None))[0], -np.inf) for p in o.parameters])[par]
    hi = np.asarray([_none(limits.get(p, (None, None))[1], np.inf) for p in o.parameters])[par]
    below = v < lo
    thr = np.where(below, lo, hi)
    return _Hits(o.series[idx], o.t[idx], o.t[idx], v, thr, np.abs(v - thr), np.ones(idx.size, np.int64))


def _none(x: float | None, default: float) -> float:
    return default if x is None else float(x)


def _status_rule(o: _Obs) -> _Hits:
    bad_status = ~np.isin(o.status_values, _OK_STATUS)
    idx = np.flatnonzero(bad_status[o.status])
    if idx.size == 0:
        return _concat([])
    n_stat = len(o.status_values)
    key = o.st[idx].astype(np.int64) * n_stat + o.status[idx]
    t = o.t[idx]
    both = np.unique(np.stack([key, t], axis=1), axis=0)  # one item per station, status and time
    k, tt = both[:, 0], both[:, 1]
    extra = o.status_values[k % n_stat].astype(object)
    nan = np.full(k.size, np.nan)
    return _Hits(k, tt, tt, nan, nan, np.zeros(k.size), np.ones(k.size, np.int64), extra)


# ------------------------------------------------------------------------------------------ assemble
def _warning_id(station: str, parameter: str, rule_id: str, first: int) -> str:
    text = f"{station}|{parameter}|{rule_id}|{pd.Timestamp(first).isoformat()}"
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def _fmt(x: float) -> str:
    if not np.isfinite(x):
        return "-"
    return f"{x:.4g}"


def _messages(
    df: pd.DataFrame, rule: WarningRule, rules: WarningRules, st: pd.DataFrame, std: Standard
) -> tuple[list[str], list[str]]:
    ptab = parameter_table()
    level = rules.level(rule.level)
    zh, en = [], []
    names = dict(zip(st.index, st["name"].astype(str), strict=True))
    targets = dict(zip(st.index, st["target_class"].to_numpy(float), strict=True))
    labels = class_labels(np.arange(7))
    cols = ("station_id", "parameter", "value", "threshold", "n_samples", "status", "first_time", "last_time")
    arrays = [df[c].to_numpy(object) for c in cols] + [
        df["extra"].to_numpy(object) if "extra" in df.columns else np.full(len(df), "", dtype=object)
    ]
    for sid, p, value, thr, n_samples, status, first, last, extra in zip(*arrays, strict=True):
        name = names.get(sid, "")
        known = p in ptab.index
        pz = ptab.at[p, "name_zh"] if known else "全部指标"
        pe = ptab.at[p, "name_en"] if known else "all parameters"
        unit = ptab.at[p, "unit"] if known else ""
        unit = "" if unit in ("1", "") else f" {unit}"
        t0 = pd.Timestamp(first).strftime("%Y-%m-%d %H:%M")
        t1 = pd.Timestamp(last).strftime("%Y-%m-%d %H:%M")
        span_zh, span_en = f"{t0} 至 {t1}", f"{t0} to {t1}"
        what_zh = f"{rule.text_zh}：{pz} {_fmt(value)}{unit}（阈值 {_fmt(thr)}）"
        what_en = f"{rule.text_en}: {pe} {_fmt(value)}{unit} (threshold {_fmt(thr)})"
        if rule.kind == "class_exceedance" and p in std.parameters:
            tgt = targets.get(sid, np.nan)
            if rule.options["trigger"] == "worse_than_target" and np.isfinite(tgt):
                lab = labels[int(tgt)]
                what_zh += f"，目标{lab}类"
                what_en += f", target class {lab}"
        elif rule.kind == "no_data":
            what_zh = f"{rule.text_zh}：{pz} 无数据 {value:.1f} 小时（允许 {_fmt(thr)} 小时）"
            what_en = f"{rule.text_en}: {pe} no data for {value:.1f} h (allowed {_fmt(thr)} h)"
        elif rule.kind == "flatline":
            what_zh = f"{rule.text_zh}：{pz} 连续 {n_samples} 次为 {_fmt(value)}{unit}"
            what_en = f"{rule.text_en}: {pe} {n_samples} times in a row at {_fmt(value)}{unit}"
        elif rule.kind == "station_status":
            what_zh = f"{rule.text_zh}：{extra}"
            what_en = f"{rule.text_en}: {extra}"
        state_zh = "持续中" if status == "open" else "已结束"
        state_en = "ongoing" if status == "open" else "closed"
        zh.append(f"【{rule.level}】{sid} {name} {what_zh}；{span_zh}，{state_zh} [{rule.id}]")
        en.append(f"[{level.en}] {sid} {name} {what_en}; {span_en}, {state_en} [{rule.id}]")
    return zh, en


def _empty() -> pd.DataFrame:
    df = pd.DataFrame({c: pd.Series(dtype=object) for c in WARNING_COLUMNS})
    for c in ("first_time", "last_time"):
        df[c] = pd.Series(dtype="datetime64[ns]")
    for c in ("value", "threshold"):
        df[c] = pd.Series(dtype=float)
    df["n_samples"] = pd.Series(dtype=np.int64)
    return df


def _check_open(open_warnings: pd.DataFrame | None) -> pd.DataFrame | None:
    if open_warnings is None or len(open_warnings) == 0:
        return None
    # the columns of evaluate_warnings that carry an episode on (level, status and messages are recomputed)
    need = [c for c in WARNING_COLUMNS if c not in ("level", "status", "message_zh", "message_en")]
    missing = [c for c in need if c not in open_warnings.columns]
    if missing:
        msg = f"open_warnings: missing column(s) {missing}; expected the columns of evaluate_warnings"
        raise SchemaError(msg)
    ow = open_warnings.copy()
    if "status" in ow.columns:
        ow = ow[ow["status"].astype(str) == "open"]
    ow["first_time"] = pd.to_datetime(ow["first_time"]).astype("datetime64[ns]")
    ow["last_time"] = pd.to_datetime(ow["last_time"]).astype("datetime64[ns]")
    return ow


def evaluate_warnings(  # noqa: C901 - one branch per rule kind
    obs: pd.DataFrame,
    stations: pd.DataFrame,
    *,
    rules: str | WarningRules | None = None,
    open_warnings: pd.DataFrame | None = None,
    now: Any = None,
    standard: str | Standard | None = None,
) -> pd.DataFrame:
    """Evaluate the warning rules on observations; one row per warning (episode).

    Parameters
    ----------
    obs
        Long table with columns ``station_id`` (str), ``time`` (naive China Standard Time), ``parameter``
        (canonical code, e.g. ``NH3_N``), ``value`` (float), optional ``flag`` (``N`` = normal, others
        left out of statistics) and ``status`` (正常 / 维护 / 停站 / 不具备运行条件 or empty; non-正常
        rows are left out of statistics and raise the station-status rule). Categorical columns are used
        as they are (fastest).
    stations
        Stations layer or table: ``station_id``, ``target_class`` (1-5), optional ``name`` and ``waterbody``.
    rules
        Rule file path or :class:`~basin.watch.rules.WarningRules` (default: the shipped rules).
    open_warnings
        Warnings still open in the store (columns of the result); episodes that continue them extend them.
    now
        Time of the evaluation for the no-data rule (default: the latest time in ``obs``).
    standard
        Water-quality standard (default GB3838-2002).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`WARNING_COLUMNS`: ``warning_id`` (deterministic), ``station_id``, ``parameter``
        (``*`` for station-level rules), ``rule_id``, ``level``, ``first_time``, ``last_time``, ``status``
        (open | closed), ``value`` (worst), ``threshold``, ``n_samples``, ``message_zh``, ``message_en``;
        sorted by first time. The open warnings passed in are returned too (extended, closed or unchanged).

    Raises
    ------
    SchemaError
        Missing columns, unknown parameters, a malformed rule file or open-warnings table.
    DataError
        Station ids not in the stations table, missing times.
    """
    wr = load_warning_rules(rules)
    std = load_standard(standard)
    limits = physical_limits()
    for r in wr.rules:
        if r.kind == "impossible":
            for p, (lo, hi) in r.options["limits"].items():
                base = limits.get(p, (None, None))
                limits[p] = (lo if lo is not None else base[0], hi if hi is not None else base[1])
    o, st = _prepare(obs, stations, limits, now)
    ow = _check_open(open_warnings)
    frames: list[pd.DataFrame] = []
    used_open: set[str] = set()
    for rule in wr.rules:
        ongoing: np.ndarray | None = None
        station_level = rule.kind == "station_status"
        if rule.kind == "class_exceedance":
            hits = _class_rule(o, st, rule, std)
        elif rule.kind == "sudden_change":
            hits = _sudden_rule(o, rule)
        elif rule.kind == "sustained_shift":
            hits = _shift_rule(o, rule)
        elif rule.kind == "no_data":
            hits, ongoing = _nodata_rule(o, rule)
        elif rule.kind == "flatline":
            hits = _flatline_rule(o, rule)
        elif rule.kind == "impossible":
            hits = _impossible_rule(o, rule, limits)
        else:
            hits = _status_rule(o)
        if rule.kind == "no_data":
            ep = pd.DataFrame(
                {
                    "key": hits.key,
                    "first": hits.t,
                    "last": hits.t_end,
                    "value": hits.value,
                    "threshold": hits.threshold,
                    "badness": hits.badness,
                    "n": hits.n,
                    "extra": "",
                }
            )
        else:
            ep = _episodes(hits, rule.merge_gap_h)
        if station_level:
            n_stat = len(o.status_values)
            stc = (ep["key"].to_numpy(np.int64) // n_stat).astype(np.int64)
            ep["station_id"] = o.station_ids[stc] if len(ep) else []
            ep["parameter"] = "*"
            end = np.full(len(ep), np.iinfo(np.int64).max)  # closed by the next normal row of the station
            if len(ep):
                st_end = np.full(len(o.station_ids), np.iinfo(np.int64).min, dtype=np.int64)
                np.maximum.at(st_end, o.st, o.t)
                end = st_end[stc]
        else:
            key = ep["key"].to_numpy(np.int64)
            ep["station_id"] = o.station_ids[key // o.n_par] if len(ep) else []
            ep["parameter"] = o.parameters[key % o.n_par] if len(ep) else []
            end = o.series_end[key] if len(ep) else np.zeros(0, np.int64)
        close = int(round(rule.close_after_h * _HOUR))
        last = ep["last"].to_numpy(np.int64)
        if rule.kind == "no_data":
            is_open = ongoing if ongoing is not None else np.zeros(len(ep), bool)
        else:
            is_open = (end - last) < max(close, 1) if close > 0 else end <= last
        ep["status"] = np.where(is_open, "open", "closed")
        ep["first_time"] = pd.to_datetime(ep["first"].to_numpy(np.int64))
        ep["last_time"] = pd.to_datetime(last)
        ep["n_samples"] = ep["n"].astype(np.int64)
        ep["rule_id"] = rule.id
        ep["level"] = rule.level
        ep["warning_id"] = [
            _warning_id(s, p, rule.id, f)
            for s, p, f in zip(
                ep["station_id"].to_numpy(object),
                ep["parameter"].to_numpy(object),
                ep["first"].to_numpy(np.int64).tolist(),
                strict=True,
            )
        ]
        if ow is not None:
            ep = _merge_open(ep, ow[ow["rule_id"].astype(str) == rule.id], rule, o, used_open)
        zh, en = _messages(ep, rule, wr, st, std)
        ep["message_zh"] = zh
        ep["message_en"] = en
        frames.append(ep[WARNING_COLUMNS])
    if ow is not None:
        rest = ow[~ow["warning_id"].isin(used_open)]
        if len(rest):
            frames.append(rest.reindex(columns=WARNING_COLUMNS))
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty()
    out = pd.concat(frames, ignore_index=True)
    out["value"] = out["value"].astype(float)
    out["threshold"] = out["threshold"].astype(float)
    out["n_samples"] = out["n_samples"].astype(np.int64)
    return out.sort_values(["first_time", "station_id", "parameter", "rule_id"], kind="stable").reset_index(
        drop=True
    )


def _merge_open(
    ep: pd.DataFrame, ow: pd.DataFrame, rule: WarningRule, o: _Obs, used: set[str]
) -> pd.DataFrame:
    """Extend or close the rule's open warnings with this evaluation's episodes (see the module docs)."""
    if len(ow) == 0:
        return ep
    gap = pd.Timedelta(hours=rule.merge_gap_h)
    close = pd.Timedelta(hours=rule.close_after_h)
    ep = ep.copy()
    drop: list[int] = []
    extra_rows: list[dict[str, Any]] = []
    sid_index = {s: i for i, s in enumerate(o.station_ids)}
    par_index = {p: i for i, p in enumerate(o.parameters)}
    for w in ow.itertuples(index=False):  # one iteration per open warning (few), not per sample
        same = ep.index[(ep["station_id"] == w.station_id) & (ep["parameter"] == w.parameter)]
        cand = [
            i
            for i in same
            if ep.at[i, "last_time"] >= w.first_time and ep.at[i, "first_time"] <= w.last_time + gap
        ]
        used.add(w.warning_id)
        row = {
            c: getattr(w, c)
            for c in (
                "warning_id",
                "station_id",
                "parameter",
                "first_time",
                "last_time",
                "value",
                "threshold",
                "n_samples",
            )
        }
        row["extra"] = ""
        if cand:
            parts = ep.loc[cand]
            later = parts["first_time"] > w.last_time
            row["last_time"] = max(w.last_time, parts["last_time"].max())
            row["n_samples"] = (
                int(w.n_samples)
                + int(parts.loc[later, "n_samples"].sum())
                + int(max(0, parts.loc[~later, "n_samples"].sum() - int(w.n_samples)))
            )
            j = parts["badness"].astype(float).idxmax()
            if not np.isfinite(w.value) or _worse(parts.at[j, "value"], w.value, w.threshold):
                row["value"], row["threshold"] = parts.at[j, "value"], parts.at[j, "threshold"]
            row["status"] = "open" if (parts["status"] == "open").any() else "closed"
            row["extra"] = parts["extra"].iloc[0] if "extra" in parts else ""
            drop.extend(cand)
        else:
            si, pi = sid_index.get(w.station_id), par_index.get(w.parameter)
            if rule.kind == "station_status" or si is None or (pi is None and w.parameter != "*"):
                row["status"] = "open"
            else:
                end = o.series_end[si * o.n_par + pi] if pi is not None else o.now
                row["status"] = (
                    "closed"
                    if end >= 0 and pd.Timestamp(end) - w.last_time >= max(close, pd.Timedelta(1))
                    else "open"
                )
        row["rule_id"] = rule.id
        row["level"] = rule.level
        row["badness"] = np.nan
        extra_rows.append(row)
    ep = ep.drop(index=drop)
    if extra_rows:
        ep = pd.concat([ep, pd.DataFrame(extra_rows)], ignore_index=True)
    return ep


def _worse(v_new: float, v_old: float, thr: float) -> bool:
    if not np.isfinite(thr):
        return bool(v_new > v_old)
    return bool(abs(v_new - thr) > abs(v_old - thr))
