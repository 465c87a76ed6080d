"""An office-style project folder built from the demo geometry: what an environmental officer actually has.

Chinese headers and values, a GBK shapefile without ``.cpg`` in EPSG:4490, an Excel facility list without ids
and with 经度/纬度, a station list keyed by 断面名称 with ``Ⅲ类`` targets, and a wide monthly water-quality
export with a title row, ``2019年01月`` dates, ``未检出`` values and a detection-limit row.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio

from basin import datasets

LEVELS = {0: "干流", 1: "一级支流", 2: "二级支流", 3: "三级支流", 4: "四级支流"}
CATEGORY = {"polluting_facility": "化工", "industrial_park": "工业园区", "other": "其他"}
STATUS = {"proposed": "拟建", "existing": "现有"}
ROMAN = {1: "Ⅰ类", 2: "Ⅱ类", 3: "Ⅲ类", 4: "Ⅳ类", 5: "Ⅴ类"}
WATERBODY = {"river": "河流", "lake": "湖泊", "reservoir": "水库"}
WIDE = {"pH": "pH(无量纲)", "DO": "溶解氧(mg/L)", "CODMn": "高锰酸盐指数(mg/L)", "NH3_N": "氨氮(mg/L)",
        "TP": "总磷(mg/L)", "COD": "化学需氧量(mg/L)", "BOD5": "五日生化需氧量(mg/L)"}
YEARS = (2021, 2022, 2023, 2024)


def build_office(folder: Path) -> dict[str, Path]:
    """Write the office's files into ``folder`` (from the demo data, read here only) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    rivers = gpd.read_file(datasets.get_path("rivers"))
    r = gpd.GeoDataFrame(
        {
            "编码": rivers["river_id"],
            "河流名称": rivers["name"],
            "河流等级": rivers["level"].map(LEVELS),
            "下游编码": rivers["downstream_id"],
            "所属流域": rivers["basin"],
        },
        geometry=rivers.geometry.values,
        crs=rivers.crs,
    ).to_crs("EPSG:4490")
    paths["rivers"] = folder / "河流水系.shp"
    pyogrio.write_dataframe(r, paths["rivers"], encoding="GBK")
    os.remove(folder / "河流水系.cpg")

    admin = gpd.read_file(datasets.get_path("admin"), layer="admin")
    a = gpd.GeoDataFrame(
        {
            "行政区划代码": admin["admin_id"],
            "名称": admin["name"],
            "级别": admin["level"].map({"province": "省", "county": "县"}),
            "上级代码": admin["parent_id"],
        },
        geometry=admin.geometry.values,
        crs=admin.crs,
    ).to_crs("EPSG:4490")
    paths["admin"] = folder / "行政区划.gpkg"
    a.to_file(paths["admin"], layer="行政区划", engine="pyogrio")

    lakes = gpd.read_file(datasets.get_path("lakes"))
    lk = gpd.GeoDataFrame(
        {
            "湖库编码": lakes["lake_id"],
            "湖库名称": lakes["name"],
            "类型": lakes["kind"].map({"lake": "湖泊", "reservoir": "水库"}),
            "是否通江": lakes["connected"].map({True: "是", False: "否"}),
        },
        geometry=lakes.geometry.values,
        crs=lakes.crs,
    )
    paths["lakes"] = folder / "湖库.geojson"
    lk.to_file(paths["lakes"], driver="GeoJSON", engine="pyogrio")

    fac = gpd.read_file(datasets.get_path("facilities"))
    fac = fac[fac.geometry.geom_type == "Point"]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "企业清单"
    ws.append(["企业名称", "行业类别", "状态", "经度", "纬度"])
    for row in fac.itertuples():
        ws.append([row.name, CATEGORY[row.category], STATUS[row.status], round(row.geometry.x, 6),
                   round(row.geometry.y, 6)])
    paths["facilities"] = folder / "涉水企业清单.xlsx"
    wb.save(paths["facilities"])

    st = gpd.read_file(datasets.get_path("stations"))
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["断面名称", "所在河流编码", "湖库编码", "水体类型", "目标水质", "经度", "纬度"])
    for row in st.itertuples():
        ws.append([row.name, row.river_id if isinstance(row.river_id, str) else None,
                   row.lake_id if isinstance(row.lake_id, str) else None, WATERBODY[row.waterbody],
                   ROMAN[int(row.target_class)], round(row.geometry.x, 6), round(row.geometry.y, 6)])
    paths["stations"] = folder / "监测断面.xlsx"
    wb.save(paths["stations"])

    wq = pd.read_csv(datasets.get_path("wq"), dtype=str)
    wq = wq[wq["parameter"].isin(list(WIDE)) & wq["time"].str[:4].astype(int).isin(YEARS)]
    names = dict(zip(st["station_id"], st["name"], strict=True))
    wq["断面名称"] = wq["station_id"].map(names)
    wq["监测时间"] = wq["time"].str[:4] + "年" + wq["time"].str[5:7] + "月"
    below = wq["value"].str.endswith("L")
    limits = wq[below].assign(dl=wq.loc[below, "value"].str[:-1].astype(float)).groupby("parameter")["dl"].max()
    wq.loc[below, "value"] = "未检出"
    wide = wq.pivot_table(index=["断面名称", "监测时间"], columns="parameter", values="value", aggfunc="first")
    wide = wide.reset_index()
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"{YEARS[0]}—{YEARS[-1]}年地表水水质监测月报（导出）"])
    ws.append(["断面名称", "监测时间", *[WIDE[p] for p in WIDE]])
    ws.append(["检出限", "", *[float(limits[p]) if p in limits.index else None for p in WIDE]])
    for row in wide.itertuples(index=False):
        rec = row._asdict()
        vals = [rec.get(p) for p in WIDE]
        ws.append([rec["断面名称"], rec["监测时间"], *[_num(v) for v in vals]])
    paths["wq"] = folder / "水质月报.xlsx"
    wb.save(paths["wq"])

    for name, target in (("population", "人口密度.tif"), ("gdp", "GDP密度.tif")):
        paths[name] = folder / target
        shutil.copy(datasets.get_path(name), paths[name])
    return paths


def _num(v: object) -> object:
    if v is None or (isinstance(v, float) and pd.isna(v)):
        return None
    try:
        return float(v)  # numbers as Excel numbers, as an export has them
    except (TypeError, ValueError):
        return v
