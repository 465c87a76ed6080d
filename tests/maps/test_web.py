from __future__ import annotations

import json
import re

import pytest

from basin._errors import BasinError, DataError, SchemaError
from basin.maps import offline_html, web_map, write_web_map
from basin.maps.web import _timeline, history_svg, to_js

from .conftest import XSS


@pytest.fixture
def page(world, monthly, audit) -> str:
    m = web_map(**world, monthly=monthly, audit=audit)
    return offline_html(m)


def test_every_theme_is_a_layer_in_the_control(world, monthly):
    import folium

    m = web_map(**world, monthly=monthly)
    names = [c.layer_name for c in m._children.values() if isinstance(c, folium.FeatureGroup)]
    assert names == [
        "省级界线 provincial boundary",
        "县级界线 county boundary",
        "岸线分区 Riparian zones",
        "管控分区 Management zones",
        "评价单元分类 Evaluation units",
        "湖库 Lakes and reservoirs",
        "河流 Rivers",
        "跨界断面 Cross-border sections",
        "监测断面 Monitoring stations",
    ]
    assert any(isinstance(c, folium.LayerControl) for c in m._children.values())


def test_page_is_self_contained(page):
    assert "L.map(" in page
    assert "Leaflet 1.9.3" in page
    assert not re.search(r"<script[^>]+src=", page)
    assert not re.search(r"<link[^>]+href=", page)
    for cdn in ("cdn.jsdelivr", "code.jquery", "cdnjs", "bootstrapcdn", "unpkg"):
        assert cdn not in page
    assert "data:image/png;base64," in page  # layers control icon inlined
    assert '<meta charset="utf-8">' in page or "charset=utf-8" in page.lower()


def test_online_tiles_are_optional(world):
    on = offline_html(web_map(admin=world["admin"]))
    off = offline_html(web_map(admin=world["admin"], online_tiles=False))
    assert "tile.openstreetmap.org" in on
    assert "tile.openstreetmap.org" not in off


def test_names_from_data_are_escaped(page):
    assert XSS not in page
    assert "alert(1)</script>" not in page
    assert "${alert(2)}</script>" not in page
    # the name is there, HTML-escaped and then JSON-escaped: \u0026lt;script\u0026gt;alert(1)
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in page
    # every <script> element closes where it should: the count of openings equals the count of closings
    assert page.count("<script") == page.count("</script>")


def test_to_js_cannot_close_a_script():
    s = to_js({"a": "</script><b>'x'&"})
    assert "<" not in s
    assert ">" not in s
    assert "'" not in s
    assert "&" not in s
    assert json.loads(s) == {"a": "</script><b>'x'&"}


def test_station_popups_hold_history_target_and_compliance(world, monthly):
    m = web_map(stations=world["stations"], assessment=monthly)
    page = offline_html(m)
    data = _layer_data(page, "stations")
    s1 = next(f for f in data["features"] if f["properties"]["_id"] == "S1")["properties"]
    assert "<svg" in s1["_p"]
    assert "目标 target" in s1["_p"]
    assert "Ⅲ类" in s1["_p"]
    assert "达标率 attainment" in s1["_p"]
    assert "33% of 3 periods" in s1["_p"]
    assert s1["_s"]["fillColor"] == "#37b70c"  # latest class III


def test_unit_and_section_popups(world, audit):
    page = offline_html(web_map(units=world["units"], sections=world["sections"], audit=audit))
    units = _layer_data(page, "units")
    u1 = units["features"][0]["properties"]
    assert "river_density_km_km2" in u1["_p"]
    assert "1.25" in u1["_p"]
    assert "高压低容" in u1["_p"]
    secs = _layer_data(page, "sections")
    x2 = secs["features"][1]["properties"]
    assert "upstream" in x2["_p"]
    assert "2024-02" in x2["_p"]
    assert x2["_s"]["fillColor"] == "#d73027"  # the latest audit period misses the target


def test_timeline(stations, monthly):
    tl = _timeline(stations, monthly)
    assert tl["periods"] == ["2024-01", "2024-02", "2024-03"]
    assert tl["classes"]["S1"] == [5, 4, 3]
    assert tl["classes"]["S3"] == [6, 3, None]
    assert tl["targets"] == {"S1": 3, "S2": 2, "S3": 3}
    assert _timeline(stations, monthly.assign(period="2024")) is None  # yearly rows: no month control
    with pytest.raises(SchemaError, match=r"monthly classes have no column\(s\) \['class'\]"):
        _timeline(stations, monthly.drop(columns="class"))


def test_history_svg():
    svg = history_svg(["2024-01", "2024-02", "2024-03"], [1, None, 6], 3)
    assert svg.count("<rect") == 2
    assert 'fill="#68cffe"' in svg
    assert 'fill="#dd3f36"' in svg
    assert 'stroke-dasharray="4 3"' in svg  # the target line
    assert "<script" not in history_svg([XSS], [2], None)


def test_web_map_errors(world, tmp_path):
    with pytest.raises(DataError, match="nothing to draw"):
        web_map()
    with pytest.raises(SchemaError, match=r"column 'mgmt_zone' has values \['bad'\] with no map style"):
        web_map(management=world["management"].assign(mgmt_zone=["priority", "key", "bad"]))
    with pytest.raises(SchemaError, match="stations has no column 'station_id'"):
        web_map(stations=world["stations"].drop(columns="station_id"))
    with pytest.raises(DataError, match="expected an .html file"):
        write_web_map(web_map(admin=world["admin"]), tmp_path / "map.png")


def test_unvendored_assets_are_refused(world):
    from folium.plugins import Fullscreen

    m = web_map(admin=world["admin"])
    Fullscreen().add_to(m)  # brings a CDN script
    with pytest.raises(BasinError, match="not vendored in basin/maps/static"):
        offline_html(m)


def test_write_web_map(world, tmp_path):
    path = write_web_map(web_map(**world), tmp_path / "map.html")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert "四川省" in text  # Chinese kept as UTF-8


def _layer_data(page: str, kind: str) -> dict:
    from basin.maps.web import expand_collection

    for m in re.finditer(r"var data = (\{.*?\}), lyr = null;", page, flags=re.S):
        tail = page[m.end() : m.end() + 1200]
        if f'basinBind(f, l, "{kind}")' in tail:
            return expand_collection(json.loads(m.group(1)))
    msg = f"no {kind} layer in the page"
    raise AssertionError(msg)


def test_text_of_compressed_layers_is_in_the_font_subset(world, monkeypatch):
    import base64

    import basin.maps.web as web
    from basin.maps import fonts

    st = world["stations"].copy()
    st.loc[st.index[0], "name"] = "鑫犇站"  # characters nowhere else on the page
    monkeypatch.setattr(web, "LAZY_BYTES", 0)  # every layer compressed: the names are not readable
    page = offline_html(web_map(**{**world, "stations": st}))
    assert "鑫" not in page.split("@font-face")[0]
    data = re.search(r"font/woff2;base64,([A-Za-z0-9+/=]+)", page)
    assert data is not None
    glyphs = fonts.font_glyphs(base64.b64decode(data.group(1)))
    assert {ord("鑫"), ord("犇")} <= glyphs
