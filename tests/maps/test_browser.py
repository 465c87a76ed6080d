"""The interactive map in a real headless Chromium, from file:// with the network disabled.

Skipped only when Chromium is absent and the environment variable CI is not 'true' (in CI a missing browser
fails the test).
"""

from __future__ import annotations

import io
import os
import time

import pytest

from basin.maps import web_map, write_web_map

from ._browser import DRIVER, chromium_binary, start_chromium
from .conftest import XSS

pytestmark = pytest.mark.browser

if chromium_binary() is None and os.environ.get("CI") != "true":
    pytest.skip(
        "Debian's chromium is not installed (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    from pathlib import Path

    assert chromium_binary(), "chromium is missing: apt-get install chromium chromium-driver"
    assert Path(DRIVER).exists(), f"{DRIVER} is missing: apt-get install chromium-driver"
    d = start_chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield d
    d.quit()


@pytest.fixture
def loaded(driver, world, monthly, audit, violations, tmp_path):
    m = web_map(**world, monthly=monthly, audit=audit, violations=violations, sources="数据来源：河流.shp")
    path = write_web_map(m, tmp_path / "map.html")
    driver.get(path.resolve().as_uri())
    deadline = time.time() + 20
    while time.time() < deadline:
        if driver.execute_script(
            "return window.basinSetPeriod !== undefined && document.readyState === 'complete'"
        ):
            break
        time.sleep(0.1)
    return driver


def _severe(driver) -> list[dict]:
    return [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_page_loads_offline_without_errors_and_lists_layers(loaded):
    assert _severe(loaded) == []
    labels = loaded.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".map(l => l.textContent.trim())"
    )
    for name in (
        "省级界线 provincial boundary",
        "岸线分区 Riparian zones",
        "管控分区 Management zones",
        "评价单元分类 Evaluation units",
        "河流 Rivers",
        "跨界断面 Cross-border sections",
        "监测断面 Monitoring stations",
    ):
        assert name in labels
    # the network really is off: a fetch of a public URL fails
    failed = loaded.execute_async_script(
        "var done = arguments[0]; fetch('https://tile.openstreetmap.org/0/0/0.png')"
        ".then(() => done(false)).catch(() => done(true));"
    )
    assert failed is True
    loaded.get_log("browser")  # drop the expected fetch error


def test_clicking_a_station_opens_its_popup_and_names_are_text(loaded):
    from selenium.common.exceptions import NoAlertPresentException

    marker = loaded.execute_script("return basinStations['S2']._path")
    marker.click()
    time.sleep(0.3)
    popup = loaded.find_element("css selector", ".leaflet-popup-content")
    assert XSS in popup.text  # the script tag shows as text
    assert "类别历史 class history" in popup.text
    assert (
        loaded.execute_script("return document.querySelectorAll('.leaflet-popup-content script').length") == 0
    )
    assert (
        loaded.execute_script("return document.querySelectorAll('.leaflet-popup-content svg rect').length")
        == 3
    )
    with pytest.raises(NoAlertPresentException):
        loaded.switch_to.alert.text  # noqa: B018 - no alert() ever ran
    # the other hostile name, with a template-literal injection, is text too
    text = loaded.execute_script(
        "basinStations['S3'].openPopup(); return basinStations['S3'].getPopup().getElement().innerText"
    )
    assert "${alert(2)}</script>" in text
    assert _severe(loaded) == []


def test_time_control_steps_the_monthly_classes(loaded):
    colour = "return basinStations['S1'].options.fillColor"
    assert loaded.execute_script("return document.querySelector('.basin-month').textContent") == "2024-03"
    assert loaded.execute_script(colour) == "#37b70c"  # class III in 2024-03
    slider = loaded.find_element("css selector", ".basin-time input[type=range]")
    loaded.execute_script("arguments[0].value = 0; arguments[0].dispatchEvent(new Event('input'));", slider)
    assert loaded.execute_script("return document.querySelector('.basin-month').textContent") == "2024-01"
    assert loaded.execute_script(colour) == "#f29c00"  # class V in 2024-01
    assert loaded.execute_script("return basinStations['S1'].options.color") == "#b2182b"  # misses target 3


def test_legend_follows_the_layer_control(loaded):
    shown = "return getComputedStyle(document.querySelector('[data-layer=\"zones\"]')).display"
    assert loaded.execute_script(shown) == "none"  # zones are off at first
    label = loaded.execute_script(
        "return Array.from(document.querySelectorAll('.leaflet-control-layers-overlays label'))"
        ".find(l => l.textContent.includes('Riparian zones')).querySelector('input')"
    )
    label.click()
    assert loaded.execute_script(shown) != "none"
    # the zones switched on later are drawn under the stations, not over them
    on_top = loaded.execute_script(
        "var z = Array.from(document.querySelectorAll('path.leaflet-interactive'));"
        "var st = Object.values(basinStations).map(function (l) { return z.indexOf(l._path); });"
        "return Math.min.apply(null, st) === z.length - st.length;"
    )
    assert on_top


def test_screenshot_is_not_blank(loaded):
    from PIL import Image, ImageStat

    img = Image.open(io.BytesIO(loaded.get_screenshot_as_png())).convert("L")
    stat = ImageStat.Stat(img)
    assert stat.stddev[0] > 10  # a blank or single-colour page has ~0
    assert len(img.getcolors(maxcolors=256 * 256) or []) > 20


def test_violation_popup_opens_with_rule_distance_limit_action(loaded):
    paths = loaded.execute_script(
        "var out = []; document.querySelectorAll('.leaflet-basinPoints-pane path').forEach(function (p) {"
        " out.push(p.getAttribute('fill')); }); return out;"
    )
    assert "#b2182b" in paths  # the prohibited facility, in the points pane
    loaded.execute_script(
        "var m = Object.values(window).find(function (v) { return v && v instanceof L.Map; });"
        "m.eachLayer(function (l) { if (l.feature && l.feature.properties._t && "
        "l.feature.properties._t.indexOf('甲化工厂') === 0) { l.openPopup(); } });"
    )
    time.sleep(0.3)
    text = loaded.find_element("css selector", ".leaflet-popup-content").text
    for part in ("甲化工厂", "禁止新建 prohibited", "依法淘汰 phase-out candidate", "600", "1,000", "5,000"):
        assert part in text
    assert "河流.shp" in loaded.find_element("css selector", ".leaflet-control-attribution").text
    assert _severe(loaded) == []


def test_embedded_cjk_font_is_used(loaded):
    ok = loaded.execute_async_script(
        "var done = arguments[0]; document.fonts.load('12px \"Basin CJK\"', '川渝').then(function (f) {"
        " done([f.length, document.fonts.check('12px \"Basin CJK\"', '监测断面')]); });"
    )
    assert ok[0] >= 1  # the embedded face loaded (a broken font would give 0)
    assert ok[1] is True
    family = loaded.execute_script(
        "return getComputedStyle(document.querySelector('.leaflet-container')).fontFamily"
    )
    assert family.startswith('"Basin CJK"')


def test_zone_a_pane_is_above_the_rivers(loaded):
    z = loaded.execute_script(
        "function z(n) { var p = document.querySelector('.leaflet-' + n + '-pane');"
        " return parseInt(getComputedStyle(p).zIndex); }"
        "return [z('overlay'), z('basinTop'), z('basinPoints')];"
    )
    assert z[0] < z[1] < z[2]


def test_compressed_layers_inflate_and_the_stations_follow_the_time_control(driver, world, monthly, tmp_path,
                                                                            monkeypatch):
    import basin.maps.web as web

    monkeypatch.setattr(web, "LAZY_BYTES", 0)  # every layer stored gzip-compressed, as a big one is
    path = write_web_map(web_map(**world, monthly=monthly), tmp_path / "map.html")
    assert path.read_text(encoding="utf-8").count('{"z":"') >= 5
    driver.get(path.resolve().as_uri())
    deadline = time.time() + 20
    while time.time() < deadline:
        if driver.execute_script(
            "return window.basinSetPeriod !== undefined && document.readyState === 'complete'"
            " && !window.basinBusy && basinStations['S1'] !== undefined"
        ):
            break
        time.sleep(0.1)
    assert driver.execute_script("return document.querySelector('.basin-month').textContent") == "2024-03"
    # inflated after the time control was set up: restyled to its month, 2024-03 (not the layer's own style)
    assert driver.execute_script("return basinStations['S1'].options.fillColor") == "#37b70c"  # class III
    assert driver.execute_script("return basinStations['S2'].options.color") == "#b2182b"  # 4 misses 2
    assert driver.execute_script("return basinStations['S3'].options.fillColor") == "#9e9e9e"  # no data
    driver.execute_script("basinSetPeriod(0)")
    assert driver.execute_script("return basinStations['S1'].options.color") == "#b2182b"  # misses target 3
    assert _severe(driver) == []
