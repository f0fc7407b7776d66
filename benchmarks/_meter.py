"""Wall time, CPU time and peak resident memory of nested stages inside one process.

Peak memory is the kernel's resident-set high-water mark (``VmHWM`` in
``/proc/self/status``). Writing ``5`` to ``/proc/self/clear_refs`` resets it (Linux 4.0
and later), so each stage gets its own peak; a stage that contains others gets the
largest peak seen while it was open. Where the reset is not allowed, only the peak of
the whole process is reported (stage peaks are ``None``).

Stages measured in a forked child (the library writes the GeoPackage and tables in one
while the parent writes the maps) are passed back through a spool file and reported with
the others; their CPU time is the child's.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["Meter", "measuring_progress", "wrap"]


def _hwm_kib() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux


def _reset_hwm() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as f:
            f.write("5")
        return True
    except OSError:
        return False


class Meter:
    """Records ``{name: {wall_s, cpu_s, peak_mib}}`` for nested ``measure`` blocks."""

    def __init__(self) -> None:
        self.resettable = _reset_hwm()
        self._records: dict[str, dict[str, float | None]] = {}
        self._pid = os.getpid()
        fd, self._spool = tempfile.mkstemp(prefix="meter-", suffix=".jsonl")
        os.close(fd)
        self.overall_kib = 0
        self._open: list[list[int]] = []

    def _fold(self) -> None:
        h = _hwm_kib()
        self.overall_kib = max(self.overall_kib, h)
        for slot in self._open:
            slot[0] = max(slot[0], h)

    @contextmanager
    def measure(self, name: str) -> Iterator[None]:
        """Time the block; its peak memory is recorded when the reset is allowed."""
        self._fold()
        slot = [0]
        self._open.append(slot)
        if self.resettable:
            _reset_hwm()
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            wall, cpu = time.perf_counter() - w0, time.process_time() - c0
            self._fold()
            self._open = [s for s in self._open if s is not slot]
            record = {
                "wall_s": round(wall, 3),
                "cpu_s": round(cpu, 3),
                "peak_mib": round(slot[0] / 1024, 1) if self.resettable else None,
            }
            if os.getpid() == self._pid:
                self._records[name] = record
            else:  # a forked child: one line, appended whole
                with open(self._spool, "a", encoding="utf-8") as f:
                    f.write(json.dumps({name: record}) + "\n")

    @property
    def records(self) -> dict[str, dict[str, float | None]]:
        """Every stage measured, in this process or in a forked child. A stage measured in
        two children at once (the tables' CSVs and workbook) keeps its longer measure."""
        out = dict(self._records)
        with open(self._spool, encoding="utf-8") as f:
            for line in f:
                for name, record in json.loads(line).items():
                    if name not in out or (record.get("wall_s") or 0) > (
                        out[name].get("wall_s") or 0
                    ):
                        out[name] = record
        return out

    @property
    def overall_mib(self) -> float:
        """Peak resident memory of the process so far."""
        self._fold()
        return round(self.overall_kib / 1024, 1)


def wrap(module: object, attr: str, name: str, meter: Meter) -> None:
    """Replace ``module.attr`` by the same function measured as ``name`` (behaviour unchanged)."""
    fn = getattr(module, attr)

    @functools.wraps(fn)
    def measured(*args, **kwargs):
        with meter.measure(name):
            return fn(*args, **kwargs)

    setattr(module, attr, measured)


def measuring_progress(total: int, meter: Meter):
    """A :class:`resilience._progress.Progress` whose stages are also measured by ``meter``."""
    from resilience._progress import Progress

    class MeasuringProgress(Progress):
        @contextmanager
        def stage(self, message: str, key: str | None = None) -> Iterator[None]:
            with meter.measure(key or message), super().stage(message, key):
                yield

    return MeasuringProgress(total)
