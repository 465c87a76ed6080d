"""Watching station feeds: warning rules, warnings, source tracing along the network (``docs/watch.md``)."""
