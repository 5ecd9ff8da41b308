"""Natural-language layer: one spaCy pipeline, and pure extractors over its ``Doc`` objects."""

from app.nlp.pipeline import Annotation, annotate

__all__ = ["Annotation", "annotate"]
