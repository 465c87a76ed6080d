"""HTML pages of the reports: values escaped, the CJK font subset embedded, nothing external."""

from __future__ import annotations

import html
import re
from typing import Any

import numpy as np
import pandas as pd

from basin._errors import BasinError
from basin.maps import fonts
from basin.reports.labels import localize

_EXTERNAL = re.compile(
    r"""(?:\b(?:src|href|action|poster|data)\s*=\s*["']?\s*(?:https?:)?//)"""
    r"""|(?:url\(\s*["']?\s*(?:https?:)?//)|(?:@import\s)""",
    re.IGNORECASE,
)
BASE_CSS = """
body { font: 14px/1.55 __STACK__; margin: 2em auto; max-width: 1100px; color: #222; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; font-weight: 700; }
h2 { border-bottom: 2px solid #2171b5; padding-bottom: 2px; font-weight: 700; }
h3 { font-weight: 600; }
table { border-collapse: collapse; font-size: 12px; margin: 0.5em 0 1em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eef3f8; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
code, .mono { font-family: ui-monospace, "DejaVu Sans Mono", Consolas, monospace; font-size: 11px; }
.files li { margin: 2px 0; } .muted { color: #666; }
.thumbs img { max-width: 48%; border: 1px solid #ccc; margin: 4px; }
.summary li { margin: 3px 0; }
"""


def esc(value: Any) -> str:
    """HTML-escape a value from the data (None / NaN become an empty string)."""
    if value is None or value is pd.NA or (isinstance(value, float | np.floating) and np.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def fmt_cell(value: Any) -> str:
    """Format one table cell for a page: numbers to 4 significant digits, missing as empty."""
    if isinstance(value, bool | np.bool_):
        return str(value)
    if isinstance(value, float | np.floating):
        v = float(value)
        return "" if np.isnan(v) else f"{v:,.4g}" if abs(v) < 1e6 else f"{v:,.0f}"
    return "" if value is None or value is pd.NA else str(value)


def table_html(df: pd.DataFrame, *, lang: str, max_rows: int = 15, more: str | None = None) -> str:
    """Return ``df`` as an escaped HTML table with localized headers and values (first ``max_rows`` rows)."""
    loc = localize(df, lang)
    head = "".join(f"<th>{esc(c)}</th>" for c in loc.columns)
    num = [
        pd.api.types.is_numeric_dtype(loc[c]) and not pd.api.types.is_bool_dtype(loc[c]) for c in loc.columns
    ]
    rows = []
    for r in loc.head(max_rows).itertuples(index=False, name=None):
        cells = "".join(
            f'<td class="num">{esc(fmt_cell(v))}</td>' if n else f"<td>{esc(fmt_cell(v))}</td>"
            for v, n in zip(r, num, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    tail = ""
    if len(loc) > max_rows and more:
        tail = f'<p class="muted">{esc(more.format(n=len(loc) - max_rows))}</p>'
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>{tail}"


def check_offline(page: str, what: str = "the page") -> None:
    """Raise :class:`BasinError` when ``page`` references anything outside itself (URL, @import)."""
    hit = _EXTERNAL.search(page)
    if hit:
        msg = f"{what} references an external resource ({page[hit.start() : hit.start() + 60]!r})"
        raise BasinError(msg)


def html_page(title: str, body: str, *, lang: str = "zh", css: str = "") -> str:
    """Return a complete, self-contained HTML page: ``body`` with the CJK font subset of its text embedded.

    Parameters
    ----------
    title
        Page title (escaped here).
    body
        The page body, already escaped markup.
    lang
        ``"zh"`` or ``"en"`` (the ``lang`` attribute).
    css
        Extra CSS appended to the base style.

    Raises
    ------
    BasinError
        The page references an external resource.
    """
    style = BASE_CSS.replace("__STACK__", fonts.WEB_STACK) + css
    head = (
        f'<!DOCTYPE html>\n<html lang="{"zh-CN" if lang == "zh" else "en"}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title>"
    )
    text = html.unescape(title + " " + body)  # markup too: alt and title attributes are shown
    face = fonts.font_face_css(text)
    page = f"{head}<style>{face}\n{style}</style></head><body>\n{body}\n</body></html>\n"
    check_offline(page)
    return page


def visible_text(page: str) -> str:
    """Return the text a browser shows of ``page`` (tags, styles and scripts removed, entities decoded)."""
    body = re.sub(r"(?is)<(style|script)[^>]*>.*?</\1>", " ", page)
    body = re.sub(r"(?s)<!--.*?-->", " ", body)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def embedded_font(page: str) -> bytes:
    """Return the web font embedded in ``page`` (raises :class:`BasinError` when there is none)."""
    import base64

    m = re.search(r"url\(data:font/(?:woff2|woff);base64,([A-Za-z0-9+/=]+)\)", page)
    if m is None:
        msg = "the page embeds no web font"
        raise BasinError(msg)
    return base64.b64decode(m.group(1))
