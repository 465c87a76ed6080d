"""One validation mechanism for every loader of basin (YAML files, column checks, typed values, CRS).

Every function here raises a :class:`~basin._errors.BasinError` subclass with one line that names the file
(``where``), the key or column and what was expected. User values in messages are cut with :func:`cut`
(never a whole ``repr``: a YAML alias bomb or a huge cell would otherwise fill the terminal or the memory).

- :func:`read_text` reads a text file with a size limit; a wrong encoding gives a message naming the
  encoding option to use (and whether the bytes look like GBK/GB18030).
- :func:`load_yaml` (a file) and :func:`parse_yaml` (text) parse YAML safely: size limit, **no aliases**
  (``*name``; the cause of "billion laughs" bombs), syntax errors in one line with file, line and column.
- :func:`check_keys` checks required / optional / unknown keys with a "did you mean" suggestion.
- :func:`number`, :func:`choice`, :func:`text`, :func:`str_list`, :func:`mapping` check typed values.
- :func:`require_columns` checks a table's columns; :func:`require_projected` a CRS in metres.
"""

from __future__ import annotations

import difflib
import os
import reprlib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from basin._errors import CRSError, DataError, SchemaError

__all__ = [
    "MAX_YAML_BYTES",
    "check_keys",
    "choice",
    "cut",
    "did_you_mean",
    "is_metric_crs",
    "load_yaml",
    "mapping",
    "number",
    "parse_yaml",
    "read_text",
    "require_columns",
    "require_projected",
    "short",
    "str_list",
    "text",
]

#: Largest YAML or text configuration file basin reads (bytes); configuration files are a few kB.
MAX_YAML_BYTES = 2_000_000

_REPR = reprlib.Repr()
_REPR.maxlevel = 2
_REPR.maxstring = 50
_REPR.maxother = 50
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 6


