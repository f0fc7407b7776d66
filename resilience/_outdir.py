"""Output folders that appear whole or not at all, and are never someone else's folder.

A run writes into a hidden sibling ``.<name>.partial-<id>`` of the output folder and moves
it into place only when every file is written. The folder then holds a marker,
``.resilience-output.json``, that lists every file the run wrote (with size,
modification time and sha256); only resilience writes it, and only a folder holding it is ever
replaced.

Replacing (``overwrite``) goes: the new folder is complete; the old one is renamed
``.<name>.old-<id>``; the new one is renamed into place; then the files the old marker
lists (and that nobody changed since) are deleted. Anything else in the old folder is
moved into the new one (or, on a name clash, kept as ``<name>.kept-<id>``) and named in a
warning. A kill at any moment leaves the old or the new folder whole, and the next run to
the same folder finishes the job: it restores a complete old folder when the output is
missing, finishes deleting an old folder that was moved aside, and removes partial folders
of killed runs.

A lock (``fcntl.flock``, or ``msvcrt.locking`` on Windows, on ``.<name>.lock`` beside the
output) stops two runs writing one folder: the second fails at once. The home folder,
``/``, the current folder and any folder holding the config or an input are never replaced.
Symlinks are resolved first. After a failed run nothing is left: no partial folder, no lock
file and no parent folder the run created.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import errno
import json
import os
import shutil
import uuid
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

from .errors import OutputExistsError, OutputFolderError, ResilienceWarning

__all__ = ["MARKER", "check_output_folder", "read_marker", "staged_output"]

#: The file that marks a folder as written by resilience (lists every file of the run).
MARKER = ".resilience-output.json"
_PARTIAL = ".resilience-partial"
_TOOL = "resilience"


def _fault_point(name: str) -> None:
    """A named point of the replacement (tests make a process die here)."""


# ------------------------------------------------------------------ markers
def read_marker(folder: Path) -> dict | None:
    """The marker of ``folder`` when resilience wrote it, else None.

    Examples
    --------
    >>> import tempfile
    >>> read_marker(Path(tempfile.mkdtemp())) is None
    True
    """
    path = Path(folder) / MARKER
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("tool") != _TOOL:
        return None
    if not isinstance(data.get("files"), list) or not data.get("run_id"):
        return None
    return data


def _write_marker(folder: Path, run_id: str) -> None:
    from . import __version__

    files = []
    for p in sorted(folder.rglob("*")):
        if p.is_file() and not p.is_symlink() and p.name not in (MARKER, _PARTIAL):
            st = p.stat()
            rel = p.relative_to(folder).as_posix()
            files.append(
                {"path": rel, "bytes": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": _sha(p)}
            )
    marker = {
        "tool": _TOOL,
        "package": "community-resilience",
        "version": __version__,
        "run_id": run_id,
        "created": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "files": files,
    }
    path = folder / MARKER
    with open(path, "w", encoding="utf-8") as fh:
        json.dump(marker, fh, indent=1)
        fh.flush()
        os.fsync(fh.fileno())


def _sha(path: Path) -> str:
    from .outputs.manifest import file_sha256

    return file_sha256(path)


def _unchanged(path: Path, record: dict) -> bool:
    """The file is as the run wrote it: same size, and same time or (if copied) same content."""
    st = path.stat()
    if st.st_size != record.get("bytes"):
        return False
    return st.st_mtime_ns == record.get("mtime_ns") or _sha(path) == record.get("sha256")


def _complete(folder: Path, marker: dict) -> bool:
    """Every file the marker lists is present."""
    return all((folder / f["path"]).is_file() for f in marker["files"])


# ------------------------------------------------------------------- guards
def _real(path: Path) -> Path:
    return Path(os.path.realpath(os.path.expanduser(os.fspath(path))))


def _guard(real: Path, shown: Path, protect: Iterable[Path]) -> None:
    home = os.environ.get("HOME")
    guarded = {Path("/"): "the root folder", Path.cwd().resolve(): "the current folder"}
    if home:
        guarded[_real(Path(home))] = "your home folder"
    for g, what in guarded.items():
        if g == real or real in g.parents:
            raise OutputExistsError(
                f"Refusing to overwrite {str(shown)!r}: it is, or contains, {what}. "
                "Choose a new folder for the outputs with --out."
            )
    for p in protect:
        rp = _real(Path(p))
        if rp == real or real in rp.parents:
            raise OutputExistsError(
                f"Refusing to overwrite {str(shown)!r}: it holds an input of the run "
                f"({str(p)!r}). Choose a new folder for the outputs with --out."
            )


def check_output_folder(out: Path, overwrite: bool, protect: Iterable[Path] = ()) -> None:
    """Raise :class:`~resilience.errors.OutputExistsError` if ``out`` may not be written.

    A folder may be written when it does not exist or is empty, or, with ``overwrite``,
    when resilience wrote it (it holds the marker) and it is not the home folder, ``/``,
    the current folder or a folder holding any path in ``protect``.
    """
    out = Path(out)
    real = _real(out)
    _guard(real, out, protect)
    if real.exists() and not real.is_dir():
        raise OutputExistsError(f"Output path {str(out)!r} exists and is a file. Choose a folder.")
    if not real.exists() or not any(real.iterdir()):
        return
    if not overwrite:
        raise OutputExistsError(
            f"Output folder {str(out)!r} already exists. Choose another folder with --out, "
            "or pass --overwrite to replace it."
        )
    if read_marker(real) is None:
        raise OutputExistsError(
            f"Refusing to overwrite {str(out)!r}: it is not a folder resilience wrote earlier "
            f"(it has no {MARKER} marker), so replacing it could delete your files. Choose a new "
            "or empty folder for the outputs."
        )


# -------------------------------------------------------------- filesystem
def _make_parents(folder: Path) -> list[Path]:
    """Create ``folder`` and missing parents; return those created, deepest first."""
    created: list[Path] = []
    p = folder
    while not p.exists():
        created.append(p)
        p = p.parent
    for d in reversed(created):
        try:
            d.mkdir()
        except FileExistsError:
            pass
        except OSError as err:
            _remove_empty(created)
            raise OutputFolderError(
                f"Cannot create the folder {str(d)!r} for the outputs: "
                f"{err.strerror or err}. Choose an --out in a folder you can write to."
            ) from err
    return created


def _remove_empty(folders: Iterable[Path]) -> None:
    for d in folders:  # deepest first
        with suppress(OSError):
            d.rmdir()


def _rename_noreplace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, failing with FileExistsError if ``dst`` exists."""
    libc = _libc()
    fn = getattr(libc, "renameat2", None) if libc else None
    if fn is not None:
        at_fdcwd, rename_noreplace = -100, 1
        res = fn(at_fdcwd, os.fsencode(src), at_fdcwd, os.fsencode(dst), rename_noreplace)
        if res == 0:
            return
        code = ctypes.get_errno()
        if code not in (errno.ENOSYS, errno.EINVAL):
            raise OSError(code, os.strerror(code), str(dst))
    if os.path.lexists(dst):  # no renameat2 here: check, then rename
        raise FileExistsError(errno.EEXIST, "File exists", str(dst))
    os.rename(src, dst)


