import pytest

from basin._errors import DataError
from basin.maps import fonts


def test_subset_has_exactly_the_glyphs_asked_for_plus_ascii():
    data = fonts.subset_font("川渝 劣Ⅴ类 km²")
    glyphs = fonts.font_glyphs(data)
    assert {ord(c) for c in "川渝劣Ⅴ类²"} <= glyphs
    assert {ord(c) for c in "abcXYZ019%()"} <= glyphs
    assert ord("海") not in glyphs  # not in the text: not in the subset
    assert data[:4] == b"wOF2"
    assert len(data) < 60_000


def test_woff_flavor_and_css():
    assert fonts.subset_font("水", flavor="woff")[:4] == b"wOFF"
    css = fonts.font_face_css("水")
    assert css.startswith('@font-face { font-family: "Basin CJK"')
    assert "font-weight: 100 900" in css
    assert "url(data:font/woff2;base64," in css
    with pytest.raises(DataError, match="unknown web-font flavor 'ttf'"):
        fonts.subset_font("水", flavor="ttf")
