"""Work done at the same time in a forked process, where the platform allows it.

A forked child starts with the parent's memory (the run's layers, already imported
libraries), so nothing is pickled on the way in and nothing is imported again: only the
function's return value comes back. Where ``fork`` is not available (Windows, macOS by
default) the work runs in this process when its result is asked for, with the same
result.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import signal
import sys
import warnings
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

__all__ = ["Background", "can_fork", "cpu_count", "frozen_for_fork", "one_process_each"]

_ALONE = False  # set in the workers of a run over many authorities


def can_fork() -> bool:
    """Whether worker processes can be forked here (Linux with the ``fork`` method, and
    not inside a worker that is itself one of many running at once)."""
    if _ALONE:
        return False
    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


def one_process_each() -> None:
    """Fork no more workers from this process (it is a worker among others already)."""
    global _ALONE
    _ALONE = True


def cpu_count() -> int:
    """CPUs this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


@contextlib.contextmanager
def frozen_for_fork() -> Any:
    """Fork children inside this block: the objects of this process are kept out of their
    garbage collector (``gc.freeze``), and back in this one's afterwards.

    Objects frozen before (by the application, or in a child that forks in turn) stay
    frozen. A child starts with the parent's objects (a London run's layers: millions of them).
    Without this, the first full collection in each child walks them all and writes to
    each one's header, which copies nearly every page of the parent's memory into the
    child: CPU time and memory for nothing, since a child never frees them. The Python
    documentation of :func:`gc.freeze` recommends this use.

    Examples
    --------
    >>> import gc
    >>> with frozen_for_fork():
    ...     frozen = gc.get_freeze_count() > 0
    >>> frozen, gc.get_freeze_count()
    (True, 0)
    """
    if gc.get_freeze_count():  # frozen already (by the application, or a child forking)
        yield
        return
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


_JOB: tuple[Callable[..., Any], tuple, dict] | None = None


def _run_job() -> tuple[Any, list[tuple[Warning, type[Warning], str, int]]]:
    """The job's result and the warnings it issued (to be issued again in the parent)."""
    from threadpoolctl import threadpool_limits

    fn, args, kwargs = _JOB  # inherited from the parent by the fork
    # This child forks nothing more (a Background inside runs here): a grandchild would hold
    # the pool's pipes open, so a child killed or lost would leave the parent waiting for
    # ever and the grandchild writing files no one wants.
    one_process_each()
    # One thread for OpenMP and BLAS in the child: GNU OpenMP is not fork-safe, and a
    # child's k-means would wait for ever on the parent's thread pool (scikit-learn
    # issue 23823); single-threaded, it never touches that pool.
    with threadpool_limits(1), warnings.catch_warnings(record=True) as caught:
        out = fn(*args, **kwargs)
    return out, [(w.message, w.category, w.filename, w.lineno) for w in caught]


class Background:
    """Run ``fn(*args, **kwargs)`` in a forked process while this one goes on.

    With ``enabled`` false, one CPU, or no ``fork``, the call runs in this process when
    :meth:`result` is called. An exception raised by ``fn`` is raised again by
    :meth:`result`, and the warnings it issued are issued again here, so callers see the
    same either way.

    Examples
    --------
    >>> with Background(sum, [1, 2, 3]) as job:
    ...     job.result()
    6
    """

    def __init__(self, fn: Callable[..., Any], *args: Any, enabled: bool = True, **kwargs: Any):
        global _JOB
        self._call = (fn, args, kwargs)
        self._pool: ProcessPoolExecutor | None = None
        self._future: Future | None = None
        self.forked = bool(enabled and can_fork() and cpu_count() > 1)
        if self.forked:
            _JOB = self._call
            try:
                self._pool = ProcessPoolExecutor(
                    max_workers=1, mp_context=multiprocessing.get_context("fork")
                )
                with frozen_for_fork():
                    self._future = self._pool.submit(_run_job)
                # the worker is forked at the first submit, holding the job; the slot is free
            finally:
                _JOB = None

    def __enter__(self) -> Background:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        if exc_type is not None:
            self.stop()  # this process failed: the child's result will never be read
        self.close()

    def close(self) -> None:
        """Wait for the child if it is still at work (its result unread) and let it go,
        so that it never goes on writing into a folder about to be cleared away."""
        if self._future is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._future = None

    def stop(self) -> None:
        """End the child at once (its work is not wanted any more)."""
        if self._future is not None:
            for pid in list(getattr(self._pool, "_processes", None) or {}):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._future = None

    def result(self, timeout: float | None = None) -> Any:
        """The function's return value (waits for the child, at most ``timeout`` seconds
        when given: :class:`TimeoutError` after that)."""
        if self._future is None:
            fn, args, kwargs = self._call
            return fn(*args, **kwargs)
        try:
            out, caught = self._future.result(timeout)
        except (TimeoutError, KeyboardInterrupt):
            self.stop()  # a child that does not answer, or is not wanted, is not waited for
            raise
        finally:
            self.close()
        for message, category, filename, lineno in caught:
            warnings.warn_explicit(message, category, filename, lineno)
        return out
