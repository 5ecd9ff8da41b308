"""The ``corpus`` command: ``migrate`` the database, ``ingest`` files, ``reannotate`` and
``reindex`` what is stored, ``serve`` the API."""

import logging
import os
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from app import logs
from app.config import get_settings

app = typer.Typer(
    help="News corpus: ingest articles, extract quotes and entities, serve the API.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True, soft_wrap=True)
# the cores this process may run on (a container's CPU set, not the host's count)
_CORES = len(os.sched_getaffinity(0))
# duplicates are expected when re-importing a mirror; list a few, count the rest
_SHOWN_DUPLICATES = 10


def run_migrations(database_url: str) -> None:
    from alembic import command

    from app.db.migrations import alembic_config

    command.upgrade(alembic_config(database_url), "head")


@app.command()
def migrate() -> None:
    """Create or upgrade the database schema to the latest migration."""
    settings = get_settings()
    run_migrations(settings.DATABASE_URL)
    err.print(f"database at {settings.DATABASE_URL} is up to date")


@app.command()
def ingest(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, folders (searched recursively) or http(s) URLs.", show_default=False
        ),
    ] = None,
    urls: Annotated[
        Path | None, typer.Option(help="A file of URLs to fetch, one per line (# comments).")
    ] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Articles per transaction [default: 64].")
    ] = None,
    strict: Annotated[bool, typer.Option(help="Stop at the first bad record.")] = False,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes that annotate [default: one per core]."),
    ] = None,
    if_empty: Annotated[
        bool, typer.Option(help="Do nothing when the database already holds articles.")
    ] = False,
) -> None:
    """Ingest files (.txt .md .html .json .jsonl .csv .rss .atom .xml), pages and feeds by URL;
    re-running is a no-op."""
    from sqlmodel import Session, func, select

    from app.db.models import Article
    from app.engines.connect import create_db_engine
    from app.ingest import IngestAborted, count_records, is_url, read_url_list
    from app.ingest import ingest as run_ingest

    settings = get_settings()
    inputs: list[Path | str] = [p if is_url(p) else Path(p) for p in paths or []]
    if urls is not None:
        if not urls.is_file():
            err.print(f"[red]error:[/] no such file: {urls}")
            raise typer.Exit(2)
        inputs += read_url_list(urls)
    if not inputs:
        err.print("[red]error:[/] nothing to ingest: give files, folders, URLs or --urls FILE")
        raise typer.Exit(2)
    files = [p for p in inputs if isinstance(p, Path)]
    missing = [str(p) for p in files if not p.exists()]
    if missing:
        err.print(f"[red]error:[/] no such file or folder: {', '.join(missing)}")
        raise typer.Exit(2)
    engine = create_db_engine(settings.DATABASE_URL, busy_timeout_ms=settings.BUSY_TIMEOUT_MS)
    if if_empty:
        with Session(engine) as session:
            if session.exec(select(func.count()).select_from(Article)).one():
                err.print("database already holds articles; nothing to do")
                return
    # counting reads each file once more, so only for a progress bar someone will see
    total = count_records(inputs) if err.is_terminal else None
    progress = Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    )
    task = progress.add_task("ingest", total=total)
    try:
        with progress:
            report = run_ingest(
                inputs,
                engine=engine,
                fetch=settings.fetch_settings(),
                model=settings.SPACY_MODEL,
                batch_size=batch_size or settings.INGEST_BATCH_SIZE,
                strict=strict,
                on_record=lambda: progress.advance(task),
                workers=workers or settings.INGEST_WORKERS or _CORES,
            )
    except IngestAborted as exc:
        err.print(f"[red]error:[/] {exc} (--strict: stopped; the current batch was not stored)")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    for error in report.errors:
        err.print(f"[red]failed:[/] {error}")
    for duplicate in report.duplicates[:_SHOWN_DUPLICATES]:
        err.print(f"[yellow]duplicate:[/] {duplicate}")
    if len(report.duplicates) > _SHOWN_DUPLICATES:
        err.print(f"[yellow]duplicate:[/] … and {len(report.duplicates) - _SHOWN_DUPLICATES} more")
    err.print(report.summary())
    if report.failed:
        raise typer.Exit(1)


