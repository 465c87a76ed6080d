"""Map styles kept as data (``styles.yml``): colours, widths and bilingual legend labels per theme."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

import pandas as pd
import yaml

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
    if not isinstance(raw, dict):
        msg = f"{source}: expected a mapping of theme name -> theme"
        raise SchemaError(msg)
    out: dict[str, Theme] = {}
    for name, spec in raw.items():
        where = f"{source}, theme {name!r}"
        missing = [k for k in ("title_zh", "title_en", "column", "categories") if k not in (spec or {})]
        if missing:
            msg = f"{where}: missing {missing}"
            raise SchemaError(msg)
        cats = []
        if spec.get("colours_from") == "waterquality":
            from basin.waterquality.standards import class_table

            table = class_table()
            spec = {
                **spec,
                "categories": [
                    {"colour": table.at[int(c["key"]), "colour"], **c} for c in spec["categories"]
                ],
            }
        elif "colours_from" in spec:
            msg = f"{where}: colours_from {spec['colours_from']!r} is unknown; expected 'waterquality'"
            raise SchemaError(msg)
        for i, c in enumerate(spec["categories"]):
            need = [k for k in ("key", "colour", "label_zh", "label_en") if k not in c]
            if need:
                msg = f"{where}, category {i}: missing {need}"
                raise SchemaError(msg)
            if not _HEX.match(str(c["colour"])):
                msg = f"{where}, category {c['key']!r}: colour {c['colour']!r} is not #rrggbb"
                raise SchemaError(msg)
            cats.append(
                Category(
                    c["key"],
                    c["colour"],
                    str(c["label_zh"]),
                    str(c["label_en"]),
                    float(c.get("width", 1.0)),
                    bool(c.get("on_top", False)),
                )
            )
        keys = [c.key for c in cats]
        if len(set(map(repr, keys))) != len(keys):
            msg = f"{where}: duplicate category keys {keys}"
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
    return _parse(yaml.safe_load(text), "basin/maps/styles.yml")


def theme(name: str) -> Theme:
    """Return one theme by name."""
    styles = load_styles()
    if name not in styles:
        msg = f"unknown map theme {name!r}; expected one of {sorted(styles)}"
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
