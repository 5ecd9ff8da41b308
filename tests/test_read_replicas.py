"""Read replicas (issue 21): a PostgreSQL primary and a streaming standby made here (Debian's
binaries, `pg_basebackup -R`); reads go to the standby, a write's `Location` answers at once,
a standby that lags or stops is skipped without a failed request and taken back once it
catches up. SQLite refuses the setting at startup."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.cli import run_migrations
from app.config import Settings
from app.engines.connect import create_db_engine
from app.main import create_app
from app.web.routing import read_floor
from tests.api.test_writes import AUTH, KEY
from tests.factories import make_article

ARTICLE = {
    "title": "Harbour wall vote",
    "body": 'Marta Olsen said: "The harbour wall will be finished by winter." The council agreed.',
    "published": "2024-03-02",
    "source": "Gazette",
}


def _bindir() -> Path | None:
    """Debian's PostgreSQL binaries (the newest), when installed with the contrib extensions."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    contrib = list(Path("/usr/share/postgresql").glob("*/extension/unaccent.control"))
    return found[-1] if found and contrib and (found[-1] / "pg_basebackup").exists() else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Cluster:
    """A primary and one streaming standby in folders of their own under /tmp, on free ports
    (as root, run as the postgres user, as .ci/with-postgres does)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="corpus-replicas-", dir="/tmp"))
        self.dir.chmod(0o755)
        self.root = os.getuid() == 0
        if self.root:
            shutil.chown(self.dir, "postgres")
        self.ports = {"primary": _free_port(), "standby": _free_port()}

    def run(self, *args: str) -> None:
        command = [str(self.bindir / args[0]), *args[1:]]
        if self.root:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=180)

    def url(self, server: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.ports[server]}/postgres"

    def start(self, server: str) -> None:
        options = (
            f"-p {self.ports[server]} -k {self.dir} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c full_page_writes=off -c hot_standby_feedback=on"
        )
        data, log = self.dir / server, self.dir / f"{server}.log"
        self.run(
            "pg_ctl", "-D", str(data), "-l", str(log), "-w", "-t", "120", "start", "-o", options
        )

    def stop(self, server: str) -> None:
        self.run("pg_ctl", "-D", str(self.dir / server), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        for server in ("standby", "primary"):
            if (self.dir / server / "postmaster.pid").exists():
                try:
                    self.run("pg_ctl", "-D", str(self.dir / server), "-m", "immediate", "stop")
                except subprocess.CalledProcessError:
                    pass
        shutil.rmtree(self.dir, ignore_errors=True)

    def sql(self, server: str, statement: str) -> Any:
        import psycopg

        conninfo = make_url(self.url(server)).render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as connection:
            return connection.execute(statement.encode()).fetchone()

    def version(self, server: str) -> int:
        return int(self.sql(server, "SELECT version FROM corpus_version")[0])

    def caught_up(self) -> None:
        until(lambda: self.version("standby") == self.version("primary"), "standby catches up")


def until(condition: Callable[[], object], what: str, timeout_s: float = 60) -> Any:
    """Poll ``condition`` until it gives something true (the machine is shared: be patient)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting until: {what}")


@pytest.fixture(scope="module")
def cluster() -> Iterator[Cluster]:
    bindir = _bindir()
    if bindir is None:
        pytest.skip("no PostgreSQL binaries (apt-get install postgresql postgresql-contrib)")
    made = Cluster(bindir)
    try:
        primary = str(made.dir / "primary")
        made.run("initdb", "-D", primary, "-U", "postgres", "--auth=trust", "-E", "UTF8")
        made.start("primary")
        run_migrations(made.url("primary"))
        port, standby = str(made.ports["primary"]), str(made.dir / "standby")
        made.run(
            *("pg_basebackup", "-h", "127.0.0.1", "-p", port, "-U", "postgres"),
            *("-D", standby, "-R", "-X", "stream", "-c", "fast"),
        )
        made.start("standby")
        assert made.sql("standby", "SELECT pg_is_in_recovery()")[0] is True
        yield made
    finally:
        made.remove()


@pytest.fixture(autouse=True)
def _replaying(cluster: Cluster) -> Iterator[None]:
    """Each test starts and ends with the standby up and replaying."""
    yield
    if not (cluster.dir / "standby" / "postmaster.pid").exists():
        cluster.start("standby")
    cluster.sql("standby", "SELECT pg_wal_replay_resume()")
    cluster.caught_up()


