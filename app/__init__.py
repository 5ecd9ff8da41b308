"""News corpus service: ingest articles, extract quotes and entities, serve them over HTTP."""
