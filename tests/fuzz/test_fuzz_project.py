"""Fuzz the project file loader (basin.project.load_project)."""


from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

from basin._errors import BasinError
from basin.project import load_project

from ._strategies import mutations, values


def _base():
    from basin.project import demo_project

    p = demo_project().source_path
    return yaml.safe_load(Path(p).read_text(encoding="utf-8"))


DEMO = _base()
KEYS = sorted({"layers", "rivers", "path", "layer", "encoding", "crs", "mapping", "ids", "water_quality", "paths",
               "layout", "choices", "period", "units", "crossborder", "schemes", "output", "dir", "formats", "lang",
               "rasters", "tables", "name", "header_row", "year", "sheet", "detection_limits", "rules", "standard"})


def _check(path):
    try:
        load_project(path)
    except BasinError as exc:
        assert str(exc) and "\n" not in str(exc), str(exc)


@given(data=st.data())
def test_mutated_project(data, tmp_path_factory):
    doc = data.draw(mutations(DEMO, KEYS))
    p = tmp_path_factory.mktemp("prj") / "basin.yml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _check(p)


@given(doc=values(KEYS))
def test_random_project(doc, tmp_path_factory):
    p = tmp_path_factory.mktemp("prj") / "basin.yml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _check(p)


@given(raw=st.binary(max_size=200))
def test_random_bytes_project(raw, tmp_path_factory):
    p = tmp_path_factory.mktemp("prj") / "basin.yml"
    p.write_bytes(raw)
    _check(p)
