"""One validation mechanism for basin's loaders: safe YAML, key checks, short messages.

Every configuration file basin reads (project file, column mapping, riparian rules, unit configuration,
compensation schemes, map styles) goes through :func:`load_yaml` and :func:`check_keys`, so that a mistake
gives the same kind of one-line message everywhere.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from basin._errors import DataError, SchemaError

#: Largest YAML file basin reads (bytes); configuration files are a few kB.
MAX_YAML_BYTES = 2_000_000


def short(value: Any, limit: int = 60) -> str:
    """Return ``repr(value)`` cut to ``limit`` characters (never a whole user value in a message)."""
    try:
        text = repr(value) if not isinstance(value, str | int | float | bool | type(None)) else repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__}>"
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


class _NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses YAML aliases (``*name``), so no alias-expansion bomb can be loaded."""

    def compose_node(self, parent: Any, index: Any) -> Any:  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            mark = event.start_mark
            msg = f"line {mark.line + 1}, column {mark.column + 1}: YAML aliases (*{event.anchor}) are not accepted"
            raise yaml.YAMLError(msg)
        return super().compose_node(parent, index)


def parse_yaml(text: str, *, where: str) -> Any:
    """Parse YAML text safely (no aliases, no Python tags); errors name ``where``, line and column."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 - _NoAliasLoader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        pos = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else "unknown position"
        problem = exc.problem or exc.context or "syntax error"
        msg = f"{where}: not valid YAML at {pos}: {problem}"
        raise SchemaError(msg) from None
    except yaml.YAMLError as exc:
        msg = f"{where}: not valid YAML: {str(exc).splitlines()[0]}"
        raise SchemaError(msg) from None


def read_text(path: str | os.PathLike[str], *, what: str, encoding: str | None = None, max_bytes: int | None = None) -> str:
    """Read a text file with clear errors (missing, a folder, too large, wrong encoding)."""
    p = Path(path)
    if not p.exists():
        msg = f"{what} {p} does not exist"
        raise DataError(msg)
    if p.is_dir():
        msg = f"{what} {p} is a folder; expected a file"
        raise DataError(msg)
    size = p.stat().st_size
    limit = MAX_YAML_BYTES if max_bytes is None else max_bytes
    if size > limit:
        msg = f"{what} {p} is {size} bytes; larger than the {limit} bytes accepted for a text configuration"
        raise DataError(msg)
    raw = p.read_bytes()
    enc = encoding or "utf-8-sig"
    try:
        return raw.decode(enc)
    except UnicodeDecodeError as exc:
        msg = (
            f"{what} {p}: not {enc.upper().replace('-SIG', '')} text (byte {exc.start}); save it as UTF-8"
            " or give its encoding (e.g. `encoding: gbk`)"
        )
        raise DataError(msg) from None
    except LookupError:
        msg = f"{what} {p}: unknown encoding {short(enc)}; use e.g. utf-8, gbk or gb18030"
        raise SchemaError(msg) from None


def load_yaml(path: str | os.PathLike[str], *, what: str = "file", encoding: str | None = None) -> Any:
    """Load a YAML file safely: size limit, no aliases, one-line errors with file, line and column."""
    text = read_text(path, what=what, encoding=encoding)
    return parse_yaml(text, where=f"{what} {path}")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""``."""
    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def check_keys(
    data: Any,
    *,
    where: str,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
) -> dict[str, Any]:
    """Check a mapping's keys: every required key present, no unknown key (with "did you mean").

    Returns the mapping as a plain dict.
    """
    if not isinstance(data, Mapping):
        msg = f"{where}: expected a mapping of keys to values, got {type(data).__name__} {short(data)}"
        raise SchemaError(msg)
    req = list(required)
    allowed = [*req, *optional]
    unknown = [str(k) for k in data if k not in allowed]
    if unknown:
        hints = "".join(did_you_mean(u, allowed) for u in unknown[:1])
        msg = f"{where}: unknown key(s) {', '.join(short(u, 40) for u in unknown[:10])}{hints}; expected {sorted(allowed)}"
        raise SchemaError(msg)
    missing = [k for k in req if data.get(k) in (None, "")]
    if missing:
        msg = f"{where}: missing key(s) {missing}"
        raise SchemaError(msg)
    return dict(data)


def require_columns(df: Any, columns: Iterable[str], *, where: str) -> None:
    """Raise :class:`SchemaError` naming the missing columns and the columns found."""
    missing = [c for c in columns if c not in df.columns]
    if missing:
        found = [str(c) for c in df.columns][:30]
        msg = f"{where}: missing column(s) {missing}; found {found}"
        raise SchemaError(msg)


__all__ = [
    "MAX_YAML_BYTES",
    "check_keys",
    "did_you_mean",
    "load_yaml",
    "parse_yaml",
    "read_text",
    "require_columns",
    "short",
]
