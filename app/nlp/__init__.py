"""Natural-language layer: one spaCy pipeline, and pure extractors over its ``Doc`` objects."""

from app.nlp.pipeline import EXTRACTION_VERSION, Annotation, annotate, extraction_version

__all__ = ["EXTRACTION_VERSION", "Annotation", "annotate", "extraction_version"]
