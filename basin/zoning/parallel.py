"""The siting audit partitioned on Dask (dask-geopandas partitions, a ``dask.distributed`` cluster).

The network is prepared once (:func:`basin.zoning.audit.prepare_network`) and broadcast to the workers; every
partition of facilities is audited by :func:`basin.zoning.audit.audit_facilities` on a worker and the results
are concatenated and sorted as in the single-process run, so both give identical tables.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from basin._errors import DataError
from basin.zoning.audit import Network, _empty_result, audit_facilities, check_facilities, prepare_network

#: Seconds to wait for a scheduler given by address.
SCHEDULER_TIMEOUT = 10


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
        Number of facility partitions (default: 4 per worker).
    scheduler
        Address of a running ``dask.distributed`` scheduler (e.g. ``tcp://10.0.0.5:8786``). Without it (and
        without ``client``) a ``LocalCluster`` is started for the call and closed after.
    client
        An existing ``distributed.Client`` to use (takes precedence over ``scheduler``).

    Returns
    -------
    geopandas.GeoDataFrame
        Identical to the single-process result (rows sorted by facility id, then rule order).
    """
    import dask_geopandas
    from distributed import Client, LocalCluster

    check_facilities(facilities)
    if network is None:
        if rivers is None:
            from basin._errors import SchemaError

            msg = "audit_facilities_dask needs rivers (or a prepared network)"
            raise SchemaError(msg)
        network = prepare_network(rivers, lakes, rules=rules, crs=crs)
    own: list[Any] = []
    if client is None:
        if scheduler:
            try:
                client = Client(scheduler, timeout=SCHEDULER_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as exc:
                msg = f"cannot connect to the Dask scheduler {scheduler!r}: {exc}"
                raise DataError(msg) from exc
        else:
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0")
            own.append(cluster)
            client = Client(cluster)
        own.insert(0, client)
    try:
        n_workers = max(len(client.scheduler_info().get("workers", {})), 1)
        nparts = max(1, min(npartitions or 4 * n_workers, len(facilities)))
        ddf = dask_geopandas.from_geopandas(facilities.reset_index(drop=True), npartitions=nparts)
        net_f = client.scatter(network, broadcast=True)
        adm_f = client.scatter(admin, broadcast=True) if admin is not None else None
        parts = ddf.to_delayed()
        futures = [
            client.submit(_audit_partition, client.compute(p), net_f, adm_f, pure=False) for p in parts
        ]
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
