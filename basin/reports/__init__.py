"""The run's reports: the index page (and, to come, the workbook and the Word report).

First version: the index page of the output folder (:func:`basin.report.write_index`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_run_reports(res: Any, outdir: Path, opts: Any) -> dict[str, Path]:
    """Write the reports of a run at the top of ``outdir``; returns the files by label."""
    files: dict[str, Path] = {}
    if opts.wants("html"):
        from basin.report import write_index

        files["index"] = write_index(outdir)
    return files


__all__ = ["write_run_reports"]
