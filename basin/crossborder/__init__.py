"""Cross-border river sections: found from the layers, audited against their targets, settled by a scheme.

Modules: :mod:`~basin.crossborder.sections` (:func:`find_sections`), :mod:`~basin.crossborder.audit`
(:func:`audit_sections`), :mod:`~basin.crossborder.compensation` (:func:`settle`, :func:`load_scheme`).
"""

from basin.crossborder.sections import SECTION_COLUMNS, find_sections

__all__ = ["SECTION_COLUMNS", "find_sections"]
