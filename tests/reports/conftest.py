"""A tiny fake run (the RunResult interface of INTERFACES.md) with a few rows per table, hand-made."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

CRS = "EPSG:32648"
X0, Y0 = 450_000.0, 3_300_000.0
XSS = "<script>alert(1)</script>"


@dataclass
class Source:
    kind: str
    origin: str
    path: str | None
    sha256: str | None
    layer: str | None = None
    features: int | None = None


@dataclass
class Skip:
    what: str
    reason: str
    how: str


@dataclass
class Project:
    name: str | None = "示例县 2024"


@dataclass
class Riparian:
    zones: gpd.GeoDataFrame
    areas: pd.DataFrame
    rules_table: pd.DataFrame

    def tables(self):
        return {"zone_areas": self.areas, "rules": self.rules_table}

    def summary(self):
        return {"area_km2": {"A": 12.5, "B": 40.0, "C": 300.25}}


@dataclass
class Audit:
    violations: gpd.GeoDataFrame
    facilities: gpd.GeoDataFrame

    def tables(self):
        return {"violations": self.violations}


@dataclass
class WQ:
    sections: pd.DataFrame
    monthly: pd.DataFrame

    def tables(self):
        return {"wq_sections": self.sections}


@dataclass
class Crossborder:
    sections: gpd.GeoDataFrame
    audit: pd.DataFrame | None
    ledgers: dict[str, pd.DataFrame] = field(default_factory=dict)

    def tables(self):
        out = {"xb_sections": pd.DataFrame(self.sections.drop(columns="geometry")), "xb_audit": self.audit}
        for k, v in self.ledgers.items():
            out[f"xb_ledger_{k}"] = v
        return out


@dataclass
class FakeRun:
    project: Project
    layers: dict[str, gpd.GeoDataFrame]
    sources: dict[str, Source]
    riparian: Riparian | None = None
    audit: Audit | None = None
    waterquality: WQ | None = None
    crossborder: Crossborder | None = None
    wq: Any = None
    units: Any = None
    management: Any = None
    skipped: list[Skip] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: dict[str, dict[str, Path]] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    outdir: Path | None = None

    def tables(self) -> dict[str, pd.DataFrame]:
        out: dict[str, pd.DataFrame] = {}
        for r in (self.riparian, self.audit, self.waterquality, self.crossborder):
            if r is not None:
                out.update({k: v for k, v in r.tables().items() if v is not None})
        return out


def _layers() -> dict[str, gpd.GeoDataFrame]:
    admin = gpd.GeoDataFrame(
        [
            ("51", "四川省", "province", box(X0, Y0, X0 + 100_000, Y0 + 100_000)),
            ("50", "重庆市", "province", box(X0 + 100_000, Y0, X0 + 200_000, Y0 + 100_000)),
        ],
        columns=["admin_id", "name", "level", "geometry"],
        crs=CRS,
    )
    rivers = gpd.GeoDataFrame(
        [
            ("R1", "长江", 0, LineString([(X0 + 5_000, Y0 + 50_000), (X0 + 195_000, Y0 + 50_000)])),
            ("R2", "嘉陵江", 1, LineString([(X0 + 120_000, Y0 + 95_000), (X0 + 120_000, Y0 + 50_000)])),
        ],
        columns=["river_id", "name", "level", "geometry"],
        crs=CRS,
    )
    stations = gpd.GeoDataFrame(
        [
            ("S1", "朱沱", "R1", "river", 3, Point(X0 + 90_000, Y0 + 50_000)),
            ("S2", "寸滩", "R1", "river", 3, Point(X0 + 110_000, Y0 + 50_000)),
        ],
        columns=["station_id", "name", "river_id", "waterbody", "target_class", "geometry"],
        crs=CRS,
    )
    facilities = gpd.GeoDataFrame(
        [
            ("F1", "甲化工厂", "polluting_facility", "proposed", Point(X0 + 40_000, Y0 + 50_600)),
            ("F2", XSS, "industrial_park", "existing", Point(X0 + 60_000, Y0 + 52_500)),
            ("F3", "丙厂", "other", "existing", Point(X0 + 60_000, Y0 + 80_000)),
        ],
        columns=["facility_id", "name", "category", "status", "geometry"],
        crs=CRS,
    )
    return {"admin": admin, "rivers": rivers, "stations": stations, "facilities": facilities}


@pytest.fixture
def run(tmp_path) -> FakeRun:
    layers = _layers()
    fac = layers["facilities"]
    violations = gpd.GeoDataFrame(
        {
            "facility_id": ["F1", "F2"],
            "facility_name": ["甲化工厂", XSS],
            "rule_id": ["R1", "R2"],
            "zone": ["A", "B"],
            "category": ["polluting_facility", "industrial_park"],
            "status": ["proposed", "existing"],
            "action": ["prohibited", "phase_out_candidate"],
            "distance_m": [600.4, 2500.0],
            "limit_m": [1000.0, 5000.0],
            "feature_kind": ["river", "river"],
            "feature_id": ["R1", "R1"],
            "feature_name": ["长江", "长江"],
            "county_id": ["510100", "510100"],
        },
        geometry=list(fac.geometry[:2]),
        crs=CRS,
    )
    zone_a = LineString([(X0 + 5_000, Y0 + 50_000), (X0 + 195_000, Y0 + 50_000)]).buffer(1_000)
    zone_b = (
        LineString([(X0 + 5_000, Y0 + 50_000), (X0 + 195_000, Y0 + 50_000)]).buffer(5_000).difference(zone_a)
    )
    zones = gpd.GeoDataFrame({"zone": ["A", "B"]}, geometry=[zone_a, zone_b], crs=CRS)
    areas = pd.DataFrame(
        {
            "admin_id": ["51", "51"],
            "name": ["四川省", "四川省"],
            "level": ["province", "province"],
            "zone": ["A", "B"],
            "area_km2": [12.5, 40.0],
            "share": [0.0125, 0.04],
        }
    )
    rules = pd.DataFrame(
        {"rule_id": ["R1"], "zone": ["A"], "distance_m": [1000.0], "text_zh": ["一公里"], "text_en": ["1 km"]}
    )
    sections = pd.DataFrame(
        {
            "station_id": ["S1", "S2", "S1", "S2"],
            "period": ["2023", "2023", "2024", "2024"],
            "class": [3, 4, 2, 6],
            "class_label": ["Ⅲ", "Ⅳ", "Ⅱ", "劣Ⅴ"],
            "target_class": [3, 3, 3, 3],
            "compliant": [True, False, True, False],
            "share_good": [0.5, 0.5, 0.5, 0.5],
        }
    )
    monthly = pd.DataFrame(
        {
            "station_id": ["S1", "S2", "S1", "S2"],
            "period": ["2024-01", "2024-01", "2024-02", "2024-02"],
            "class": [2, 6, 3, 5],
            "compliant": [True, False, True, False],
        }
    )
    xb_sections = gpd.GeoDataFrame(
        {
            "section_id": ["R1:51>50"],
            "river_name": ["长江"],
            "kind": ["crossing"],
            "from_admin_name": ["四川省"],
            "to_admin_name": ["重庆市"],
        },
        geometry=[Point(X0 + 100_000, Y0 + 50_000)],
        crs=CRS,
    )
    xb_audit = pd.DataFrame(
        {
            "section_id": ["R1:51>50", "R1:51>50"],
            "period": ["2023", "2024"],
            "status": ["assessed", "assessed"],
            "class": [3, 5],
            "class_label": ["Ⅲ", "Ⅴ"],
            "target_class": [3, 3],
            "compliant": [True, False],
            "attainment_rate": [1.0, 0.25],
            "responsibility": ["none", "upstream"],
            "responsible_unit": [None, "四川省"],
        }
    )
    ledger = pd.DataFrame(
        {
            "section_id": ["R1:51>50"],
            "period": ["2024"],
            "outcome": ["fails"],
            "payer": ["四川省"],
            "payee": ["重庆市"],
            "amount": [300.0],
            "unit": ["万元"],
        }
    )
    out = tmp_path / "out"
    (out / "maps").mkdir(parents=True)
    png = out / "maps" / "overview.png"
    from PIL import Image

    Image.new("RGB", (40, 30), "#2171b5").save(png)
    (out / "audit").mkdir()
    csv = out / "audit" / "violations.csv"
    csv.write_text("a\n1\n", encoding="utf-8")
    (out / "stale.csv").write_text("old\n", encoding="utf-8")  # an earlier run's file: not listed
    return FakeRun(
        project=Project(),
        layers=layers,
        sources={
            "rivers": Source("rivers", "user", "data/河流.shp", "ab" * 32, None, 2),
            "facilities": Source("facilities", "user", "企业清单.xlsx", "cd" * 32, "Sheet1", 3),
            "admin": Source("admin", "demo", "/x/basin/data/admin.gpkg", "ef" * 32, "admin", 2),
        },
        riparian=Riparian(zones, areas, rules),
        audit=Audit(violations, fac),
        waterquality=WQ(sections, monthly),
        crossborder=Crossborder(xb_sections, xb_audit, {"chongqing_target_trend": ledger}),
        skipped=[Skip("evaluation units", "no population raster <b>", "add `rasters: population:`")],
        notes=["3 features outside the region"],
        files={"maps": {"overview map (PNG)": png}, "audit": {"violations (CSV)": csv}},
        outdir=out,
    )
