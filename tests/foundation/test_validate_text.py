"""Text helpers of basin._validate: display width and wrapping of mixed Chinese / Latin text."""

from __future__ import annotations

from basin._validate import display_width, wrap_display


def test_display_width_counts_wide_characters_twice():
    assert display_width("断面 S1") == 7
    assert display_width("") == 0


def test_wrap_display_keeps_every_character_and_the_width():
    text = "数据来源：河流: 示例 rivers.gpkg；湖库: 示例 lakes.gpkg；行政区: 示例 admin.gpkg\n投影 Projection: x"
    lines = wrap_display(text, 24)
    assert all(display_width(line) <= 24 for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace("\n", "").replace(" ", "")
    assert lines[0] == "数据来源：河流: 示例"  # broken after a space near the limit, not inside a name
    assert lines[-1] == "投影 Projection: x"  # the text's own line break is kept


def test_wrap_display_cuts_a_word_longer_than_the_line():
    assert wrap_display("a" * 10, 4) == ["aaaa", "aaaa", "aa"]
