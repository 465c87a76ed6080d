"""Cross-border river sections: found from the layers, audited against their targets, settled by a scheme.

Modules: :mod:`~basin.crossborder.sections` (:func:`find_sections`), :mod:`~basin.crossborder.audit`
(:func:`audit_sections`), :mod:`~basin.crossborder.compensation` (:func:`settle`, :func:`load_scheme`).
"""

from basin.crossborder.audit import audit_sections, failing
from basin.crossborder.compensation import settle
from basin.crossborder.compensation import summarize as summarize_ledger
from basin.crossborder.schemes import load_scheme
from basin.crossborder.sections import SECTION_COLUMNS, find_sections

__all__ = ["SECTION_COLUMNS", "audit_sections", "failing", "find_sections", "load_scheme", "settle", "summarize_ledger"]
