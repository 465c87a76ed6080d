"""``basin demo`` step: sections, audit report and ledgers on the demo dataset."""

from __future__ import annotations

from pathlib import Path

from basin.crossborder.audit import audit_sections
from basin.crossborder.compensation import settle
from basin.crossborder.pipeline import (
    input_paths,
    read_wq_for,
    scheme_inputs,
    sections_from_files,
    write_ledger,
    write_sections,
)
from basin.crossborder.report import provenance, write_audit_report
from basin.crossborder.schemes import load_scheme


def demo_step(outdir: Path) -> dict[str, Path]:
    """Write ``outdir/crossborder/``: sections, the monthly audit report and two ledgers.

    The ledgers settle the Chongqing target/trend bet (monthly, from the audit) and the ``demo_index``
    variant of the Xin'anjiang index (yearly, from the concentrations).
    """
    out = Path(outdir) / "crossborder"
    paths = input_paths()
    secs = sections_from_files(paths)
    ds = read_wq_for(paths)
    audit = audit_sections(secs, ds, period="month")
    files = write_sections(secs, out, provenance(dict(paths), sections=secs))
    files.update(write_audit_report(audit, out, prov=provenance(dict(paths), sections=secs, audit=audit)))
    for scheme, prefix, source in (("chongqing_target_trend", "", audit), ("demo_index", "index_", ds)):
        sch = load_scheme(scheme)
        ledger = settle(source, secs, sch)
        prov = provenance(scheme_inputs(paths, sch), sections=secs, scheme=sch)
        files.update(write_ledger(ledger, out, prov, prefix=prefix))
    return files
