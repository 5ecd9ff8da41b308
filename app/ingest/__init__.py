"""Ingestion: parse files into raw articles, clean and annotate them, store them in batches."""
