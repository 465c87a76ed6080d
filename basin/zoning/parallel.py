"""The siting audit partitioned on a ``dask.distributed`` cluster.

The client checks the facilities once and reduces them to compact arrays (WGS84 coordinates of the points,
the geometry of the few polygons, the category/status mask of the rule groups: :func:`~basin.zoning.audit.locate`);
the network is prepared once and broadcast to the workers (``client.scatter(..., broadcast=True)``, once per
call); each worker measures the exact geodesic distances of its slice of facilities
(:func:`~basin.zoning.audit.located_distances`) and returns two arrays; the client puts the slices back in place
and builds the table with the same code as :func:`~basin.zoning.audit.audit_facilities`
(:func:`~basin.zoning.audit.assemble`), so both give identical tables.

Security: a Dask scheduler and its workers exchange pickled Python objects, so whoever runs the scheduler
can run code on this machine, and ``tcp://`` traffic is neither encrypted nor authenticated. Connect only
to a cluster you trust; across a network use ``tls://`` with your Dask TLS configuration
(:func:`connect_scheduler`, ``docs/zoning.md``).

Partition sizes come from the data (:func:`plan_partitions`): the distance search is timed on a sample of
:data:`SAMPLE` facilities, less the same call's fixed cost with nothing to measure
(:func:`seconds_per_facility`), and the facilities are cut into partitions of about :data:`TARGET_TASK_S`
seconds of work each (a multiple of the workers). When all the work fits in one such partition, or the time
the workers would save is not more than the broadcast of the network and the start of a cluster
(:data:`DISTRIBUTED_OVERHEAD_S`, :data:`LOCAL_CLUSTER_S`), the audit runs in process (measured before this
plan: 500 partitions of 2,150 facilities took 165 s against 0.3 s in memory).
"""

from __future__ import annotations

import gc
import logging
import os
import time
from typing import Any

import geopandas as gpd
import numpy as np

from basin._errors import DataError
from basin.zoning.audit import (
    Located,
    Network,
    assemble,
    check_admin,
    check_facilities,
    facility_need,
    locate,
    located_distances,
    prepare_network,
)

log = logging.getLogger(__name__)

#: Seconds to wait for a scheduler given by address.
SCHEDULER_TIMEOUT = 10
#: Address schemes of dask.distributed that basin accepts for ``scheduler``.
SCHEMES = ("tcp", "tls", "ws", "wss", "inproc")
_TLS_KEYS = ("distributed.comm.tls.ca-file", "distributed.comm.tls.client.cert")


def connect_scheduler(address: str, *, timeout: float | None = None) -> Any:
    """Connect a ``distributed.Client`` to the scheduler at ``address`` (TLS for ``tls://`` and ``wss://``).

    The security settings are the user's Dask configuration (``distributed.Security()`` reads
    ``distributed.comm.tls.ca-file``, ``.client.cert`` and ``.client.key`` from ``~/.config/dask/*.yaml``
    or the ``DASK_DISTRIBUTED__COMM__TLS__...`` environment variables); basin adds none of its own.

    The scheduler can run code on this machine (Dask deserialises the messages it sends): connect only to a
    cluster you trust. A plain ``tcp://`` address that is not on this machine is logged as a warning.

    Parameters
    ----------
    address
        ``tcp://host:port``, ``tls://host:port``, ``ws://``, ``wss://`` or ``host:port`` (tcp).
    timeout
        Seconds to wait for the scheduler (default :data:`SCHEDULER_TIMEOUT`).

    Returns
    -------
    distributed.Client

    Raises
    ------
    DataError
        An unknown scheme, a ``tls://`` address without a TLS configuration, or a scheduler that cannot be
        reached (the message names the address).
    """
    import dask.config
    from distributed import Client, Security

    scheme, sep, rest = address.partition("://")
    if not sep:
        scheme, rest = "tcp", address
    scheme = scheme.lower()
    if scheme not in SCHEMES or not rest:
        msg = (
            f"scheduler address {address[:80]!r} is not a Dask address; expected tcp://host:port or "
            "tls://host:port (with your Dask TLS configuration)"
        )
        raise DataError(msg)
    kwargs: dict[str, Any] = {"timeout": SCHEDULER_TIMEOUT if timeout is None else timeout}
    if scheme in ("tls", "wss"):
        missing = [k for k in _TLS_KEYS if not dask.config.get(k, None)]
        if missing:
            msg = (
                f"scheduler {address[:80]!r} uses TLS but your Dask configuration has no "
                f"{', '.join(missing)}; "
                "set them (and distributed.comm.tls.client.key) in ~/.config/dask/distributed.yaml or as "
                "DASK_DISTRIBUTED__COMM__TLS__CA_FILE / __CLIENT__CERT / __CLIENT__KEY (see docs/zoning.md)"
            )
            raise DataError(msg)
        kwargs["security"] = Security()
    elif scheme in ("tcp", "ws"):
        host = rest.rsplit(":", 1)[0].strip("[]")
        if host not in ("localhost", "127.0.0.1", "::1", ""):
            log.warning(
                "connecting to the Dask scheduler %s without encryption; the scheduler can run code on this "
                "machine - use only a cluster you trust, and tls:// across a network",
                address,
            )
    try:
        return Client(address, **kwargs)
    except (OSError, TimeoutError, ValueError, TypeError) as exc:
        msg = f"cannot connect to the Dask scheduler {address[:80]!r}: {' '.join(str(exc).split())[:200]}"
        raise DataError(msg) from exc


