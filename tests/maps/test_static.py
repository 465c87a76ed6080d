from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from shapely.geometry import Point

from basin import datasets
from basin._errors import CRSError, DataError, SchemaError
from basin.crs import metric_crs
from basin.io import read_layer
from basin.maps import fonts, latest_compliance, static_map, station_chart
from basin.maps._style import _parse, load_styles, river_category, theme
from basin.maps.static import _limit_ranges, add_scale_bar, nice_length, north_angle, scale_factor


# ------------------------------------------------------------------------------------------------- styles
def test_styles_load_and_cover_every_theme():
    styles = load_styles()
    assert theme("wq_class").categories[5].label_zh == "劣Ⅴ类"
    assert [c.colour for c in theme("wq_class").categories] == [
        "#68cffe",
        "#49a1fe",
        "#37b70c",
        "#fae521",
        "#f29c00",
        "#dd3f36",
    ]
    assert {c.key for c in styles["zones"].categories} == {"A", "B", "C"}
    assert {c.key for c in styles["management"].categories} == {"priority", "key", "general"}
    assert {c.key for c in styles["units"].categories} == {"HPLC", "LPLC", "HPHC", "LPHC"}
    assert river_category(0).width > river_category(1).width > river_category(3).width
    assert river_category(7) == river_category(4)  # deeper levels share the last style


def test_compliance_lookup_accepts_bools_strings_and_missing():
    th = theme("compliance")
    assert th.lookup(True).label_en == "meets target"
    assert th.lookup(np.bool_(False)).label_en == "misses target"
    assert th.lookup("False").label_en == "misses target"
    assert th.lookup(pd.NA).label_en == "not assessed"
    assert th.lookup(float("nan")).label_en == "not assessed"


def test_bad_style_files_are_rejected():
    good = {
        "title_zh": "x",
        "title_en": "x",
        "column": "c",
        "categories": [{"key": 1, "colour": "#000000", "label_zh": "a", "label_en": "a"}],
    }
    with pytest.raises(SchemaError, match="colour 'red' is not #rrggbb"):
        _parse(
            {
                "rivers": {
                    **good,
                    "categories": [{"key": 1, "colour": "red", "label_zh": "a", "label_en": "a"}],
                }
            },
            "f",
        )
    with pytest.raises(SchemaError, match=r"theme 'rivers': missing key\(s\) \['column'\]"):
        _parse({"rivers": {k: v for k, v in good.items() if k != "column"}}, "f")
    with pytest.raises(SchemaError, match="missing themes"):
        _parse({"rivers": good}, "f")
    with pytest.raises(SchemaError, match="duplicate category keys"):
        _parse({"rivers": {**good, "categories": good["categories"] * 2}}, "f")
    with pytest.raises(SchemaError, match=r"colours_from: must be one of \['waterquality'\], got 'rainbow'"):
        _parse({"rivers": {**good, "colours_from": "rainbow"}}, "f")
    with pytest.raises(SchemaError, match="unknown map theme 'nope'"):
        theme("nope")


def test_wq_class_colours_are_the_standards_colours():
    from basin.waterquality.standards import class_table

    table = class_table()
    assert [c.colour for c in theme("wq_class").categories] == [table.at[k, "colour"] for k in range(1, 7)]


# -------------------------------------------------------------------------------------------------- fonts
def test_cjk_font_covers_every_demo_name_and_label():
    text = []
    for kind in ("rivers", "lakes", "stations"):
        names = read_layer(datasets.get_path(kind), kind)["name"].dropna()
        text += names.astype(str).tolist()
    text += read_layer(datasets.get_path("admin"), "admin", layer="admin")["name"].astype(str).tolist()
    for th in load_styles().values():
        text += [th.title] + [c.label for c in th.categories]
    text += ["劣Ⅴ", "优先保护区", "重点管控区", "一般维护区", "高压低容", "嘉陵江", "北 N", "数据来源", "−"]
    joined = "".join(text)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in joined)
    assert fonts.missing_glyphs(joined) == []
    assert fonts.missing_glyphs("abc\U0001f600") == ["\U0001f600"]  # the check can fail


