"""Benchmark harness for issue 7: our API beside Datasette, the in-process FTS5 floor and a
constant-JSON FastAPI ceiling, over the real corpus and a 100,000-article copy (`make bench`)."""
