"""The project file: schema, relative paths, one clear error per mistake."""

from __future__ import annotations

from pathlib import Path

import pytest

from basin._errors import DataError, SchemaError
from basin.project import DEFAULT_PERIOD, demo_project, find_project, load_project, project_from_dict


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "basin.yml"
    p.write_text(text, encoding="utf-8")
    return p


def test_relative_paths_are_relative_to_the_project_file(tmp_path):
    (tmp_path / "data").mkdir()
    p = _write(
        tmp_path,
        "layers:\n  rivers: {path: data/河流.shp, encoding: gbk, crs: 'EPSG:4490'}\n"
        "water_quality: {paths: wq.xlsx, header_row: 2}\nrasters: {population: r/p.tif}\n",
    )
    project = load_project(p)
    assert project.layers.rivers.path == tmp_path / "data" / "河流.shp"
    assert project.layers.rivers.encoding == "gbk"
    assert project.water_quality.paths == [tmp_path / "wq.xlsx"]
    assert project.rasters.population == tmp_path / "r" / "p.tif"
    assert project.source_path == p.resolve()
    assert project.choices.period == DEFAULT_PERIOD == "year"
    assert project.output.csv_encoding == "utf-8-sig" and project.output.lang == "zh"
    assert not project.is_demo
    assert project.input_paths()["project"] == p.resolve()


def test_inline_mapping_is_passed_for_the_layer_kind(tmp_path):
    p = _write(tmp_path, "layers:\n  facilities:\n    path: f.xlsx\n    mapping: {columns: {name: 企业名称}}\n")
    kw = load_project(p).layers.facilities.read_kwargs("facilities")
    assert kw["mapping"] == {"facilities": {"columns": {"name": "企业名称"}}}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("layers:\n  river: {path: r.gpkg}\n", r"layers\.river: unknown key"),
        ("layers:\n  rivers: {}\n", r"layers\.rivers\.path: missing"),
        ("choices: {period: week}\n", r"choices\.period: Input should be 'month', 'quarter' or 'year' \(got 'week'\)"),
        ("output: {lang: fr}\n", r"output\.lang: Input should be 'zh' or 'en'"),
        ("water_quality: {paths: [a.csv], header_row: 0}\n", r"water_quality\.header_row: .*greater than or equal to 1"),
        ("- a\n- b\n", "expected a mapping of keys"),
    ],
)
def test_each_mistake_is_named_by_its_key(tmp_path, text, message):
    with pytest.raises(SchemaError, match=message):
        load_project(_write(tmp_path, text))


def test_yaml_syntax_error_has_line_and_column(tmp_path):
    with pytest.raises(SchemaError, match=r"basin\.yml: not valid YAML at line 3, column 1: expected the node content"):
        load_project(_write(tmp_path, "layers:\n  rivers: {path: [\n"))


def test_yaml_aliases_are_refused(tmp_path):
    bomb = "a: &a [x, x]\nb: &b [*a, *a]\nc: [*b, *b]\n"
    with pytest.raises(SchemaError, match=r"YAML aliases \(\*a\) are not accepted"):
        load_project(_write(tmp_path, bomb))


def test_missing_project_file_and_folder(tmp_path):
    with pytest.raises(DataError, match="project file .* does not exist"):
        load_project(tmp_path / "nope.yml")
    with pytest.raises(DataError, match="is a folder; expected a file"):
        load_project(tmp_path)


def test_gbk_project_file_names_the_encoding(tmp_path):
    p = tmp_path / "basin.yml"
    p.write_bytes("name: 某县\n".encode("gbk"))
    with pytest.raises(DataError, match="not UTF-8 text .* save it as UTF-8"):
        load_project(p)


def test_demo_project_and_find_project(tmp_path, monkeypatch):
    demo = demo_project()
    assert demo.is_demo
    assert set(demo.layers.given()) == {"rivers", "lakes", "admin", "stations", "facilities"}
    assert all(p.exists() for p in demo.input_paths().values())
    assert find_project("demo").is_demo
    monkeypatch.chdir(tmp_path)
    assert find_project(None) is None
    _write(tmp_path, "name: 本地\n")
    assert find_project(None).name == "本地"


def test_project_from_dict_without_base_keeps_paths():
    p = project_from_dict({"layers": {"rivers": {"path": "/x/r.gpkg"}}})
    assert p.layers.rivers.path == Path("/x/r.gpkg")
    assert p.base_dir is None
