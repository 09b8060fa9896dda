"""PostgreSQL for tests and benches: the admin URL, throwaway databases, and a cluster of
a test's own to stop and start."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2

from models import init_database, migrate
from testkit.net import free_port

DEFAULT_PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PG_ADMIN_URL = os.environ.get("INCIDENT_TEST_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)
TABLES_IN_DELETE_ORDER = (
    "reminder",
    "channel_member",
    "timeline_event",
    "status_change",
    "follow_up_action",
    "audit_entry",
    "delivery",
    "slack_user",
    "draft_source",
    "imported_row",
    "incident",
)


def with_database(url: str, name: str) -> str:
    return urlunparse(urlparse(url)._replace(path=f"/{name}"))


PG_BIN = Path(os.environ.get("INCIDENT_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))


class OwnPostgres:
    """A throwaway PostgreSQL cluster (initdb in a temp directory, its own port).

    The restart test stops *this* server, not the shared one: the run's session fixtures
    hold connections to the shared server that a restart would kill under them.
    """

    def __init__(self) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="incident-faults-pg-"))
        self.data = self.directory / "data"
        self.port = free_port()
        self.as_postgres = os.geteuid() == 0  # initdb refuses to run as root
        try:
            if self.as_postgres:
                shutil.chown(self.directory, "postgres", "postgres")
            self._run(
                PG_BIN / "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "--no-sync",
                "-E",
                "UTF8",
            )
        except BaseException:
            # No object for a caller's `finally` to remove: the directory goes now.
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def write(self, name: str, content: bytes, mode: int = 0o600) -> Path:
        """A file in the data directory, the server's own and readable by it alone (the
        server refuses a private key that others can read)."""
        path = self.data / name
        path.write_bytes(content)
        path.chmod(mode)
        if self.as_postgres:
            shutil.chown(path, "postgres", "postgres")
        return path

    def configure(self, **settings: str) -> None:
        """Server settings for the next start, appended to postgresql.conf (later lines win)."""
        lines = "".join(f"{name} = '{value}'\n" for name, value in settings.items())
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(lines)

    def use_tls(self, certificate: bytes, key: bytes) -> None:
        """TLS only from the next start, as Azure Database for PostgreSQL with
        require_secure_transport: `ssl=on` with this certificate (PEM, its chain after it)
        and key, and a pg_hba.conf that lets in TLS connections on loopback (trusted) and
        nothing else: a TCP connection without TLS is rejected by name, and no Unix-socket
        connection has an entry."""
        self.write("server.crt", certificate, 0o644)
        self.write("server.key", key, 0o600)
        self.write(
            "pg_hba.conf",
            b"# TLS only (written by testkit.postgres.OwnPostgres.use_tls)\n"
            b"hostssl   all all 127.0.0.1/32 trust\n"
            b"hostssl   all all ::1/128      trust\n"
            b"hostnossl all all all          reject\n",
            0o600,
        )
        self.configure(ssl="on", ssl_cert_file="server.crt", ssl_key_file="server.key")

    def _run(self, *command: object) -> None:
        argv = [str(c) for c in command]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            PG_BIN / "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-w",
            "-t",
            "30",
            "-l",
            str(self.directory / "server.log"),
            "start",
        )

    def stop(self) -> None:
        self._run(PG_BIN / "pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def log(self) -> str:
        """What the server has logged so far (empty before its first start)."""
        with contextlib.suppress(OSError):
            return (self.directory / "server.log").read_text(errors="replace")
        return ""

    def pid(self) -> int | None:
        pidfile = self.data / "postmaster.pid"
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(pidfile.read_text().splitlines()[0])
        return None

    def remove(self) -> None:
        pid = self.pid()
        if pid is not None:
            with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired):
                self.stop()
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(self.directory, ignore_errors=True)


@contextlib.contextmanager
def throwaway_database() -> Iterator[str]:
    """A fresh, migrated PostgreSQL database on the admin URL's server; dropped after."""
    admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    admin.autocommit = True
    name = f"incident_bench_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    url = with_database(PG_ADMIN_URL, name)
    database = init_database(url)
    migrate(database)
    try:
        yield url
    finally:
        database.close_all()
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


# A database made by the HMCTS fork of monzo/response's own code (see its README beside the
# shared peer data): what `import-response` reads.
RESPONSE_DUMP = Path(__file__).with_name("data") / "response-fork.sql"


def _psql() -> str:
    found = shutil.which("psql") or str(PG_BIN / "psql")
    return found


@contextlib.contextmanager
def response_database(template: str | None = None) -> Iterator[str]:
    """A throwaway database holding the response dump (or a copy of `template`, a database
    already holding it: much faster); its URL, dropped after."""
    admin = psycopg2.connect(PG_ADMIN_URL, connect_timeout=3)
    admin.autocommit = True
    name = f"response_src_{uuid.uuid4().hex[:10]}"
    with admin.cursor() as cursor:
        if template is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
        else:
            cursor.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    url = with_database(PG_ADMIN_URL, name)
    try:
        if template is None:
            subprocess.run(
                [_psql(), "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f", str(RESPONSE_DUMP)],
                check=True,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PGTZ": "UTC"},
            )
        yield url
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def database_name(url: str) -> str:
    return urlparse(url).path.lstrip("/")
