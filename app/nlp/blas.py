"""Matrix products for the spaCy models: numpy's OpenBLAS on one thread where it can be had,
else thinc's own BLIS (issue 8: the model's products are most of a long article's time)."""

import ctypes
import logging
from pathlib import Path

logger = logging.getLogger(__name__)

# numpy's wheels ship OpenBLAS under a prefixed name (scipy-openblas); older builds do not
_SET_THREADS = ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads")


def openblas_on_one_thread() -> bool:
    """Limit the OpenBLAS that numpy loaded to one thread in this process (and its forks); False
    when there is none or it cannot be told. One thread: each ingest worker is a process of its
    own, and a second OpenBLAS thread per worker, spinning while it waits, cost more CPU than
    it saved (4.5 s against 2.7 s for 200,000 characters)."""
    import numpy  # noqa: F401  (loads OpenBLAS, so that it shows in the maps below)

    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:  # not Linux
        return False
    paths = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.split()[-1]}
    for path in sorted(paths):
        library = ctypes.CDLL(path)
        for name in _SET_THREADS:
            if hasattr(library, name):
                getattr(library, name)(1)
                return True
    logger.info("no OpenBLAS to limit to one thread: spaCy keeps BLIS")
    return False
