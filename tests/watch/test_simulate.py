"""The simulation proof: pulses on the demo network are warned and traced; no pulse, no more false alarms
than the rules state. (The demo data are used here on purpose: this is the simulation test.)"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from scipy.stats import poisson

from basin.datasets import get_path
from basin.watch.simulate import pulse_concentration, run_trials
from basin.watch.trace import Network


def test_pulse_solution_conserves_mass_and_moves_at_u() -> None:
    x = np.linspace(-50_000, 150_000, 200_001)
    m, u, d, area, k = 5.0e6, 0.8, 300.0, 200.0, 0.2 / 86400
    t = 36_000.0
    c = np.array(
        [pulse_concentration(m, xi, np.array([t]), u=u, d=d, area=area, k_per_s=k)[0] for xi in x[::100]]
    )
    dx = (x[1] - x[0]) * 100
    # mass in the river = M exp(-k t); the peak sits at u t with height M / (A sqrt(4 pi D t)) exp(-k t)
    assert np.sum(c) * dx * area == pytest.approx(m * np.exp(-k * t), rel=1e-6)
    assert x[::100][np.argmax(c)] == pytest.approx(u * t, abs=dx)
    assert c.max() == pytest.approx(m / (area * np.sqrt(4 * np.pi * d * t)) * np.exp(-k * t), rel=1e-4)
    assert pulse_concentration(m, 1000.0, np.array([-5.0, 0.0]), u=u, d=d, area=area, k_per_s=k).tolist() == [
        0,
        0,
    ]


@pytest.fixture(scope="module")
def demo() -> tuple[Network, gpd.GeoDataFrame]:
    rivers = gpd.read_file(get_path("rivers"))
    stations = gpd.read_file(get_path("stations"))
    facilities = gpd.read_file(get_path("facilities"))
    return Network.from_layers(rivers, stations=stations, facilities=facilities), stations


def test_pulses_are_warned_and_traced(demo: tuple[Network, gpd.GeoDataFrame]) -> None:
    net, stations = demo
    res = run_trials(net, stations, n=40, seed=1000, source="facility")
    # every pulse reaches a downstream station at 1-6 times the target-class limit: it must be warned
    assert res["detection_rate"] >= 0.95
    assert res["top3"] >= 0.9, res["top3"]
    assert res["top1"] >= 0.6, res["top1"]
    for run in res["pulse_runs"]:
        if run.detected:
            assert run.warned_station in run.pulse.stations
            assert run.candidates is not None
            assert not run.candidates.empty
    # without a pulse: no more water-quality warnings than the rules' stated false-alarm rates allow
    lam = res["null_expected_wq_warnings"]
    assert res["null_wq_warnings"] <= poisson.ppf(0.99, lam), (res["null_wq_warnings"], lam)
    # class rules are not statistical: the background is far below the targets, so none of them may fire
    for run in res["null_runs"]:
        assert not run.warnings["rule_id"].isin(["W1", "W2", "W3"]).any()
