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
