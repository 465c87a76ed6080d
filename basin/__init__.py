"""basin: watershed ecological monitoring and zoning for the Chengdu-Chongqing region.

The package turns the basin-governance rules of the upper Yangtze (riparian buffers, four-class
evaluation units, GB 3838-2002 water-quality classes, cross-border sections) into computations and maps.
Importing it is cheap: the heavy optional parts (maps, dask) are imported when used.
"""

from basin._errors import BasinError, CRSError, DataError, SchemaError
from basin.options import get_options, set_options

__version__ = "0.1.0"

__all__ = [
    "BasinError",
    "CRSError",
    "DataError",
    "SchemaError",
    "__version__",
    "get_options",
    "set_options",
]
