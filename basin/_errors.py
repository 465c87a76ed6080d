"""Exception and warning classes of basin.

Every error that bad input can cause is a :class:`BasinError`; the CLI turns it into one line on stderr
and exit code 2 (a traceback only with ``-v``).
"""


class BasinError(Exception):
    """Base class of all errors caused by bad input or configuration."""


class SchemaError(BasinError, ValueError):
    """A layer, table or configuration file does not follow the expected schema."""


class CRSError(BasinError, ValueError):
    """A coordinate reference system is missing, unknown or unsuitable (e.g. degrees for distances)."""


class DataError(BasinError, ValueError):
    """A file cannot be read, or its content cannot be used (empty, wrong format, no coverage)."""


class UnknownStandardError(BasinError, KeyError):
    """A water-quality standard or rule set that basin does not know."""

    def __str__(self) -> str:  # KeyError quotes its message; keep it readable
        return str(self.args[0]) if self.args else ""


class GeometryRepairedWarning(UserWarning):
    """Invalid geometries were repaired with ``shapely.make_valid``; the message lists the feature ids."""


class IdsGeneratedWarning(UserWarning):
    """A layer had no id column and ids were generated (``F0001 ...``); say ``ids: generate`` to silence it."""
