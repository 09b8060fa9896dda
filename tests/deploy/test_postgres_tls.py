"""The bot and the viewer on a TLS-only PostgreSQL with sslmode=verify-full, as on Azure
Database for PostgreSQL.

The images set PGSSLROOTCERT to Debian's system bundle (/etc/ssl/certs/ca-certificates.crt,
which holds the roots Azure's servers chain to), so `?sslmode=verify-full` is all a
DATABASE_URL needs; `sslrootcert=<file>` in the URL works too. Here a cluster of the test's
own serves a certificate for localhost and 127.0.0.1 signed by a CA made for the test, lets
in TLS connections only, and the real `incident-bot migrate` and `incident-viewer` connect
to it with a bundle that holds that CA after the system's roots, as the image's would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import pytest
from peewee import OperationalError

from models import init_database
from models.db import PostgresPool
from testkit.net import free_port, wait_for
from testkit.postgres import PG_BIN, OwnPostgres
from testkit.tls import CertificateAuthority

SYSTEM_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BIN = Path(sys.executable).parent
# A name the server's certificate does not hold, reached at the server's address through
# libpq's hostaddr (no resolver involved): what a DATABASE_URL naming the wrong host meets.
NOT_IN_CERTIFICATE = "db.not-in-the-certificate.test"
COMMAND_TIMEOUT = 30


@dataclass(frozen=True)
class TlsPostgres:
    port: int
    ca: Path  # the CA that signed the server's certificate, alone
    bundle: Path  # the system's roots and that CA: the image's PGSSLROOTCERT
    foreign_bundle: Path  # the system's roots and a CA that signed nothing here
    home: Path  # an empty HOME: libpq's default ~/.postgresql/root.crt is not there

    def url(self, host: str = "localhost", **query: str) -> str:
        base = f"postgresql://postgres@{host}:{self.port}/postgres"
        return f"{base}?{urlencode(query)}" if query else base

    def env(self, **variables: str) -> dict[str, str]:
        """This environment without anything that would choose libpq's certificates for it,
        plus `variables`."""
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("PG", "SSL_CERT_")) and name != "DATABASE_URL"
        }
        return {**inherited, "HOME": str(self.home), "LOG_FORMAT": "text", **variables}


def _bundle(path: Path, ca: bytes) -> Path:
    system = SYSTEM_BUNDLE.read_bytes() if SYSTEM_BUNDLE.exists() else b""
    path.write_bytes(system.rstrip(b"\n") + b"\n" + ca if system else ca)
    return path


@pytest.fixture(scope="module")
def tls_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsPostgres]:
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"no PostgreSQL binaries in {PG_BIN} (set INCIDENT_TEST_PG_BIN)")
    files = tmp_path_factory.mktemp("tls")
    ca, stranger = CertificateAuthority(), CertificateAuthority("a CA that signed nothing here")
    issued = ca.issue_server(("localhost",), ("127.0.0.1",))
    (files / "ca.pem").write_bytes(ca.certificate)
    home = files / "home"
    home.mkdir()
    server = OwnPostgres()
    try:
        server.use_tls(issued.certificate, issued.key)
        try:
            server.start()
        except subprocess.CalledProcessError:
            pytest.fail(f"the TLS-only server did not start:\n{server.log()[-2000:]}")
        yield TlsPostgres(
            port=server.port,
            ca=files / "ca.pem",
            bundle=_bundle(files / "ca-certificates.crt", ca.certificate),
            foreign_bundle=_bundle(files / "foreign-ca-certificates.crt", stranger.certificate),
            home=home,
        )
    finally:
        server.remove()


def _open(url: str) -> PostgresPool:
    """The shared proxy pointed at `url`, as the bot and the viewer do it (not yet connected)."""
    database = init_database(url)
    assert isinstance(database, PostgresPool)
    return database


def _session_ssl(url: str) -> tuple[bool, str]:
    """Connect through models.init_database; the server's word on whether the session is
    TLS, and its protocol."""
    database = _open(url)
    try:
        assert database.execute_sql("SELECT 1").fetchone() == (1,)
        row = database.execute_sql(
            "SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
        return bool(row[0]), str(row[1])
    finally:
        database.close_all()


def _refusal(url: str) -> str:
    database = _open(url)
    try:
        with pytest.raises(OperationalError) as raised:
            database.connect()
        return str(raised.value)
    finally:
        database.close_all()


def _migrate(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "incident-bot"), "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )


# -- connecting ----------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_init_database_verifies_the_server_with_sslrootcert_in_the_url(
    tls_postgres: TlsPostgres, host: str
) -> None:
    url = tls_postgres.url(host, sslmode="verify-full", sslrootcert=str(tls_postgres.ca))
    ssl, version = _session_ssl(url)
    assert ssl, "the server says the session is not TLS"
    assert version.startswith("TLSv1."), version


def test_migrate_and_the_viewer_verify_the_server_with_pgsslrootcert(
    tls_postgres: TlsPostgres, tmp_path: Path
) -> None:
    """The image's way: PGSSLROOTCERT names the bundle, the URL says only verify-full."""
    env = tls_postgres.env(
        DATABASE_URL=tls_postgres.url(sslmode="verify-full"),
        PGSSLROOTCERT=str(tls_postgres.bundle),
    )
    migrated = _migrate(env)
    assert migrated.returncode == 0, migrated.stderr
    tables = _open(tls_postgres.url(sslmode="verify-full", sslrootcert=str(tls_postgres.ca)))
    try:
        names = {name for (name,) in tables.execute_sql("SELECT tablename FROM pg_tables")}
    finally:
        tables.close_all()
    assert {"incident", "timeline_event", "schema_migration"} <= names

    port = free_port()
    log = tmp_path / "viewer.log"
    with log.open("wb") as output:
        viewer = subprocess.Popen(
            [str(BIN / "incident-viewer"), "--port", str(port), "--metrics-port", "0"],
            env={**env, "VIEWER_AUTH": "none"},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            wait_for(f"http://127.0.0.1:{port}/healthz", 200, timeout=COMMAND_TIMEOUT)
        except AssertionError as error:
            raise AssertionError(f"{error}; the viewer said:\n{log.read_text()}") from None
        viewer.send_signal(signal.SIGTERM)
        assert viewer.wait(timeout=COMMAND_TIMEOUT) == 0, log.read_text()
    finally:
        if viewer.poll() is None:
            viewer.kill()
            viewer.wait()


def test_sslrootcert_system_reads_the_bundle_ssl_cert_file_names(
    tls_postgres: TlsPostgres,
) -> None:
    """psycopg2-binary's own OpenSSL looks for the "system" roots under the directory it was
    built in, not Debian's: with sslrootcert=system, SSL_CERT_FILE must name the bundle."""
    migrated = _migrate(
        tls_postgres.env(
            DATABASE_URL=tls_postgres.url(sslmode="verify-full", sslrootcert="system"),
            SSL_CERT_FILE=str(tls_postgres.bundle),
        )
    )
    assert migrated.returncode == 0, migrated.stderr


# -- refusals -------------------------------------------------------------------------------------


def test_a_ca_that_did_not_sign_the_server_certificate_is_refused(
    tls_postgres: TlsPostgres,
) -> None:
    url = tls_postgres.url(sslmode="verify-full", sslrootcert=str(tls_postgres.foreign_bundle))
    assert "certificate verify failed" in _refusal(url)

    migrated = _migrate(
        tls_postgres.env(
            DATABASE_URL=tls_postgres.url(sslmode="verify-full"),
            PGSSLROOTCERT=str(tls_postgres.foreign_bundle),
        )
    )
    _refused_clearly(migrated)
    assert "SSL error: certificate verify failed" in migrated.stderr, migrated.stderr


def test_a_name_the_certificate_does_not_hold_is_refused(tls_postgres: TlsPostgres) -> None:
    query = {"sslmode": "verify-full", "hostaddr": "127.0.0.1"}
    url = tls_postgres.url(NOT_IN_CERTIFICATE, sslrootcert=str(tls_postgres.ca), **query)
    mismatch = f'does not match host name "{NOT_IN_CERTIFICATE}"'
    assert mismatch in _refusal(url)

    migrated = _migrate(
        tls_postgres.env(
            DATABASE_URL=tls_postgres.url(NOT_IN_CERTIFICATE, **query),
            PGSSLROOTCERT=str(tls_postgres.bundle),
        )
    )
    _refused_clearly(migrated)
    assert f'server certificate for "localhost" (and 1 other name) {mismatch}' in (
        migrated.stderr
    ), migrated.stderr


def test_a_connection_without_tls_is_refused_by_the_server(tls_postgres: TlsPostgres) -> None:
    rejected = 'pg_hba.conf rejects connection for host "127.0.0.1"'
    error = _refusal(tls_postgres.url(sslmode="disable"))
    assert rejected in error and "no encryption" in error, error

    migrated = _migrate(tls_postgres.env(DATABASE_URL=tls_postgres.url(sslmode="disable")))
    _refused_clearly(migrated)
    assert rejected in migrated.stderr, migrated.stderr


def test_verify_full_without_a_root_certificate_names_the_file_it_looked_for(
    tls_postgres: TlsPostgres,
) -> None:
    """An image without PGSSLROOTCERT: libpq looks in ~/.postgresql and says so."""
    migrated = _migrate(tls_postgres.env(DATABASE_URL=tls_postgres.url(sslmode="verify-full")))
    _refused_clearly(migrated)
    missing = f'root certificate file "{tls_postgres.home}/.postgresql/root.crt" does not exist'
    assert missing in migrated.stderr, migrated.stderr


def _refused_clearly(migrated: subprocess.CompletedProcess[str]) -> None:
    """One line naming the cause, no traceback."""
    assert migrated.returncode == 1
    assert "Traceback" not in migrated.stderr, migrated.stderr
    assert "incident-bot: cannot migrate, the database refused or was not reached:" in (
        migrated.stderr
    )
