"""Reads past one database server: PostgreSQL streaming replicas (``CORPUS_READ_DATABASE_URLS``)
take the reads, the primary keeps the writes. Each process checks its replicas every
``CORPUS_READ_CHECK_INTERVAL_S`` in a thread of its own (reachable? a standby? how far behind
the primary?) and a request is given, in turn, to a replica that passed its last check and has
the corpus version the request must see (``choose``); otherwise to the primary. See
docs/scaling.md, "Read replicas"."""

import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from app.db.session import ChangeToken, ReadDatabase
from app.engines import POSTGRESQL, engine_name
from app.engines.changes import ChangeTokenReader
from app.engines.connect import connection_timeouts, create_db_engine

logger = logging.getLogger(__name__)

# how far the primary has written its WAL, as a number (bytes since 0/0)
_PRIMARY_SQL = "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint"
# a standby's own view: is it one, how far it has replayed, and (for when the primary cannot be
# asked) how old its last replayed commit is when it has received more than it has replayed
_REPLICA_SQL = """
SELECT pg_is_in_recovery(),
       pg_wal_lsn_diff(pg_last_wal_replay_lsn(), '0/0')::bigint,
       CASE WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
            ELSE coalesce(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()),
                          0)
       END
"""


def check_read_urls(primary_url: str, read_urls: list[str]) -> None:
    """ValueError, saying what to change, unless the primary and every replica is PostgreSQL
    (SQLite has no replicas). Never repeats a URL: it may hold a password."""
    if not read_urls:
        return
    if engine_name(primary_url) != POSTGRESQL:
        raise ValueError(
            "CORPUS_READ_DATABASE_URLS is set, but CORPUS_DATABASE_URL is not PostgreSQL: "
            "read replicas are PostgreSQL streaming replicas; leave the setting empty"
        )
    for number, url in enumerate(read_urls, start=1):
        try:
            name = engine_name(url)
        except Exception as exc:  # a malformed URL: say which, without it
            raise ValueError(f"CORPUS_READ_DATABASE_URLS, URL {number}: {exc}") from None
        if name != POSTGRESQL:
            raise ValueError(
                f"CORPUS_READ_DATABASE_URLS, URL {number}: not a postgresql:// URL (a read "
                "replica is a PostgreSQL streaming replica of CORPUS_DATABASE_URL)"
            )


def where(url: str) -> str:
    """``host:port/database`` of a URL: names a server without its credentials."""
    parsed = make_url(url)
    return f"{parsed.host or 'localhost'}:{parsed.port or 5432}/{parsed.database or ''}"


@dataclass(frozen=True)
class ReplicaState:
    """What the last check (or a failed read since) found."""

    usable: bool
    lag_s: float | None = None  # behind the primary; None when unknown
    problem: str | None = None  # why it is skipped

    def __str__(self) -> str:
        behind = "" if self.lag_s is None else f", {self.lag_s:.1f} s behind"
        return f"taking reads{behind}" if self.usable else f"skipped: {self.problem}{behind}"


class _Replica:
    def __init__(self, name: str, url: str, *, pool_size: int, timeout_s: float) -> None:
        engine = create_db_engine(url, read_only=True, pool_size=pool_size, timeout_s=timeout_s)
        self.database = ReadDatabase(name, where(url), engine, replica=True)
        self.token = ChangeTokenReader(engine, timeout_s=timeout_s)
        self.state = ReplicaState(usable=False, problem="not checked yet")
        self.probe = _Probe(url, timeout_s)

    def close(self) -> None:
        self.token.close()
        self.probe.close()
        self.database.engine.dispose()


