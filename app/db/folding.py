"""Names as they are compared and stored in key columns (``speaker_key``, ``name_key``): the same
folding on every engine."""

import unicodedata

# what the compatibility decomposition leaves alone: Latin letters that carry their mark inside,
# typographic apostrophes and dashes (as PostgreSQL's unaccent reads them)
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ħ": "h"}
    | {"Ħ": "H", "ı": "i", "þ": "th", "Þ": "TH", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE"}
    | {"ŧ": "t", "Ŧ": "T", "ŋ": "n", "Ŋ": "N", "ĸ": "q"}
    | dict.fromkeys("\u2018\u2019\u201b\u02bc\u2032", "'")
    | dict.fromkeys("\u2010\u2011\u2012\u2013\u2014\u2212", "-")
)


def folded(text: str | None) -> str | None:
    """A name as names are compared, the same on every engine: case folded, accents removed
    (compatibility decomposition without its combining marks, and the letters above) and
    spaces collapsed, so that "EMILE  zola" finds "Émile Zola" and "Odegard" "Ødegård".
    Quotes store their speakers folded (``speaker_key``), entities their names (``name_key``):
    a change here needs a migration that folds the stored names again."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_UNDECOMPOSED))
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.casefold().split())
