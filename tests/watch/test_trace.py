"""Source tracing on a hand-made network with hand-computed travel times; the cross-border notice."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, Polygon

from basin._errors import DataError, SchemaError
from basin.crossborder import find_sections
from basin.watch.trace import TRACE_COLUMNS, Network, crossborder_notice, trace_sources

CRS = "EPSG:32648"
V = {0: 1.0, 1: 0.5}  # m/s: round numbers for the hand computation
X0, Y0 = 400_000.0, 3_300_000.0  # inside UTM 48N


def _xy(x: float, y: float) -> tuple[float, float]:
    return (X0 + x, Y0 + y)


@pytest.fixture
def world() -> dict[str, gpd.GeoDataFrame]:
    rivers = gpd.GeoDataFrame(
        {
            "river_id": ["M1", "M2", "T1"],
            "name": ["干流", "干流", "支流"],
            "level": [0, 0, 1],
            "downstream_id": ["M2", None, "M2"],
        },
        geometry=[
            LineString([_xy(0, 0), _xy(36_000, 0)]),
            LineString([_xy(36_000, 0), _xy(72_000, 0)]),
            LineString([_xy(36_000, 18_000), _xy(36_000, 0)]),
        ],
        crs=CRS,
    )
    stations = gpd.GeoDataFrame(
        {
            "station_id": ["W", "U"],
            "name": ["下游站", "支流站"],
            "river_id": ["M2", "T1"],
            "waterbody": ["river", "river"],
            "target_class": [3, 3],
        },
        geometry=[Point(_xy(54_000, 0)), Point(_xy(36_000, 9_000))],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        {
            "facility_id": ["F1", "F2", "F3", "F4", "F5"],
            "name": ["支流化工厂", "干流电镀厂", "远处工厂", "拟建园区", "下游工厂"],
            "category": [
                "polluting_facility",
                "polluting_facility",
                "polluting_facility",
                "industrial_park",
                "polluting_facility",
            ],
            "status": ["existing", "existing", "existing", "proposed", "existing"],
        },
        geometry=[
            Point(_xy(36_500, 14_400)),  # 500 m from T1, 3.6 km along it
            Point(_xy(18_000, 800)),  # 800 m from M1, 18 km along it
            Point(_xy(18_000, 7_000)),  # 7 km away: beyond the 5 km of R2
            Point(_xy(10_000, 300)),  # proposed: not built, cannot pollute
            Point(_xy(60_000, 300)),  # downstream of W
        ],
        crs=CRS,
    )
    west = Polygon([_xy(-5_000, -20_000), _xy(45_000, -20_000), _xy(45_000, 30_000), _xy(-5_000, 30_000)])
    east = Polygon([_xy(45_000, -20_000), _xy(80_000, -20_000), _xy(80_000, 30_000), _xy(45_000, 30_000)])
    admin = gpd.GeoDataFrame(
        {
            "admin_id": ["510000", "500000", "510001", "500001"],
            "name": ["四川省", "重庆市", "西县", "东区"],
            "level": ["province", "province", "county", "county"],
            "parent_id": [None, None, "510000", "500000"],
        },
        geometry=[west, east, west, east],
        crs=CRS,
    )
    return {"rivers": rivers, "stations": stations, "facilities": facilities, "admin": admin}


def _net(world: dict, **kw: object) -> Network:
    return Network.from_layers(
        world["rivers"],
        stations=world["stations"],
        facilities=world["facilities"],
        velocities=V,
        crs=CRS,
        **kw,
    )


def _warning() -> dict:
    return {
        "warning_id": "w1",
        "station_id": "W",
        "parameter": "NH3_N",
        "first_time": pd.Timestamp("2024-05-05 04:00"),
        "last_time": pd.Timestamp("2024-05-05 08:00"),
    }


def test_candidates_and_travel_times(world: dict) -> None:
    c = trace_sources(_warning(), rivers=_net(world))
    assert list(c.columns) == TRACE_COLUMNS
    got = c.set_index("id")[["kind", "travel_time_h", "distance_km", "reach_id"]]
    assert sorted(got.index) == ["F1", "F2", "T1>M2", "U"]  # F3 too far, F4 proposed, F5 downstream
    # W is 18 km down M2 (5 h at 1 m/s); U 9 km up T1 (+5 h at 0.5 m/s); F1 14.4 km up T1 (+8 h);
    # F2 18 km up M1 (+5 h); the mouth of T1 is the start of M2
    assert got.at["T1>M2", "travel_time_h"] == pytest.approx(5.0)
    assert got.at["U", "travel_time_h"] == pytest.approx(10.0)
    assert got.at["F1", "travel_time_h"] == pytest.approx(13.0)
    assert got.at["F2", "travel_time_h"] == pytest.approx(10.0)
    assert got.at["F1", "distance_km"] == pytest.approx(32.4)
    assert got.at["F2", "distance_km"] == pytest.approx(36.0)
    assert got.at["F1", "reach_id"] == "T1"
    assert got.at["T1>M2", "kind"] == "confluence"
    assert c["rank"].tolist() == [1, 2, 3, 4]
    assert (np.diff(c["score"]) <= 0).all()
    # the horizon
    c9 = trace_sources(_warning(), rivers=_net(world), max_hours=9.0)
    assert c9["id"].tolist() == ["T1>M2"]


def _obs(pulse_at_u: bool) -> pd.DataFrame:
    t = pd.date_range("2024-05-01", periods=24 * 6, freq="h")
    rng = np.random.default_rng(3)
    hours = np.arange(t.size)

    def pulse(center: float, width: float, amp: float) -> np.ndarray:
        return amp * np.exp(-0.5 * ((hours - center) / width) ** 2)

    centre_w = 24 * 4 + 6  # 2024-05-05 06:00
    # spreads near the predicted ones of the default dispersion; U is 10 h upstream of W
    w = 0.3 + 0.01 * rng.standard_normal(t.size) + pulse(centre_w, 4.0, 1.0)
    u = 0.3 + 0.01 * rng.standard_normal(t.size) + (pulse(centre_w - 10, 2.5, 2.0) if pulse_at_u else 0)
    frames = [
        pd.DataFrame(
            {"station_id": s, "time": t, "parameter": "NH3_N", "value": v, "flag": "N", "status": "正常"}
        )
        for s, v in (("W", w), ("U", u))
    ]
    return pd.concat(frames, ignore_index=True)


def test_upstream_station_decides_the_branch(world: dict) -> None:
    net = _net(world)
    via_trib = trace_sources(_warning(), rivers=net, obs=_obs(pulse_at_u=True)).set_index("id")
    assert via_trib.at["F1", "score"] > via_trib.at["F2", "score"]
    assert "lag 10 h" in via_trib.at["F1", "evidence"]
    assert "pulse passes it" in via_trib.at["F1", "evidence"]
    assert "滞后10小时" in via_trib.at["F1", "evidence_zh"]
    via_main = trace_sources(_warning(), rivers=net, obs=_obs(pulse_at_u=False)).set_index("id")
    assert via_main.at["F2", "score"] > via_main.at["F1", "score"]
    assert via_main.at["F2", "rank"] == 1


def test_flows_velocity_and_mass_balance(world: dict) -> None:
    flows = pd.DataFrame(
        {"river_id": ["T1", "M2"], "velocity_m_s": [0.25, np.nan], "discharge_m3s": [50.0, 100.0]}
    )
    net = _net(world, flows=flows)
    c = trace_sources(_warning(), rivers=net, obs=_obs(pulse_at_u=True), max_hours=40).set_index("id")
    assert c.at["U", "travel_time_h"] == pytest.approx(15.0)  # 9 km at 0.25 m/s + 5 h
    with pytest.raises(DataError, match=r"flows: river_id\(s\) \['X9'\] are not in the rivers layer"):
        _net(world, flows=pd.DataFrame({"river_id": ["X9"], "velocity_m_s": [1.0]}))
    with pytest.raises(SchemaError, match="flows: expected columns river_id"):
        _net(world, flows=pd.DataFrame({"river_id": ["T1"]}))


def test_crossborder_notice(world: dict) -> None:
    sections = find_sections(world["rivers"], world["admin"], stations=world["stations"])
    assert len(sections) == 1
    net = _net(world, sections=sections, admin=world["admin"])
    c = trace_sources(_warning(), rivers=net, obs=_obs(pulse_at_u=True))
    assert set(c.loc[c["kind"] == "section", "province"]) == {"四川省"}
    assert c.set_index("id").at["F1", "county"] == "西县"
    n = crossborder_notice(_warning(), c, sections=sections, admin=world["admin"])
    assert n is not None
    assert n["from_province"] == "四川省"
    assert n["to_province"] == "重庆市"
    assert n["from_county"] == "西县"
    assert n["section_id"] == sections["section_id"].iat[0]
    assert "联防联控" in n["text_zh"]
    assert "四川省" in n["text_zh"]
    assert "joint-control" in n["text_en"]
    assert n["window_start"] < n["window_end"] <= _warning()["last_time"]
    # a source in the station's own province: no notice
    own = c.assign(province="重庆市")
    assert crossborder_notice(_warning(), own, sections=sections, admin=world["admin"]) is None


def test_network_against_brute_force() -> None:
    # a random tree of 300 reaches: travel times and "upstream of" against walking the downstream path
    rng = np.random.default_rng(7)
    n = 300
    down = [-1] + [int(rng.integers(0, i)) for i in range(1, n)]
    ends = {0: (0.0, 0.0)}
    geoms = []
    for i in range(n):
        if i == 0:
            a, b = (1000.0, 0.0), (0.0, 0.0)
        else:
            b = ends[down[i]]
            a = (b[0] + float(rng.uniform(500, 3000)), b[1] + float(rng.uniform(-3000, 3000)))
        ends[i] = a
        geoms.append(LineString([_xy(*a), _xy(*b)]))
    rivers = gpd.GeoDataFrame(
        {
            "river_id": [f"R{i}" for i in range(n)],
            "level": rng.integers(0, 3, n),
            "downstream_id": [None if d < 0 else f"R{d}" for d in down],
        },
        geometry=geoms,
        crs=CRS,
    )
    net = Network.from_layers(rivers, crs=CRS)
    length = rivers.length.to_numpy()
    speed = net.velocity

    def brute(i: int) -> tuple[float, set[int]]:
        t, path = 0.0, set()
        while i >= 0:
            t += length[i] / speed[i]
            path.add(i)
            i = down[i]
        return t, path

    for i in rng.integers(0, n, 40):
        t, path = brute(int(i))
        assert net.t_out[i] == pytest.approx(t)
        for j in path - {int(i)}:
            assert net.upstream_of(j, 0.0, np.array([i]), np.array([0.0]))[0]
        others = np.array(sorted(set(range(n)) - path))
        if others.size:
            mask = net.upstream_of(int(i), 0.0, others, np.zeros(others.size))
            # "others" upstream of i are exactly those whose path passes through i
            assert mask.tolist() == [int(i) in brute(int(o))[1] for o in others]


def test_errors(world: dict) -> None:
    net = _net(world)
    with pytest.raises(DataError, match="station 'Q' is not placed on the river network"):
        trace_sources({**_warning(), "station_id": "Q"}, rivers=net)
    with pytest.raises(SchemaError, match=r"warning: missing field\(s\) \['first_time'"):
        trace_sources({"station_id": "W", "parameter": "NH3_N"}, rivers=net)
    with pytest.raises(SchemaError, match="max_hours must be positive"):
        trace_sources(_warning(), rivers=net, max_hours=0)
    with pytest.raises(SchemaError, match="no downstream_id column"):
        Network.from_layers(world["rivers"].drop(columns="downstream_id"))
    cyc = world["rivers"].assign(downstream_id=["M2", "M1", "M2"])
    with pytest.raises(DataError, match="downstream_id forms a cycle"):
        Network.from_layers(cyc)
    with pytest.raises(SchemaError, match="velocities: level 0 must have a positive velocity"):
        Network.from_layers(world["rivers"], velocities={0: -1.0})
    dup = pd.concat([world["rivers"], world["rivers"].iloc[:1]])
    with pytest.raises(DataError, match=r"duplicate river_id\(s\) \['M1'\]"):
        Network.from_layers(dup)
    # trace with layers (the network is built on the fly) gives the same ranking
    c = trace_sources(
        _warning(),
        rivers=world["rivers"],
        stations=world["stations"],
        facilities=world["facilities"],
        velocities=V,
    )
    assert sorted(c["id"]) == ["F1", "F2", "T1>M2", "U"]