def test_font_is_registered_with_matplotlib():
    from matplotlib import font_manager

    assert fonts.register_cjk_font() == "Noto Sans CJK SC"
    found = font_manager.findfont(
        font_manager.FontProperties(family="Noto Sans CJK SC", weight=100), fallback_to_default=False
    )
    assert found.endswith("NotoSansCJK-VF.otf.ttc")


# --------------------------------------------------------------------------------------------- static map
def test_static_map_png_and_pdf_with_every_theme(world, monthly, tmp_path):
    # filterwarnings=error (pyproject) turns any "Glyph ... missing from font" warning into a failure
    ax = static_map(
        **world, theme="zones", assessment=monthly, paper="A4", dpi=60, filepath=tmp_path / "m.png"
    )
    texts = ax.get_legend().get_texts()
    labels = [t.get_text() for t in texts]
    assert "岸线分区 Riparian zones" in labels
    assert any(lab.startswith("A区") for lab in labels)
    assert "干流 main stem" in labels
    assert "三级支流 level-3 tributary" in labels
    assert "未达标 misses target" in labels  # stations coloured by their latest compliance
    assert "跨界断面 未达标 section: misses target" in labels
    title = ax.get_title()
    assert "岸线分区" in title
    assert "Riparian zones" in title
    png = (tmp_path / "m.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    from basin.maps import save_figure

    pdf = save_figure(ax.figure, tmp_path / "m.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-"
    assert len(pdf) > 20_000  # text is drawn as outlines (the weight stroke), so no font is needed to view it
    river_labels = {t.get_text() for t in ax.texts}
    assert {"长江", "嘉陵江", "涪江", "四川省", "重庆市"} <= river_labels


@pytest.mark.parametrize("name", ["management", "units"])
def test_static_map_polygon_themes(world, name):
    ax = static_map(**world, theme=name, paper="A4")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    expected = {
        "management": "优先保护区 Priority protection",
        "units": "高压低容 high pressure / low capacity",
    }
    assert expected[name] in labels


def test_static_map_uses_labels_from_the_data(world):
    z = world["zones"].assign(
        label_zh=["一级", "二级：长江干流岸线5公里范围内禁止新建工业园区", "三级"],
        label_en=["one", "two: no new industrial parks within 5 km", "three"],
    )
    ax = static_map(zones=z, theme="zones", paper="A4")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "一级 one" in labels
    assert "二级 two" in labels  # the rule text after the colon stays in the data, not the legend


def test_static_map_infers_theme_and_draws_into_given_axes(world):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4))
    ax0 = fig.add_subplot()
    ax = static_map(rivers=world["rivers"], units=world["units"], ax=ax0, label_rivers=False)
    assert ax is ax0
    assert "评价单元" in ax.get_title()
    assert tuple(fig.get_size_inches()) == (6, 4)


def test_stations_without_assessment_are_coloured_by_target(world):
    ax = static_map(stations=world["stations"], paper="A4")
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Ⅱ类 Class II" in labels
    assert "Ⅲ类 Class III" in labels
    assert "Ⅰ类 Class I" not in labels