_LIBC: list = []


def _libc():
    if not _LIBC:
        name = ctypes.util.find_library("c")
        _LIBC.append(ctypes.CDLL(name, use_errno=True) if name else None)
    return _LIBC[0]


def _prune_empty_dirs(folder: Path) -> None:
    """Remove empty folders under (and including) ``folder``, deepest first."""
    if not folder.is_dir() or folder.is_symlink():
        return
    for dirpath, _, _ in sorted(os.walk(folder), key=lambda t: -len(t[0])):
        with suppress(OSError):
            os.rmdir(dirpath)


# ------------------------------------------------------------------- locks
def _try_lock(fd: int) -> None:
    """Lock ``fd`` exclusively without waiting; BlockingIOError when another holds it."""
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError as err:
            raise BlockingIOError(str(err)) from err
        return
    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)


@contextmanager
def _locked(parent: Path, name: str, shown: Path) -> Iterator[None]:
    lock = parent / f".{name}.lock"
    while True:
        try:
            fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise OutputFolderError(
                f"Cannot write in {str(parent)!r} (beside the output folder {str(shown)!r}): "
                f"{err.strerror or err}. Choose an --out in a folder you can write to."
            ) from err
        try:
            _try_lock(fd)
        except BlockingIOError:
            try:
                pid = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            except OSError:
                pid = "unknown"
            os.close(fd)
            raise OutputFolderError(
                f"Another resilience run (process {pid}) is writing the output folder "
                f"{str(shown)!r} right now (lock {str(lock)!r}). Wait for it to finish, or "
                "choose another folder with --out."
            ) from None
        # the lock file may have been removed and re-created by the run that held it
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        with suppress(OSError):
            lock.unlink()
        os.close(fd)


