"""A throw-away PostgreSQL server on loopback for the store tests (initdb + pg_ctl into a temporary folder).

Found through ``pg_ctl``/``initdb`` on PATH or Debian's ``/usr/lib/postgresql/*/bin``. As root, the server
runs as the ``postgres`` system user (PostgreSQL refuses to run as root). When the binaries are missing the
tests are skipped — except in CI (``CI=true``), where ``.ci/run`` installs Debian's ``postgresql`` and a
missing server fails the suite.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def pg_bindir() -> Path | None:
    """Return the folder holding initdb and pg_ctl, or None."""
    found = shutil.which("pg_ctl")
    if found and shutil.which("initdb"):
        return Path(os.path.realpath(found)).parent
    for d in sorted(
        glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(p.split("/")[-2]), reverse=True
    ):
        if Path(d, "pg_ctl").exists() and Path(d, "initdb").exists():
            return Path(d)
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a PostgreSQL server on 127.0.0.1 and yield its SQLAlchemy URL; stop and remove it afterwards."""
    bindir = pg_bindir()
    if bindir is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(
                "PostgreSQL binaries (initdb, pg_ctl) not found; .ci/run installs Debian's postgresql"
            )
        pytest.skip(
            "PostgreSQL binaries (initdb, pg_ctl) not found; install Debian's postgresql to run this test"
        )
    prefix: list[str] = []
    owner = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam("postgres")
        except KeyError:
            pytest.fail("running as root and there is no 'postgres' user to run the test server as")
        prefix = ["runuser", "-u", "postgres", "--"]
    base = Path(tempfile.mkdtemp(prefix="basin-pg-"))
    if owner is not None:
        os.chown(base, owner.pw_uid, owner.pw_gid)
    data = base / "data"
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C", "LANG": "C"}

    def run(*args: str) -> None:
        res = subprocess.run(
            [*prefix, *args], capture_output=True, text=True, env=env, timeout=120, check=False
        )
        if res.returncode != 0:
            log = (base / "log").read_text() if (base / "log").exists() else ""
            pytest.fail(f"{' '.join(args[:2])} failed ({res.returncode}): {res.stderr[-800:]} {log[-800:]}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
    opts = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=20"
    run(
        str(bindir / "pg_ctl"),
        "-D",
        str(data),
        "-o",
        opts,
        "-l",
        str(base / "log"),
        "-w",
        "-t",
        "60",
        "start",
    )
    try:
        url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
        deadline = time.monotonic() + 30
        import sqlalchemy as sa

        while True:
            try:
                eng = sa.create_engine(url)
                with eng.connect() as conn:
                    conn.execute(sa.text("select 1"))
                eng.dispose()
                break
            except sa.exc.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        subprocess.run(
            [*prefix, str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
            capture_output=True,
            env=env,
            timeout=60,
            check=False,
        )
        shutil.rmtree(base, ignore_errors=True)