@app.command()
def reannotate(
    all_articles: Annotated[
        bool, typer.Option("--all", help="Every article, not only the stale ones.")
    ] = False,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Articles per transaction [default: 64].")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Processes that annotate [default: one per core]."),
    ] = None,
) -> None:
    """Extract quotes and entities again from the articles stored with another model or rules
    version (run it after a release that changes extraction); safe to stop and run again."""
    from app.engines.connect import create_db_engine
    from app.ingest import count_stale
    from app.ingest import reannotate as run_reannotate

    settings = get_settings()
    engine = create_db_engine(settings.DATABASE_URL, busy_timeout_ms=settings.BUSY_TIMEOUT_MS)
    progress = Progress(
        TextColumn("re-extracting"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
        transient=True,
    )
    try:
        total = count_stale(engine, model=settings.SPACY_MODEL, all_articles=all_articles)
        task = progress.add_task("reannotate", total=total)
        with progress:
            report = run_reannotate(
                engine,
                model=settings.SPACY_MODEL,
                all_articles=all_articles,
                batch_size=batch_size or settings.INGEST_BATCH_SIZE,
                workers=workers or settings.INGEST_WORKERS or _CORES,
                on_article=lambda n: progress.advance(task, n),
            )
    finally:
        engine.dispose()
    for error in report.errors:
        err.print(f"[red]failed:[/] {error}")
    err.print(report.summary())
    if report.failed:
        raise typer.Exit(1)


@app.command()
def reindex(
    search_index_only: Annotated[
        bool,
        typer.Option(
            "--search-index-only",
            help="Only the search index beside the database (CORPUS_RANKER_PATH), e.g. for a "
            "copied database file: the word indexes inside the database are left as they are.",
        ),
    ] = False,
) -> None:
    """Rebuild every derived search structure (word indexes, ranking vectors, the search
    index beside the database) from the tables: after losing an index, restoring a dump or
    copying rows in SQL. The database's part is one transaction: stopped half way, the
    database keeps its old index; writers wait while it runs."""
    from app.engines import lock_for_writing
    from app.engines.connect import create_db_engine
    from app.engines.reindex import steps

    settings = get_settings()
    engine = create_db_engine(settings.DATABASE_URL, busy_timeout_ms=settings.BUSY_TIMEOUT_MS)
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    )
    try:
        with engine.begin() as connection, progress:
            lock_for_writing(connection)
            for step in [] if search_index_only else steps(connection):
                task = progress.add_task(step.name, total=step.rows)
                step.run(lambda n, task=task: progress.advance(task, n))  # type: ignore[misc]
                err.print(f"rebuilt {step.name}: {step.rows:,} rows")
        _rebuild_ranker(engine)
    finally:
        engine.dispose()


def _rebuild_ranker(engine: Any) -> None:
    """The search index beside the database, built again from the committed tables (or
    dropped, for the API to build once the corpus is big enough)."""
    from sqlalchemy import text

    from app.search import Ranker, folder_for

    settings = get_settings()
    folder = folder_for(settings.RANKER_PATH, settings.DATABASE_URL)
    if folder is None:
        return
    ranker = Ranker(folder)
    ranker.drop()
    with engine.connect() as connection:
        articles = connection.execute(
            text("SELECT total FROM corpus_count WHERE name = 'article'")
        ).scalar()
    if (articles or 0) >= settings.RANKER_MIN_ARTICLES:
        with err.status(f"building the search index in {folder}…"):
            done = ranker.sync(engine)
        err.print(f"rebuilt the search index (tantivy): {done:,} articles")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (one per core by default).")
    ] = _CORES,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    shutdown_timeout: Annotated[
        int, typer.Option(min=0, help="Seconds in-flight requests get after SIGTERM.")
    ] = 5,
) -> None:
    """Serve the API (Swagger UI at /docs)."""
    # every worker writes its metrics into files in one folder, summed by whichever answers
    # /metrics (prometheus-client's multiprocess mode); set before any worker imports the app
    given = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    metrics_dir = Path(given) if given else _own_metrics_dir()
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):  # a previous run's counts are not this one's
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    log_format = get_settings().LOG_FORMAT
    logs.configure(log_format)
    try:
        _run_server(
            host,
            port,
            workers=1 if reload else workers,
            reload=reload,
            shutdown=shutdown_timeout,
            json_logs=log_format == "json",
        )
    finally:
        if not given:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def _own_metrics_dir() -> Path:
    """A folder named by this process; those of servers that were killed (no cleanup) go."""
    folder = Path(tempfile.gettempdir())
    for old in folder.glob("corpus-metrics-*"):
        pid = old.name.removeprefix("corpus-metrics-")
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(old, ignore_errors=True)
    return folder / f"corpus-metrics-{os.getpid()}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # no signal sent: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's
    return True


def _run_server(
    host: str, port: int, *, workers: int, reload: bool, shutdown: int, json_logs: bool
) -> None:
    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    uvicorn.run(
        "app.main:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        reload=reload,
        loop="uvloop",
        http="httptools",
        proxy_headers=True,
        access_log=False,  # app.web.requests logs each request with its X-Request-ID
        timeout_graceful_shutdown=shutdown,
        # JSON: uvicorn's loggers reach the root logger, which app.logs gives a JSON handler
        log_config=None if json_logs else LOGGING_CONFIG,
        log_level="info",
    )


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    app()


if __name__ == "__main__":
    main()
