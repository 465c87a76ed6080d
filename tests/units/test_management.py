"""The priority / key / general management map and its area tables, by hand."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from basin._errors import SchemaError
from basin.units.config import load_rules
from basin.units.management import management_area_table, management_zones
from tests.units.conftest import UTM


def _units() -> gpd.GeoDataFrame:
    # W (class HPLC) and E (class LPHC): two 1 km squares side by side
    return gpd.GeoDataFrame(
        {"unit_id": ["W", "E"], "class_code": ["HPLC", "LPHC"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs=UTM,
    )


def _zones() -> gpd.GeoDataFrame:
    # A: the southern 200 m; B: the next 300 m; C: the rest (a river along the south edge)
    return gpd.GeoDataFrame(
        {"zone": ["A", "B", "C"]},
        geometry=[box(0, 0, 2000, 200), box(0, 200, 2000, 500), box(0, 500, 2000, 1000)],
        crs=UTM,
    )


def _redline() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": [1]}, geometry=[box(1900, 900, 2000, 1000)], crs=UTM)  # 0.01 km² in E


def _areas(m: gpd.GeoDataFrame) -> dict[tuple[str, str], float]:
    return {(u, z): a for u, z, a in zip(m["unit_id"], m["mgmt_zone"], m["area_km2"], strict=True)}


def test_default_rules_by_hand():
    m = management_zones(_zones(), _units(), redline=_redline())
    a = _areas(m)
    assert a[("W", "priority")] == pytest.approx(0.2)
    assert a[("W", "key")] == pytest.approx(0.8)  # zone B + the rest of the HPLC unit
    assert ("W", "general") not in a
    assert a[("E", "priority")] == pytest.approx(0.21)  # zone A + red line
    assert a[("E", "key")] == pytest.approx(0.3)  # zone B only (E is LPHC)
    assert a[("E", "general")] == pytest.approx(0.49)
    assert set(m["label_zh"]) == {"优先保护区", "重点管控区", "一般维护区"}
    assert dict(zip(m["mgmt_zone"], m["label_en"], strict=True))["key"] == "key control"
    # the rows partition the units
    np.testing.assert_allclose(m.groupby("unit_id")["area_km2"].sum()[["W", "E"]], [1.0, 1.0])
    assert m.geometry.is_valid.all()


def test_without_redline_and_water_sources():
    a = _areas(management_zones(_zones(), _units()))
    assert a[("E", "priority")] == pytest.approx(0.2)
    assert a[("E", "general")] == pytest.approx(0.5)
    ws = gpd.GeoDataFrame(geometry=[box(1000, 600, 1500, 1000)], crs=UTM)  # 0.2 km² of E
    a = _areas(management_zones(_zones(), _units(), water_sources=ws))
    assert a[("E", "priority")] == pytest.approx(0.4)


def test_custom_rules():
    rules = {
        "levels": [
            {"name": "priority", "zones": ["A"]},
            {"name": "key", "classes": ["HPLC"]},
            {"name": "general", "rest": True},
        ]
    }
    a = _areas(management_zones(_zones(), _units(), redline=_redline(), rules=rules))
    assert a[("E", "priority")] == pytest.approx(0.2)  # red line not in these rules
    assert ("E", "key") not in a
    assert a[("E", "general")] == pytest.approx(0.8)
    assert a[("W", "key")] == pytest.approx(0.8)


def test_rules_validation(tmp_path):
    with pytest.raises(SchemaError, match=r"levels\[0\]: name must be one of"):
        load_rules({"levels": [{"name": "strict"}]})
    with pytest.raises(SchemaError, match=r"unknown zones \['D'\]"):
        load_rules({"levels": [{"name": "priority", "zones": ["D"]}]})
    with pytest.raises(SchemaError, match=r"unknown classes \['XX'\]"):
        load_rules({"levels": [{"name": "key", "classes": ["XX"]}]})
    with pytest.raises(SchemaError, match="exactly once"):
        load_rules({"levels": [{"name": "priority", "zones": ["A"]}, {"name": "general", "rest": True}]})
    with pytest.raises(SchemaError, match="exactly the last level must have 'rest: true'"):
        load_rules({"levels": [{"name": "general", "rest": True}, {"name": "priority"}, {"name": "key"}]})
    f = tmp_path / "r.yaml"
    f.write_text(
        "levels:\n  - {name: priority, zones: [A, B]}\n  - {name: key}\n  - {name: general, rest: true}\n"
    )
    a = _areas(management_zones(_zones(), _units(), rules=f))
    assert a[("E", "priority")] == pytest.approx(0.5)


def test_input_errors():
    with pytest.raises(SchemaError, match=r"zones: missing column\(s\) \['zone'\]"):
        management_zones(_zones().rename(columns={"zone": "z"}), _units())
    with pytest.raises(SchemaError, match=r"units: missing column\(s\) \['class_code'\]"):
        management_zones(_zones(), _units().drop(columns="class_code"))
    with pytest.raises(SchemaError, match=r"unknown zone value\(s\) \['X'\]"):
        management_zones(_zones().assign(zone=["A", "B", "X"]), _units())


def test_area_tables():
    m = management_zones(_zones(), _units(), redline=_redline())
    admin = gpd.GeoDataFrame(
        {
            "admin_id": ["P", "CW", "CE"],
            "name": ["省", "西县", "东区"],
            "level": ["province", "county", "county"],
            "parent_id": [None, "P", "P"],
        },
        geometry=[box(0, 0, 2000, 1000), box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000)],
        crs=UTM,
    ).to_crs(4326)
    c = management_area_table(m, admin, level="county").set_index("admin_id")
    assert c.loc["CW", "area_km2_key"] == pytest.approx(0.8, rel=1e-6)
    assert c.loc["CE", "area_km2_general"] == pytest.approx(0.49, rel=1e-3)
    assert c.loc["CE", "share_priority"] == pytest.approx(0.21, rel=1e-3)
    p = management_area_table(m, admin, level="province").set_index("admin_id")
    assert p.loc["P", "area_km2_total"] == pytest.approx(2.0, rel=1e-4)
    assert p.loc["P", "area_km2_priority"] == pytest.approx(0.41, rel=1e-3)
    with pytest.raises(SchemaError, match="level must be 'province' or 'county'"):
        management_area_table(m, admin, level="town")


def test_clip_units_equals_direct_overlay():
    """Units clipped through the quadtree pieces equal the direct intersection with the union of the parts."""
    from basin.units.management import _clip_units

    rng = np.random.default_rng(5)
    units = np.array(
        [shapely.box(x, y, x + 1000, y + 1000) for x in range(0, 10_000, 1000) for y in range(0, 8000, 1000)],
        dtype=object,
    )
    blobs = [
        shapely.Point(rng.uniform(0, 10_000), rng.uniform(0, 8000)).buffer(rng.uniform(300, 2500))
        for _ in range(12)
    ]
    parts = shapely.get_parts(shapely.union_all(blobs))
    assert shapely.get_num_coordinates(parts).max() > 40  # so that max_vertices=16 really cuts them
    fast = _clip_units(units, parts, max_vertices=16)
    direct = shapely.intersection(units, shapely.union_all(parts))
    np.testing.assert_allclose(shapely.area(fast), shapely.area(direct), rtol=1e-9, atol=1e-6)
    assert shapely.area(shapely.symmetric_difference(fast, direct)).max() < 1e-6
    outside = shapely.area(direct) == 0
    assert outside.any() and shapely.is_empty(fast[outside]).all()
    inside = shapely.area(direct) == 1e6
    assert inside.any()
