"""Benchmark of basin.waterquality (issue 4): classification speed and the out-of-core Zarr/Dask path.

Part 1 - classify N observations (default 10^8 float64 TP values, river limits):
  * ``basin`` = ``basin.waterquality.classify`` (numba kernel; the cache-blocked numpy fallback is timed too);
  * baseline 1 = one plain numpy pass over the same array, ``np.less_equal(values, 0.2)``: reads 8 bytes and
    writes 1 byte per value like the classification does, i.e. the memory-bandwidth bound (goal: basin <= 3x);
  * baseline 2 = a row-by-row pandas ``DataFrame.apply(axis=1)`` over a long table (parameter, value) with a
    plain Python limit lookup per row. It is timed on a sample (``--apply-sample``, default 200,000 rows) and
    extrapolated linearly to N (apply is O(N), per-row cost constant) (goal: basin >= 50x faster).

Part 2 - the same classification and the annual assessment on a Zarr store through Dask:
  * an hourly store (station x time, several parameters, float64) is written with dask into a temp folder;
  * a ``dask.distributed.LocalCluster`` with ``--workers`` workers, 1 thread each, and ``--worker-memory`` per
    worker is started; the store's uncompressed size is made larger than the workers' total memory, so the
    data can only be processed out of core (the script prints both numbers and refuses to call the run "larger
    than memory" when it is not);
  * dask path: ``read_wq(store)`` (lazy) -> ``classify_dataset`` -> class counts per station / parameter, and
    ``assess(period="year")``;
  * in-memory path: the same functions on numpy arrays, one block of stations at a time (each block loaded
    whole with ``.load()`` in this process); assessment is per station, so the concatenated block results are
    the in-memory result of the whole network. Both results must be identical (checked with ``==``).

Default: 2,400 stations x 1 year hourly x 4 parameters (0.67 GB) against 1 worker capped at 600 MB;
``--full``: 3,600 stations (a national network) x 2 years hourly (2.0 GB) against 2 workers capped at 600 MB
each. A worker process holds ~340 MiB of code and libraries by itself, so well under half of its limit is left
for data.

    python scripts/bench/bench_wq.py              # default
    python scripts/bench/bench_wq.py --full
    python scripts/bench/bench_wq.py --n 1e7 --skip-dask
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

warnings.filterwarnings(
    "ignore", message=".*does not have a Zarr V3 specification.*"
)  # fixed-width str coords
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # this checkout's basin, not an installed one

from basin.waterquality import assess, classify, classify_dataset, load_standard, read_wq  # noqa: E402

_classify_mod = __import__("basin.waterquality.classify", fromlist=["_classify_numpy"])


def best_of(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def part1(n: int, sample: int, repeat: int) -> dict[str, float]:
    print(f"== Part 1: classify {n:.3g} observations (TP, river) ==")
    rng = np.random.default_rng(0)
    values = rng.lognormal(np.log(0.15), 0.7, n)
    values[::97] = np.nan
    lim = load_standard().get_limits("TP", "river")
    classify(values[:10000], "TP")  # jit warm-up (cached on disk after the first run)
    t_numpy_pass = best_of(lambda: np.less_equal(values, 0.2), repeat)
    t_basin = best_of(lambda: classify(values, "TP"), repeat)
    threads = 1
    t_one = float("nan")
    if _classify_mod.HAVE_NUMBA:
        import numba

        threads = numba.get_num_threads()
        numba.set_num_threads(1)
        t_one = best_of(lambda: classify(values, "TP"), repeat)
        numba.set_num_threads(threads)
        layer = numba.threading_layer()
    else:
        layer = "none"
    t_fallback = best_of(lambda: _classify_mod._classify_numpy(values, lim), 1)
    out = classify(values, "TP")
    assert np.array_equal(out, _classify_mod._classify_numpy(values, lim))

    limits = {"TP": [0.02, 0.1, 0.2, 0.3, 0.4]}

    def row_class(row: pd.Series) -> int:
        v = row["value"]
        if v != v:
            return 0
        for k, lim_k in enumerate(limits[row["parameter"]], start=1):
            if v <= lim_k:
                return k
        return 6

    df = pd.DataFrame({"parameter": "TP", "value": values[:sample]})
    t0 = time.perf_counter()
    applied = df.apply(row_class, axis=1).to_numpy()
    t_apply_sample = time.perf_counter() - t0
    assert np.array_equal(applied, out[:sample]), "pandas apply and basin disagree"
    t_apply = t_apply_sample * n / sample
    print(f"one numpy pass (np.less_equal)      {t_numpy_pass:8.3f} s")
    print(
        f"basin classify (numba, {threads} threads)   {t_basin:8.3f} s   ratio to numpy pass: "
        f"{t_basin / t_numpy_pass:5.2f}x (goal <= 1.5x; threading layer {layer})"
    )
    print(
        f"basin classify (numba, 1 thread)    {t_one:8.3f} s  "
        f" ratio to numpy pass: {t_one / t_numpy_pass:5.2f}x"
    )
    print(
        f"basin numpy fallback (no numba)     {t_fallback:8.3f} s  "
        f" ratio to numpy pass: {t_fallback / t_numpy_pass:5.2f}x"
    )
    print(
        f"pandas apply, {sample:,} rows         {t_apply_sample:8.3f} "
        f"s   -> extrapolated to {n:.3g}: {t_apply:9.1f} s; "
        f"basin is {t_apply / t_basin:,.0f}x faster (goal >= 50x)"
    )
    return {
        "numpy_pass": t_numpy_pass,
        "basin": t_basin,
        "fallback": t_fallback,
        "apply_extrapolated": t_apply,
    }


def _synthetic_store(path: Path, n_st: int, n_hours: int, st_chunk: int, t_chunk: int) -> None:
    import dask.array as da
    import xarray as xr

    rng = da.random.default_rng(42)
    shape, chunks = (n_st, n_hours), (st_chunk, t_chunk)

    def lognormal(median: float, sigma: float) -> da.Array:
        x = da.exp(rng.normal(np.log(median), sigma, size=shape, chunks=chunks))
        return da.where(rng.random(size=shape, chunks=chunks) < 0.02, np.nan, x)

    do = da.clip(rng.normal(7.0, 2.0, size=shape, chunks=chunks), 0, None)
    data = {
        "TP": lognormal(0.12, 0.6),
        "NH3_N": lognormal(0.5, 0.7),
        "CODMn": lognormal(4.0, 0.5),
        "DO": do,
    }
    time_ = pd.date_range("2023-01-01", periods=n_hours, freq="h")
    st = np.array([f"S{i:05d}" for i in range(n_st)], dtype=object)
    wb = np.where(np.arange(n_st) % 10 == 0, "lake", "river").astype(object)
    target = (np.arange(n_st) % 3 + 2).astype("int8")
    ds = xr.Dataset(
        {k: (("station", "time"), v, {"units": "mg/L"}) for k, v in data.items()},
        coords={
            "station": st,
            "time": time_,
            "waterbody": ("station", wb),
            "target_class": ("station", target),
        },
    )
    encoding = {"station": {"dtype": "<U6"}, "waterbody": {"dtype": "<U5"}}
    ds.to_zarr(path, mode="w", consolidated=False, encoding=encoding, compute=True)


def _count_block(block: np.ndarray) -> np.ndarray:
    """Class counts 0..6 per station of one (station, time) block of classes: (station, 1, 7)."""
    out = np.empty((block.shape[0], 1, 7), dtype=np.int64)
    for k in range(7):
        out[:, 0, k] = (block == k).sum(axis=1)
    return out


def _class_counts(classes) -> xr.Dataset:  # noqa: F821 - xarray imported lazily
    """Number of values in each class (0..6) per station and parameter; one task per chunk on dask."""
    import dask.array as da
    import xarray as xr

    out = {}
    for p in classes.data_vars:
        arr = classes[p].transpose("station", "time").data
        if isinstance(arr, da.Array):
            per_block = arr.map_blocks(
                _count_block,
                new_axis=2,
                chunks=(arr.chunks[0], (1,) * arr.numblocks[1], (7,)),
                dtype=np.int64,
            )
            counts = per_block.sum(axis=1)
        else:
            counts = _count_block(np.asarray(arr))[:, 0, :]
        out[p] = (("station", "class"), counts)
    return xr.Dataset(out, coords={"station": classes["station"].values, "class": np.arange(7)})


def part2(n_st: int, n_hours: int, workers: int, worker_memory: str, block: int) -> dict[str, float]:
    import dask
    from dask.distributed import Client, LocalCluster
    from dask.utils import parse_bytes

    print(f"\n== Part 2: Zarr store {n_st} stations x {n_hours} hours x 4 parameters through Dask ==")
    tmp = Path(tempfile.mkdtemp(prefix="bench_wq_"))
    store = tmp / "hourly.zarr"
    st_chunk = min(100, n_st)
    t_chunk = min(24 * 183, n_hours)
    result: dict[str, float] = {}
    try:
        with (
            LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                memory_limit=worker_memory,
                processes=True,
                dashboard_address=None,
            ) as cluster,
            Client(cluster) as client,
        ):
            t0 = time.perf_counter()
            _synthetic_store(store, n_st, n_hours, st_chunk, t_chunk)
            result["write"] = time.perf_counter() - t0
            disk = sum(f.stat().st_size for f in store.rglob("*") if f.is_file())
            nbytes = n_st * n_hours * 4 * 8
            cap = workers * parse_bytes(worker_memory)
            print(
                f"store: {nbytes / 2**30:.2f} GiB uncompressed ({disk / 2**30:.2f} "
                f"GiB on disk), written in {result['write']:.1f} s"
            )
            print(
                f"cluster: {workers} workers x 1 thread, memory_limit "
                f"{worker_memory} each = {cap / 2**30:.2f} GiB in total"
            )
            print(
                "store larger than the workers' memory: "
                + ("YES" if nbytes > cap else "NO (use --full or more stations)")
            )

            t0 = time.perf_counter()
            ds = read_wq(store)  # lazy, validated with dask reductions
            counts_lazy = _class_counts(classify_dataset(ds))
            counts_dask = counts_lazy.compute()
            sections_dask = assess(ds, period="year")
            result["dask"] = time.perf_counter() - t0
            print(f"dask path (read_wq + classify counts + annual assess): {result['dask']:.1f} s")
            rss = client.run(lambda: __import__("psutil").Process().memory_info().rss)
            print("worker RSS after the run: " + ", ".join(f"{v / 2**20:.0f} MiB" for v in rss.values()))
            client.close()

        t0 = time.perf_counter()
        counts_mem, sections_mem = [], []
        with dask.config.set(scheduler="synchronous"):
            full = read_wq(store)
            for start in range(0, n_st, block):
                part = full.isel(station=slice(start, start + block)).load()  # numpy-backed block
                counts_mem.append(_class_counts(classify_dataset(part)))
                sections_mem.append(assess(part, period="year"))
        import xarray as xr

        counts_mem_ds = xr.concat(counts_mem, dim="station")
        sections_mem_df = pd.concat(sections_mem, ignore_index=True)
        result["memory"] = time.perf_counter() - t0
        print(f"in-memory path (numpy, blocks of {block} stations loaded whole): {result['memory']:.1f} s")
        same_counts = all(
            np.array_equal(counts_dask[v].values, counts_mem_ds[v].values) for v in counts_dask.data_vars
        )
        same_sections = sections_dask.reset_index(drop=True).equals(sections_mem_df)
        print(
            f"identical class counts: {same_counts}; identical annual "
            f"assessment ({len(sections_dask)} rows): {same_sections}"
        )
        total = int(sum(counts_dask[v].sum() for v in counts_dask.data_vars))
        print(f"observations classified: {total:,}")
        if not (same_counts and same_sections):
            msg = "dask and in-memory results differ"
            raise SystemExit(msg)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def _network(n_st: int, n_years: int, rng: np.random.Generator):  # type: ignore[no-untyped-def]
    """A monthly (station, time) Dataset of the 21 evaluated items (lognormal around the Class III limits)."""
    import xarray as xr

    std = load_standard()
    n_t = 12 * n_years
    times = pd.date_range("2015-01-01", periods=n_t, freq="MS") + pd.Timedelta(days=14)
    data = {}
    for p in std.items:
        if p == "pH":
            v = rng.normal(7.5, 0.6, (n_st, n_t))
        elif p == "DO":
            v = rng.normal(7.0, 1.5, (n_st, n_t)).clip(0.2)
        else:
            v = rng.lognormal(np.log(std.class_limit(p, 3) * 0.6), 0.5, (n_st, n_t))
        v[rng.random(v.shape) < 0.02] = np.nan
        data[p] = (("station", "time"), v, {"units": "1" if p == "pH" else "mg/L"})
    ids = np.array([f"S{i:05d}" for i in range(n_st)], dtype=object)
    coords = {
        "station": ids,
        "time": times,
        "waterbody": ("station", np.where(np.arange(n_st) % 10 == 0, "lake", "river").astype(object)),
        "target_class": ("station", (np.arange(n_st) % 3 + 2).astype("int8")),
        "name": ("station", ids.copy()),
        "river_id": ("station", np.array([f"R{i // 7:04d}" for i in range(n_st)], dtype=object)),
        "lake_id": ("station", np.where(np.arange(n_st) % 10 == 0, "L", "").astype(object)),
    }
    return xr.Dataset(data, coords=coords)


def part3(n_st: int, n_years: int, repeat: int) -> dict[str, float]:
    from basin.waterquality.tables import assessment_tables

    print(f"\n== Part 3: assess {n_st:,} stations x {n_years} years monthly x 21 items ==")
    ds = _network(n_st, n_years, np.random.default_rng(1))
    n_val = n_st * 12 * n_years * 21
    assess(ds.isel(station=slice(0, 10)))  # warm-up (imports, jit)
    t_base = best_of(lambda: ds.resample(time="YS").mean(), repeat)
    t_assess = best_of(lambda: assess(ds, period="year"), repeat)
    t_month = best_of(lambda: assess(ds, period="month"), 1)
    t0 = time.perf_counter()
    tables = assessment_tables(ds)
    t_tables = time.perf_counter() - t0
    print(
        f"baseline: xarray resample(time='YS').mean() of the same Dataset ({n_val:,} values) {t_base:8.3f} s"
    )
    print(
        f"basin assess(period='year')          {t_assess:8.3f} "
        f"s   ratio to the baseline: {t_assess / t_base:5.1f}x "
        f"(goal <= 5 s: {'met' if t_assess <= 5 else 'NOT met'})"
    )
    print(
        f"basin assess(period='month')         {t_month:8.3f} "
        f"s   ratio to the baseline: {t_month / t_base:5.1f}x"
    )
    print(
        f"assessment_tables (all {len(tables)} tables)   {t_tables:8.3f} s   ratio to the baseline: "
        f"{t_tables / t_base:5.1f}x (sections, compliance, trends, rivers, lakes, proportions, ...)"
    )
    return {"baseline": t_base, "assess": t_assess, "assess_month": t_month, "tables": t_tables}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--n", type=float, default=1e8, help="observations for part 1 (default 1e8)")
    ap.add_argument("--apply-sample", type=int, default=200_000, help="rows timed with pandas apply")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--full", action="store_true", help="part 2 with 3,600 stations x 2 years hourly (2 GB)")
    ap.add_argument("--stations", type=int, default=None)
    ap.add_argument("--hours", type=int, default=None)
    ap.add_argument("--workers", type=int, default=None, help="dask workers (default 1; 2 with --full)")
    ap.add_argument("--worker-memory", default=None, help="memory_limit per worker (default 600MB)")
    ap.add_argument("--block", type=int, default=200, help="stations per block on the in-memory path")
    ap.add_argument("--skip-dask", action="store_true")
    ap.add_argument("--skip-classify", action="store_true")
    ap.add_argument("--skip-assess", action="store_true")
    ap.add_argument("--assess-stations", type=int, default=1000)
    ap.add_argument("--assess-years", type=int, default=10)
    args = ap.parse_args()
    if not args.skip_classify:
        part1(int(args.n), args.apply_sample, args.repeat)
    if not args.skip_assess:
        part3(args.assess_stations, args.assess_years, args.repeat)
    if not args.skip_dask:
        n_st = args.stations or (3600 if args.full else 2400)
        n_hours = args.hours or (2 * 8760 if args.full else 8760)
        workers = args.workers or (2 if args.full else 1)
        mem = args.worker_memory or "600MB"
        part2(n_st, n_hours, workers, mem, args.block)


if __name__ == "__main__":
    main()
