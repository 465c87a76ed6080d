"""The Dask path gives the same table as the single-process audit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from basin.zoning import audit_facilities, audit_facilities_dask, prepare_network


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=":0") as cluster:
        with Client(cluster) as c:
            yield c


@pytest.mark.parametrize("npartitions", [1, 3, 16])
def test_dask_identical_to_single_process(client, facilities, rivers, lakes, region, npartitions):
    single = audit_facilities(facilities, rivers, lakes, admin=region)
    dist = audit_facilities_dask(
        facilities, rivers, lakes, admin=region, client=client, npartitions=npartitions
    )
    pd.testing.assert_frame_equal(pd.DataFrame(dist), pd.DataFrame(single))
    assert dist.crs == single.crs


def test_dask_with_prepared_network_and_no_violation(client, facilities, rivers, lakes):
    net = prepare_network(rivers, lakes)
    clean = facilities[facilities.facility_id.isin(["F02", "F04"])]
    out = audit_facilities_dask(clean, network=net, client=client)
    assert len(out) == 0
    assert list(out.columns) == list(audit_facilities(clean, network=net).columns)


def test_plan_partitions_from_the_work():
    from basin.zoning.parallel import TARGET_TASK_S, plan_partitions

    # 1e5 facilities at 7.5 µs each: 0.75 s of work, less than one partition -> in process
    assert plan_partitions(100_000, 7.5e-6, 2) == 1
    # 1e7 at 7.5 µs: 75 s of work -> 38 partitions of ~2 s
    assert plan_partitions(10_000_000, 7.5e-6, 2) == int(np.ceil(75.0 / TARGET_TASK_S))
    # just over one partition of work: at least one partition per worker
    assert plan_partitions(1000, 3.0 / 1000, 8) == 8
    # never more partitions than facilities
    assert plan_partitions(5, 10.0, 2) == 5
    assert plan_partitions(0, 1.0, 2) == 1


def test_default_partitions_small_audit_runs_in_process(client, facilities, rivers, lakes, region, caplog):
    import logging

    single = audit_facilities(facilities, rivers, lakes, admin=region)
    with caplog.at_level(logging.INFO, logger="basin.zoning.parallel"):
        dist = audit_facilities_dask(facilities, rivers, lakes, admin=region, client=client)
    pd.testing.assert_frame_equal(pd.DataFrame(dist), pd.DataFrame(single))
    assert "audited in process" in caplog.text
