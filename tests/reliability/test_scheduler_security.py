"""--scheduler: the security note in --help, tls:// with the user's Dask TLS configuration."""

import subprocess

import dask.config
import pytest
from click.testing import CliRunner

from basin._errors import DataError
from basin.cli import main
from basin.zoning.parallel import connect_scheduler


def test_help_warns_that_the_scheduler_can_run_code():
    res = CliRunner().invoke(main, ["audit", "--help"])
    text = " ".join(res.output.split())
    assert "tls://host:8786" in text
    assert "SECURITY: the scheduler and its workers can run code on this machine" in text


@pytest.mark.parametrize("address", ["http://host:8786", "tcp://", "ftp://x"])
def test_unknown_scheme_is_bad_input(address):
    with pytest.raises(DataError, match="is not a Dask address; expected tcp://host:port or tls://host:port"):
        connect_scheduler(address)


def test_tls_without_configuration_names_the_settings():
    with dask.config.set({"distributed.comm.tls.ca-file": None, "distributed.comm.tls.client.cert": None}):
        with pytest.raises(DataError, match=r"uses TLS but your Dask configuration has no distributed\.comm\.tls\.ca-file"):
            connect_scheduler("tls://127.0.0.1:8786")


@pytest.fixture
def certs(tmp_path):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
         "-days", "1", "-subj", "/CN=localhost"],
        check=True, capture_output=True,
    )
    return str(cert), str(key)


def test_tls_scheduler_with_the_users_dask_configuration(certs):
    from distributed import LocalCluster, Security

    cert, key = certs
    sec = Security(
        tls_ca_file=cert,
        tls_scheduler_cert=cert,
        tls_scheduler_key=key,
        tls_worker_cert=cert,
        tls_worker_key=key,
        tls_client_cert=cert,
        tls_client_key=key,
        require_encryption=True,
    )
    with LocalCluster(
        n_workers=1, processes=False, protocol="tls://", security=sec, dashboard_address=":0"
    ) as cluster:
        assert cluster.scheduler_address.startswith("tls://")
        conf = {
            "distributed.comm.tls.ca-file": cert,
            "distributed.comm.tls.client.cert": cert,
            "distributed.comm.tls.client.key": key,
        }
        with dask.config.set(conf):
            client = connect_scheduler(cluster.scheduler_address)
            try:
                assert client.submit(lambda x: x + 1, 1).result() == 2
            finally:
                client.close()
