"""Text encodings of officers' files: detect UTF-8 or GB18030 (a superset of GBK), and refuse mojibake.

Files from Chinese offices come in UTF-8 (with or without a BOM) or in GBK/GB18030, the Windows default of a
Chinese system. Detection is strict and needs no guessing library: bytes that decode as UTF-8 are UTF-8 (GBK
text with Chinese characters is practically never valid UTF-8), else bytes that decode as GB18030 are
GB18030 if the result is plausible Chinese text; anything else is an error naming the ``encoding``
option. A shapefile
without a ``.cpg`` file is detected the same way from the raw bytes of its ``.dbf``.

Text that was already decoded with the wrong codec (GBK read as Latin-1 gives ``±àÂë`` for 编码) is recognised
by :func:`looks_mojibake` and refused with a message naming the ``encoding`` option.
"""

from __future__ import annotations

import codecs
import os
import re
import struct
from collections.abc import Iterable
from pathlib import Path

from basin._errors import DataError

__all__ = [
    "decode_bytes",
    "detect_dbf_encoding",
    "existing_file",
    "looks_mojibake",
    "normalize_encoding",
    "read_text",
]

#: encodings tried, in order, when none is given
CANDIDATES = ("utf-8", "gb18030")
#: the largest text file (mapping, CSV) read whole; larger ones are an error
MAX_TEXT_BYTES = 512 * 1024 * 1024

# two or more characters of the Latin-1 supplement in a row (GBK/UTF-8 bytes read as Latin-1/CP1252), a C1
# control character, or the replacement character
_RE_MOJIBAKE = re.compile(
    r"[\u00a0-\u00ff\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2018-\u203a\u20ac]{2,}|[\u0080-\u009f\ufffd]"
)
_RE_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def normalize_encoding(encoding: str, *, option: str = "encoding") -> str:
    """Return the codec name Python knows for ``encoding`` (``GBK``, ``cp936``, ``gb2312`` ...).

    Raises
    ------
    DataError
        An encoding Python does not know.
    """
    try:
        return codecs.lookup(str(encoding).strip()).name
    except LookupError as exc:
        msg = f"unknown text encoding {str(encoding)[:60]!r} in `{option}`; use e.g. utf-8, gbk or gb18030"
        raise DataError(msg) from exc


def looks_mojibake(texts: Iterable[object]) -> str | None:
    r"""Return the first text that looks like mojibake (``±àÂë``, ``\ufffd``), or None.

    Parameters
    ----------
    texts
        Header names and sample values; non-strings are ignored.

    Returns
    -------
    str or None
        The first suspicious text (cut to 40 characters), None when all look fine.
    """
    for t in texts:
        if isinstance(t, str) and not _RE_CJK.search(t) and _RE_MOJIBAKE.search(t):
            return t[:40]
    return None


def _cjk_plausible(text: str) -> bool:
    """Tell whether GB18030-decoded text is mostly common Chinese characters (GB2312 level 1 and 2)."""
    chars = [c for c in text if ord(c) > 0x7F]
    if not chars:
        return True
    common = 0
    for c in chars:
        try:
            c.encode("gb2312")
        except UnicodeEncodeError:
            continue
        common += 1
    return common / len(chars) >= 0.8


def decode_bytes(
    data: bytes, *, encoding: str | None, where: str, option: str = "encoding"
) -> tuple[str, str]:
    """Decode ``data`` with ``encoding``, or detect UTF-8 / GB18030 when it is None.

    Parameters
    ----------
    data
        The bytes of a text file.
    encoding
        Codec to use; None detects (a UTF-8 BOM is removed).
    where
        The file, for messages.
    option
        How the user sets the encoding (``encoding`` in the project file, ``--encoding``), for messages.

    Returns
    -------
    tuple of str
        The text and the codec name used.

    Raises
    ------
    DataError
        The bytes do not decode with the given encoding, or neither as UTF-8 nor as GB18030.
    """
    if encoding is not None:
        codec = normalize_encoding(encoding, option=option)
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            data = data[len(codecs.BOM_UTF8) :]
        try:
            return data.decode(codec), codec
        except UnicodeDecodeError as exc:
            msg = (
                f"{where}: not {codec} text (byte {exc.start}: {exc.reason}); set the right `{option}` "
                "(utf-8, gbk, gb18030)"
            )
            raise DataError(msg) from exc
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first = exc
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = ""
    if text and _cjk_plausible(text[:20000]):
        return text, "gb18030"
    msg = (
        f"{where}: text is neither UTF-8 nor GBK/GB18030 (byte {first.start}: {first.reason}); "
        f"set its `{option}` (e.g. gbk, big5, latin-1) or save it as UTF-8"
    )
    raise DataError(msg)


