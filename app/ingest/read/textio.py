"""Bytes to text without reading a file whole: the encoding is chosen from a BOM or the first
block, and the rest is decoded as it streams, so memory stays flat whatever the file's size."""

import codecs
import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from charset_normalizer import from_bytes

# enough text to tell an encoding apart, small enough to hold whatever the file's size
SAMPLE_BYTES = 64 * 1024
# a BOM decides the encoding; the UTF-32 ones first, since UTF-32-LE's BOM starts like UTF-16-LE's
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_FALLBACK_ERRORS = "corpus-cp1252"


class BinaryContent(ValueError):
    """The bytes are not text in any encoding we read."""


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    """A byte that is not UTF-8 in mostly-UTF-8 text is Windows-1252 (a stray £), which is what
    the web means by Latin-1: https://encoding.spec.whatwg.org/#names-and-labels"""
    assert isinstance(exc, UnicodeDecodeError)
    bad = exc.object[exc.start : exc.end]
    return bad.decode("cp1252", errors="replace"), exc.end


codecs.register_error(_FALLBACK_ERRORS, _cp1252_fallback)


def sniff_encoding(sample: bytes) -> str:
    """The encoding of a text that starts with ``sample``; raises ``BinaryContent``.

    A BOM is looked at first (UTF-16 and UTF-32 text is full of NUL bytes); then a NUL byte
    means binary; then UTF-8 if the sample is valid; mostly-ASCII text as Windows-1252; else
    what charset-normalizer detects."""
    for bom, encoding in _BOMS:
        if sample.startswith(bom):
            return encoding
    nul = sample.find(b"\x00")
    if nul >= 0:
        raise BinaryContent(f"binary content (a NUL byte at byte {nul}): this is not a text file")
    try:
        # a multi-byte character cut at the end of the sample is not an error
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if sum(byte > 0x7F for byte in sample) <= len(sample) // 50:
        return "cp1252"
    best = from_bytes(sample).best()
    if best is None:
        raise BinaryContent("undecodable bytes: not text in any known encoding")
    return best.encoding


def open_text(path: Path) -> io.TextIOWrapper:
    """Open ``path`` for streamed reading as text; lines end at ``\\n`` only (a U+2028 inside a
    JSON string is not a line break). Raises ``OSError`` or ``BinaryContent``."""
    raw = path.open("rb")
    try:
        encoding = sniff_encoding(_peek(raw))
    except BinaryContent:
        raw.close()
        raise
    return io.TextIOWrapper(raw, encoding=encoding, errors=_error_mode(encoding), newline="\n")


def decode(data: bytes) -> str:
    """Decode a whole (bounded) text, such as a fetched page."""
    encoding = sniff_encoding(data[:SAMPLE_BYTES])
    return data.decode(encoding, errors=_error_mode(encoding))


def read_limited(path: Path, limit: int) -> str:
    """A one-document file, decoded; raises ``ValueError`` past ``limit`` bytes so that a stray
    multi-gigabyte file cannot exhaust memory."""
    with open_text(path) as handle:
        size = path.stat().st_size
        if size > limit:
            raise ValueError(
                f"file is {size} bytes; a single-document file is read whole and may have "
                f"at most {limit} (split it, or use JSON Lines)"
            )
        return handle.read()


def iter_lines(handle: io.TextIOWrapper) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its newline)."""
    for number, line in enumerate(handle, start=1):
        yield number, line.removesuffix("\n")


def _error_mode(encoding: str) -> str:
    return _FALLBACK_ERRORS if encoding in ("utf-8", "utf-8-sig") else "replace"


def _peek(raw: BinaryIO) -> bytes:
    sample = raw.read(SAMPLE_BYTES)
    raw.seek(0)
    return sample