def test_static_map_errors(world, tmp_path):
    bad = world["zones"].assign(zone=["A", "B", "D"])
    with pytest.raises(SchemaError, match=r"column 'zone' has values \['D'\] with no map style"):
        static_map(zones=bad)
    with pytest.raises(SchemaError, match="zones has no column 'zone'"):
        static_map(zones=world["zones"].drop(columns="zone"))
    with pytest.raises(DataError, match="theme 'units' needs the units= layer"):
        static_map(rivers=world["rivers"], theme="units")
    with pytest.raises(DataError, match="unknown map theme 'heat'"):
        static_map(rivers=world["rivers"], theme="heat")
    with pytest.raises(DataError, match="nothing to draw"):
        static_map()
    with pytest.raises(DataError, match="expected a .png, .pdf or .svg"):
        static_map(rivers=world["rivers"], filepath=tmp_path / "m.jpg")
    with pytest.raises(CRSError, match="rivers has no CRS"):
        static_map(rivers=world["rivers"].set_crs(None, allow_override=True))
    with pytest.raises(DataError, match="unknown paper size 'B5'"):
        static_map(rivers=world["rivers"], paper="B5")
    with pytest.raises(SchemaError, match="level is missing or not a number for river_id"):
        static_map(rivers=world["rivers"].assign(level=[0, None, 1, 2]))
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_latest_compliance(stations, monthly):
    got = latest_compliance(stations, monthly)
    assert got.tolist()[:2] == [True, False]  # S1 2024-03 meets, S2 2024-03 misses
    assert got.tolist()[2] is True  # S3's latest period is 2024-02
    feb = latest_compliance(stations, monthly, period="2024-01")
    assert feb.tolist() == [False, True, False]
    with pytest.raises(DataError, match="no rows for period '1999'"):
        latest_compliance(stations, monthly, period="1999")
    assert latest_compliance(stations, None).isna().all()


# -------------------------------------------------------------------------------------- scale and north
@pytest.mark.parametrize(
    ("span", "expected"), [(1_000_000, 200_000), (900_000, 100_000), (2_600, 500), (60_000, 10_000)]
)
def test_nice_length(span, expected):
    assert nice_length(span) == expected


def test_scale_factor_is_measured_on_the_ground():
    utm = "EPSG:32648"
    # transverse Mercator: k0 = 0.9996 on the central meridian, larger away from it
    assert scale_factor(utm, 500_000, 3_300_000) == pytest.approx(0.9996, abs=2e-5)
    assert scale_factor(utm, 700_000, 3_300_000) > 1.0
    # the default Albers is not conformal but stays within 2 % east-west over the region
    crs = metric_crs()
    from pyproj import Transformer

    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    for lon, lat in ((98, 30), (105, 26), (110, 32)):
        assert scale_factor(crs, *fwd.transform(lon, lat)) == pytest.approx(1.0, abs=0.02)


def test_north_arrow_points_to_true_north():
    crs = metric_crs()  # Albers, central meridian 105°E: meridians converge to the north
    from pyproj import Transformer

    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    assert north_angle(crs, *fwd.transform(105, 30)) == pytest.approx(0.0, abs=1e-6)
    east = north_angle(crs, *fwd.transform(110, 30))
    west = north_angle(crs, *fwd.transform(100, 30))
    assert east > 0 > west  # east of the central meridian north leans left (counter-clockwise)
    # cone constant n = (sin 25° + sin 47°) / 2 for the default Albers: angle = n * Δlon
    n = (math.sin(math.radians(25)) + math.sin(math.radians(47))) / 2
    assert east == pytest.approx(n * 5, abs=0.1)


def test_scale_bar_label(world):
    from matplotlib.figure import Figure

    ax = Figure().add_subplot()
    ax.set_xlim(0, 1_000_000)
    ax.set_ylim(3_000_000, 3_500_000)
    assert add_scale_bar(ax, "EPSG:32648") == 100_000  # a round length near a fifth of 90 % of 1000 km
    assert "100 km" in [t.get_text() for t in ax.texts]


# ------------------------------------------------------------------------------------------ station chart
def _long_table() -> pd.DataFrame:
    times = pd.date_range("2023-01-01", periods=12, freq="MS")
    vals = [0.1, 0.3, 0.6, 1.2, 1.8, 2.5, 0.9, 0.4, 0.2, 0.14, 0.5, 1.0]
    return pd.DataFrame(
        {"station_id": "S1", "time": times, "parameter": "NH3_N", "value": vals, "unit": "mg/L"}
    )


