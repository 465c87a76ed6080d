"""Reading and writing layers: the data model (:mod:`basin.io.layers`) and atomic outputs."""

from basin.io.atomic import (
    atomic_path,
    ensure_not_input,
    write_csv,
    write_gpkg_layers,
    write_json,
    write_text,
    write_vector,
)
from basin.io.layers import SCHEMAS, LayerReport, check_layer, guess_kind, load_mapping, read_layer
from basin.io.lock import output_lock

__all__ = [
    "SCHEMAS",
    "LayerReport",
    "atomic_path",
    "check_layer",
    "ensure_not_input",
    "guess_kind",
    "load_mapping",
    "output_lock",
    "read_layer",
    "write_csv",
    "write_gpkg_layers",
    "write_json",
    "write_text",
    "write_vector",
]