def _client(cluster: Cluster, **settings: Any) -> TestClient:
    values: dict[str, Any] = {
        "DATABASE_URL": cluster.url("primary"),
        "READ_DATABASE_URLS": [cluster.url("standby")],
        "READ_CHECK_INTERVAL_S": 0.2,
        "RESPONSE_CACHE_MB": 0,
        **settings,
    }
    return TestClient(create_app(Settings(**values)))


def _ready(client: TestClient) -> dict[str, Any]:
    response = client.get("/health/ready")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _metric(client: TestClient, name: str) -> dict[str, float]:
    """A metric's samples by database (the process's: compare counters before and after)."""
    text = client.get("/metrics").text
    family = next(f for f in text_string_to_metric_families(text) if f.name == name)
    samples = (s for s in family.samples if s.name in (name, f"{name}_total"))
    return {sample.labels["database"]: sample.value for sample in samples}


def _hits(client: TestClient) -> float:
    text = client.get("/metrics").text
    family = next(f for f in text_string_to_metric_families(text) if f.name.endswith("cache_hits"))
    return float(sum(s.value for s in family.samples if s.name.endswith("_total")))


def _reads(client: TestClient) -> dict[str, float]:
    return _metric(client, "corpus_database_reads")


def _articles(client: TestClient, **headers: str) -> int:
    response = client.get("/api/v1/stats", headers=headers)
    assert response.status_code == 200, response.text
    return int(response.json()["articles"])


def test_reads_go_to_the_replica_and_a_write_is_read_at_once(cluster: Cluster) -> None:
    # two worker processes (no shared memory) with their response caches on; the same
    # settings but the (secret) keys, so the same ETags
    writer = _client(cluster, API_KEYS=[KEY], READ_MAX_LAG_S=60, RESPONSE_CACHE_MB=32)
    other = _client(cluster, READ_MAX_LAG_S=60, RESPONSE_CACHE_MB=32)
    with writer, other:
        until(lambda: writer.get("/health/ready").status_code == 200, "the model is loaded")
        ready = _ready(other)
        assert ready["database"].startswith("replica1 (127.0.0.1:")
        assert "postgres@" not in str(ready) and ready["replicas"]["replica1"].endswith(
            "taking reads, 0.0 s behind"
        )
        before = _reads(other)
        stored = _articles(other)
        assert _reads(other)["replica1"] > before["replica1"]  # /metrics is not routed
        # the standby stops replaying: what it serves from now on lacks the write below
        cluster.sql("standby", "SELECT pg_wal_replay_pause()")
        created = writer.post("/api/v1/articles", json={"id": "rw-1", **ARTICLE}, headers=AUTH)
        assert created.status_code == 201, created.text
        location, version = created.headers["location"], int(created.headers["corpus-version"])
        assert version == cluster.version("primary") > cluster.version("standby")
        assert f"corpus_version={version}" in created.headers["set-cookie"]
        # the writer's Location answers at once (its process wrote it; its client has the cookie)
        assert writer.get(location).status_code == 200
        # another process without the cookie reads the paused standby: not there yet ...
        assert other.get(location).status_code == 404
        assert _articles(other) == stored
        # ... but with the version (header or cookie) it is read from the primary
        assert other.get(location, headers={"Corpus-Min-Version": str(version)}).status_code == 200
        other.cookies.set("corpus_version", str(version))
        assert other.get(location).status_code == 200
        assert _articles(other) == stored + 1
        other.cookies.clear()
        # an ETag seen at the write's version: a 304 from the primary, not the standby's 200
        etag = writer.get("/api/v1/stats").headers["etag"]
        assert etag.startswith(f'W/"{version}-')
        assert other.get("/api/v1/stats", headers={"If-None-Match": etag}).status_code == 304
        stale = other.get("/api/v1/stats")
        assert stale.headers["etag"] != etag and stale.json()["articles"] == stored
        # its older answer neither emptied the response cache nor went in: the primary's is
        # still there for the next read at the write's version
        hits = _hits(other)
        other.cookies.set("corpus_version", str(version))
        assert _articles(other) == stored + 1 and _hits(other) == hits + 1
        other.cookies.clear()
        # replaying again: the standby has it and answers everyone
        cluster.sql("standby", "SELECT pg_wal_replay_resume()")
        cluster.caught_up()
        before = _reads(other)
        assert other.get(location).status_code == 200
        after = _reads(other)
        assert after["replica1"] == before["replica1"] + 1 and after["primary"] == before["primary"]