def test_station_chart_from_long_table(tmp_path):
    ax = station_chart(
        _long_table(),
        "S1",
        "NH3_N",
        limits=[0.15, 0.5, 1.0, 1.5, 2.0],
        target_class=3,
        filepath=tmp_path / "c.png",
    )
    assert (tmp_path / "c.png").stat().st_size > 1000
    assert ax.get_ylabel() == "NH3_N (mg/L)"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:6] == ["Ⅰ类", "Ⅱ类", "Ⅲ类", "Ⅳ类", "Ⅴ类", "劣Ⅴ类"]
    assert "目标 Ⅲ类 target" in labels
    # the target line at the class III limit, and the 3 values above it circled
    assert [line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == "--"] == [1.0]
    circled = [line for line in ax.lines if line.get_marker() == "o" and line.get_linestyle() == "None"]
    assert len(circled[0].get_xdata()) == 3


def test_station_chart_from_dataset_with_the_standard():
    t = _long_table()
    ds = xr.Dataset(
        {"DO": (("station", "time"), np.array([[8.0, 6.5, 4.0, 2.5, 1.0] + [7.0] * 7]), {"units": "mg/L"})},
        coords={
            "station": ["S1"],
            "time": t["time"].to_numpy(),
            "target_class": ("station", [2]),
            "name": ("station", ["朱沱"]),
            "waterbody": ("station", ["river"]),
        },
    )
    ax = station_chart(ds, "S1", "DO")  # DO limits (lower limits) from GB 3838-2002 via basin.waterquality
    assert "朱沱" in ax.get_title()
    assert [line.get_ydata()[0] for line in ax.lines if line.get_linestyle() == "--"] == [6.0]


def test_limit_ranges():
    assert _limit_ranges([1, 2, 3, 4, 5])[2] == (-np.inf, 3.0)
    assert _limit_ranges([7.5, 6, 5, 3, 2])[0] == (7.5, np.inf)
    assert _limit_ranges({c: (6, 9) for c in range(1, 6)})[4] == (6.0, 9.0)
    with pytest.raises(SchemaError, match="neither increasing"):
        _limit_ranges([1, 3, 2, 4, 5])
    with pytest.raises(SchemaError, match="must list 5 values"):
        _limit_ranges([1, 2])


def test_station_chart_errors():
    with pytest.raises(DataError, match="no 'TP' values for station 'S1'"):
        station_chart(_long_table(), "S1", "TP", limits=[1, 2, 3, 4, 5])
    with pytest.raises(SchemaError, match="water-quality table has no column 'value'"):
        station_chart(_long_table().drop(columns="value"), "S1", "NH3_N", limits=[1, 2, 3, 4, 5])
    with pytest.raises(SchemaError, match="must be an xarray Dataset or a long DataFrame"):
        station_chart([1, 2], "S1", "NH3_N")
    pts = gpd.GeoDataFrame({"a": [1]}, geometry=[Point(0, 0)], crs="EPSG:4326")
    with pytest.raises(SchemaError, match="must be an xarray Dataset"):
        station_chart(pts.geometry, "S1", "NH3_N")


@pytest.mark.parametrize("paper", ["A4", "A3"])
def test_long_source_note_is_wrapped_inside_the_page(admin, rivers, paper):
    """A long list of sources is wrapped: every footer line ends inside the figure, no text is lost."""
    note = "数据来源：" + "；".join(f"图层{i}: 某县环保局 layer_{i}.gpkg" for i in range(30))
    ax = static_map(admin=admin, rivers=rivers, sources=note, paper=paper, label_rivers=False)
    fig = ax.figure
    foot = [t for t in ax.texts if t.get_text().startswith("数据来源")]
    assert len(foot) == 1
    text = foot[0].get_text()
    assert text.count("\n") >= 3
    assert text.replace("\n", "").replace(" ", "").startswith(note.replace(" ", ""))
    fig.canvas.draw()
    box = foot[0].get_window_extent()
    assert box.x1 <= fig.bbox.x1
