"""Reading and writing layers: the data model (:mod:`basin.io.layers`) and atomic outputs."""

from basin.io.atomic import (
    atomic_path,
    clean_partials,
    ensure_not_input,
    protect_inputs,
    write_csv,
    write_gpkg_layers,
    write_json,
    write_text,
    write_vector,
)
from basin.io.layers import SCHEMAS, LayerReport, check_layer, guess_kind, load_mapping, read_layer
from basin.io.lock import output_lock
from basin.io.names import safe_filename

__all__ = [
    "SCHEMAS",
    "LayerReport",
    "atomic_path",
    "check_layer",
    "clean_partials",
    "ensure_not_input",
    "guess_kind",
    "load_mapping",
    "output_lock",
    "protect_inputs",
    "read_layer",
    "safe_filename",
    "write_csv",
    "write_gpkg_layers",
    "write_json",
    "write_text",
    "write_vector",
]
