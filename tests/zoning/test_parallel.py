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
    from basin.zoning.parallel import DISTRIBUTED_OVERHEAD_S, TARGET_TASK_S, plan_partitions

    # 1e5 facilities at 7.5 µs each: 0.75 s of work, less than one partition -> in process
    assert plan_partitions(100_000, 7.5e-6, 2) == 1
    # 1e7 at 7.5 µs: 75 s of work -> 38 partitions of ~2 s (a multiple of the 2 workers)
    assert plan_partitions(10_000_000, 7.5e-6, 2) == int(np.ceil(75.0 / TARGET_TASK_S)) == 38
    # 1e7 at 2 µs: 20 s -> 10 partitions; on 4 workers 12, so that no worker idles at the end
    assert plan_partitions(10_000_000, 2e-6, 2) == 10
    assert plan_partitions(10_000_000, 2e-6, 4) == 12
    # 1e6 at 2.5 µs: 2.5 s of work; 2 workers would save 1.25 s, not more than the overhead -> in process;
    # 8 workers save 2.2 s -> one partition each
    assert DISTRIBUTED_OVERHEAD_S == 1.5
    assert plan_partitions(1_000_000, 2.5e-6, 2) == 1
    assert plan_partitions(1_000_000, 2.5e-6, 8) == 8
    # the start of a LocalCluster counts as overhead too
    assert plan_partitions(1_000_000, 2.5e-6, 8, overhead_s=2.5) == 1
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


def _shuffled_world(facilities):
    """The facilities in an order their ids do not sort in (F9 before F10), with a MultiPoint, a gapped index."""
    import geopandas as gpd
    from shapely.geometry import MultiPoint

    from tests.zoning.conftest import X0

    extra = gpd.GeoDataFrame(
        {
            "facility_id": pd.array(["F9", "F100"], dtype="string"),
            "name": pd.array(["九", "百"], dtype="string"),
            "category": pd.array(["polluting_facility", "industrial_park"], dtype="string"),
            "status": pd.array(["proposed", "proposed"], dtype="string"),
        },
        # F9: its nearer part 400 m from M0 (R1); F100: parts 4.5 km and 2.9 km from M0 / T3 (R2 and R3)
        geometry=[
            MultiPoint([(X0 + 3_000, 0), (X0 - 400, 1_000)]),
            MultiPoint([(X0 + 4_500, 0), (X0 + 17_100, 0)]),
        ],
        crs=facilities.crs,
    )
    out = pd.concat([facilities.iloc[::-1], extra, facilities.iloc[:0]])
    out = gpd.GeoDataFrame(out, geometry="geometry", crs=facilities.crs)
    out.index = np.arange(len(out)) * 7 + 3
    return out.iloc[[17, 0, 5, 16, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]]


@pytest.mark.parametrize("npartitions", [2, 5, 18])
def test_dask_identical_in_input_order_with_mixed_geometries(
    client, facilities, rivers, lakes, region, npartitions
):
    fac = _shuffled_world(facilities)
    single = audit_facilities(fac, rivers, lakes, admin=region)
    # the rows follow the input order, not the sorted ids (the distributed path once sorted them)
    assert list(pd.unique(single["facility_id"]))[:2] == ["F100", "F16"]
    assert set(single["facility_id"]) >= {"F9", "F100"}
    dist = audit_facilities_dask(fac, rivers, lakes, admin=region, client=client, npartitions=npartitions)
    pd.testing.assert_frame_equal(pd.DataFrame(dist), pd.DataFrame(single))


def test_located_rows_search_as_the_whole(facilities, rivers, lakes):
    from basin.zoning.audit import facility_need, locate, located_distances

    fac = _shuffled_world(facilities)
    net = prepare_network(rivers, lakes)
    loc, need = locate(net, fac), facility_need(net, fac)
    assert loc.owner is not None and len(loc.poly_rows) == 1  # the MultiPoints' parts, the one polygon
    whole = located_distances(net, loc, need)
    for cuts in ([0, 18], [0, 1, 2, 9, 18], list(range(19))):
        spans = zip(cuts[:-1], cuts[1:], strict=True)
        parts = [located_distances(net, loc.rows(a, b), need[a:b]) for a, b in spans]
        np.testing.assert_array_equal(np.concatenate([p[0] for p in parts]), whole[0])
        np.testing.assert_array_equal(np.concatenate([p[1] for p in parts]), whole[1])


def test_default_partitions_follow_the_measured_cost(
    client, facilities, rivers, lakes, region, monkeypatch, caplog
):
    import logging

    from basin.zoning import parallel

    fac = _shuffled_world(facilities)
    net = prepare_network(rivers, lakes)
    per = parallel.seconds_per_facility(fac, net)
    assert 0 < per < 1  # a real measurement of this network, not a constant
    # 18 facilities at 0.3 s each are 5.4 s of work: 3 partitions of <= TARGET_TASK_S, 4 on the 2 workers
    monkeypatch.setattr(parallel, "seconds_per_facility", lambda f, n, **kw: 0.3)
    with caplog.at_level(logging.INFO, logger="basin.zoning.parallel"):
        dist = audit_facilities_dask(fac, network=net, admin=region, client=client)
    assert "18 facilities in 4 partitions" in caplog.text
    pd.testing.assert_frame_equal(
        pd.DataFrame(dist), pd.DataFrame(audit_facilities(fac, network=net, admin=region))
    )


def test_dask_worker_processes_get_the_network_by_pickle(facilities, rivers, lakes):
    from distributed import Client, LocalCluster

    fac = _shuffled_world(facilities)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster:
        with Client(cluster) as c:
            dist = audit_facilities_dask(fac, rivers, lakes, client=c, npartitions=4)
    pd.testing.assert_frame_equal(pd.DataFrame(dist), pd.DataFrame(audit_facilities(fac, rivers, lakes)))


def test_dask_bad_facilities_are_reported_once_before_any_cluster(facilities, rivers, lakes):
    from basin._errors import SchemaError

    bad = facilities.assign(status=["planned"] + list(facilities["status"][1:]))
    with pytest.raises(
        SchemaError, match=r"unknown status\(s\) \['planned'\] for facility_id\(s\) \['F01'\]"
    ):
        audit_facilities_dask(bad, rivers, lakes, scheduler="tcp://127.0.0.1:1")
