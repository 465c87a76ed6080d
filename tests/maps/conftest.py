"""A tiny hand-made world for the map tests: two provinces, four counties, three rivers, stations, themes."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

CRS = "EPSG:32648"  # UTM 48N: x 500 km is 105°E, the central meridian of the default Albers
X0, Y0 = 450_000.0, 3_300_000.0  # about 104.5°E 29.8°N
XSS = "<script>alert(1)</script>"


def _sq(i: float, j: float, size: float = 50_000.0):
    return box(X0 + i * size, Y0 + j * size, X0 + (i + 1) * size, Y0 + (j + 1) * size)


@pytest.fixture
def admin() -> gpd.GeoDataFrame:
    rows = [
        ("51", "四川省", "province", None, box(X0, Y0, X0 + 100_000, Y0 + 100_000)),
        ("50", "重庆市", "province", None, box(X0 + 100_000, Y0, X0 + 200_000, Y0 + 100_000)),
        ("510100", "成都市辖区", "county", "51", box(X0, Y0, X0 + 100_000, Y0 + 50_000)),
        ("510200", "绵阳县", "county", "51", box(X0, Y0 + 50_000, X0 + 100_000, Y0 + 100_000)),
        ("500100", "渝中区", "county", "50", box(X0 + 100_000, Y0, X0 + 200_000, Y0 + 50_000)),
        ("500200", "万州区", "county", "50", box(X0 + 100_000, Y0 + 50_000, X0 + 200_000, Y0 + 100_000)),
    ]
    return gpd.GeoDataFrame(rows, columns=["admin_id", "name", "level", "parent_id", "geometry"], crs=CRS)


@pytest.fixture
def rivers() -> gpd.GeoDataFrame:
    rows = [
        ("R1", "长江", 0, LineString([(X0 + 5_000, Y0 + 50_000), (X0 + 195_000, Y0 + 50_000)])),
        ("R2", "嘉陵江", 1, LineString([(X0 + 120_000, Y0 + 95_000), (X0 + 120_000, Y0 + 50_000)])),
        ("R3", "涪江", 2, LineString([(X0 + 60_000, Y0 + 95_000), (X0 + 60_000, Y0 + 50_000)])),
        ("R4", None, 3, LineString([(X0 + 160_000, Y0 + 5_000), (X0 + 160_000, Y0 + 50_000)])),
    ]
    return gpd.GeoDataFrame(rows, columns=["river_id", "name", "level", "geometry"], crs=CRS)


@pytest.fixture
def lakes() -> gpd.GeoDataFrame:
    geom = Point(X0 + 30_000, Y0 + 20_000).buffer(4_000)
    return gpd.GeoDataFrame(
        [("L1", "邛海", "lake", True, geom)],
        columns=["lake_id", "name", "kind", "connected", "geometry"],
        crs=CRS,
    )


@pytest.fixture
def stations() -> gpd.GeoDataFrame:
    rows = [
        ("S1", "朱沱", "R1", "river", 3, Point(X0 + 40_000, Y0 + 50_000)),
        ("S2", XSS, "R2", "river", 2, Point(X0 + 120_000, Y0 + 80_000)),
        ("S3", "${alert(2)}</script>", "R3", "river", 3, Point(X0 + 60_000, Y0 + 70_000)),
    ]
    return gpd.GeoDataFrame(
        rows, columns=["station_id", "name", "river_id", "waterbody", "target_class", "geometry"], crs=CRS
    )


@pytest.fixture
def monthly() -> pd.DataFrame:
    # S1 improves, S2 out of target (class 4 > 2) in the last month, S3 never assessed in 2024-03
    rows = [
        ("S1", "2024-01", 5, False),
        ("S1", "2024-02", 4, False),
        ("S1", "2024-03", 3, True),
        ("S2", "2024-01", 2, True),
        ("S2", "2024-02", 2, True),
        ("S2", "2024-03", 4, False),
        ("S3", "2024-01", 6, False),
        ("S3", "2024-02", 3, True),
    ]
    return pd.DataFrame(rows, columns=["station_id", "period", "class", "compliant"])


@pytest.fixture
def zones(admin) -> gpd.GeoDataFrame:
    rows = [("A", "R1", _sq(0, 0.9, 20_000)), ("B", "R2", _sq(1, 1)), ("C", "", _sq(3, 0))]
    gdf = gpd.GeoDataFrame(rows, columns=["zone", "rules", "geometry"], crs=CRS)
    return gdf


@pytest.fixture
def management() -> gpd.GeoDataFrame:
    rows = [("priority", _sq(0, 0)), ("key", _sq(1, 0)), ("general", _sq(2, 1))]
    return gpd.GeoDataFrame(rows, columns=["mgmt_zone", "geometry"], crs=CRS)


@pytest.fixture
def units() -> gpd.GeoDataFrame:
    rows = [
        ("U1", "单元一", "HPLC", "高压低容", "high pressure / low capacity", 1.25, _sq(0, 0)),
        ("U2", "单元二", "LPHC", "低压高容", "low pressure / high capacity", 0.4, _sq(1, 0)),
        ("U3", "单元三", "HPHC", "高压高容", "high pressure / high capacity", 0.9, _sq(2, 1)),
        ("U4", "单元四", "LPLC", "低压低容", "low pressure / low capacity", 0.1, _sq(3, 1)),
    ]
    cols = ["unit_id", "name", "class_code", "class_zh", "class_en", "river_density_km_km2", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, crs=CRS)


@pytest.fixture
def sections() -> gpd.GeoDataFrame:
    rows = [
        ("X1", "长江", "51", "50", "crossing", True, Point(X0 + 100_000, Y0 + 50_000)),
        ("X2", "嘉陵江", "51", "50", "crossing", False, Point(X0 + 100_000, Y0 + 90_000)),
    ]
    cols = ["section_id", "river_name", "from_admin", "to_admin", "kind", "compliant", "geometry"]
    return gpd.GeoDataFrame(rows, columns=cols, crs=CRS)


@pytest.fixture
def audit() -> pd.DataFrame:
    rows = [
        ("X1", "2024-01", 3, "Ⅲ", 3, True, "none"),
        ("X2", "2024-01", 2, "Ⅱ", 3, True, "none"),
        ("X2", "2024-02", 5, "Ⅴ", 3, False, "upstream"),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "section_id",
            "period",
            "class",
            "class_label",
            "target_class",
            "compliant",
            "responsibility",
        ],
    )


@pytest.fixture
def world(admin, rivers, lakes, stations, zones, management, units, sections) -> dict[str, gpd.GeoDataFrame]:
    return {
        "admin": admin,
        "rivers": rivers,
        "lakes": lakes,
        "stations": stations,
        "zones": zones,
        "management": management,
        "units": units,
        "sections": sections,
    }


@pytest.fixture
def violations() -> gpd.GeoDataFrame:
    # F1 breaks two rules (prohibited wins the marker), F2 one; names hostile on purpose
    rows = [
        ("F1", "甲化工厂", "R1", "A", "polluting_facility", "proposed", "prohibited", 600.4, 1000.0, "长江"),
        (
            "F1",
            "甲化工厂",
            "R2",
            "B",
            "polluting_facility",
            "proposed",
            "phase_out_candidate",
            600.4,
            5000.0,
            "长江",
        ),
        (
            "F2",
            XSS,
            "R2",
            "B",
            "polluting_facility",
            "existing",
            "phase_out_candidate",
            2500.0,
            5000.0,
            "长江",
        ),
    ]
    cols = [
        "facility_id",
        "facility_name",
        "rule_id",
        "zone",
        "category",
        "status",
        "action",
        "distance_m",
        "limit_m",
        "feature_name",
    ]
    pts = [Point(X0 + 30_000, Y0 + 50_600)] * 2 + [Point(X0 + 70_000, Y0 + 52_500)]
    return gpd.GeoDataFrame(rows, columns=cols, geometry=pts, crs=CRS)
