"""Several `corpus ingest` processes into one PostgreSQL database at once (issue 8)."""

import subprocess
from pathlib import Path

from sqlalchemy import text

from app.engines.connect import create_db_engine
from tests.conftest import PostgresServer
from tests.ingest.test_durability import CORPUS, env, write_input


def test_ingests_at_once_store_everything_once(
    postgres: PostgresServer, pg_migrated_template: str, tmp_path: Path, blank_model: str
) -> None:
    """Three `corpus ingest` processes into one PostgreSQL database, two of them with the same
    input: all exit 0, each article and entity is stored once, as after one run."""
    inputs = [tmp_path / "a.jsonl", tmp_path / "b.jsonl"]
    for n, path in enumerate(inputs):
        write_input(path, 120)
        text_ = path.read_text().replace('"r', f'"{"ab"[n]}').replace("Story", f"Story {n}")
        path.write_text(text_)
    name = postgres.create("concurrent", template=pg_migrated_template)
    url = postgres.url_of(name)
    runs = [
        subprocess.Popen(
            [*CORPUS, "ingest", "--batch-size", "10", "--workers", "1", str(path)],
            env=env(url, blank_model),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for path in (*inputs, inputs[0])
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    engine = create_db_engine(url)
    try:
        assert [run.returncode for run in runs] == [0, 0, 0], outputs
        # no batch lost a race and fell back to storing article by article
        assert not [err for _, err in outputs if "one by one" in err], outputs
        with engine.connect() as connection:
            articles = connection.execute(text("SELECT source_id FROM article")).scalars().all()
            names = connection.execute(text("SELECT name, type FROM entity")).all()
            quotes = connection.execute(text("SELECT count(*) FROM quote")).scalar_one()
        assert len(articles) == len(set(articles)) == 240
        assert len(names) == len(set(names))
        assert quotes == 240  # one quote each, none twice
    finally:
        engine.dispose()
        postgres.drop(name)
