"""Staged progress on the terminal and in ``run.log``, with stage timings for the manifest."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["Progress", "configure_logging", "logger"]

logger = logging.getLogger("resilience")


def configure_logging(verbosity: int = 0, log_file: Path | None = None) -> list[logging.Handler]:
    """Send the library's log to the terminal (and a file); return the handlers added.

    ``verbosity``: -1 quiet (warnings and errors only), 0 normal (stages), 1 verbose.
    """
    logger.setLevel(logging.DEBUG)
    handlers: list[logging.Handler] = []
    console = logging.StreamHandler(sys.stderr)
    console.setLevel({-1: logging.WARNING, 0: logging.INFO}.get(verbosity, logging.DEBUG))
    console.setFormatter(logging.Formatter("%(message)s"))
    handlers.append(console)
    if log_file is not None:
        handlers.append(file_handler(log_file))
    for h in handlers:
        logger.addHandler(h)
    return handlers


def file_handler(path: Path) -> logging.Handler:
    """A handler writing everything, with times, to ``path``."""
    h = logging.FileHandler(path, encoding="utf-8")
    h.setLevel(logging.DEBUG)
    h.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(message)s"))
    return h


def remove_handlers(handlers: list[logging.Handler]) -> None:
    """Detach and close handlers added by :func:`configure_logging`."""
    for h in handlers:
        logger.removeHandler(h)
        h.close()


class Progress:
    """Numbered stages ("[3/7] Estimating cluster shares for 714 OAs") with timings.

    Examples
    --------
    >>> p = Progress(2)
    >>> with p.stage("Reading inputs"):
    ...     pass
    >>> list(p.timings)
    ['Reading inputs']
    """

    def __init__(self, total: int) -> None:
        self.total = total
        self.done = 0
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, message: str, key: str | None = None) -> Iterator[None]:
        """Log the start of a stage, time it, and log its duration at debug level."""
        self.done += 1
        logger.info("[%d/%d] %s", self.done, self.total, message)
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self.timings[key or message] = round(elapsed, 3)
            logger.debug("      done in %.2f s", elapsed)
