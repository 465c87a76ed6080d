"""The run's reports: the Excel workbook, the Word report, the index page, labels as officers write them.

Writers are apart from computation: each takes a run's results (``basin.run.RunResult`` or its tables) and a
path, and writes one file atomically. openpyxl, python-docx and fontTools are imported only when a file is
written. See ``docs/reports.md``.
"""

from basin.reports.labels import header, label, localize, table_title

__all__ = ["header", "label", "localize", "table_title", "write_docx", "write_index", "write_workbook"]


def __getattr__(name: str):  # lazy: the writers import openpyxl / python-docx
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
