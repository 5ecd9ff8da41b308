"""Lists of ids packed in one value (``article.entity_ids``): what entity facets and related
entities count with numpy instead of joining every mention."""

import struct
from collections.abc import Iterable
from typing import Any

import numpy as np


def pack_ids(ids: Iterable[int]) -> bytes:
    """Sorted distinct ids as little-endian 64-bit integers (what numpy reads as ``<i8``)."""
    unique = sorted(set(ids))
    return struct.pack(f"<{len(unique)}q", *unique)


def count_packed_ids(packed: Iterable[bytes | None]) -> np.ndarray[Any, Any]:
    """How many of the lists ``pack_ids`` made hold each id, indexed by id (counted in C)."""
    return np.bincount(np.frombuffer(b"".join(ids for ids in packed if ids), dtype="<i8"))
