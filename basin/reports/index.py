"""The index page of a run (``index.html``): its summary, links to this run's outputs, sources, skipped."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from basin._errors import DataError
from basin.io import write_text
from basin.reports.html import esc, html_page, table_html
from basin.reports.labels import file_label, label, phrase
from basin.reports.summary import file_size, output_files, sources_table, summary_lines

#: tables previewed on the index page (name in RunResult.tables() -> rows shown)
PREVIEWS = ("violations", "wq_sections", "unit_classes", "management_area_by_province", "xb_audit")


def _title(res: Any, lang: str) -> str:
    name = getattr(getattr(res, "project", None), "name", None)
    return f"{name} {phrase('results', lang)}" if name else f"basin {phrase('results', lang)}"


def index_html(res: Any, base: str | os.PathLike[str], *, lang: str = "zh") -> str:
    """Return the index page of the run ``res`` as HTML, its links relative to the folder ``base``."""
    from basin import __version__

    title = _title(res, lang)
    when = ""  # the run time is in manifest.json only: the same inputs give the same page
    parts = [
        f"<h1>{esc(title)}</h1>",
        f'<p class="muted">{esc(phrase("written_by", lang).format(version=__version__, time=when))}</p>',
    ]
    lines = summary_lines(res, lang=lang)
    if lines:
        parts.append(f"<h2>{esc(phrase('summary', lang))}</h2><ul class='summary'>")
        parts += [f"<li>{esc(s)}</li>" for s in lines]
        parts.append("</ul>")
    files = output_files(res, base)
    parts.append(f"<h2>{esc(phrase('outputs', lang))}</h2>")
    if not files:
        parts.append(f"<p>{esc(phrase('no_outputs', lang))}</p>")
    by_step: dict[str, list[tuple[str, str, Path]]] = {}
    for step, lab, rel, p in files:
        # what the file is, in the page's language (labels.yml, files); the writer's label otherwise
        by_step.setdefault(step, []).append((file_label(rel, lang, fallback=lab), rel, p))
    for step, items in by_step.items():
        parts.append(f"<h3>{esc(label('run_step', step, lang))}</h3>")
        for _lab, rel, p in items:
            if p.suffix.lower() == ".html" and step == "maps":
                parts.append(f'<p><b><a href="{esc(rel)}">{esc(phrase("open_map", lang))}</a></b></p>')
        pngs = [(lab, rel) for lab, rel, p in items if p.suffix.lower() == ".png"]
        if pngs:
            parts.append('<div class="thumbs">')
            parts += [
                f'<a href="{esc(rel)}"><img src="{esc(rel)}" alt="{esc(lab)}" loading="lazy"></a>'
                for lab, rel in pngs
            ]
            parts.append("</div>")
        parts.append("<ul class='files'>")
        for lab, rel, p in items:
            size = file_size(p)
            note = f" ({size})" if size else f" {phrase('missing_file', lang)}"
            parts.append(
                f'<li>{esc(lab)}: <a href="{esc(rel)}">{esc(rel)}</a> '
                f'<span class="muted">{esc(note)}</span></li>'
            )
        parts.append("</ul>")
    tables = res.tables() if hasattr(res, "tables") else {}
    for name in PREVIEWS:
        df = tables.get(name)
        if df is not None and len(df):
            from basin.reports.labels import table_title

            parts.append(f"<h3>{esc(table_title(name, lang, df))}</h3>")
            parts.append(table_html(df, lang=lang, max_rows=10, more=phrase("more_rows", lang)))
    src = sources_table(res, lang=lang)
    if len(src):
        parts.append(f"<h2>{esc(phrase('sources', lang))}</h2>")
        rows = ["<table><tr>" + "".join(f"<th>{esc(c)}</th>" for c in src.columns) + "</tr>"]
        for r in src.itertuples(index=False, name=None):
            cells = [esc(v) for v in r]
            cells[-1] = f'<span class="mono">{cells[-1]}</span>'
            rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        parts.append("".join(rows) + "</table>")
    skipped = list(getattr(res, "skipped", None) or [])
    if skipped:
        parts.append(f"<h2>{esc(phrase('skipped', lang))}</h2><table>")
        parts.append(
            "<tr>" + "".join(f"<th>{esc(phrase(k, lang))}</th>" for k in ("what", "reason", "how")) + "</tr>"
        )
        parts += [
            f"<tr><td>{esc(s.what)}</td><td>{esc(s.reason)}</td><td>{esc(s.how)}</td></tr>" for s in skipped
        ]
        parts.append("</table>")
    notes = list(getattr(res, "notes", None) or [])
    if notes:
        parts.append(f"<h2>{esc(phrase('notes', lang))}</h2><ul>")
        parts += [f"<li>{esc(n)}</li>" for n in notes]
        parts.append("</ul>")
    return html_page(title, "\n".join(parts), lang=lang)


def write_index(res: Any, path: str | os.PathLike[str], *, lang: str = "zh") -> Path:
    """Write the run's index page and return its path.

    The page links only this run's outputs (``res.files``), relative to the page's folder, so the output
    folder can be copied or zipped; shows the maps as pictures, the summary numbers, previews of the main
    tables, the data sources with their SHA-256 (``res.sources``) and what was skipped (``res.skipped``).
    Every value from the data is escaped; the CJK font subset is embedded (offline, any machine).

    Parameters
    ----------
    res
        The run (:class:`basin.run.RunResult`).
    path
        The ``.html`` file to write (``outdir/index.html``).
    lang
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        ``path`` is not an ``.html`` file.
    """
    target = Path(path)
    if target.suffix.lower() not in (".html", ".htm"):
        msg = f"cannot write the index page to {target}: expected an .html file"
        raise DataError(msg)
    return write_text(index_html(res, target.parent, lang=lang), target)
