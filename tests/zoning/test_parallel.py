"""The Dask path gives the same table as the single-process audit."""

from __future__ import annotations

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
