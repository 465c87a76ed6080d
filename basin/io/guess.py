"""Guess each file's kind and column mapping for ``basin init`` (first version: model column names only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

VECTOR_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".parquet", ".csv", ".xlsx", ".xls"}


@dataclass
class FileGuess:
    """What ``basin init`` guessed of one file."""

    path: str
    kind: str | None
    layer: str | None = None
    encoding: str | None = None
    crs: str | None = None
    mapping: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    unresolved: list[tuple[str, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def guess_file(path: str | Path) -> FileGuess:
    """Guess the kind of one file from its layer name and id column."""
    from basin.io.layers import inspect_layers

    p = Path(path)
    try:
        found = inspect_layers(p)
    except Exception as exc:  # noqa: BLE001 - an unreadable file is reported, not fatal for init
        return FileGuess(str(p), None, notes=[str(exc).splitlines()[0][:120]])
    for layer, kind in found:
        if kind is not None:
            return FileGuess(str(p), kind, layer=layer if len(found) > 1 else None)
    return FileGuess(str(p), None)


def guess_folder(folder: str | Path) -> list[FileGuess]:
    """Guess every vector/table file of ``folder`` (not recursing into sub-folders)."""
    return [guess_file(p) for p in sorted(Path(folder).iterdir()) if p.suffix.lower() in VECTOR_SUFFIXES]


def write_project_yaml(guesses: list[FileGuess], path: str | Path) -> Path:
    """Write a project file naming the guessed layers (paths relative to the project file)."""
    base = Path(path).resolve().parent
    layers: dict[str, Any] = {}
    for g in guesses:
        if g.kind is None or g.kind in layers:
            continue
        rel = Path(g.path).resolve()
        entry: dict[str, Any] = {"path": str(rel.relative_to(base)) if rel.is_relative_to(base) else str(rel)}
        if g.layer:
            entry["layer"] = g.layer
        layers[g.kind] = entry
    text = "# basin project file written by `basin init`; see docs/project.md\n" + yaml.safe_dump(
        {"layers": layers}, allow_unicode=True, sort_keys=False
    )
    Path(path).write_text(text, encoding="utf-8")
    return Path(path)


__all__ = ["FileGuess", "guess_file", "guess_folder", "write_project_yaml"]
