FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CORPUS_DATABASE_URL=sqlite:////data/corpus.db

WORKDIR /app

# dependencies, the pinned spaCy model included, in their own layer: source edits don't redo it
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r requirements.lock

COPY pyproject.toml setup.py alembic.ini README.md ./
COPY migrations ./migrations
COPY seeds ./seeds
COPY app ./app
RUN pip install --no-cache-dir --no-deps --no-build-isolation -e . \
 && useradd --system --uid 10001 --no-create-home corpus \
 && mkdir -p /data \
 && chown corpus /data

USER 10001
VOLUME ["/data"]
EXPOSE 8000

# liveness: the process answers, no query (readiness, /health/ready, is for a load balancer)
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4)"]

# migrate, load the seed article into an empty database, then serve
CMD ["sh", "-c", "corpus migrate && corpus ingest --if-empty seeds/ && exec corpus serve --host 0.0.0.0 --port 8000"]
