"""File names made from data (station ids, river names): safe on every file system."""

from __future__ import annotations

import re
import unicodedata

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_BAD = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]+')


def safe_filename(text: str, *, max_length: int = 120) -> str:
    """Return ``text`` as a single safe file name: no separators, ``..``, control characters or reserved names.

    Parameters
    ----------
    text
        A name built from data, e.g. ``f"station_{station_id}.png"``.
    max_length
        Longest name returned (characters); the suffix is kept.

    Returns
    -------
    str
        The sanitised name (``_`` replaces what is not allowed).
    """
    t = unicodedata.normalize("NFC", str(text))
    t = _BAD.sub("_", t)
    t = re.sub(r"\.{2,}", "_", t).strip(" .")
    stem, dot, suffix = t.rpartition(".")
    if not dot:
        stem, suffix = t, ""
    if stem.upper() in _RESERVED or not stem:
        stem = f"_{stem}"
    suffix = suffix[:16]
    stem = stem[: max(1, max_length - len(suffix) - 1)]
    return f"{stem}.{suffix}" if suffix else stem


__all__ = ["safe_filename"]