def existing_file(path: str | os.PathLike[str]) -> Path:
    """Return ``path`` as a Path; raise :class:`DataError` (naming it) when it is missing or a directory."""
    p = Path(path)
    if not p.exists():
        msg = f"{p}: file does not exist"
        raise DataError(msg)
    if p.is_dir():
        msg = f"{p}: is a directory, expected a file"
        raise DataError(msg)
    return p


def read_text(
    path: str | Path,
    *,
    encoding: str | None = None,
    option: str = "encoding",
    max_bytes: int = MAX_TEXT_BYTES,
) -> tuple[str, str]:
    """Read a text file whole, detecting its encoding (see :func:`decode_bytes`).

    Parameters
    ----------
    path
        The file.
    encoding
        Codec to use; None detects UTF-8 or GB18030.
    option
        How the user sets the encoding, for messages.
    max_bytes
        Larger files are refused (a mapping or CSV of that size is a mistake).

    Returns
    -------
    tuple of str
        The text and the codec name used.

    Raises
    ------
    DataError
        Missing, a directory, too large, or not decodable.
    """
    p = existing_file(path)
    size = p.stat().st_size
    if size > max_bytes:
        msg = f"{p}: {size} bytes, more than the {max_bytes} accepted for a text file"
        raise DataError(msg)
    return decode_bytes(p.read_bytes(), encoding=encoding, where=str(p), option=option)


def _dbf_sample(dbf: Path, max_records: int = 2000) -> bytes:
    """Return the field names and up to ``max_records`` records of a dBASE file, as raw bytes."""
    with dbf.open("rb") as f:
        head = f.read(32)
        if len(head) < 32:
            return b""
        header_len, record_len = struct.unpack("<HH", head[8:12])
        fields = f.read(max(header_len - 32, 0))
        names = []
        for i in range(0, len(fields) - 31, 32):
            if fields[i] == 0x0D:
                break
            names.append(fields[i : i + 11].split(b"\x00", 1)[0])
        records = f.read(max(record_len, 1) * max_records)
    return b"\n".join([*names, records])


def detect_dbf_encoding(shp: str | Path, *, option: str = "encoding") -> str | None:
    """Detect the encoding of a shapefile's attributes when it has no ``.cpg`` file.

    Parameters
    ----------
    shp
        The ``.shp`` (or ``.dbf``) path.
    option
        How the user sets the encoding, for messages.

    Returns
    -------
    str or None
        ``"UTF-8"`` or ``"GB18030"``; None when there is nothing to detect (a ``.cpg`` file exists, no
        ``.dbf``, or the attributes are plain ASCII).

    Raises
    ------
    DataError
        The attribute bytes are neither UTF-8 nor plausible GB18030.
    """
    p = Path(shp)
    stem = p.with_suffix("")
    if any(stem.with_suffix(s).exists() for s in (".cpg", ".CPG")):
        return None
    dbf = next((stem.with_suffix(s) for s in (".dbf", ".DBF") if stem.with_suffix(s).exists()), None)
    if dbf is None:
        return None
    data = _dbf_sample(dbf)
    if data.isascii():
        return None
    _, codec = decode_bytes(data, encoding=None, where=f"{p} (attributes, no .cpg file)", option=option)
    return "UTF-8" if codec == "utf-8" else "GB18030"
