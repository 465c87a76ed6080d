"""Fuzz the YAML loaders: mapping, riparian rules, units config and management rules, schemes, styles."""

from importlib import resources
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from basin._errors import BasinError
from basin.crossborder.schemes import list_schemes, load_scheme
from basin.io.layers import SCHEMAS, load_mapping
from basin.maps._style import _parse as parse_styles
from basin.units.config import load_config
from basin.units.config import load_rules as load_mgmt_rules
from basin.zoning.rules import load_rules, parse_rules

from ._strategies import mutations, values


def _shipped(pkg: str, *parts: str) -> object:
    return yaml.safe_load(resources.files(pkg).joinpath(*parts).read_text(encoding="utf-8"))


def _keys(doc: object) -> list[str]:
    out: set[str] = set()
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.add(str(k))
            out |= set(_keys(v))
    elif isinstance(doc, list):
        for v in doc:
            out |= set(_keys(v))
    return sorted(out)


MAPPING_BASE = {
    "rivers": {"columns": {"river_id": "编号", "name": "名称", "level": "等级"}, "values": {"level": {"干流": 0}}},
    "facilities": {"facility_id": "企业名称", "lon": "经度", "lat": "纬度"},
}
BASES = {
    "config": _shipped("basin.units.config", "default.yaml"),
    "management": _shipped("basin.units.config", "management.yaml"),
    "rules": _shipped("basin.zoning", "rules", "riparian.yaml"),
    **{f"scheme:{n}": _shipped("basin.crossborder", "schemes", f"{n}.yaml") for n in list_schemes()},
    "mapping": MAPPING_BASE,
    "styles": _shipped("basin.maps", "styles.yml"),
}


def _load_file(name: str, path: Path) -> object:
    if name == "config":
        return load_config(path)
    if name == "management":
        return load_mgmt_rules(path)
    if name == "rules":
        return load_rules(path)
    if name.startswith("scheme:"):
        return load_scheme(path)
    if name == "mapping":
        return [load_mapping(path, k) for k in SCHEMAS]
    if name == "styles":
        return parse_styles(yaml.safe_load(path.read_text(encoding="utf-8")), str(path))
    raise AssertionError(name)


def _load_data(name: str, data: object) -> object:
    if name == "config":
        return load_config(data)  # type: ignore[arg-type]
    if name == "management":
        return load_mgmt_rules(data)  # type: ignore[arg-type]
    if name == "rules":
        return parse_rules(data, "rules")
    if name.startswith("scheme:"):
        return load_scheme(data)  # type: ignore[arg-type]
    if name == "mapping":
        return [load_mapping(data, k) for k in SCHEMAS]  # type: ignore[arg-type]
    if name == "styles":
        return parse_styles(data, "styles")
    raise AssertionError(name)


def _accepts_data(name: str, data: object) -> bool:
    # the Python API takes a mapping (a YAML document's top level); other types are a caller's bug
    return isinstance(data, dict) or name in ("rules", "styles")


def _check(call, *args) -> None:
    try:
        call(*args)
    except BasinError as exc:
        msg = str(exc)
        assert msg and "\n" not in msg, msg
        assert len(msg) < 2000, msg[:200]


@pytest.mark.parametrize("name", sorted(BASES))
def test_shipped_documents_load(name, tmp_path):
    p = tmp_path / "x.yaml"
    p.write_text(yaml.safe_dump(BASES[name], allow_unicode=True), encoding="utf-8")
    _load_file(name, p)


@pytest.mark.parametrize("name", sorted(BASES))
@given(data=st.data())
def test_mutated_documents(name, data, tmp_path_factory):
    base = BASES[name]
    doc = data.draw(mutations(base, _keys(base)))
    p = tmp_path_factory.mktemp("fuzz") / "doc.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _check(_load_file, name, p)
    if _accepts_data(name, doc):
        _check(_load_data, name, doc)


@pytest.mark.parametrize("name", sorted(BASES))
@given(doc=values())
def test_random_documents(name, doc, tmp_path_factory):
    p = tmp_path_factory.mktemp("fuzz") / "doc.yaml"
    p.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    _check(_load_file, name, p)


@pytest.mark.parametrize("name", sorted(n for n in BASES if n != "styles"))
@given(raw=st.one_of(st.binary(max_size=200), st.text(max_size=200).map(lambda t: t.encode("utf-8"))))
def test_random_bytes(name, raw, tmp_path_factory):
    p = tmp_path_factory.mktemp("fuzz") / "doc.yaml"
    p.write_bytes(raw)
    _check(_load_file, name, p)
