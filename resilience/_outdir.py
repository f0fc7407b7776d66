"""Output folders that appear whole or not at all, and are never someone else's folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputExistsError

__all__ = ["check_output_folder", "staged_output"]

#: Files that mark a folder as the output of an earlier run (safe to replace).
RUN_MARKERS = ("manifest.json", "run.log")


def check_output_folder(
    out: Path,
    overwrite: bool,
    protect: Iterable[Path] = (),
    markers: tuple[str, ...] = RUN_MARKERS,
) -> None:
    """Refuse an existing, non-empty output folder unless ``overwrite``.

    Even with ``overwrite``, only a folder written by an earlier run (it holds
    ``manifest.json`` or ``run.log``, or another of ``markers``) is replaced, never the
    current folder, one of its parents, or a folder holding any path in ``protect`` (the
    config and the inputs).
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"Output path {str(out)!r} exists and is a file. Choose a folder.")
    if not out.exists() or not any(out.iterdir()):
        return
    if not overwrite:
        raise OutputExistsError(
            f"Output folder {str(out)!r} already exists. Choose another folder with --out, "
            "or pass --overwrite to replace it."
        )
    real = out.resolve()
    cwd = Path.cwd().resolve()
    guarded = [cwd, *[Path(p).resolve() for p in protect]]
    if any(g == real or real in g.parents for g in guarded):
        raise OutputExistsError(
            f"Refusing to overwrite {str(out)!r}: it is, or contains, the current folder or an "
            "input of the run. Choose a new folder for the outputs."
        )
    if not any((out / m).exists() for m in markers):
        raise OutputExistsError(
            f"Refusing to overwrite {str(out)!r}: it is not a folder resilience wrote earlier "
            f"(no {' or '.join(markers)} in it), so replacing it could delete your files. "
            "Choose a new or empty folder for the outputs."
        )


@contextmanager
def staged_output(
    out: Path,
    overwrite: bool = False,
    protect: Iterable[Path] = (),
    markers: tuple[str, ...] = RUN_MARKERS,
) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; move it into place only on success.

    On any error the temporary folder is removed and ``out`` is left as it was. See
    :func:`check_output_folder` for what ``overwrite`` may replace.
    """
    out = Path(out)
    protect = list(protect)
    check_output_folder(out, overwrite, protect, markers)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.partial-", dir=out.parent))
    os.chmod(tmp, 0o755)
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        shutil.rmtree(out)
    tmp.rename(out)
