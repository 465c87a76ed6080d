"""Map styles kept as data (``styles.yml``): colours, widths and bilingual legend labels per theme."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd

from basin import _validate as v
from basin._errors import SchemaError

THEMES = (
    "rivers",
    "zones",
    "management",
    "units",
    "wq_class",
    "compliance",
    "sections",
    "admin",
    "lakes",
    "violations",
)
_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")


@dataclass(frozen=True)
class Category:
    """One legend entry of a theme."""

    key: Any
    colour: str
    label_zh: str
    label_en: str
    width: float = 1.0
    on_top: bool = (
        False  # drawn above the river lines (zone A, priority protection: narrow bands along rivers)
    )

    @property
    def label(self) -> str:
        """Bilingual label, Chinese first."""
        return f"{self.label_zh} {self.label_en}"


@dataclass(frozen=True)
class Theme:
    """A categorical theme: the data column it styles and its categories in legend order."""

    name: str
    title_zh: str
    title_en: str
    column: str
    categories: tuple[Category, ...]

    @property
    def title(self) -> str:
        """Bilingual title, Chinese first."""
        return f"{self.title_zh} {self.title_en}"

    def lookup(self, value: Any) -> Category | None:
        """Return the category of ``value`` (None / NaN match the ``null`` category), or None if unknown."""
        missing = value is None or (not isinstance(value, str) and bool(pd.isna(value)))
        for cat in self.categories:
            if missing and cat.key is None:
                return cat
            if not missing and cat.key is not None and _same(cat.key, value):
                return cat
        return None


def _same(key: Any, value: Any) -> bool:
    if isinstance(key, bool):
        if isinstance(value, str):
            return value.strip().lower() in (("true", "1", "yes") if key else ("false", "0", "no"))
        try:
            return value in (0, 1) and bool(value) is key
        except (TypeError, ValueError):
            return False
    if isinstance(key, int):
        try:
            return int(value) == key and float(value) == float(key)
        except (TypeError, ValueError):
            return False
    return str(value) == str(key)


def _parse(raw: Any, source: str) -> dict[str, Theme]:
    raw = v.mapping(raw, source, expected="a mapping of theme name -> theme")
    out: dict[str, Theme] = {}
    for name, spec in raw.items():
        where = f"{source}, theme {v.cut(name, 40)}"
        spec = v.mapping(spec, where)
        v.check_keys(
            spec, where, required=("title_zh", "title_en", "column", "categories"), optional=("colours_from",)
        )
        for key in ("title_zh", "title_en", "column"):
            v.text(spec[key], f"{where}: {key}")
        raw_cats = spec["categories"]
        if not isinstance(raw_cats, list) or not raw_cats:
            msg = f"{where}: categories must be a non-empty list, got {v.cut(raw_cats)}"
            raise SchemaError(msg)
        raw_cats = [v.mapping(c, f"{where}, category {i}") for i, c in enumerate(raw_cats)]
        if "colours_from" in spec:
            v.choice(spec["colours_from"], ("waterquality",), f"{where}: colours_from")
            from basin.waterquality.standards import class_table

            table = class_table()
            with_colour = []
            for i, c in enumerate(raw_cats):
                key = c.get("key")
                if isinstance(key, bool) or not isinstance(key, int) or key not in table.index:
                    msg = f"{where}, category {i}: key {v.cut(key)} is not a class of {list(table.index)}"
                    raise SchemaError(msg)
                with_colour.append({"colour": table.at[key, "colour"], **c})
            raw_cats = with_colour
        cats = []
        for i, c in enumerate(raw_cats):
            w = f"{where}, category {i}"
            v.check_keys(
                c, w, required=("key", "colour", "label_zh", "label_en"), optional=("width", "on_top")
            )
            if c["key"] is not None and not isinstance(c["key"], str | int):
                msg = f"{w}: key must be text, a whole number, true/false or null, got {v.cut(c['key'])}"
                raise SchemaError(msg)
            if not isinstance(c["colour"], str) or not _HEX.match(c["colour"]):
                msg = f"{where}, category {v.cut(c['key'])}: colour {v.cut(c['colour'])} is not #rrggbb"
                raise SchemaError(msg)
            width = v.number(c.get("width", 1.0), f"{w}: width", minimum=0.0)
            label_zh = v.text(c["label_zh"], f"{w}: label_zh", numbers=True)
            label_en = v.text(c["label_en"], f"{w}: label_en", numbers=True)
            on_top = c.get("on_top", False)
            if not isinstance(on_top, bool):
                msg = f"{w}: on_top must be true or false, got {v.cut(on_top)}"
                raise SchemaError(msg)
            cats.append(Category(c["key"], c["colour"], label_zh, label_en, width, on_top))
        keys = [c.key for c in cats]
        if len(set(map(repr, keys))) != len(keys):
            msg = f"{where}: duplicate category keys {v.cut(keys, 80)}"
            raise SchemaError(msg)
        out[name] = Theme(name, spec["title_zh"], spec["title_en"], spec["column"], tuple(cats))
    absent = [t for t in THEMES if t not in out]
    if absent:
        msg = f"{source}: missing themes {absent}"
        raise SchemaError(msg)
    return out


@functools.cache
def load_styles() -> dict[str, Theme]:
    """Return the shipped themes (``basin/maps/styles.yml``), validated."""
    text = resources.files("basin.maps").joinpath("styles.yml").read_text(encoding="utf-8")
    return _parse(v.load_yaml("basin/maps/styles.yml", what="style file", text=text), "basin/maps/styles.yml")


def theme(name: str) -> Theme:
    """Return one theme by name."""
    styles = load_styles()
    if name not in styles:
        hint = v.did_you_mean(name, styles)
        msg = f"unknown map theme {v.cut(name)}{hint}; expected one of {sorted(styles)}"
        raise SchemaError(msg)
    return styles[name]


def river_category(level: Any) -> Category:
    """Style of a river of ``level`` (levels above the last category use the last one)."""
    cats = theme("rivers").categories
    try:
        lv = int(level)
    except (TypeError, ValueError):
        return cats[-1]
    return cats[min(max(lv, 0), len(cats) - 1)]