#: Seconds of audit work per partition: the per-task overhead (scheduling, moving a partition and its
#: result: some 10-100 ms) stays a few per cent of it.
TARGET_TASK_S = 2.0
#: Seconds a distributed audit costs beyond the work itself: broadcasting the prepared network (43 MB for
#: 10^5 reaches) to the workers, their import of basin on first use, moving the partitions (measured: 0.8-1.2 s
#: on 2 fresh local workers, 0.15 s on warm ones).
DISTRIBUTED_OVERHEAD_S = 1.5
#: Seconds to start the ``LocalCluster`` of a call without a scheduler (measured: 0.4-0.6 s for 2 workers).
LOCAL_CLUSTER_S = 1.0
#: Facilities of the timed sample.
SAMPLE = 5000
#: Most worker processes of the ``LocalCluster`` started for a call (one per core up to this).
MAX_LOCAL_WORKERS = 8


def plan_partitions(
    n: int, seconds_per_facility: float, n_workers: int, *, overhead_s: float = DISTRIBUTED_OVERHEAD_S
) -> int:
    """Return the number of partitions for ``n`` facilities at ``seconds_per_facility`` on ``n_workers``.

    The work ``W = n * seconds_per_facility`` is cut into ``ceil(W / TARGET_TASK_S)`` partitions of about
    :data:`TARGET_TASK_S` seconds, rounded up to a multiple of the workers (so that none waits for a last
    partition while the others idle), at most ``n``. Returns 1 (run in process) when the work is less than
    one partition, or when spreading it cannot win: the time saved, ``W * (1 - 1 / n_workers)``, is not
    more than ``overhead_s`` (:data:`DISTRIBUTED_OVERHEAD_S`, plus :data:`LOCAL_CLUSTER_S` when a cluster
    must be started).
    """
    work = max(n, 0) * max(seconds_per_facility, 0.0)
    w = max(n_workers, 1)
    parts = int(np.ceil(work / TARGET_TASK_S))
    if parts <= 1 or n <= 1 or work * (1 - 1 / w) <= overhead_s:
        return 1
    return int(min(-(-parts // w) * w, n))


def seconds_per_facility(facilities: gpd.GeoDataFrame, network: Network, *, seed: int = 0) -> float:
    """Seconds of distance search per facility on this network, timed on a sample of :data:`SAMPLE`.

    The sample (drawn at random, so points and polygons come in their proportions) is searched twice: once
    with nothing to measure, which times the call's fixed cost (the projection set-up), and once for real;
    the difference divided by the sample size is the marginal cost that partitions multiply (Python's
    garbage collector is paused while timing: it would charge the whole input's objects to the sample). Facilities
    must have been checked (:func:`~basin.zoning.audit.check_facilities`).
    """
    k = min(SAMPLE, len(facilities))
    if k == 0:
        return 0.0
    pick = np.sort(np.random.default_rng(seed).choice(len(facilities), size=k, replace=False))
    sample = facilities.iloc[pick]
    loc, need = locate(network, sample), facility_need(network, sample)
    enabled = gc.isenabled()
    gc.disable()  # a collection over millions of live geometries would be timed as the sample's (~60 ms)
    try:
        t0 = time.perf_counter()
        located_distances(network, loc, np.zeros_like(need))
        t1 = time.perf_counter()
        located_distances(network, loc, need)
        t2 = time.perf_counter()
    finally:
        if enabled:
            gc.enable()
    return max((t2 - t1) - (t1 - t0), 0.0) / k


def _partition_distances(network: Network, part: tuple[Located, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Run on a worker: distances and nearest features (int32 when they fit) of one partition."""
    dist, feat = located_distances(network, *part)
    small = feat.astype(np.int32) if len(network.features) < 2**31 else feat
    return dist, small


def _slots(client: Any) -> int:
    """Tasks the cluster runs at once: the threads of all its workers."""
    return max(sum(client.nthreads().values()), 1)


def local_workers() -> int:
    """Worker processes of the ``LocalCluster`` started for a call: one per core, at most :data:`MAX_LOCAL_WORKERS`."""
    return max(1, min(os.cpu_count() or 1, MAX_LOCAL_WORKERS))


def audit_facilities_dask(
    facilities: gpd.GeoDataFrame,
    rivers: gpd.GeoDataFrame | None = None,
    lakes: gpd.GeoDataFrame | None = None,
    *,
    rules: Any = None,
    admin: gpd.GeoDataFrame | None = None,
    crs: Any = None,
    network: Network | None = None,
    npartitions: int | None = None,
    scheduler: str | None = None,
    client: Any = None,
) -> gpd.GeoDataFrame:
    """Run :func:`~basin.zoning.audit.audit_facilities` partitioned on a Dask cluster; same result.

    Parameters
    ----------
    facilities, rivers, lakes, rules, admin, crs, network
        As for :func:`~basin.zoning.audit.audit_facilities`.
    npartitions
        Number of facility partitions (default: from the data, :func:`plan_partitions`: the measured
        seconds per facility, the workers of the cluster; when the cluster cannot win - less than one
        partition of work, or less time to save than its overhead - the audit runs in process). Given, the
        cluster is used even for one partition.
    scheduler
        Address of a running ``dask.distributed`` scheduler (``tcp://10.0.0.5:8786``, or ``tls://…`` with
        your Dask TLS configuration, see :func:`connect_scheduler`). The scheduler can run code on this
        machine: use only a cluster you trust. Without it (and without ``client``) a ``LocalCluster`` of
        :func:`local_workers` single-threaded processes is started for the call and closed after.
    client
        An existing ``distributed.Client`` to use (takes precedence over ``scheduler``).

    Returns
    -------
    geopandas.GeoDataFrame
        Identical to the single-process result (rows in the facilities' order, then rule order).

    Raises
    ------
    SchemaError, CRSError
        As :func:`~basin.zoning.audit.audit_facilities`.
    DataError
        A ``scheduler`` that cannot be reached (see :func:`connect_scheduler`).
    """
    from distributed import Client, LocalCluster, as_completed

    check_facilities(facilities)
    if network is None:
        if rivers is None:
            from basin._errors import SchemaError

            msg = "audit_facilities_dask needs rivers (or a prepared network)"
            raise SchemaError(msg)
        network = prepare_network(rivers, lakes, rules=rules, crs=crs)
    check_admin(admin)
    n = len(facilities)
    own: list[Any] = []
    if client is None and scheduler:  # an address given: it must answer, even if the audit then runs here
        client = connect_scheduler(scheduler)
        own.append(client)
    need = facility_need(network, facilities)
    if npartitions is None or n == 0:
        per = seconds_per_facility(facilities, network) if n else 0.0
        if client is None:
            slots, overhead = local_workers(), DISTRIBUTED_OVERHEAD_S + LOCAL_CLUSTER_S
        else:
            slots, overhead = _slots(client), DISTRIBUTED_OVERHEAD_S
        nparts = plan_partitions(n, per, slots, overhead_s=overhead)
        if nparts == 1:
            log.info(
                "%d facilities are %.2f s of audit work (%.1f µs each): audited in process (less than one partition "
                "of %.0f s, or not more than %.1f s to save on %d workers)",
                n,
                n * per,
                per * 1e6,
                TARGET_TASK_S,
                overhead,
                slots,
            )
            for obj in own:
                obj.close()
            dist, feat = located_distances(network, locate(network, facilities), need)
            return assemble(facilities, network, dist, feat, admin=admin)
        log.info("%d facilities in %d partitions (%.1f µs each, %d workers)", n, nparts, per * 1e6, slots)
    else:
        nparts = max(1, min(npartitions, n))
    loc = locate(network, facilities)
    if client is None:
        import dask.config

        # Dask sets MALLOC_TRIM_THRESHOLD_ in its worker processes to return memory to the OS sooner; it also
        # stops glibc from raising its mmap threshold, so every large temporary array is a fresh mmap
        # (measured: 10 % slower searches). The workers of this call's own cluster keep the default.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(
                n_workers=local_workers(), threads_per_worker=1, processes=True, dashboard_address=":0"
            )
        client = Client(cluster)
        own += [client, cluster]
    dist = np.full((n, len(network.groups)), np.inf)
    feat = np.full((n, len(network.groups)), -1, dtype=np.int64)
    try:
        bounds = np.linspace(0, n, nparts + 1).astype(int)
        spans = [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
        net_f = client.scatter(network, broadcast=True, hash=False)
        data_f = client.scatter([(loc.rows(a, b), need[a:b]) for a, b in spans], hash=False)
        futures = {
            client.submit(_partition_distances, net_f, d, pure=False): span
            for d, span in zip(data_f, spans, strict=True)
        }
        del data_f
        for fut, (d, f) in as_completed(futures, with_results=True):
            a, b = futures[fut]
            dist[a:b], feat[a:b] = d, f
            fut.release()
    finally:
        for obj in own:
            obj.close()
    return assemble(facilities, network, dist, feat, admin=admin)
