"""Hypothesis strategies shared by the fuzz tests: hostile scalars, nested YAML values, mutations of a document."""

import math
from typing import Any

from hypothesis import strategies as st

HOSTILE_TEXT = [
    "", " ", "nan", "NaN", "inf", "-inf", "1e999", "-1e999", "<0.01", "ND", "未检出", "--", "null", "~",
    "2019-13-45", "2019/02/30", "31/12/2019", "2019-01-01T08:00:00+08:00", "2019-01-01T00:00:00Z",
    "0x1F", "1,000.5", "１２", "Ⅲ", "劣Ⅴ", "../../x", "CON", "\x00", "a\nb", "长江" * 40, "'", '"', "{", "[",
    "*a", "&a", "!!python/object:os.system", "%", "-", "…", "\u202e", "\ufeff",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=20),
)


def values(keys: list[str] | None = None) -> st.SearchStrategy[Any]:
    """Nested YAML-able values; mapping keys drawn from ``keys`` (the loader's own) and random text."""
    key = st.sampled_from(keys) if keys else st.text(max_size=8)
    key = st.one_of(key, st.text(max_size=8), st.integers(-3, 3)) if keys else key
    return st.recursive(
        scalars,
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(key, children, max_size=5),
        ),
        max_leaves=12,
    )


def _paths(doc: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(doc, dict):
        for k, v in doc.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(doc, list):
        for i, v in enumerate(doc):
            out += _paths(v, (*prefix, i))
    return out


def _set(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(doc, dict):
        return {**doc, head: _set(doc[head], rest, value)}
    new = list(doc)
    new[head] = _set(doc[head], rest, value)
    return new


def _delete(doc: Any, path: tuple) -> Any:
    if len(path) == 1:
        if isinstance(doc, dict):
            return {k: v for k, v in doc.items() if k != path[0]}
        return [v for i, v in enumerate(doc) if i != path[0]]
    head = path[0]
    if isinstance(doc, dict):
        return {**doc, head: _delete(doc[head], path[1:])}
    new = list(doc)
    new[head] = _delete(doc[head], path[1:])
    return new


@st.composite
def mutations(draw: Any, base: Any, keys: list[str]) -> Any:
    """``base`` with one to three of its values replaced by hostile ones, deleted, or given an extra key."""
    doc = base
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "replace", "delete", "add"]))
        if action == "delete" and path:
            doc = _delete(doc, path)
        elif action == "add":
            target = doc
            for p in path:
                target = target[p]
            if isinstance(target, dict):
                doc = _set(doc, path, {**target, draw(st.sampled_from(keys)): draw(values(keys))})
            else:
                doc = _set(doc, path, draw(values(keys)))
        else:
            doc = _set(doc, path, draw(values(keys)))
    return doc


def finite(x: Any) -> bool:
    return not (isinstance(x, float) and not math.isfinite(x))