class _Probe:
    """One autocommit connection of the checking thread, made again after a failure."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.conninfo = make_url(url).set(drivername="postgresql").render_as_string(False)
        self.options = connection_timeouts(timeout_s)
        self.connection: Any = None

    def row(self, sql: str) -> tuple[Any, ...]:
        import psycopg

        try:
            if self.connection is None:
                self.connection = psycopg.connect(self.conninfo, autocommit=True, **self.options)
            return tuple(self.connection.execute(sql.encode()).fetchone())
        except psycopg.Error:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None


class ReadDatabases:
    """The primary and its replicas, as one process sees them. ``choose`` picks the database
    for a read; ``wrote`` raises the version this process's later reads must see (its own
    writes: read-your-writes without the client's help, within one process)."""

    def __init__(
        self,
        primary: ReadDatabase,
        primary_url: str,
        replica_urls: list[str],
        *,
        max_lag_s: float,
        check_interval_s: float,
        pool_size: int,
        observe: Callable[[dict[str, ReplicaState]], None] | None = None,
    ) -> None:
        check_read_urls(primary_url, replica_urls)
        self.primary = primary
        self.max_lag_s = max_lag_s
        self.check_interval_s = max(0.05, check_interval_s)  # 0 would spin
        timeout_s = max(2.0, check_interval_s)
        self.replicas = [
            _Replica(f"replica{n}", url, pool_size=pool_size, timeout_s=timeout_s)
            for n, url in enumerate(replica_urls, start=1)
        ]
        self.primary_probe = _Probe(primary_url, timeout_s)
        # (monotonic time, primary's WAL position) before each replica's check: the first
        # position a replica has not replayed says since when it is behind
        self.samples: deque[tuple[float, int]] = deque()
        self.observe = observe
        self.turn = itertools.count()
        self.written: tuple[int, float] = (0, 0.0)  # (version, when) of this process's last write
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    @property
    def remember_s(self) -> float:
        """How long a write's version is held as a floor (here and in the client's cookie): by
        then a replica without it is behind by more than the lag bound, so skipped anyway."""
        return max(60.0, 2 * (self.max_lag_s + self.check_interval_s))

    def start(self) -> None:
        """Check once now (the first requests know which replicas answer), then in a thread."""
        self.check()
        self.thread = threading.Thread(target=self._run, name="check-replicas", daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=10)
        for replica in self.replicas:
            replica.close()
        self.primary_probe.close()

    def wrote(self, version: int) -> None:
        if version >= self.written[0]:
            self.written = (version, time.monotonic())

    def floor(self) -> int:
        """The version every read of this process must see: its last write's, for a while."""
        version, at = self.written
        return version if time.monotonic() - at < self.remember_s else 0

    def choose(self, floor: int = 0) -> tuple[ReadDatabase, ChangeToken | None]:
        """The database for one read, and its change token when it is a replica: the next
        replica in turn that passed its last check and has reached ``floor`` (and this
        process's own floor), read now; the primary when none has. A replica whose token cannot
        be read is skipped at once, until its next check says otherwise."""
        floor = max(floor, self.floor())
        count = len(self.replicas)
        start = next(self.turn) % count
        for step in range(count):
            replica = self.replicas[(start + step) % count]
            if not replica.state.usable:
                continue
            token = replica.token()
            if token is None:
                replica.state = ReplicaState(usable=False, problem="unreachable")
                self._observe()
                continue
            if token[0] >= floor:
                return replica.database, token
        return self.primary, None

    def states(self) -> dict[str, ReplicaState]:
        return {replica.database.name: replica.state for replica in self.replicas}

    def describe(self) -> dict[str, str]:
        """Each replica with where it is and how it is, for readiness."""
        return {r.database.name: f"{r.database.where}: {r.state}" for r in self.replicas}

    def check(self) -> None:
        """One round: each replica's standing, measured against the primary just before."""
        for replica in self.replicas:
            now = time.monotonic()
            primary_lsn = self._primary_lsn()
            if primary_lsn is not None:
                self.samples.append((now, primary_lsn))
            replica.state = self._check(replica, against_primary=primary_lsn is not None)
        # samples older than any lag worth telling apart from "too far behind" go
        horizon = time.monotonic() - (self.max_lag_s + 2 * self.check_interval_s + 1)
        while len(self.samples) > 1 and self.samples[0][0] < horizon:
            self.samples.popleft()
        self._observe()

    def _run(self) -> None:
        while not self.stopped.wait(self.check_interval_s):
            try:
                self.check()
            except Exception:  # the thread must go on checking: logged, next round
                logger.exception("checking the read replicas failed")

    def _primary_lsn(self) -> int | None:
        try:
            return int(self.primary_probe.row(_PRIMARY_SQL)[0])
        except Exception:  # the primary down: replicas are judged on their own
            return None

    def _check(self, replica: _Replica, *, against_primary: bool) -> ReplicaState:
        try:
            in_recovery, replayed, own_lag = replica.probe.row(_REPLICA_SQL)
        except Exception as exc:  # any failure to ask it: skipped, asked again next round
            return ReplicaState(usable=False, problem=f"unreachable ({type(exc).__name__})")
        if not in_recovery:
            # promoted, or not a standby at all: it would drift from the primary's writes
            return ReplicaState(usable=False, problem="not a standby (pg_is_in_recovery false)")
        lag = self._lag(int(replayed)) if against_primary else float(own_lag)
        if lag > self.max_lag_s:
            return ReplicaState(usable=False, lag_s=lag, problem="too far behind")
        return ReplicaState(usable=True, lag_s=lag)

    def _lag(self, replayed: int) -> float:
        """Seconds since the primary had written the first WAL the replica has not replayed:
        0 when it has all the primary had at the last sample (an idle primary writes nothing,
        so a standby with nothing to replay is never "behind")."""
        newest = self.samples[-1]
        if replayed >= newest[1]:
            return 0.0
        since = next(when for when, lsn in self.samples if lsn > replayed)
        return max(0.0, newest[0] - since)

    def _observe(self) -> None:
        if self.observe is not None:
            self.observe(self.states())
