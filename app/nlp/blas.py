"""Matrix products for the spaCy models: numpy's OpenBLAS on one thread where it can be had,
else thinc's own BLIS (issue 8: the model's products are most of a long article's time)."""

import logging

# threadpoolctl ships no type hints
from threadpoolctl import threadpool_info, threadpool_limits  # type: ignore[import-untyped]

logger = logging.getLogger(__name__)


def openblas_on_one_thread() -> bool:
    """Limit the OpenBLAS that numpy loaded to one thread in this process (and its forks); False
    when there is none. One thread: each ingest worker is a process of its own, and a second
    OpenBLAS thread per worker, spinning while it waits, cost more CPU than it saved (4.5 s
    against 2.7 s for 200,000 characters)."""
    import numpy  # noqa: F401  (loads OpenBLAS: threadpoolctl sees only loaded libraries)

    # threadpoolctl finds numpy's OpenBLAS under its prefixed name (scipy-openblas) too, and
    # sets its process-wide pool, which a forked worker inherits; nothing restores it
    threadpool_limits(1, "blas")
    if any(library["internal_api"] == "openblas" for library in threadpool_info()):
        return True
    logger.info("no OpenBLAS to limit to one thread: spaCy keeps BLIS")
    return False
