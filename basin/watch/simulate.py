"""Simulate pollution pulses on a river network to test the warning rules and the source tracer.

A pulse of mass ``M`` released at once at a point of the network is carried downstream with the analytical
solution of the one-dimensional advection-dispersion-decay equation for an instantaneous release::

    C(x, t) = M / (A · sqrt(4 π D t)) · exp(-(x - u t)² / (4 D t)) · exp(-k t)

(x m along the river from the release, t s after it, u m/s, D m²/s, A m², k 1/s; C in g/m³ = mg/L). Along a
path of reaches the velocity is the path mean ``u = x / Σ Lᵢ/uᵢ``, D the travel-time-weighted mean of the
reaches' dispersion, A the cross-section of the receiving reach, k the first-order decay of the parameter
(``transport.yaml``, DOMAIN.md 4.1). The *true* velocities and dispersion of a trial are the defaults times a
random factor per trial (0.75-1.25 and 0.6-1.6), so the tracer never works with the exact transport.

The background is an AR(1) series around a level below the station's target class, with a diurnal cycle for
DO and pH, gaps (missing hours), flagged values and, now and then, a maintenance period. This module is a test
and demonstration tool: it uses whatever network and stations it is given (the demo data in the tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from basin.watch.rules import WarningRules, load_warning_rules
from basin.watch.trace import Network, trace_sources, transport_defaults
from basin.watch.warnings import evaluate_warnings
from basin.waterquality.standards import load_standard

__all__ = ["Pulse", "TrialResult", "background", "run_trials", "simulate_trial", "pulse_concentration"]

PARAMETERS = ("NH3_N", "CODMn", "TP", "DO", "pH")
PULSE_PARAMETERS = ("NH3_N", "CODMn")
_RATIO = {"NH3_N": 1.0, "CODMn": 2.5}  # mass of CODMn per unit NH3-N in the release


@dataclass
class Pulse:
    """A simulated release: where, when, how much, and the true transport of the trial."""

    kind: str  # facility | reach
    id: str  # facility id, or reach id for a reach release
    reach: int
    pos: float
    time: pd.Timestamp
    mass_g: float  # NH3-N mass (CODMn = 2.5 times)
    velocity_factor: float
    dispersion_factor: float
    stations: list[str] = field(default_factory=list)  # downstream stations within the horizon


@dataclass
class TrialResult:
    """What one trial produced."""

    seed: int
    pulse: Pulse | None
    warnings: pd.DataFrame
    detected: bool = False
    warned_station: str | None = None
    rank: int | None = None  # rank of the true source (None: not in the list / not traced)
    candidates: pd.DataFrame | None = None
    n_wq_warnings: int = 0
    n_data_warnings: int = 0
    exposure: dict[str, float] = field(default_factory=dict)
    locatable: bool = True  # a reach release with a candidate that locates it (see _true_rank)


def pulse_concentration(
    mass_g: float, x_m: float, t_s: np.ndarray, *, u: float, d: float, area: float, k_per_s: float
) -> np.ndarray:
    """Concentration (mg/L) at distance ``x_m`` downstream, ``t_s`` seconds after an instantaneous release."""
    t = np.asarray(t_s, dtype=float)
    out = np.zeros_like(t)
    pos = t > 0
    tp = t[pos]
    out[pos] = (
        mass_g
        / (area * np.sqrt(4.0 * np.pi * d * tp))
        * np.exp(-((x_m - u * tp) ** 2) / (4.0 * d * tp))
        * np.exp(-k_per_s * tp)
    )
    return out


def _targets(stations: pd.DataFrame) -> pd.DataFrame:
    st = pd.DataFrame(
        {
            "station_id": stations["station_id"].astype(str).to_numpy(),
            "target_class": pd.to_numeric(stations["target_class"], errors="coerce")
            .fillna(3)
            .astype(int)
            .to_numpy(),
            "waterbody": stations["waterbody"].astype(str).to_numpy() if "waterbody" in stations else "river",
        }
    )
    return st


def background(
    stations: pd.DataFrame,
    times: pd.DatetimeIndex,
    rng: np.random.Generator,
    *,
    parameters: tuple[str, ...] = PARAMETERS,
) -> pd.DataFrame:
    """Return background observations: AR(1) noise (φ 0.6, CV 5 %) around 35 % of the target-class limit.

    DO (8 mg/L ± 0.6 diurnal, σ 0.25) and pH (7.6 ± 0.1, σ 0.05) follow a diurnal cycle; each station gets up
    to two gaps of 1-6 h, 1 % missing hours, 0.5 % values flagged ``D`` and, one time in twenty, a 4-hour
    maintenance period (status 维护).
    """
    std = load_standard(None)
    st = _targets(stations)
    n_s, n_p, n_t = len(st), len(parameters), times.size
    hours = times.hour.to_numpy()
    e = rng.standard_normal((n_s, n_p, n_t))
    e = lfilter([np.sqrt(1 - 0.6**2)], [1.0, -0.6], e, axis=2)
    diurnal = np.sin(2 * np.pi * (hours - 9) / 24)
    v = np.empty((n_s, n_p, n_t))
    lake = st["waterbody"].isin(["lake", "reservoir"]).to_numpy()
    for j, p in enumerate(parameters):
        if p == "DO":
            v[:, j] = 8.0 + 0.6 * diurnal + 0.25 * e[:, j]
        elif p == "pH":
            v[:, j] = 7.6 + 0.1 * diurnal + 0.05 * e[:, j]
        else:
            lim = np.asarray(
                [
                    std.class_limit(p, int(c), "lake" if lk else "river")
                    for c, lk in zip(st["target_class"], lake, strict=True)
                ]
            )
            v[:, j] = (0.35 * lim)[:, None] * (1 + 0.05 * e[:, j])
    keep = np.ones((n_s, n_t), dtype=bool)
    status = np.full((n_s, n_t), "正常", dtype=object)
    for i in range(n_s):  # one iteration per station: where its gaps and maintenance fall
        for _ in range(int(rng.integers(0, 3))):
            a = int(rng.integers(0, n_t - 6))
            keep[i, a : a + int(rng.integers(1, 7))] = False
        if rng.random() < 0.05:
            a = int(rng.integers(0, n_t - 4))
            status[i, a : a + 4] = "维护"
    keep &= rng.random((n_s, n_t)) > 0.01
    flag = np.where(rng.random((n_s, n_p, n_t)) < 0.005, "D", "N")
    k3 = np.broadcast_to(keep[:, None, :], v.shape)
    sid = np.broadcast_to(st["station_id"].to_numpy(object)[:, None, None], v.shape)
    par = np.broadcast_to(np.asarray(parameters, dtype=object)[None, :, None], v.shape)
    tt = np.broadcast_to(times.to_numpy()[None, None, :], v.shape)
    stat = np.broadcast_to(status[:, None, :], v.shape)
    return pd.DataFrame(
        {
            "station_id": sid[k3],
            "time": tt[k3],
            "parameter": par[k3],
            "value": np.round(v[k3], 4),
            "flag": flag[k3],
            "status": stat[k3],
        }
    )


def _downstream_path(net: Network, reach: int) -> list[int]:
    path = [reach]
    while net.down[path[-1]] >= 0:
        path.append(int(net.down[path[-1]]))
    return path


def _reach_area(net: Network) -> np.ndarray:
    tr = transport_defaults()["levels"]
    top = max(tr)
    return np.asarray(
        [tr[min(int(lv), top)]["width_m"] * tr[min(int(lv), top)]["depth_m"] for lv in net.level]
    )


def _stations_below(net: Network, reach: int, pos: float, max_hours: float) -> pd.DataFrame:
    pts = net.points[net.points["kind"] == "station"]
    r = pts["reach"].to_numpy(np.int64)
    p = pts["pos"].to_numpy(float)
    # the release lies upstream of the station
    from basin.watch.trace import _is_upstream  # noqa: PLC0415 - internal helper of the same package

    below = _is_upstream(net, reach, pos, r, p) | ((r == reach) & (p > pos))
    t_c, _, _ = net.to_outlet(np.array([reach]), np.array([pos]))
    t_s, _, _ = net.to_outlet(r, p)
    tt = (t_c[0] - t_s) / 3600.0
    out = pts[below & (tt <= max_hours)].copy()
    out["tt_h"] = tt[below & (tt <= max_hours)]
    return out.sort_values("tt_h")


def _choose_source(
    net: Network, rng: np.random.Generator, kind: str, max_hours: float
) -> tuple[str, str, int, float] | None:
    pts = net.points
    for _ in range(200):
        if kind == "facility":
            fac = pts[pts["kind"] == "facility"]
            j = int(rng.integers(0, len(fac)))
            row = fac.iloc[j]
            src = ("facility", str(row["id"]), int(row["reach"]), float(row["pos"]))
        else:
            q = int(rng.integers(0, net.n))
            src = ("reach", str(net.ids[q]), q, float(rng.uniform(0.05, 0.95) * net.length[q]))
        if len(_stations_below(net, src[2], src[3], max_hours)):
            return src
    return None


def simulate_trial(  # noqa: C901 - the steps of one trial
    net: Network,
    stations: pd.DataFrame,
    *,
    seed: int,
    source: str = "facility",
    days: int = 21,
    rules: WarningRules | None = None,
    max_hours: float = 72.0,
    trace: bool = True,
) -> TrialResult:
    """Run one seeded trial: background (+ a pulse unless ``source='none'``), warnings, and the trace.

    Parameters
    ----------
    net
        Prepared network with stations and facilities placed (:meth:`Network.from_layers`).
    stations
        Stations table (``station_id``, ``target_class``, ``waterbody``, ``name``).
    seed
        Seed of the trial (every random choice derives from it).
    source
        ``facility`` (a random placed facility with a station downstream), ``reach`` (a random point of a
        random reach with a station downstream) or ``none`` (background only).
    days
        Length of the simulated hourly series; the release falls between day 9 and day ``days - 4``.
    rules
        Warning rules (default the shipped rules).
    max_hours
        Tracer horizon, also the horizon for "downstream stations".
    trace
        Trace the first warned station's warning.
    """
    rng = np.random.default_rng(seed)
    wr = load_warning_rules(rules)
    times = pd.date_range("2024-06-01", periods=days * 24, freq="h")
    obs = background(stations, times, rng)
    pulse = None
    if source != "none":
        chosen = _choose_source(net, rng, source, max_hours)
        if chosen is None:
            msg = "no source with a station downstream on this network"
            raise ValueError(msg)
        kind, sid, q, p = chosen
        t_rel = times[0] + pd.Timedelta(hours=float(rng.uniform(9 * 24, (days - 4) * 24)))
        vf, dfac = float(rng.uniform(0.75, 1.25)), float(rng.uniform(0.6, 1.6))
        below = _stations_below(net, q, p, max_hours)
        area = _reach_area(net)
        st_tab = _targets(stations).set_index("station_id")
        std = load_standard(None)
        decay = transport_defaults()["decay_per_day"]
        first = below.iloc[0]
        # the release mass: a peak of 1-6 times the target-class limit at the first downstream station
        x1, t1, d1 = _path_transport(net, q, p, int(first["reach"]), float(first["pos"]), vf, dfac)
        lim = std.class_limit("NH3_N", int(st_tab.at[str(first["id"]), "target_class"]), "river")
        peak = float(rng.uniform(1.0, 6.0)) * lim
        k1 = float(decay["NH3_N"]) / 86400.0
        mass = peak * area[int(first["reach"])] * np.sqrt(4 * np.pi * d1 * t1) * np.exp(k1 * t1)
        pulse = Pulse(kind, sid, q, p, t_rel, float(mass), vf, dfac, below["id"].astype(str).tolist())
        obs_t = (obs["time"] - t_rel).dt.total_seconds().to_numpy()
        add = np.zeros(len(obs))
        sid = obs["station_id"].to_numpy(object)
        par_col = obs["parameter"].to_numpy(object)
        rows_of = pd.Series(np.arange(len(obs))).groupby([sid, par_col]).indices
        for _, srow in below.iterrows():
            x, tt, d = _path_transport(net, q, p, int(srow["reach"]), float(srow["pos"]), vf, dfac)
            u = x / tt
            for par in PULSE_PARAMETERS:
                m = rows_of.get((str(srow["id"]), par))
                if m is None:
                    continue
                k = float(decay.get(par, decay["default"])) / 86400.0
                add[m] = pulse_concentration(
                    mass * _RATIO[par], x, obs_t[m], u=u, d=d, area=float(area[int(srow["reach"])]), k_per_s=k
                )
        obs["value"] = np.round(obs["value"].to_numpy() + add, 4)
    warnings = evaluate_warnings(obs, stations, rules=wr)
    wq_rules = {r.id for r in wr.rules if r.kind in ("class_exceedance", "sudden_change", "sustained_shift")}
    is_wq = warnings["rule_id"].isin(wq_rules)
    res = TrialResult(
        seed, pulse, warnings, n_wq_warnings=int(is_wq.sum()), n_data_warnings=int((~is_wq).sum())
    )
    res.exposure = _exposure(obs, wr, days)
    if pulse is None:
        return res
    hits = warnings[
        is_wq
        & warnings["station_id"].isin(pulse.stations)
        & warnings["parameter"].isin(PULSE_PARAMETERS)
        & (warnings["first_time"] >= pulse.time)
    ]
    if hits.empty:
        return res
    res.detected = True
    w = hits.sort_values(["first_time", "rule_id"]).iloc[0]
    res.warned_station = str(w["station_id"])
    if trace:
        cands = trace_sources(w, rivers=net, obs=obs, max_hours=max_hours)
        res.candidates = cands
        res.rank = _true_rank(net, pulse, cands)
        res.locatable = pulse.kind == "facility" or _true_rank(net, pulse, cands.assign(rank=1)) is not None
    return res


def _path_transport(
    net: Network, q: int, p: float, r: int, s: float, vf: float, dfac: float
) -> tuple[float, float, float]:
    """Distance (m), true travel time (s) and travel-time-weighted dispersion (m²/s) from (q, p) to (r, s)."""
    path = _downstream_path(net, q)
    idx = path.index(r)
    reaches = np.asarray(path[: idx + 1])
    seg = net.length[reaches].copy()
    if idx == 0:
        seg[0] = s - p
    else:
        seg[0] = net.length[q] - p
        seg[-1] = s
    u = net.velocity[reaches] * vf
    tau = seg / u
    d = float(np.sum(net.dispersion[reaches] * dfac * tau) / tau.sum())
    return float(seg.sum()), float(tau.sum()), d


def _true_rank(net: Network, pulse: Pulse, cands: pd.DataFrame) -> int | None:
    """Rank of the true source in the candidates (None when it is not listed).

    A facility release: the facility itself. A reach release (no candidate sits at the release point): the
    first candidate on the pulse's way from the release to the warned station (where it enters the monitored
    path: a tributary mouth, a station, a section), or a facility within 5 km along the river of the release.
    """
    if cands.empty:
        return None
    if pulse.kind == "facility":
        m = (cands["kind"] == "facility") & (cands["id"].astype(str) == pulse.id)
        return int(cands.loc[m, "rank"].iloc[0]) if m.any() else None
    from basin.watch.trace import _is_upstream  # noqa: PLC0415 - internal helper of the same package

    pts = net.points.drop_duplicates(["kind", "id"]).set_index(["kind", "id"])
    keys = list(zip(cands["kind"], cands["id"].astype(str), strict=True))
    reach = pts.loc[keys, "reach"].to_numpy(np.int64)
    pos = pts.loc[keys, "pos"].to_numpy(float)
    below = _is_upstream(net, pulse.reach, pulse.pos, reach, pos)
    _, d_rel, _ = net.to_outlet(np.array([pulse.reach]), np.array([pulse.pos]))
    _, d_c, _ = net.to_outlet(reach, pos)
    along = np.abs(d_rel[0] - d_c)
    ok = np.zeros(len(cands), dtype=bool)
    if below.any():
        first = np.flatnonzero(below)[np.argmin(along[below])]
        ok[first] = True
    ok |= (cands["kind"] == "facility").to_numpy() & (along <= 5000.0) & (reach == pulse.reach)
    if not ok.any():
        return None
    return int(cands["rank"].to_numpy()[ok].min())


def _exposure(obs: pd.DataFrame, wr: WarningRules, days: int) -> dict[str, float]:
    """Return the expected number of false alarms of each statistical rule under its stated rate."""
    out: dict[str, float] = {}
    for r in wr.rules:
        fa = r.false_alarm
        if fa.rate is None:
            continue
        counts = obs.groupby(["station_id", "parameter"]).size()
        counts = counts[[r.applies_to(p) for p in counts.index.get_level_values(1)]]
        n_series, n_samples = len(counts), int(counts.sum())
        if fa.per == "sample":
            window = int(r.options.get("window", 0))
            out[r.id] = fa.rate * max(0, n_samples - n_series * window)
        elif fa.per == "day":
            out[r.id] = fa.rate * n_series * days
        else:
            out[r.id] = fa.rate * n_series * days / 365.0
    return out


def run_trials(
    net: Network,
    stations: pd.DataFrame,
    *,
    n: int = 200,
    seed: int = 0,
    source: str = "facility",
    days: int = 21,
    rules: WarningRules | None = None,
) -> dict[str, Any]:
    """Run ``n`` pulse trials and ``n`` trials without a pulse; return the figures (see docs/watch.md)."""
    pulse_runs = [
        simulate_trial(net, stations, seed=seed + i, source=source, days=days, rules=rules) for i in range(n)
    ]
    null_runs = [
        simulate_trial(net, stations, seed=seed + 100_000 + i, source="none", days=days, rules=rules)
        for i in range(n)
    ]
    detected = [r for r in pulse_runs if r.detected]
    ranks = [r.rank for r in detected]
    expected = float(sum(sum(r.exposure.values()) for r in null_runs))
    null_wq = sum(r.n_wq_warnings for r in null_runs)
    return {
        "trials": n,
        "source": source,
        "detected": len(detected),
        "detection_rate": len(detected) / n,
        "top1": sum(1 for k in ranks if k is not None and k <= 1) / max(len(detected), 1),
        "top3": sum(1 for k in ranks if k is not None and k <= 3) / max(len(detected), 1),
        "not_listed": sum(1 for k in ranks if k is None),
        "locatable": sum(1 for r in detected if r.locatable),
        "top3_locatable": sum(1 for r in detected if r.locatable and r.rank is not None and r.rank <= 3)
        / max(sum(1 for r in detected if r.locatable), 1),
        "null_trials": n,
        "null_trials_with_wq_warning": sum(1 for r in null_runs if r.n_wq_warnings),
        "null_wq_warnings": null_wq,
        "null_expected_wq_warnings": expected,
        "null_data_warnings": sum(r.n_data_warnings for r in null_runs),
        "pulse_runs": pulse_runs,
        "null_runs": null_runs,
    }
