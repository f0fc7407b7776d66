"""Output folders that appear whole or not at all."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import OutputExistsError

__all__ = ["check_output_folder", "staged_output"]


def check_output_folder(out: Path, overwrite: bool) -> None:
    """Refuse an existing, non-empty output folder unless ``overwrite``."""
    if out.exists() and not out.is_dir():
        raise OutputExistsError(f"Output path {str(out)!r} exists and is a file. Choose a folder.")
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise OutputExistsError(
            f"Output folder {str(out)!r} already exists. Choose another folder with --out, "
            "or pass --overwrite to replace it."
        )


@contextmanager
def staged_output(out: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; move it into place only on success.

    On any error the temporary folder is removed and ``out`` is left as it was.
    """
    out = Path(out)
    check_output_folder(out, overwrite)
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
