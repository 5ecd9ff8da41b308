"""Start, probe and stop the servers under test: ours, Datasette and the ceiling app.

Each server runs in its own process group, so stopping it also stops uvicorn's worker
processes; every server is stopped at the end, Ctrl-C included (``Servers`` is a context
manager)."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

ROOT = Path(__file__).resolve().parent.parent
DATASETTE_VERSION = "0.65.5"
_default_re = re.compile(r"\[default:\s*([^\]]+)\]")
_STOP_GRACE_S = 10


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_workers_default() -> str | None:
    """The default of ``corpus serve --workers`` as its help shows it, or None if it shows none."""
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"},
        check=True,
    )
    for line in done.stdout.splitlines():
        if "--workers" in line and (match := _default_re.search(line)):
            return match.group(1)
    return None


def tree_pids(root: int) -> list[int]:
    """``root`` and its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name may hold spaces and parentheses: the ppid follows the last ')'
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def rss_mib(pids: list[int]) -> float:
    total_kib = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total_kib += int(line.split()[1])
    return total_kib / 1024


class Server:
    """One server process (group) on a free loopback port."""

    def __init__(self, label: str, command: list[str], *, ready_path: str, env: dict[str, str]):
        self.label = label
        self.command = command
        self.ready_path = ready_path
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self.log = ROOT / ".bench" / "logs" / f"{re.sub(r'[^a-z0-9]+', '-', label.lower())}.log"

    def start(self, timeout_s: float = 60) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        command = [part.replace("{port}", str(self.port)) for part in self.command]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.label} exited at start; see {self.log}")
            try:
                if httpx.get(self.base + self.ready_path, timeout=2).is_success:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.label} not ready after {timeout_s:.0f} s; see {self.log}")

    def pids(self) -> list[int]:
        return tree_pids(self.process.pid) if self.process is not None else []

    def stop(self) -> float | None:
        """Stop the server; returns the seconds SIGTERM took, or None if SIGKILL was needed."""
        if self.process is None or self.process.poll() is not None:
            self.process = None
            return 0.0
        started = time.monotonic()
        took: float | None
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(_STOP_GRACE_S)
            took = time.monotonic() - started
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            took = None
        self.process = None
        return took

    def restart(self) -> None:
        self.restarts += 1
        self.stop()
        self.start()


def ours(
    label: str, db: Path | str, workers: int | None, env: dict[str, str] | None = None
) -> Server:
    """Our API on a SQLite file (a path) or on any database URL (a string: PostgreSQL)."""
    command = [sys.executable, "-m", "app.cli", "serve", "--port", "{port}"]
    if workers is not None:
        command += ["--workers", str(workers)]
    url = f"sqlite:///{db}" if isinstance(db, Path) else db
    environment = {**os.environ, **(env or {}), "CORPUS_DATABASE_URL": url}
    return Server(label, command, ready_path="/health", env=environment)


def ceiling() -> Server:
    command = [sys.executable, "-m", "bench.ceiling", "{port}"]
    return Server("ceiling", command, ready_path="/health", env=dict(os.environ))


def install_datasette(scratch: Path) -> Path:
    """Datasette, pinned, in its own virtualenv under the scratch folder; returns its binary."""
    venv = scratch / "datasette-venv"
    binary = venv / "bin" / "datasette"
    marker = venv / f".installed-{DATASETTE_VERSION}"
    if not marker.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "pip"), "install", "--quiet", "--disable-pip-version-check"]
        subprocess.run([*pip, f"datasette=={DATASETTE_VERSION}"], check=True)
        marker.touch()
    return binary


def datasette(binary: Path, db: Path) -> Server:
    """Datasette with its default settings on a mutable file (opened ``mode=ro``, as it opens
    any file not passed with ``--immutable``), told which FTS5 table searches ``article``."""
    metadata = db.with_suffix(".metadata.json")
    table = {"fts_table": "article_fts", "fts_pk": "id"}
    metadata.write_text(json.dumps({"databases": {db.stem: {"tables": {"article": table}}}}))
    command = [str(binary), "serve", str(db), "-m", str(metadata), "-p", "{port}"]
    return Server("datasette", command, ready_path="/-/versions.json", env=dict(os.environ))


class Servers:
    """Stops every server it was given when the block ends, however it ends."""

    def __init__(self) -> None:
        self.started: list[Server] = []

    def __enter__(self) -> "Servers":
        return self

    def add(self, server: Server) -> Server:
        self.started.append(server)
        server.start()
        return server

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for server in self.started:
            server.stop()
