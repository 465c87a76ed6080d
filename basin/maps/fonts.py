"""The CJK font of the maps: Noto Sans CJK SC from the ``manimgx-fonts-cjk`` package, registered at use time.

The package ships one file, ``manimgx_fonts_cjk/NotoSansCJK-VF.otf.ttc``: a collection of five variable CFF2
fonts (JP, KR, SC, TC, HK). Matplotlib reads collections and CFF2 through FreeType, in PNG (Agg) and in PDF
(glyphs embedded as Type 3 outlines, subset), so Chinese names render in both. Two limits found and how they
are handled:

* FreeType opens a variable font at its default instance, which for this font is *Thin* (wght 100), and
  matplotlib offers no way to select a named instance. Cutting a static Regular instance with
  ``fontTools.varLib.instancer`` takes 11 minutes and 6.4 GB for the 65,535-glyph face, so text is drawn with
  a thin stroke of its own colour (:func:`text_effects`), which brings the weight close to Regular.
* ``pdf.fonttype = 42`` (TrueType embedding) cannot embed CFF2 outlines, so figures are saved with
  ``pdf.fonttype = 3`` (see :func:`font_rc`).
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from basin._errors import DataError

FAMILY = "Noto Sans CJK SC"
_FILE = "NotoSansCJK-VF.otf.ttc"
_FACE_SC = 2  # face index of the SC (simplified Chinese) font in the collection


def font_path() -> Path:
    """Return the path of the CJK font collection shipped by ``manimgx-fonts-cjk``.

    Raises
    ------
    DataError
        When the package is not installed or does not hold the font file.
    """
    try:
        path = Path(str(resources.files("manimgx_fonts_cjk").joinpath(_FILE)))
    except ModuleNotFoundError as exc:
        msg = "the CJK font package is missing; install it with `pip install manimgx-fonts-cjk`"
        raise DataError(msg) from exc
    if not path.is_file():
        msg = f"the CJK font file {path} is missing; reinstall `manimgx-fonts-cjk`"
        raise DataError(msg)
    return path


@functools.cache
def register_cjk_font() -> str:
    """Register the CJK font with matplotlib's font manager (once per process) and return its family name."""
    from matplotlib import font_manager

    path = font_path()
    if not any(f.name == FAMILY for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(str(path))
    return FAMILY


def font_rc() -> dict[str, Any]:
    """Return the matplotlib rcParams the maps are drawn with (use with ``matplotlib.rc_context``)."""
    family = register_cjk_font()
    return {
        "font.family": [family],
        # the variable font's only instance matplotlib can open is Thin (100); ask for it so that
        # findfont does not warn about a missing 'normal' weight
        "font.weight": 100,
        "axes.titleweight": 100,
        "axes.labelweight": 100,
        "figure.titleweight": 100,
        "pdf.fonttype": 3,
        "ps.fonttype": 3,
        "axes.unicode_minus": True,
        "svg.fonttype": "path",
    }


def text_effects(size: float, *, colour: str = "black", halo: str | None = None) -> list[Any]:
    """Path effects that give the Thin font a Regular weight (and an optional halo for labels on a map).

    Parameters
    ----------
    size
        Font size in points; the stroke is 3.5 % of it (0.35 pt at 10 pt).
    colour
        Colour of the text.
    halo
        Colour of a 2.5 pt halo drawn under the text, or None.
    """
    from matplotlib import patheffects

    effects: list[Any] = []
    if halo is not None:
        effects.append(patheffects.Stroke(linewidth=max(2.5, size * 0.25), foreground=halo))
    effects.append(patheffects.withStroke(linewidth=size * 0.035, foreground=colour))
    return effects


def embolden(fig: Any) -> None:
    """Give every text of ``fig`` without path effects the Regular-weight stroke of :func:`text_effects`."""
    from matplotlib.text import Text

    for t in fig.findobj(Text):
        if not t.get_text() or t.get_path_effects():
            continue
        t.set_path_effects(text_effects(t.get_fontsize(), colour=t.get_color()))


def cjk_charset() -> set[int]:
    """Return the set of code points the SC face maps to a glyph (its cmap)."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()), fontNumber=_FACE_SC, lazy=True)
    try:
        return set(font.getBestCmap())
    finally:
        font.close()


def missing_glyphs(text: str) -> list[str]:
    """Return the characters of ``text`` (other than white space) that the CJK font has no glyph for."""
    have = cjk_charset()
    return sorted({ch for ch in text if not ch.isspace() and ord(ch) not in have})


# ------------------------------------------------------------------------------------------- web font
WEB_FAMILY = "Basin CJK"
#: CSS font stack of the HTML pages: the embedded subset first, then fonts an office machine may have
WEB_STACK = f'"{WEB_FAMILY}", "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif'
_ASCII = {chr(c) for c in range(0x20, 0x7F)}


def page_chars(text: str) -> str:
    """Return the characters a page needs glyphs for: those of ``text`` plus printable ASCII, sorted."""
    chars = set(text)  # the distinct characters first: a 20 MB page has a few thousand
    return "".join(sorted({ch for ch in chars if not ch.isspace() and ord(ch) >= 0x20} | _ASCII))


def woff_flavor() -> str:
    """Return the web-font format written: ``woff2`` (Brotli, needs the ``brotli`` package) or ``woff``."""
    try:
        import brotli  # noqa: F401
    except ImportError:  # pragma: no cover - brotli is a dependency; WOFF (zlib) is the documented fallback
        return "woff"
    return "woff2"


@functools.lru_cache(maxsize=16)
def _subset(chars: str, flavor: str) -> bytes:
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()), fontNumber=_FACE_SC, recalcTimestamp=False)  # no save time: reproducible
    try:
        opts = subset.Options()
        opts.flavor = flavor
        opts.notdef_outline = True
        opts.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # keep the licence-relevant names (copyright, family, version)
        # the layout tables (GSUB/GPOS/GDEF: vertical forms, kerning, locale variants) hold no glyph the
        # horizontal simplified-Chinese pages use and take 80 % of the subsetting time: left out
        opts.drop_tables += ["DSIG", "BASE", "GSUB", "GPOS", "GDEF", "JSTF", "VVAR", "vhea", "vmtx", "VORG"]
        sub = subset.Subsetter(opts)
        sub.populate(text=chars)
        sub.subset(font)
        buf = io.BytesIO()
        font.flavor = flavor
        font.save(buf)
        return buf.getvalue()
    finally:
        font.close()


def subset_font(text: str, *, flavor: str | None = None) -> bytes:
    """Return the CJK font cut to the glyphs ``text`` needs (plus printable ASCII), as WOFF2 or WOFF bytes.

    The subset keeps the font's weight axis (100-900), so bold headings render bold. Cutting it takes about
    a second whatever the page's length (the face is opened lazily and only the used glyphs are kept).

    Parameters
    ----------
    text
        The page text (its markup may be included: the subset is a superset of the visible text's glyphs).
    flavor
        ``"woff2"`` or ``"woff"``; default :func:`woff_flavor`.

    Raises
    ------
    DataError
        The font package is missing, or ``flavor`` is unknown.
    """
    fl = flavor or woff_flavor()
    if fl not in ("woff2", "woff"):
        msg = f"unknown web-font flavor {fl!r}; expected 'woff2' or 'woff'"
        raise DataError(msg)
    return _subset(page_chars(text), fl)


def font_face_css(text: str, *, family: str = WEB_FAMILY, flavor: str | None = None) -> str:
    """Return a CSS ``@font-face`` rule embedding :func:`subset_font` of ``text`` as a base64 ``data:`` URI.

    The rule names ``family`` and the weight range 100-900; use :data:`WEB_STACK` as the ``font-family``.
    Nothing outside the page is referenced, so Chinese renders on any machine, offline.
    """
    import base64

    fl = flavor or woff_flavor()
    data = base64.b64encode(subset_font(text, flavor=fl)).decode("ascii")
    return (
        f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: 100 900; '
        f'font-display: block; src: url(data:font/{fl};base64,{data}) format("{fl}"); }}'
    )


def font_glyphs(data: bytes) -> set[int]:
    """Return the code points a web font (WOFF2 / WOFF / OpenType bytes) has glyphs for."""
    import io

    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(data))
    try:
        return set(font.getBestCmap())
    finally:
        font.close()
