"""The Word report of a run (``report.docx``, python-docx), printable on A4.

Summary, the maps (the run's PNGs), the tables of violations, sections, compliance and compensation, the data
sources with SHA-256, what was skipped. Page A4 portrait, 20 mm margins, tables as wide as the text with the
header row repeated on every page, Chinese in 宋体 / 黑体 (SimSun / SimHei, present on Chinese Windows; Word
substitutes a CJK font elsewhere), page numbers in the footer.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from basin._errors import DataError
from basin.io import atomic_path
from basin.io.reproducible import normalise_zip
from basin.reports.labels import format_cell, header, phrase, table_title
from basin.reports.summary import output_files, sources_table, summary_lines

#: printed tables: name in RunResult.tables() (or a prefix ending in "_") -> columns shown (those present)
PRINTED: list[tuple[str, list[str]]] = [
    (
        "violations",
        [
            "facility_id",
            "facility_name",
            "rule_id",
            "zone",
            "category",
            "status",
            "action",
            "distance_m",
            "limit_m",
            "feature_name",
            "county_name",
        ],
    ),
    (
        "wq_sections",
        ["station_id", "name", "period", "class", "target_class", "compliant", "status", "main_pollutants"],
    ),
    (
        "wq_compliance",
        [
            "station_id",
            "year",
            "target_class",
            "months_assessed",
            "months_out",
            "attainment_rate",
            "annual_class",
            "annual_compliant",
        ],
    ),
    (
        "xb_sections",
        [
            "section_id",
            "river_name",
            "from_admin_name",
            "to_admin_name",
            "upstream_station_id",
            "downstream_station_id",
        ],
    ),
    (
        "xb_audit",
        [
            "section_id",
            "river_name",
            "period",
            "class",
            "target_class",
            "compliant",
            "attainment_rate",
            "responsibility",
            "responsible_unit",
        ],
    ),
    (
        "xb_ledger_summary_",
        [
            "party_a",
            "party_b",
            "paid_a_to_b",
            "paid_b_to_a",
            "net_a_to_b",
            "transfers",
            "periods_settled",
            "unit",
        ],
    ),
]
MAX_ROWS = 300
TEXT_WIDTH_MM = 170.0  # A4 210 mm less 2 x 20 mm margins


def _fonts(doc: Any) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    for name, east, size, bold in (
        ("Normal", "宋体", 10.5, False),
        ("Title", "黑体", 20, True),
        ("Heading 1", "黑体", 15, True),
        ("Heading 2", "黑体", 12, True),
        ("Caption", "宋体", 9, False),
    ):
        style = doc.styles[name]
        style.font.name = "Times New Roman"
        style.font.size = Pt(size)
        style.font.bold = bold
        rpr = style.element.get_or_add_rPr()
        fonts = rpr.find(qn("w:rFonts"))
        if fonts is None:
            fonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(fonts)
        fonts.set(qn("w:eastAsia"), east)
        for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
            fonts.attrib.pop(qn(attr), None)


def _a4(doc: Any) -> None:
    from docx.shared import Mm

    for s in doc.sections:
        s.page_width, s.page_height = Mm(210), Mm(297)
        s.left_margin = s.right_margin = Mm(20)
        s.top_margin, s.bottom_margin = Mm(22), Mm(20)


def _page_numbers(doc: Any, lang: str) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    p = doc.sections[0].footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    before, _, after = phrase("page", lang).partition("{n}")
    p.add_run(before)
    run = p.add_run()
    for kind, text in (("begin", None), (None, " PAGE "), ("end", None)):
        if kind is None:
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._r.append(el)
    p.add_run(after)


def _repeat_header(row: Any) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    trpr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    trpr.append(el)


def _shade(cell: Any, fill: str) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    shd = OxmlElement("w:shd")
    shd.set(qn("w:val"), "clear")
    shd.set(qn("w:color"), "auto")
    shd.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shd)


def _width(text: str) -> float:
    from basin._validate import display_width

    return float(display_width(text))


def add_table(doc: Any, heads: list[str], rows: list[list[str]], *, font_pt: float = 8.0) -> Any:
    """Add a table as wide as the text, header row shaded and repeated on every page; return it."""
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.shared import Mm, Pt

    table = doc.add_table(rows=1, cols=len(heads))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    # column widths in proportion to their content (headers count, long cells capped)
    need = [
        max([_width(h) * 0.8, *(min(_width(r[j]), 40.0) for r in rows[:200])], default=4.0)
        for j, h in enumerate(heads)
    ]
    need = [max(n, 4.0) for n in need]
    total = sum(need)
    widths = [Mm(TEXT_WIDTH_MM * n / total) for n in need]
    hdr = table.rows[0]
    _repeat_header(hdr)
    for j, h in enumerate(heads):
        cell = hdr.cells[j]
        cell.width = widths[j]
        cell.text = ""
        run = cell.paragraphs[0].add_run(h)
        run.bold = True
        run.font.size = Pt(font_pt)
        _shade(cell, "DDEBF7")
    for r in rows:
        cells = table.add_row().cells
        for j, v in enumerate(r):
            cells[j].width = widths[j]
            run = cells[j].paragraphs[0].add_run(v)
            run.font.size = Pt(font_pt)
    return table


def _find(tables: dict[str, pd.DataFrame], key: str) -> list[tuple[str, pd.DataFrame]]:
    if key.endswith("_"):
        return [(k, v) for k, v in tables.items() if k.startswith(key)]
    return [(key, tables[key])] if key in tables else []


def _printed(doc: Any, name: str, df: pd.DataFrame, cols: list[str], lang: str) -> None:
    from docx.shared import Pt

    use = [c for c in cols if c in df.columns] or [c for c in df.columns if c != "geometry"][:8]
    doc.add_heading(table_title(name, lang, df), level=2)
    if not len(df):
        doc.add_paragraph("—")
        return
    rows = [
        [format_cell(c, v, lang) for c, v in zip(use, r, strict=True)]
        for r in df[use].head(MAX_ROWS).itertuples(index=False, name=None)
    ]
    add_table(doc, [header(c, lang) for c in use], rows)
    if len(df) > MAX_ROWS:
        p = doc.add_paragraph(phrase("more_rows", lang).format(n=len(df) - MAX_ROWS))
        p.runs[0].font.size = Pt(9)


def _print_size(png: Path, *, width_px: int = 2008) -> Any:
    """Return the map as PNG bytes at most ``width_px`` wide: 300 dpi over the 170 mm text width.

    The run's maps are A3 at 200 dpi (3,307 px); in the report they print 170 mm wide, where 300 dpi is
    2,008 px, so they are scaled down (Lanczos) to keep the document small; smaller ones go in as they are.
    """
    import io

    from PIL import Image

    with Image.open(png) as im:
        if im.width <= width_px:
            return str(png)
        h = round(im.height * width_px / im.width)
        small = im.convert("RGB").resize((width_px, h), Image.Resampling.LANCZOS)
    buf = io.BytesIO()
    small.save(buf, format="PNG", optimize=True)
    buf.seek(0)
    return buf


def _latest(df: pd.DataFrame, column: str) -> pd.DataFrame:
    """Return the rows of the latest ``column`` value (the report prints the latest period)."""
    if column not in df.columns or not len(df):
        return df
    key = df[column].astype(str)
    return df[key == key.max()]


def write_docx(res: Any, path: str | os.PathLike[str], *, lang: str = "zh") -> Path:
    """Write the run's Word report and return its path.

    Parameters
    ----------
    res
        The run (:class:`basin.run.RunResult`): its summary, the PNG maps in ``res.files``, the result
        tables (``res.tables()``), ``res.sources`` and ``res.skipped``.
    path
        The ``.docx`` file to write (``outdir/report.docx``).
    lang
        ``"zh"`` (default) or ``"en"``.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        ``path`` is not a ``.docx`` file.

    Notes
    -----
    The water-quality and cross-border tables print the latest period (every period is in the workbook);
    a table longer than 300 rows is cut, saying so.
    """
    from docx import Document
    from docx.shared import Mm, Pt

    from basin import __version__

    target = Path(path)
    if target.suffix.lower() != ".docx":
        msg = f"cannot write the Word report to {target}: expected a .docx file"
        raise DataError(msg)
    doc = Document()
    _a4(doc)
    _fonts(doc)
    _page_numbers(doc, lang)
    name = getattr(getattr(res, "project", None), "name", None)
    doc.add_heading(f"{name} {phrase('report', lang)}" if name else phrase("report", lang), level=0)
    when = ""  # the run time is in manifest.json only: the same inputs give the same document
    p = doc.add_paragraph(phrase("generated", lang).format(version=__version__, time=when))
    p.runs[0].font.size = Pt(9)

    doc.add_heading(phrase("toc_summary", lang), level=1)
    for line in summary_lines(res, lang=lang) or ["—"]:
        doc.add_paragraph(line, style="List Bullet")

    pngs = [(lab, p) for step, lab, _rel, p in output_files(res, target.parent) if p.suffix.lower() == ".png"]
    pngs = [(lab, p) for lab, p in pngs if p.is_file()]
    if pngs:
        doc.add_heading(phrase("toc_maps", lang), level=1)
        for i, (lab, png) in enumerate(pngs, start=1):
            doc.add_picture(_print_size(png), width=Mm(TEXT_WIDTH_MM))
            fig = "图" if lang == "zh" else "Figure"
            doc.add_paragraph(f"{fig} {i}  {lab}", style="Caption")

    tables = res.tables() if hasattr(res, "tables") else {}
    doc.add_heading(phrase("toc_tables", lang), level=1)
    for key, cols in PRINTED:
        for tname, df in _find(tables, key):
            if df is None:
                continue
            if tname in ("wq_sections", "xb_audit"):
                df = _latest(df, "period")
            elif tname == "wq_compliance":
                df = _latest(df, "year")
            _printed(doc, tname, df, cols, lang)

    doc.add_heading(phrase("toc_sources", lang), level=1)
    src = sources_table(res, lang=lang)
    if len(src):
        rows = [["" if pd.isna(v) else str(v) for v in r] for r in src.itertuples(index=False, name=None)]
        add_table(doc, list(src.columns), rows, font_pt=7)
    else:
        doc.add_paragraph("—")

    skipped = list(getattr(res, "skipped", None) or [])
    notes = list(getattr(res, "notes", None) or [])
    if skipped or notes:
        doc.add_heading(phrase("toc_skipped", lang), level=1)
        if skipped:
            heads = [phrase(k, lang) for k in ("what", "reason", "how")]
            add_table(doc, heads, [[s.what, s.reason, s.how] for s in skipped])
        for n in notes:
            doc.add_paragraph(str(n), style="List Bullet")
    doc.core_properties.author = "basin"
    doc.core_properties.title = f"{name or ''} {phrase('report', lang)}".strip()
    doc.core_properties.language = "zh-CN" if lang == "zh" else "en"
    with atomic_path(target) as tmp:
        doc.save(str(tmp))
        normalise_zip(tmp)  # fixed zip entry times and document dates (basin.io.reproducible)
    return target


__all__ = ["add_table", "write_docx"]