# ---------------------------------------------------------------- recovery
def _clear_old(old: Path, real: Path, run_id: str) -> None:
    """Delete what the marker of ``old`` lists; keep (and name) everything else."""
    marker = read_marker(old)
    if marker is None:
        _prune_empty_dirs(old)
        return
    changed = []
    deleted = 0
    for f in marker["files"]:
        p = old / f["path"]
        if p.is_symlink() or not p.is_file():
            continue
        if _unchanged(p, f):
            p.unlink()
            deleted += 1
            if deleted == 1:
                _fault_point("deleting_old")
        else:
            changed.append(f["path"])
    kept = sorted(
        p.relative_to(old)
        for p in old.rglob("*")
        if (p.is_file() or p.is_symlink()) and p.name != MARKER
    )
    clash = []
    moved = []
    for rel in kept:
        dst = real / rel
        if os.path.lexists(dst) or not real.is_dir():
            clash.append(rel)
            continue
        dst.parent.mkdir(parents=True, exist_ok=True)
        os.rename(old / rel, dst)
        moved.append(rel)
    where = old
    if clash:
        where = real.parent / f"{real.name}.kept-{run_id}"
        os.rename(old, where)
    (where / MARKER).unlink(missing_ok=True)
    if not clash:
        _prune_empty_dirs(old)
    if kept:
        names = ", ".join(str(r) for r in kept[:8]) + (
            f" (and {len(kept) - 8} more)" * (len(kept) > 8)
        )
        extra = (
            f"; changed since resilience wrote them: {', '.join(changed[:8])}" if changed else ""
        )
        warnings.warn(
            f"The previous output folder {str(real)!r} held {len(kept)} file(s) resilience did "
            f"not write or that were changed since: {names}{extra}. They were kept, not "
            f"deleted: {len(moved)} moved into the new output folder"
            + (
                f", {len(clash)} left in {str(where)!r} (same name as a new output)"
                if clash
                else ""
            )
            + ".",
            ResilienceWarning,
            stacklevel=4,
        )


def _recover(real: Path) -> None:
    """Finish or undo what a killed run left beside ``real`` (the lock is held)."""
    parent, name = real.parent, real.name
    for old in sorted(parent.glob(f".{name}.old-*")):
        if old.is_symlink() or not old.is_dir():
            continue
        marker = read_marker(old)
        if marker is not None and not os.path.lexists(real) and _complete(old, marker):
            os.rename(old, real)
            warnings.warn(
                f"An earlier run was interrupted while replacing {str(real)!r}; the previous "
                "output folder was restored.",
                ResilienceWarning,
                stacklevel=4,
            )
            continue
        _clear_old(old, real, old.name.rsplit("-", 1)[-1])
    for partial in parent.glob(f".{name}.partial-*"):
        if partial.is_symlink() or not partial.is_dir():
            continue
        ours = (partial / _PARTIAL).is_file() or read_marker(partial) is not None
        if ours:
            shutil.rmtree(partial, ignore_errors=True)
        else:
            _prune_empty_dirs(partial)


