"""Monte Carlo of the false-alarm rates stated in basin/watch/rules/default.yaml (docs/watch-rules.md).

* sudden change (W4): the robust z of the rule (median / MAD of the 168 samples before the day) on trend-free
  Gaussian hourly noise, independent and AR(1) with phi = 0.6; the share of samples with z > 6;
* sustained shift (W5): the rule run through ``evaluate_warnings`` on trend-free Gaussian daily means
  (365 days), independent and AR(1) with phi = 0.3; the share of series with a warning.

    python scripts/false_alarms_watch.py              # 58 M samples per noise model, 2,000 series
    python scripts/false_alarms_watch.py --reps 1     # a quicker look
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from basin.watch.rules import WarningRules, load_warning_rules
from basin.watch.warnings import evaluate_warnings, robust_baseline


def sudden(reps: int, z_c: float = 6.0) -> None:
    for phi in (0.0, 0.6):
        hits = total = 0
        for rep in range(reps):
            rng = np.random.default_rng(10 + rep)
            s, n = 4000, 5000
            e = rng.standard_normal((s, n))
            if phi:
                e = lfilter([np.sqrt(1 - phi**2)], [1, -phi], e, axis=1)
            v = (1 + 0.05 * e).ravel()
            g = np.repeat(np.arange(s), n)
            t = np.tile(np.arange(n, dtype=np.int64) * 3_600_000_000_000, s)
            med, mad = robust_baseline(v, g, t, 168)
            z = (v - med) / np.maximum(1.4826 * mad, 0.02 * np.abs(med))
            ok = np.isfinite(z)
            hits += int((z[ok] > z_c).sum())
            total += int(ok.sum())
        rate = hits / total
        print(f"W4 sudden change, phi={phi}: {hits} of {total:,} samples with z > {z_c} -> {rate:.2e}")


def shift(n_series: int) -> None:
    wr = load_warning_rules()
    only = WarningRules(wr.levels, tuple(r for r in wr.rules if r.id == "W5"))
    days = 365
    for phi in (0.0, 0.3):
        rng = np.random.default_rng(1)
        e = rng.standard_normal((n_series, days))
        if phi:
            e = lfilter([np.sqrt(1 - phi**2)], [1, -phi], e, axis=1)
        ids = [f"S{i}" for i in range(n_series)]
        st = pd.DataFrame({"station_id": ids, "target_class": 3})
        obs = pd.DataFrame(
            {
                "station_id": np.repeat(ids, days),
                "time": np.tile(pd.date_range("2024-01-01", periods=days, freq="D"), n_series),
                "parameter": "NH3_N",
                "value": (1 + 0.05 * e).ravel(),
                "flag": "N",
            }
        )
        w = evaluate_warnings(obs, st, rules=only)
        k = w["station_id"].nunique()
        rate = k / n_series
        print(f"W5 sustained shift, phi={phi}: {k} of {n_series} series-years with a warning -> {rate:.4f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--series", type=int, default=2000)
    args = ap.parse_args()
    sudden(args.reps)
    shift(args.series)


if __name__ == "__main__":
    main()
