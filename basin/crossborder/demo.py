"""``basin demo`` step: sections, audit report and ledgers on the demo dataset."""

from __future__ import annotations

from pathlib import Path

from basin.crossborder.pipeline import run_audit, run_compensate


def demo_step(outdir: Path) -> dict[str, Path]:
    """Write ``outdir/crossborder/``: sections, the monthly audit report and two ledgers."""
    out = Path(outdir) / "crossborder"
    files, _ = run_audit(out, period="month")
    ledger, _ = run_compensate(out, scheme="chongqing_target_trend")
    files.update(ledger)
    index, _ = run_compensate(out, scheme="demo_index", prefix="index_")
    files.update({f"index {k}": v for k, v in index.items()})
    return files