def test_a_lagging_replica_is_skipped_until_it_catches_up(cluster: Cluster) -> None:
    primary = create_db_engine(cluster.url("primary"))
    with _client(cluster, READ_MAX_LAG_S=1.0) as client:
        assert _ready(client)["database"].startswith("replica1")
        stored = _articles(client)
        cluster.sql("standby", "SELECT pg_wal_replay_pause()")
        with Session(primary) as session:  # written by someone else: no floor in this process
            make_article(session, source_id="lagging-1")
        # within a second or so the standby is "too far behind", and the primary answers
        skipped = until(
            lambda: "too far behind" in _ready(client)["replicas"]["replica1"] and _ready(client),
            "the standby is skipped for its lag",
        )
        assert skipped["database"].startswith("primary (127.0.0.1:")
        before = _reads(client)
        assert _articles(client) == stored + 1
        assert _reads(client)["primary"] == before["primary"] + 1
        assert _metric(client, "corpus_replica_lag_seconds")["replica1"] > 1.0
        assert _metric(client, "corpus_replica_usable")["replica1"] == 0
        cluster.sql("standby", "SELECT pg_wal_replay_resume()")
        until(lambda: _ready(client)["database"].startswith("replica1"), "the standby is back")
        assert _metric(client, "corpus_replica_usable")["replica1"] == 1
        before = _reads(client)
        assert _articles(client) == stored + 1
        assert _reads(client)["replica1"] == before["replica1"] + 1
    primary.dispose()


def test_a_stopped_replica_is_skipped_without_a_failed_request(cluster: Cluster) -> None:
    with _client(cluster, READ_MAX_LAG_S=5.0) as client:
        stored = _articles(client)
        assert _ready(client)["database"].startswith("replica1")
        cluster.stop("standby")
        # at once, before any check has run: the standby's change token cannot be read
        statuses = [client.get("/api/v1/articles?limit=1").status_code for _ in range(20)]
        assert statuses == [200] * 20
        assert _articles(client) == stored
        ready = _ready(client)
        assert ready["database"].startswith("primary")
        assert "unreachable" in ready["replicas"]["replica1"]
        cluster.start("standby")
        until(lambda: _ready(client)["database"].startswith("replica1"), "the standby is back")
        before = _reads(client)
        assert _articles(client) == stored
        assert _reads(client)["replica1"] == before["replica1"] + 1


def test_the_version_a_read_must_see() -> None:
    def floor(*headers: tuple[bytes, bytes]) -> int:
        return read_floor({"headers": list(headers)})

    assert floor() == 0
    assert floor((b"cookie", b"theme=dark; corpus_version=41; x=1")) == 41
    assert floor((b"corpus-min-version", b" 7 "), (b"cookie", b"corpus_version=5")) == 7
    etags = b'W/"12-0123456789abcdef", "99-not-ours", W/"3-fedcba9876543210"'
    assert floor((b"if-none-match", etags)) == 12
    # nothing else is read as a version, and no number too long for a counter
    for junk in (b"-3", b"1e9", b"0x10", b"9" * 19, b"\xe2\x80", b"12 13"):
        assert floor((b"corpus-min-version", junk), (b"cookie", b"corpus_version=" + junk)) == 0


def test_sqlite_refuses_read_replicas_at_startup(tmp_path: Path) -> None:
    replica = ["postgresql://reader:secret@replica.example/corpus"]
    sqlite = Settings(DATABASE_URL=f"sqlite:///{tmp_path}/c.db", READ_DATABASE_URLS=replica)
    with pytest.raises(ValueError, match="CORPUS_DATABASE_URL is not PostgreSQL") as refused:
        create_app(sqlite)
    assert "secret" not in str(refused.value)
    mixed = Settings(
        DATABASE_URL="postgresql://writer:secret@primary.example/corpus",
        READ_DATABASE_URLS=[*replica, f"sqlite:///{tmp_path}/c.db"],
    )
    with pytest.raises(ValueError, match="URL 2: not a postgresql:// URL"):
        create_app(mixed)
    assert "READ_DATABASE_URLS" not in Settings(READ_DATABASE_URLS=replica).public_json()
