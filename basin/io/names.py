"""File names made from data (station ids, river names): safe on every file system, and unique."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from typing import Any

_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
_BAD = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')
_SUFFIX = re.compile(r"^(?P<stem>.+?)(?P<suffix>\.[A-Za-z0-9]{1,8})$")


def safe_filename(
    text: Any, *, max_length: int = 120, max_bytes: int = 150, used: set[str] | None = None
) -> str:
    r"""Return ``text`` as a single file name that is safe on any system and says where it came from.

    Path separators, ``..``, control characters, the characters Windows refuses (``<>:"/\|?*``), leading
    and trailing dots and spaces and the reserved device names (``CON``, ``NUL``, ``COM1`` ...) are replaced
    by ``_``; Chinese and other letters are kept. A short suffix (``.png``) is kept as it is. When the text
    had to be changed or cut, 8 hex digits of its SHA-256 are added before the suffix, so that two
    different texts never give the same name (``a/b`` and ``a_b``). With ``used`` the names are also unique
    ignoring case (``-2``, ``-3`` ... added; for case-insensitive file systems) and each name is added to
    ``used``.

    Parameters
    ----------
    text
        A name built from data, e.g. ``f"station_{station_id}.png"`` (any value; ``str()`` is used).
    max_length
        Longest name returned, in characters (the suffix included).
    max_bytes
        Longest name returned, in UTF-8 bytes (file systems count bytes: 255 on most).
    used
        Names already given in the same folder (lower-cased), updated in place.

    Returns
    -------
    str
        A name without any folder part, never empty, never ``.`` or ``..``.
    """
    raw = unicodedata.normalize("NFC", str(text))
    m = _SUFFIX.match(raw)
    stem_raw, suffix = (m.group("stem"), m.group("suffix")) if m else (raw, "")
    stem = _BAD.sub("_", stem_raw)
    stem = re.sub(r"\.{2,}", "_", stem).strip(" .")
    if stem.split(".")[0].upper() in _RESERVED:
        stem = "_" + stem
    stem = stem or "_"
    limit_chars = max(16, max_length) - len(suffix)
    limit_bytes = max(24, max_bytes) - len(suffix.encode("utf-8"))
    changed = stem != stem_raw or len(stem) > limit_chars or len(stem.encode("utf-8")) > limit_bytes
    if changed:
        digest = hashlib.sha256(raw.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        body = stem[: limit_chars - 9]
        body = body.encode("utf-8")[: limit_bytes - 9].decode("utf-8", "ignore").rstrip(" .") or "_"
        stem = f"{body}-{digest}"
    name = stem + suffix
    if used is not None:
        n = 1
        while name.lower() in used:
            n += 1
            name = f"{stem}-{n}{suffix}"
        used.add(name.lower())
    return name


__all__ = ["safe_filename"]