def display_width(text: str) -> int:
    """Width of ``text`` in half-width character units: wide (CJK) characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def wrap_display(text: str, width: int) -> list[str]:
    """Cut ``text`` into lines of at most ``width`` half-width units (:func:`display_width`).

    Lines break after a space or a CJK punctuation mark (``；``, ``，``, ``。``, ``、``) where one is near the
    limit, else at the limit; the line breaks already in ``text`` are kept. No character is dropped except
    the spaces at the break.
    """
    out: list[str] = []
    for para in text.split("\n"):
        line, w, brk = "", 0, -1
        for ch in para:
            cw = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
            if w + cw > width and line:
                cut_at = brk + 1 if brk >= len(line) // 2 else len(line)
                out.append(line[:cut_at].rstrip())
                line = line[cut_at:].lstrip()
                w = display_width(line)
                brk = -1
            line += ch
            w += cw
            if ch in " ；，。、;,":
                brk = len(line) - 1
        out.append(line)
    return out


def cut(value: Any, limit: int = 60) -> str:
    """Return a short ``repr`` of ``value`` for an error message (at most ``limit`` characters).

    Parameters
    ----------
    value
        Any user value (string, number, nested lists and dicts of any size).
    limit
        Maximum length of the result.

    Returns
    -------
    str
        ``repr``-like text; nested and long values are abbreviated with ``...``, never expanded whole.
    """
    try:
        out = _REPR.repr(value)
    except Exception:  # noqa: BLE001 - a broken __repr__ of a user object must not hide the real error
        out = f"<{type(value).__name__}>"
    return out if len(out) <= limit else out[: limit - 1] + "…"


def short(value: Any, limit: int = 60) -> str:
    """Return a short ``repr`` of ``value`` (the same as :func:`cut`).

    Parameters
    ----------
    value
        Any user value.
    limit
        Maximum length of the result.

    Returns
    -------
    str
    """
    return cut(value, limit)


def did_you_mean(word: Any, candidates: Iterable[Any]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest candidate of ``word``, or ``""``.

    Parameters
    ----------
    word
        The unknown name.
    candidates
        The names that are allowed.

    Returns
    -------
    str
        The suggestion, with a leading space, or an empty string when nothing is close.
    """
    names = [str(c) for c in candidates]
    close = difflib.get_close_matches(str(word), names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# ------------------------------------------------------------------------------------------------ reading
def _looks_like(raw: bytes) -> str | None:
    """Name an encoding that decodes ``raw`` (for the message), or None."""
    for enc in ("gb18030", "utf-16"):
        try:
            raw.decode(enc)
        except UnicodeDecodeError:
            continue
        if enc == "utf-16" and not raw.startswith((b"\xff\xfe", b"\xfe\xff")):
            continue
        return "GBK/GB18030" if enc == "gb18030" else "UTF-16"
    return None


def read_text(
    path: str | os.PathLike[str],
    *,
    what: str = "file",
    encoding: str | None = None,
    option: str | None = None,
    max_bytes: int | None = None,
) -> str:
    """Read a text file whole, with clear errors for every way it can fail.

    A missing file, a folder, a size over the limit and bytes that are not in the expected encoding each
    give one line naming the file.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for messages (``"rule file"``, ``"config file"`` ...).
    encoding
        Text encoding; None for UTF-8 (a UTF-8 byte-order mark is dropped).
    option
        How the user chooses the encoding (e.g. ``"--encoding"`` or ``"encoding:"``); named in the message
        when the bytes do not decode. None: the message asks for UTF-8.
    max_bytes
        Refuse larger files (default :data:`MAX_YAML_BYTES`).

    Returns
    -------
    str
        The text.

    Raises
    ------
    DataError
        The file does not exist, is a folder, cannot be read, is too large or is not in ``encoding``.
    SchemaError
        ``encoding`` is not an encoding Python knows.
    """
    limit = MAX_YAML_BYTES if max_bytes is None else max_bytes
    p = Path(path)
    if not p.exists():
        msg = f"{what} {p} does not exist"
        raise DataError(msg)
    if p.is_dir():
        msg = f"{what} {p} is a folder; expected a file"
        raise DataError(msg)
    try:
        size = p.stat().st_size
        if size > limit:
            msg = f"{what} {p} is {size:,} bytes, more than the {limit:,} allowed for this kind of file"
            raise DataError(msg)
        raw = p.read_bytes()
    except OSError as exc:
        msg = f"{what} {p} cannot be read: {exc.strerror or exc}"
        raise DataError(msg) from exc
    enc = encoding or "utf-8-sig"
    try:
        return raw.decode(enc)
    except LookupError:
        msg = f"{what} {p}: unknown encoding {cut(encoding)}; use e.g. utf-8, gbk or gb18030"
        raise SchemaError(msg) from None
    except UnicodeDecodeError as exc:
        seen = _looks_like(raw) if enc.lower().replace("-", "").startswith("utf8") else None
        guess = f"; it looks like {seen} text" if seen else ""
        fix = f"; save it as UTF-8 or set {option} (e.g. gbk)" if option else "; save it as UTF-8"
        name = (encoding or "UTF-8").upper().replace("-SIG", "")
        msg = f"{what} {p}: not {name} text (byte {exc.start}){guess}{fix}"
        raise DataError(msg) from None


class _NoAliasLoader(yaml.SafeLoader):
    """A SafeLoader that refuses aliases (``*name``).

    Configuration files never need them, and nested aliases are how a 1 KB file expands to gigabytes.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            mark = event.start_mark
            raise _AliasError(mark.line + 1, mark.column + 1, str(getattr(event, "anchor", "")))
        return super().compose_node(parent, index)


class _AliasError(Exception):
    def __init__(self, line: int, column: int, anchor: str) -> None:
        super().__init__(line, column)
        self.line, self.column, self.anchor = line, column, anchor


def parse_yaml(text: str, *, where: str, max_bytes: int | None = None) -> Any:
    """Parse YAML text safely (``yaml.SafeLoader``, no aliases, no Python tags).

    Parameters
    ----------
    text
        The YAML text.
    where
        The file (``"rule file r.yaml"``), for messages.
    max_bytes
        Refuse longer texts (default :data:`MAX_YAML_BYTES`).

    Returns
    -------
    Any
        The parsed document (None for an empty text).

    Raises
    ------
    SchemaError
        One line: ``{where}: not valid YAML at line L, column C: {problem}`` (an alias is such a problem).
    DataError
        The text is longer than ``max_bytes``.
    """
    limit = MAX_YAML_BYTES if max_bytes is None else max_bytes
    if len(text) > limit:
        msg = f"{where} is more than the {limit:,} bytes allowed"
        raise DataError(msg)
    loader = None
    try:
        loader = _NoAliasLoader(text)  # the reader checks the characters already here
        return loader.get_single_data()
    except _AliasError as exc:
        anchor = exc.anchor[:30]
        msg = (
            f"{where}: not valid YAML at line {exc.line}, column {exc.column}: YAML aliases (*{anchor}) "
            "are not accepted; write the value out"
        )
        raise SchemaError(msg) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = " ".join(str(exc.problem or exc.context or "syntax error").split())
        msg = f"{where}: not valid YAML{at}: {problem}"
        raise SchemaError(msg) from None
    except yaml.YAMLError as exc:  # e.g. a control character outside a mark (ReaderError)
        problem = " ".join(str(exc).split())
        msg = f"{where}: not valid YAML: {cut(problem, 120)}"
        raise SchemaError(msg) from None
    except RecursionError:
        msg = f"{where}: nested too deeply to be a configuration file"
        raise SchemaError(msg) from None
    finally:
        if loader is not None:
            loader.dispose()


def load_yaml(
    source: str | os.PathLike[str],
    *,
    what: str = "YAML file",
    text: str | None = None,
    encoding: str | None = None,
    max_bytes: int | None = None,
) -> Any:
    """Read and parse a YAML file safely (see :func:`read_text` and :func:`parse_yaml`).

    Parameters
    ----------
    source
        The file (also used as its name in messages when ``text`` is given).
    what
        What the file is, for messages (``"rule file"``, ``"mapping file"`` ...).
    text
        The YAML text, when already read (e.g. a file shipped in the package); the file is then not read.
    encoding
        Text encoding (default UTF-8).
    max_bytes
        Refuse larger files (default :data:`MAX_YAML_BYTES`).

    Returns
    -------
    Any
        The parsed document (None for an empty file).

    Raises
    ------
    DataError
        The file does not exist, is a folder, is too large or not in the encoding (see :func:`read_text`).
    SchemaError
        A YAML syntax error (one line: file, line, column, problem) or an alias.
    """
    if text is None:
        text = read_text(source, what=what, encoding=encoding, max_bytes=max_bytes)
    return parse_yaml(text, where=f"{what} {source}", max_bytes=max_bytes)


# ------------------------------------------------------------------------------------------ keys and types
def mapping(value: Any, where: str, *, expected: str = "a mapping of keys to values") -> Mapping[str, Any]:
    """Return ``value`` if it is a mapping with text keys, else raise a :class:`SchemaError`.

    Parameters
    ----------
    value
        The parsed value.
    where
        Where the value is (file and key), for the message.
    expected
        What was expected, for the message.

    Returns
    -------
    Mapping
        ``value`` itself.

    Raises
    ------
    SchemaError
        ``value`` is not a mapping, or one of its keys is not text.
    """
    if not isinstance(value, Mapping):
        msg = f"{where}: expected {expected}, got {type(value).__name__} {cut(value, 40)}"
        raise SchemaError(msg)
    bad = [k for k in value if not isinstance(k, str)]
    if bad:
        msg = f"{where}: key {cut(bad[0], 30)} is not text; keys must be names"
        raise SchemaError(msg)
    return value


def check_keys(
    data: Any,
    where: str,
    *,
    required: Iterable[str] = (),
    optional: Iterable[str] = (),
    noun: str = "key",
    none_is_missing: bool = False,
) -> dict[str, Any]:
    """Check that ``data`` has every required key and no unknown key (with a "did you mean").

    Parameters
    ----------
    data
        The mapping to check.
    where
        Where the mapping is (file and section), for the message.
    required, optional
        The allowed keys.
    noun
        The word for a key in messages (``"field"``, ``"column"`` ...).
    none_is_missing
        Count a required key whose value is None (or an empty string) as missing.

    Returns
    -------
    dict
        ``data`` as a plain dict.

    Raises
    ------
    SchemaError
        Not a mapping; ``missing {noun}(s) [...]``; ``unknown {noun}(s) [...] (did you mean ...); allowed:
        [...]``.
    """
    data = mapping(data, where)
    required = list(required)
    allowed = [*required, *optional]
    unknown = sorted((k for k in data if k not in allowed), key=str)
    if unknown:
        hint = did_you_mean(unknown[0], allowed)
        shown = [cut(k, 40) for k in unknown[:10]]
        more = f" and {len(unknown) - 10} more" if len(unknown) > 10 else ""
        msg = f"{where}: unknown {noun}(s) [{', '.join(shown)}]{more}{hint}; allowed: {allowed}"
        raise SchemaError(msg)
    missing = [
        k for k in required if k not in data or (none_is_missing and (data[k] is None or data[k] == ""))
    ]
    if missing:
        msg = f"{where}: missing {noun}(s) {missing}; needed: {list(required)}"
        raise SchemaError(msg)
    return dict(data)


def number(
    value: Any,
    where: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    strict: bool = False,
    integer: bool = False,
) -> float:
    """Return ``value`` as a finite float, checking its range.

    Parameters
    ----------
    value
        The parsed value (a bool, a string, NaN or inf is refused).
    where
        Where the value is, for the message.
    minimum, maximum
        Bounds (inclusive unless ``strict``).
    strict
        Exclude the bounds.
    integer
        Require a whole number.

    Returns
    -------
    float

    Raises
    ------
    SchemaError
        Not a number, not finite, not whole or out of range.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"{where}: expected a number, got {cut(value)}"
        raise SchemaError(msg)
    try:
        out = float(value)
    except OverflowError:
        out = float("inf")
    if out != out or out in (float("inf"), float("-inf")):
        msg = f"{where}: expected a finite number, got {cut(value)}"
        raise SchemaError(msg)
    if integer and not out.is_integer():
        msg = f"{where}: expected a whole number, got {cut(value)}"
        raise SchemaError(msg)
    if minimum is not None and (out <= minimum if strict else out < minimum):
        msg = f"{where}: must be {'>' if strict else '>='} {minimum:g}, got {cut(value)}"
        raise SchemaError(msg)
    if maximum is not None and (out >= maximum if strict else out > maximum):
        msg = f"{where}: must be {'<' if strict else '<='} {maximum:g}, got {cut(value)}"
        raise SchemaError(msg)
    return out


def choice(value: Any, allowed: Sequence[Any], where: str) -> Any:
    """Return ``value`` if it is one of ``allowed`` (with a "did you mean" otherwise).

    Parameters
    ----------
    value
        The parsed value.
    allowed
        The allowed values.
    where
        Where the value is, for the message.

    Returns
    -------
    Any
        ``value``.

    Raises
    ------
    SchemaError
        ``value`` is not allowed.
    """
    try:
        ok = any(a == value and isinstance(a, bool) == isinstance(value, bool) for a in allowed)
    except Exception:  # noqa: BLE001 - a comparison that fails means "not one of them"
        ok = False
    if not ok:
        hint = did_you_mean(value, allowed) if isinstance(value, str) else ""
        msg = f"{where}: must be one of {list(allowed)}, got {cut(value)}{hint}"
        raise SchemaError(msg)
    return value


def text(value: Any, where: str, *, numbers: bool = False) -> str:
    """Return ``value`` as non-empty text.

    Parameters
    ----------
    value
        The parsed value.
    where
        Where the value is, for the message.
    numbers
        Also accept a number (YAML reads ``version: 1`` as an integer) and return it as text.

    Returns
    -------
    str

    Raises
    ------
    SchemaError
        Not text (or a number, if allowed), or empty.
    """
    is_num = isinstance(value, int | float) and not isinstance(value, bool)
    ok = isinstance(value, str) or (numbers and is_num)
    if not ok or str(value).strip() == "":
        msg = f"{where}: expected a non-empty text, got {cut(value)}"
        raise SchemaError(msg)
    return str(value)


def str_list(
    value: Any, where: str, *, allow_none: bool = True, allow_single: bool = False
) -> tuple[str, ...]:
    """Return ``value`` as a tuple of non-empty strings.

    Parameters
    ----------
    value
        The parsed value: a list of strings (None for an empty tuple when ``allow_none``).
    where
        Where the value is, for the message.
    allow_none
        Accept None as the empty list.
    allow_single
        Accept one string as a list of one.

    Returns
    -------
    tuple of str

    Raises
    ------
    SchemaError
        Not a list of non-empty strings.
    """
    if value is None and allow_none:
        return ()
    if isinstance(value, str) and allow_single:
        value = [value]
    if isinstance(value, str) or not isinstance(value, Sequence):
        msg = f"{where}: must be a list of strings, got {cut(value)}"
        raise SchemaError(msg)
    bad = [v for v in value if not isinstance(v, str) or not v]
    if bad:
        msg = f"{where}: must be a list of non-empty strings, got {cut(bad)}"
        raise SchemaError(msg)
    return tuple(value)


# ------------------------------------------------------------------------------------------ tables and CRS
def require_columns(
    df: Any,
    columns: Iterable[str],
    what: str | None = None,
    *,
    where: str | None = None,
    hint: str = "read it with basin.io.read_layer or map the columns",
) -> None:
    """Raise a :class:`SchemaError` when the table ``df`` lacks any of ``columns``.

    Parameters
    ----------
    df
        A DataFrame or GeoDataFrame.
    columns
        The required column names.
    what, where
        The table's name (``"facilities"``, ``"admin"``, a file name ...), for the message (either name).
    hint
        How to fix it, appended to the message (empty for none).

    Raises
    ------
    SchemaError
        ``{what}: missing column(s) [...]; found [...] ({hint})``.
    """
    what = what or where or "table"
    present = list(df.columns)
    missing = [c for c in columns if c not in present]
    if missing:
        geom = getattr(getattr(df, "geometry", None), "name", None) if hasattr(df, "geometry") else None
        found = [cut(c, 30) for c in present if c != geom and c != "geometry"][:30]
        suggest = did_you_mean(missing[0], [str(c) for c in present])
        tail = f" ({hint})" if hint else ""
        msg = f"{what}: missing column(s) {missing}{suggest}; found [{', '.join(found)}]{tail}"
        raise SchemaError(msg)


def is_metric_crs(crs: Any) -> bool:
    """Return True when ``crs`` (a pyproj CRS or anything it accepts) is projected with axes in metres.

    Parameters
    ----------
    crs
        A :class:`pyproj.CRS`, EPSG code, PROJ string or WKT.

    Returns
    -------
    bool
        False also for a CRS that pyproj cannot read.
    """
    from pyproj import CRS

    try:
        c = crs if isinstance(crs, CRS) else CRS.from_user_input(crs)
    except Exception:  # noqa: BLE001 - pyproj raises several types
        return False
    return bool(c.is_projected) and bool(c.axis_info) and c.axis_info[0].unit_name in {"metre", "meter"}


def require_projected(crs: Any, what: str = "layer", *, fix: str | None = None) -> Any:
    """Return ``crs`` as a :class:`pyproj.CRS` if it is projected in metres, else raise a :class:`CRSError`.

    Parameters
    ----------
    crs
        A :class:`pyproj.CRS`, EPSG code, PROJ string or WKT (None: "has no CRS").
    what
        What has this CRS (``"units"``, ``"option metric_crs"`` ...), for the message.
    fix
        How to fix it, for the message (default: project it with ``basin.crs.to_metric``).

    Returns
    -------
    pyproj.CRS

    Raises
    ------
    CRSError
        No CRS, an unknown CRS, or one that is geographic or not in metres.
    """
    from pyproj import CRS

    if crs is None:
        msg = f"{what} has no CRS; assign one in the file (e.g. `ogr2ogr -a_srs EPSG:4326`)"
        raise CRSError(msg)
    try:
        c = crs if isinstance(crs, CRS) else CRS.from_user_input(crs)
    except Exception as exc:  # noqa: BLE001 - pyproj raises several types
        msg = f"{what}: unknown CRS {cut(crs)}; give an EPSG code (e.g. EPSG:32648), a PROJ string or WKT"
        raise CRSError(msg) from exc
    if not is_metric_crs(c):
        how = fix or "project it first, e.g. with basin.crs.to_metric(gdf)"
        msg = (
            f"{what} is in {c.name!r} (not metres); {how} "
            "- buffers and areas in degrees are meaningless"
        )
        raise CRSError(msg)
    return c
