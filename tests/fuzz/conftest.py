"""Property-based fuzzing of the readers: every input gives a result or a BasinError, never another exception.

The examples are derandomized (the same on every run, so CI cannot flake) and few (``max_examples``), with no
deadline: the suite stays fast. Run more locally with ``--hypothesis-profile=fuzz-long``.
"""

from hypothesis import HealthCheck, settings

_COMMON = {
    "deadline": None,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    "print_blob": True,
}
settings.register_profile("fuzz", max_examples=40, derandomize=True, **_COMMON)
settings.register_profile("fuzz-long", max_examples=2000, derandomize=False, **_COMMON)
settings.load_profile("fuzz")
