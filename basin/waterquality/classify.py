"""Single-factor classification against a standard: numpy kernel plus an xarray wrapper.

Class codes (``int8``): 1-5 = Ⅰ-Ⅴ, 6 = 劣Ⅴ (worse than class V), **0 = no class** (the value is missing, or
the parameter has no class limits for that waterbody: water temperature, Chl-a, SD, TN of rivers ...). Labels
and status words come from ``standards/classes.csv`` (:func:`class_labels`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from basin._errors import SchemaError
from basin.waterquality.standards import (
    Limits,
    Standard,
    canonical_parameter,
    class_table,
    load_standard,
    parameter_table,
)

__all__ = [
    "CLASS_FLAG_MEANINGS",
    "class_labels",
    "class_status",
    "classify",
    "classify_dataset",
    "resolve_parameter",
]

CLASS_FLAG_MEANINGS = "no_class class_I class_II class_III class_IV class_V worse_than_V"

try:  # numba comes with pyflwdir; the numpy path below is used without it (and for small arrays)
    from numba import njit, prange

    # Branch-free kernels (the compiler vectorises them): class = 1 + number of nested class ranges that
    # exclude the value; 0 for NaN. One specialised kernel per bound type, and a generic one for exclusive
    # bounds. ``parallel=True`` + ``prange``: the loop is split over numba's threads (all cores;
    # ``NUMBA_NUM_THREADS`` or ``numba.set_num_threads`` limit them), which brings it near one numpy pass.
    @njit(cache=True, nogil=True, parallel=True)
    def _kernel_upper(values, up, out):  # pragma: no cover - jit
        for i in prange(values.size):
            v = values[i]
            c = 1
            for k in range(5):
                c += v > up[k]
            out[i] = c if v == v else 0

    @njit(cache=True, nogil=True, parallel=True)
    def _kernel_lower(values, lo, out):  # pragma: no cover - jit
        for i in prange(values.size):
            v = values[i]
            c = 1
            for k in range(5):
                c += v < lo[k]
            out[i] = c if v == v else 0

    @njit(cache=True, nogil=True, parallel=True)
    def _kernel_range(values, lo, up, out):  # pragma: no cover - jit
        for i in prange(values.size):
            v = values[i]
            c = 1
            for k in range(5):
                c += (v < lo[k]) | (v > up[k])
            out[i] = c if v == v else 0

    @njit(cache=True, nogil=True, parallel=True)
    def _kernel(values, lo, up, lo_ex, up_ex, out):  # pragma: no cover - jit
        for i in prange(values.size):
            v = values[i]
            c = 1
            for k in range(5):
                c += (v < lo[k]) | ((v == lo[k]) & lo_ex[k]) | (v > up[k]) | ((v == up[k]) & up_ex[k])
            out[i] = c if v == v else 0

    # the same kernels on one thread, for arrays too small to be worth waking the thread pool
    @njit(cache=True, nogil=True)
    def _serial_kernel_upper(values, up, out):  # pragma: no cover - jit
        for i in range(values.size):
            v = values[i]
            c = 1
            for k in range(5):
                c += v > up[k]
            out[i] = c if v == v else 0

    @njit(cache=True, nogil=True)
    def _serial_kernel_lower(values, lo, out):  # pragma: no cover - jit
        for i in range(values.size):
            v = values[i]
            c = 1
            for k in range(5):
                c += v < lo[k]
            out[i] = c if v == v else 0

    @njit(cache=True, nogil=True)
    def _serial_kernel_range(values, lo, up, out):  # pragma: no cover - jit
        for i in range(values.size):
            v = values[i]
            c = 1
            for k in range(5):
                c += (v < lo[k]) | (v > up[k])
            out[i] = c if v == v else 0

    @njit(cache=True, nogil=True)
    def _serial_kernel(values, lo, up, lo_ex, up_ex, out):  # pragma: no cover - jit
        for i in range(values.size):
            v = values[i]
            c = 1
            for k in range(5):
                c += (v < lo[k]) | ((v == lo[k]) & lo_ex[k]) | (v > up[k]) | ((v == up[k]) & up_ex[k])
            out[i] = c if v == v else 0

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - numba is a dependency of pyflwdir
    HAVE_NUMBA = False

_NUMBA_MIN_SIZE = 4096
_PARALLEL_MIN_SIZE = 1 << 20  # below ~1 M values the thread pool costs more than it saves
_CHUNK = 1 << 15


def resolve_parameter(parameter: str) -> str:
    """Return the canonical code of a parameter name; raise :class:`SchemaError` when unknown."""
    code = canonical_parameter(parameter)
    if code is None:
        known = list(parameter_table().index)
        msg = (
            f"unknown parameter {parameter!r}; expected a canonical code ({', '.join(known)}), "
            "a Chinese name or an HJ 212 code"
        )
        raise SchemaError(msg)
    return code


def _classify_numpy(values: np.ndarray, lim: Limits) -> np.ndarray:
    """Cache-blocked numpy version: class = 1 + number of class ranges (nested) that exclude the value."""
    flat = values.reshape(-1)
    out = np.empty(flat.size, dtype=np.int8)
    tmp = np.empty(min(flat.size, _CHUNK), dtype=bool)
    tmp2 = np.empty_like(tmp)
    for start in range(0, flat.size, _CHUNK):
        v = flat[start : start + _CHUNK]
        o = out[start : start + _CHUNK]
        t, t2 = tmp[: v.size], tmp2[: v.size]
        o.fill(1)
        for k in range(5):
            # outside range k  <=>  below the lower bound or above the upper bound
            if np.isfinite(lim.upper[k]):
                (np.greater if lim.upper_inclusive[k] else np.greater_equal)(v, lim.upper[k], out=t)
            else:
                t.fill(False)
            if np.isfinite(lim.lower[k]):
                (np.less if lim.lower_inclusive[k] else np.less_equal)(v, lim.lower[k], out=t2)
                np.logical_or(t, t2, out=t)
            np.add(o, t, out=o, casting="unsafe")
        np.isnan(v, out=t)
        o[t] = 0
    return out.reshape(values.shape)


def _classify_one(values: np.ndarray, lim: Limits | None) -> np.ndarray:
    if lim is None:
        return np.zeros(values.shape, dtype=np.int8)
    if HAVE_NUMBA and values.size >= _NUMBA_MIN_SIZE:
        flat = np.ascontiguousarray(values, dtype=np.float64).reshape(-1)
        out = np.empty(flat.size, dtype=np.int8)
        inclusive = bool(lim.lower_inclusive.all() and lim.upper_inclusive.all())
        has_lo, has_up = bool(np.isfinite(lim.lower).any()), bool(np.isfinite(lim.upper).any())
        par = flat.size >= _PARALLEL_MIN_SIZE
        if inclusive and has_up and not has_lo:
            (_kernel_upper if par else _serial_kernel_upper)(flat, lim.upper, out)
        elif inclusive and has_lo and not has_up:
            (_kernel_lower if par else _serial_kernel_lower)(flat, lim.lower, out)
        elif inclusive:
            (_kernel_range if par else _serial_kernel_range)(flat, lim.lower, lim.upper, out)
        else:
            (_kernel if par else _serial_kernel)(
                flat, lim.lower, lim.upper, ~lim.lower_inclusive, ~lim.upper_inclusive, out
            )
        return out.reshape(values.shape)
    return _classify_numpy(np.asarray(values, dtype=np.float64), lim)


def classify(
    values: Any,
    parameter: str,
    *,
    waterbody: str | Any = "river",
    standard: str | Standard | None = None,
) -> np.ndarray:
    """Return the single-factor class of every value (vectorised).

    Parameters
    ----------
    values
        Array-like of values in the parameter's canonical unit (mg/L; fecal coliform 个/L; pH none).
    parameter
        Canonical code, Chinese name, alias or HJ 212 code (``"TP"``, ``"总磷"``, ``"w21011"``).
    waterbody
        ``"river"``, ``"lake"`` or ``"reservoir"``, or an array of those broadcastable to ``values``
        (lakes and reservoirs use the lake limits of TP and TN).
    standard
        Standard name or object (default: the ``standard`` option, GB3838-2002).

    Returns
    -------
    numpy.ndarray
        ``int8`` classes, same shape as the broadcast inputs: 1-5 = Ⅰ-Ⅴ, 6 = 劣Ⅴ, 0 = no class (NaN value, or
        the parameter has no class for that waterbody, e.g. TN of rivers, water temperature).

    Raises
    ------
    SchemaError
        Unknown parameter or waterbody.

    Examples
    --------
    >>> classify([0.02, 0.021, 0.45], "TP").tolist()
    [1, 2, 6]
    >>> classify([0.05, 0.05], "TP", waterbody=["river", "lake"]).tolist()
    [2, 3]
    """
    std = load_standard(standard)
    code = resolve_parameter(parameter)
    arr = np.asarray(values, dtype=np.float64)
    if isinstance(waterbody, str):
        _check_waterbody(np.array([waterbody]))
        return _classify_one(arr, std.get_limits(code, waterbody))
    wb = np.asarray(waterbody).astype(str)
    _check_waterbody(wb)
    arr, wb = np.broadcast_arrays(arr, wb)
    lake = np.isin(wb, ["lake", "reservoir"])
    river_lim, lake_lim = std.get_limits(code, "river"), std.get_limits(code, "lake")
    if river_lim is lake_lim:
        return _classify_one(np.ascontiguousarray(arr), river_lim)
    out = np.zeros(arr.shape, dtype=np.int8)
    if (~lake).any():
        out[~lake] = _classify_one(arr[~lake], river_lim)
    if lake.any():
        out[lake] = _classify_one(arr[lake], lake_lim)
    return out


def _check_waterbody(wb: np.ndarray) -> None:
    bad = sorted(set(np.unique(wb).tolist()) - {"river", "lake", "reservoir"})
    if bad:
        msg = f"unknown waterbody value(s) {bad}; expected river, lake or reservoir"
        raise SchemaError(msg)


def class_labels(classes: Any) -> np.ndarray:
    """Return the labels (Ⅰ … 劣Ⅴ; empty string for 0) of class codes."""
    table = class_table()["label"].to_numpy(object)
    c = np.asarray(classes)
    c = np.where(pd.isna(c), 0, c).astype(int)
    return table[c]


def class_status(classes: Any) -> np.ndarray:
    """Return the status words (优, 良好, 轻度污染, 中度污染, 重度污染; empty for 0) of class codes."""
    table = class_table()["status"].to_numpy(object)
    c = np.asarray(classes)
    c = np.where(pd.isna(c), 0, c).astype(int)
    return table[c]


def _waterbody_of(ds: xr.Dataset, default: str) -> xr.DataArray | str:
    if "waterbody" in ds.coords or "waterbody" in ds.data_vars:
        wb = ds["waterbody"].astype(str)
        return wb.where(wb.isin(["river", "lake", "reservoir"]), default)
    return default


def classify_dataset(
    ds: xr.Dataset,
    *,
    standard: str | Standard | None = None,
    waterbody: str = "river",
) -> xr.Dataset:
    """Classify every parameter of a water-quality Dataset (see :func:`read_wq`).

    Parameters
    ----------
    ds
        Dataset with one variable per canonical parameter (any dims; dask-backed works lazily).
    standard
        Standard name or object (default GB3838-2002).
    waterbody
        Waterbody used when ``ds`` has no ``waterbody`` coordinate (or for stations where it is missing).

    Returns
    -------
    xarray.Dataset
        One ``int8`` variable per parameter that has class limits in the standard, same name and coords as the
        input, with attrs ``standard``, ``flag_values`` (0-6) and ``flag_meanings``; class 0 = no class.
        Flag variables and parameters without limits (temperature, Chl-a, SD ...) are left out.
    """
    std = load_standard(standard)
    wb = _waterbody_of(ds, waterbody)
    out = {}
    for name in ds.data_vars:
        code = canonical_parameter(str(name))
        if code is None or str(name) != code or code not in std.parameters:
            continue
        da = ds[name]
        if isinstance(wb, str):
            res = xr.apply_ufunc(
                classify,
                da,
                kwargs={"parameter": code, "waterbody": wb, "standard": std},
                dask="parallelized",
                output_dtypes=[np.int8],
            )
        else:
            res = xr.apply_ufunc(
                lambda v, w, code=code: classify(v, code, waterbody=w, standard=std),
                da,
                wb,
                dask="parallelized",
                output_dtypes=[np.int8],
            )
            res = res.transpose(*da.dims)
        res.attrs = {
            "long_name": f"{std.name} class of {parameter_table().at[code, 'name_zh']}",
            "standard": std.name,
            "flag_values": np.arange(7, dtype=np.int8),
            "flag_meanings": CLASS_FLAG_MEANINGS,
        }
        out[code] = res
    result = xr.Dataset(out, coords=ds.coords, attrs=dict(ds.attrs))
    result.attrs["standard"] = std.name
    return result