# ------------------------------------------------------------------ staging
def _state(real: Path) -> tuple[str, int | None]:
    """("absent" | "empty" | "ours" | "other", inode) of the output folder."""
    if not os.path.lexists(real):
        return "absent", None
    if not real.is_dir():
        return "other", None
    ino = real.stat().st_ino
    if not any(real.iterdir()):
        return "empty", ino
    return ("ours" if read_marker(real) is not None else "other"), ino


def _commit(tmp: Path, real: Path, shown: Path, start: tuple, overwrite: bool, run_id: str) -> None:
    kind, ino = _state(real)
    appeared = (
        f"The output folder {str(shown)!r} was created (or filled) by another program during "
        "the run; it was left as it is and the new outputs were discarded. Run again with "
        "another --out"
    )
    if kind == "absent":
        try:
            _rename_noreplace(tmp, real)
        except FileExistsError:
            raise OutputExistsError(appeared + ".") from None
        return
    if kind == "empty" and start == ("empty", ino):
        try:
            os.rename(tmp, real)  # replaces an empty folder, fails on a non-empty one
        except OSError:
            raise OutputExistsError(appeared + ".") from None
        return
    if kind != "ours":
        raise OutputExistsError(appeared + ".")
    if not overwrite:  # another run's output appeared meanwhile
        raise OutputExistsError(
            f"Output folder {str(shown)!r} exists, use --overwrite to replace it (or choose "
            "another folder with --out); the new outputs were discarded."
        )
    old = real.parent / f".{real.name}.old-{run_id}"
    os.rename(real, old)
    _fault_point("old_moved")
    try:
        os.rename(tmp, real)
    except BaseException:
        os.rename(old, real)
        raise
    _fault_point("new_moved")
    _clear_old(old, real, run_id)


@contextmanager
def staged_output(
    out: Path,
    overwrite: bool = False,
    protect: Iterable[Path] = (),
) -> Iterator[Path]:
    """Yield a temporary folder beside ``out``; move it into place only on success.

    On any error the temporary folder, the lock and any parent folder created for ``out``
    are removed and ``out`` is left as it was. See :func:`check_output_folder` for what
    ``overwrite`` may replace, and the module docstring for the replacement.

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "a" / "out"
    >>> with staged_output(out) as tmp:
    ...     _ = (tmp / "x.txt").write_text("x")
    >>> sorted(p.name for p in out.iterdir())
    ['.resilience-output.json', 'x.txt']
    """
    shown = Path(out)
    real = _real(shown)
    protect = list(protect)
    _guard(real, shown, protect)
    if real.name in ("", ".", ".."):
        raise OutputExistsError(f"Output path {str(shown)!r} is not a folder name; choose one.")
    created = _make_parents(real.parent)
    run_id = uuid.uuid4().hex[:12]
    try:
        with _locked(real.parent, real.name, shown):
            _recover(real)
            check_output_folder(real, overwrite, protect)
            start = _state(real)
            tmp = real.parent / f".{real.name}.partial-{run_id}"
            tmp.mkdir(mode=0o755)
            try:
                (tmp / _PARTIAL).write_text(f"{os.getpid()}\n")
                yield tmp
                (tmp / _PARTIAL).unlink()
                _write_marker(tmp, _run_id_of(tmp) or run_id)
                _fault_point("marker_written")
                _commit(tmp, real, shown, start, overwrite, run_id)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
    except BaseException:
        _remove_empty(created)
        raise


def _run_id_of(folder: Path) -> str | None:
    """The run id of the manifest written into ``folder``, if any."""
    try:
        return str(json.loads((folder / "manifest.json").read_text(encoding="utf-8"))["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
