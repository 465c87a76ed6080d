"""The siting audit partitioned on a ``dask.distributed`` cluster.

The network is prepared once (:func:`basin.zoning.audit.prepare_network`) and broadcast to the workers; every
partition of facilities is audited by :func:`basin.zoning.audit.audit_facilities` on a worker and the results
are concatenated and sorted as in the single-process run, so both give identical tables.

Security: a Dask scheduler and its workers exchange pickled Python objects, so whoever runs the scheduler
can run code on this machine, and ``tcp://`` traffic is neither encrypted nor authenticated. Connect only
to a cluster you trust; across a network use ``tls://`` with your Dask TLS configuration
(:func:`connect_scheduler`, ``docs/zoning.md``).

Partition sizes come from the data (:func:`plan_partitions`): a sample of the facilities is audited in process
to measure the seconds per facility on this network, and the facilities are cut into partitions of about
:data:`TARGET_TASK_S` seconds of work each (at least one per worker). When all the work fits in one such
partition the audit runs in process: a cluster would only add the broadcast of the network and the task
overhead (measured: 500 partitions of 2,150 facilities took 165 s against 0.3 s in memory).
"""

from __future__ import annotations

import logging
import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from basin._errors import DataError
from basin.zoning.audit import Network, _empty_result, audit_facilities, check_facilities, prepare_network

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
#: Facilities audited in process to measure the cost per facility.
SAMPLE = 2000


def plan_partitions(n: int, seconds_per_facility: float, n_workers: int) -> int:
    """Return the number of partitions for ``n`` facilities: ``ceil(n * s / TARGET_TASK_S)``, >= workers.

    Returns 1 when the whole audit is less than :data:`TARGET_TASK_S` of work (run it in process).
    """
    work = max(n, 0) * max(seconds_per_facility, 0.0)
    parts = int(np.ceil(work / TARGET_TASK_S))
    if parts <= 1 or n <= 1:
        return 1
    return int(min(max(parts, n_workers), n))


def seconds_per_facility(
    facilities: gpd.GeoDataFrame, network: Network, admin: gpd.GeoDataFrame | None, *, seed: int = 0
) -> float:
    """Audit a sample of :data:`SAMPLE` facilities in process and return the seconds per facility."""
    k = min(SAMPLE, len(facilities))
    if k == 0:
        return 0.0
    pick = np.sort(np.random.default_rng(seed).choice(len(facilities), size=k, replace=False))
    t0 = time.perf_counter()
    audit_facilities(facilities.iloc[pick], network=network, admin=admin)
    return (time.perf_counter() - t0) / k


def _audit_partition(
    part: gpd.GeoDataFrame, network: Network, admin: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    return audit_facilities(part, network=network, admin=admin)


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
        Number of facility partitions (default: from the data, :func:`plan_partitions`; when the whole
        audit is less than one partition of work it runs in process, without the cluster).
    scheduler
        Address of a running ``dask.distributed`` scheduler (``tcp://10.0.0.5:8786``, or ``tls://…`` with
        your Dask TLS configuration, see :func:`connect_scheduler`). The scheduler can run code on this
        machine: use only a cluster you trust. Without it (and without ``client``) a ``LocalCluster`` is
        started for the call and closed after.
    client
        An existing ``distributed.Client`` to use (takes precedence over ``scheduler``).

    Returns
    -------
    geopandas.GeoDataFrame
        Identical to the single-process result (rows sorted by facility id, then rule order).
    """
    from distributed import Client, LocalCluster

    check_facilities(facilities)
    if network is None:
        if rivers is None:
            from basin._errors import SchemaError

            msg = "audit_facilities_dask needs rivers (or a prepared network)"
            raise SchemaError(msg)
        network = prepare_network(rivers, lakes, rules=rules, crs=crs)
    own: list[Any] = []
    if client is None and scheduler:  # an address given: it must answer, even if the audit then runs here
        client = connect_scheduler(scheduler)
        own.append(client)
    if npartitions is None:
        per = seconds_per_facility(facilities, network, admin)
        if plan_partitions(len(facilities), per, 1 << 30) == 1:
            log.info(
                "%d facilities are %.2f s of audit work (%.1f µs each), less than one partition of %.0f s: "
                "audited in process",
                len(facilities),
                len(facilities) * per,
                per * 1e6,
                TARGET_TASK_S,
            )
            for obj in own:
                obj.close()
            return audit_facilities(facilities, network=network, admin=admin)
    if client is None:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
        own += [client, cluster]
    try:
        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        if npartitions is None:
            nparts = plan_partitions(len(facilities), per, n_workers)
            log.info("%d facilities in %d partitions (%.1f µs each)", len(facilities), nparts, per * 1e6)
        else:
            nparts = max(1, min(npartitions, len(facilities)))
        fac = facilities.reset_index(drop=True)
        bounds = np.linspace(0, len(fac), nparts + 1).astype(int)
        chunks = [fac.iloc[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]
        net_f = client.scatter(network, broadcast=True)
        adm_f = client.scatter(admin, broadcast=True) if admin is not None else None
        part_f = client.scatter(chunks)
        futures = [client.submit(_audit_partition, p, net_f, adm_f, pure=False) for p in part_f]
        results = client.gather(futures)
    finally:
        for obj in own:
            obj.close()
    results = [r for r in results if len(r)]
    if not results:
        return _empty_result(facilities.crs, admin is not None)
    out = pd.concat(results, ignore_index=True)
    rule_pos = {r.id: i for i, r in enumerate(network.rules)}
    order = (
        out.assign(_r=out["rule_id"].map(rule_pos)).sort_values(["facility_id", "_r"], kind="stable").index
    )
    out = out.loc[order].reset_index(drop=True)
    for c in out.columns:
        if c not in ("distance_m", "limit_m", out.geometry.name):
            out[c] = out[c].astype("string")
    return gpd.GeoDataFrame(out, geometry=out.geometry.name, crs=facilities.crs)
