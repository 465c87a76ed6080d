"""Byte-identical outputs: every writer gives the same bytes for the same data, whatever the time."""

import datetime as dt
import hashlib
import json
import sqlite3
import time
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import LineString

from basin._errors import DataError
from basin.io import write_csv, write_gpkg_layers, write_json, write_vector
from basin.io.reproducible import DEFAULT_DATE, fixed_datetime, normalise_zip


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.fixture
def gdf():
    return gpd.GeoDataFrame(
        {"river_id": ["r1", "r2"], "name": ["长江", "嘉陵江"]},
        geometry=[LineString([(0, 0), (1000, 0)]), LineString([(0, 0), (0, 500)])],
        crs=32648,
    )


def _twice(tmp_path, write, name):
    a, b = tmp_path / "a" / name, tmp_path / "b" / name
    write(a)
    time.sleep(1.05)  # a writer that stamps the time would differ now
    write(b)
    return a, b


@pytest.mark.parametrize("name", ["x.gpkg", "x.geojson", "x.parquet", "x.csv", "x.json"])
def test_vector_and_table_writers_are_byte_identical(tmp_path, gdf, name):
    def write(p):
        if name.endswith(".csv"):
            write_csv(gdf, p)
        elif name.endswith(".json"):
            write_json({"a": 1, "名": "长江"}, p)
        else:
            write_vector(gdf, p)

    a, b = _twice(tmp_path, write, name)
    assert _sha(a) == _sha(b)


def test_geojson_name_is_the_layer_not_the_temporary_file(tmp_path, gdf):
    p = write_vector(gdf, tmp_path / "sections.geojson")
    doc = json.loads(p.read_text(encoding="utf-8"))
    assert doc["name"] == "sections"
    assert ".part." not in p.read_text(encoding="utf-8")


def test_gpkg_dates_are_fixed(tmp_path, gdf, monkeypatch):
    p = write_gpkg_layers({"rivers": gdf, "more": gdf}, tmp_path / "x.gpkg")
    with sqlite3.connect(p) as con:
        dates = {r[0] for r in con.execute("select last_change from gpkg_contents")}
    assert dates == {"2000-01-01T00:00:00Z"}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    p = write_vector(gdf, tmp_path / "y.gpkg")
    with sqlite3.connect(p) as con:
        dates = {r[0] for r in con.execute("select last_change from gpkg_contents")}
    assert dates == {"2023-11-14T22:13:20Z"}


def test_source_date_epoch(monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert fixed_datetime() == DEFAULT_DATE
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "0")
    assert fixed_datetime() == dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    from basin._errors import DataError

    with pytest.raises(DataError, match="SOURCE_DATE_EPOCH='yesterday' is not a number of seconds"):
        fixed_datetime()


@pytest.mark.parametrize("fmt", ["png", "pdf", "svg"])
def test_figures_are_byte_identical(tmp_path, fmt):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from basin.maps.static import map_style, save_figure

    def write(p):
        with map_style():
            fig, ax = plt.subplots(figsize=(2, 2))
            ax.plot([0, 1], [0, 1])
            ax.set_title("长江 test")
        save_figure(fig, p, dpi=50)
        plt.close(fig)

    a, b = _twice(tmp_path, write, f"f.{fmt}")
    assert _sha(a) == _sha(b)
    if fmt == "pdf":
        assert b"D:20000101" in a.read_bytes()


def test_folium_html_is_byte_identical(tmp_path):
    import folium

    from basin.io.reproducible import counted_ids

    def build():
        with counted_ids():
            m = folium.Map(location=[30, 105], zoom_start=6, tiles=None)
            g = folium.FeatureGroup(name="rivers").add_to(m)
            folium.GeoJson({"type": "Point", "coordinates": [105, 30]}, tooltip="长江").add_to(g)
            folium.LayerControl().add_to(m)
            return m.get_root().render()

    a, b = build(), build()
    assert a == b
    assert "map_r0001" in a


def test_normalise_zip_fixes_office_dates(tmp_path):
    import openpyxl

    def write(p):
        p.parent.mkdir(parents=True, exist_ok=True)
        wb = openpyxl.Workbook()
        wb.active["A1"] = "长江"
        wb.save(p)
        normalise_zip(p)

    a, b = _twice(tmp_path, write, "x.xlsx")
    assert _sha(a) == _sha(b)
    with zipfile.ZipFile(a) as z:
        core = z.read("docProps/core.xml").decode()
        assert {i.date_time for i in z.infolist()} == {(2000, 1, 1, 0, 0, 0)}
    assert "2000-01-01T00:00:00Z" in core
    assert openpyxl.load_workbook(a).active["A1"].value == "长江"


def test_demo_web_map_is_reproducible():
    from basin.maps.demo import demo_layers
    from basin.maps.web import offline_html, web_map

    layers = demo_layers()
    kw = {"rivers": layers["rivers"], "admin": layers["admin"], "stations": layers["stations"]}
    pages = [offline_html(web_map(**kw)) for _ in range(2)]
    assert pages[0] == pages[1]
    assert "feature_group_b0" in pages[0]


def test_file_digest_of_file_and_folder(tmp_path):
    from basin.io.manifest import file_digest, library_versions

    inp = tmp_path / "in.csv"
    inp.write_bytes(b"a\n1\n")
    assert file_digest(inp) == {"sha256": hashlib.sha256(b"a\n1\n").hexdigest(), "bytes": 4}
    gdb = tmp_path / "x.gdb"
    gdb.mkdir()
    (gdb / "t").write_bytes(b"123")
    assert file_digest(gdb) == {"sha256": hashlib.sha256(b"t\x00" + b"123").hexdigest(), "bytes": 3, "files": 1}
    libs = library_versions()
    assert libs["numpy"] and libs["GDAL"] and libs["PROJ"]
    with pytest.raises(DataError, match=r"cannot read .*missing.csv for the manifest"):
        file_digest(tmp_path / "missing.csv")


def test_docx_is_byte_identical(tmp_path):
    from docx import Document

    from basin.io.atomic import atomic_path

    def write(p):
        doc = Document()
        doc.add_paragraph("长江 report")
        with atomic_path(p) as tmp:
            doc.save(str(tmp))
            normalise_zip(tmp)

    a, b = _twice(tmp_path, write, "r.docx")
    assert _sha(a) == _sha(b)


@pytest.mark.slow
def test_basin_demo_twice_gives_byte_identical_outputs(tmp_path):
    """The same inputs give the same bytes in every output; only manifest.json holds the run time."""
    from basin.project import demo_project
    from basin.run import run_project

    outs = []
    for name in ("a", "b"):
        out = tmp_path / name / "out"
        run_project(demo_project(), outdir=out, echo=lambda s: None)
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    assert len(files) > 40
    differ = [str(f) for f in files if (outs[0] / f).read_bytes() != (outs[1] / f).read_bytes()]
    assert differ == ["manifest.json"]
    # every file of the demo run has its name on the index page (labels.yml, files), maps by their writer
    from basin.reports.labels import file_label

    unnamed = [
        f.as_posix()
        for f in files
        if f.parts[0] != "maps" and f.name not in ("index.html", "manifest.json")
        and file_label(f.as_posix()) == f.as_posix()
    ]
    assert unnamed == []
