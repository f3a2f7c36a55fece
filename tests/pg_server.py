"""A throw-away PostgreSQL server for the tests, run from Debian's postgresql binaries.

``initdb`` into a temporary directory, start on a free loopback port (unix socket in the same
directory), as the ``postgres`` user when the tests run as root (PostgreSQL refuses root). The
session fixture skips, saying why, only when no server can be started.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["postgres_server", "postgres_url", "find_pg_bin"]


def find_pg_bin() -> Path | None:
    """The directory with initdb and pg_ctl (Debian keeps them in /usr/lib/postgresql/<v>/bin)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    found = shutil.which("pg_ctl")
    if found:
        candidates.append(str(Path(found).resolve().parent))
    for directory in candidates:
        if (Path(directory) / "initdb").exists() and (Path(directory) / "pg_ctl").exists():
            return Path(directory)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(cmd: list[str], user: str | None) -> subprocess.CompletedProcess[str]:
    if user is not None:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """Start a server for the session; yields the base URL (``postgresql+psycopg://…/postgres``)."""
    pytest.importorskip("psycopg", reason="psycopg (PostgreSQL driver) is not installed: pip install 'psycopg[binary]'")
    bindir = find_pg_bin()
    if bindir is None:
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl): apt-get install postgresql")
    user: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run the server as")
        if shutil.which("runuser") is None:
            pytest.skip("running as root and runuser is missing")
        user = "postgres"
    base = Path(tempfile.mkdtemp(prefix="flowgraph-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(base, entry.pw_uid, entry.pw_gid)
    data = base / "data"
    port = _free_port()
    init = _run([str(bindir / "initdb"), "-D", str(data), "-U", "flowgraph", "--auth=trust", "-E", "UTF8",
                 "--no-sync"], user)  # fmt: skip
    if init.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"initdb failed: {init.stderr.strip()[:300]}")
    options = f"-p {port} -k {base} -h 127.0.0.1 -c fsync=on"
    start = _run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"], user)
    if start.returncode != 0:
        log = (base / "log").read_text(errors="replace") if (base / "log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"PostgreSQL did not start: {start.stderr.strip()[:200]} {log[-300:]}")
    try:
        yield f"postgresql+psycopg://flowgraph@127.0.0.1:{port}/postgres"
    finally:
        _run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"], user)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> str:
    """A fresh, empty database on the session's server (its URL)."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    conninfo = postgres_server.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return postgres_server.rsplit("/", 1)[0] + "/" + name
