"""A throwaway PostgreSQL cluster on loopback, started by the suite.

``initdb`` and ``pg_ctl`` from the Debian package ``postgresql`` (``make peers`` installs
it). PostgreSQL refuses to run as root, so as root they run as the ``postgres`` user on a
data directory that user owns; otherwise they run as whoever runs the tests. The cluster
trades durability for speed (``fsync=off``): it only lives as long as the test session.
"""

from __future__ import annotations

import glob
import itertools
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found: install the Debian package "
    "'postgresql' (make peers), or set SHELFNET_PG_BIN to their directory"
)


class MissingPostgres(Exception):
    pass


def find_bin_dir() -> Path:
    """The directory holding initdb and pg_ctl."""
    candidates = [os.environ.get("SHELFNET_PG_BIN", "")]
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(str(Path(on_path).parent))
    for candidate in filter(None, candidates):
        if (Path(candidate) / "initdb").is_file() and (Path(candidate) / "pg_ctl").is_file():
            return Path(candidate)
    raise MissingPostgres(INSTALL_HINT)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Cluster:
    port: int
    user: str
    _names: Iterator[int]

    def url(self, database: str) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def create_database(self, prefix: str = "catalog") -> str:
        """A new, empty database; returns its URL."""
        import psycopg

        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.url("postgres"), autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING UTF8')
        return self.url(name)


@contextmanager
def start_cluster(root: Path) -> Iterator[Cluster]:
    """initdb in ``root``, start on a free loopback port, stop (fast) at the end."""
    bin_dir = find_bin_dir()
    as_root = os.geteuid() == 0
    data = root / "pgdata"
    data.mkdir(parents=True)
    root.chmod(0o755)
    prefix: list[str] = []
    user = "postgres" if as_root else _current_user()
    if as_root:
        shutil.chown(data, "postgres", "postgres")
        prefix = ["runuser", "-u", "postgres", "--"]
    _run([*prefix, str(bin_dir / "initdb"), "-D", str(data), "-U", user, "-A", "trust",
          "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])  # fmt: skip
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={data} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    log = data / "server.log"
    _run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options,
          "-w", "-t", "60", "start"])  # fmt: skip
    try:
        yield Cluster(port, user, itertools.count(1))
    finally:
        _run([*prefix, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])


def _current_user() -> str:
    import pwd

    return pwd.getpwuid(os.geteuid()).pw_name


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
