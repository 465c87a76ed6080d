"""The run's reports: the Excel workbook, the Word report, the index page, labels as officers write them.

Writers are apart from computation: each takes a run's results (``basin.run.RunResult`` or its tables) and a
path, and writes one file atomically. XlsxWriter, python-docx and fontTools are imported only when a file is
written. See ``docs/reports.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from basin.reports.labels import header, label, localize, table_title

__all__ = [
    "header",
    "label",
    "localize",
    "table_title",
    "write_docx",
    "write_index",
    "write_run_reports",
    "write_workbook",
]


def write_run_reports(result: Any, outdir: str | Path, opts: Any) -> dict[str, Path]:
    """Write the reports of a run at the top of ``outdir`` and return them by label.

    ``results.xlsx`` (format ``xlsx``), ``report.docx`` (``docx``), then ``index.html`` (``html``), which
    links every file of ``result.files`` and these reports (they are added to ``result.files["reports"]``
    first). ``opts`` has ``lang`` and ``wants(fmt)`` (``basin.run.WriteOptions``).
    """
    from basin.reports.docx import write_docx
    from basin.reports.index import write_index
    from basin.reports.workbook import write_workbook

    out = Path(outdir)
    lang = getattr(opts, "lang", "zh")
    zh = lang == "zh"
    files: dict[str, Path] = {}
    tables = {k: v for k, v in result.tables().items() if v is not None}
    if opts.wants("xlsx") and tables:
        files["成果表（Excel）" if zh else "result tables (Excel)"] = write_workbook(
            tables, out / "results.xlsx", lang=lang
        )
    if opts.wants("docx"):
        files["报告（Word）" if zh else "report (Word)"] = write_docx(result, out / "report.docx", lang=lang)
    if files:
        result.files.setdefault("reports", {}).update(files)
    if opts.wants("html"):
        files["索引页" if zh else "index page"] = write_index(result, out / "index.html", lang=lang)
    return files


def __getattr__(name: str) -> Any:  # lazy: the writers import xlsxwriter / python-docx
    if name == "write_workbook":
        from basin.reports.workbook import write_workbook

        return write_workbook
    if name == "write_index":
        from basin.reports.index import write_index

        return write_index
    if name == "write_docx":
        from basin.reports.docx import write_docx

        return write_docx
    msg = f"module 'basin.reports' has no attribute {name!r}"
    raise AttributeError(msg)
