"""The ``resilience`` command line: ``demo``, ``run``, ``check``, ``synth-survey``, ``download``.

Exit status: 0 on success, 2 on bad input or configuration (the message names the file,
the column, examples of the offending values and the fix) or when the file system refuses
(permissions, disk full), 1 on an internal error. A failed run leaves no partial output
folder behind.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import warnings
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from ._progress import configure_logging, logger, remove_handlers
from .errors import ResilienceError

__all__ = ["console", "main"]


def _add_common(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument(
        "-q", "--quiet", action="store_true", help="only warnings and errors (check: only problems)"
    )
    g.add_argument("-v", "--verbose", action="store_true", help="more detail, with timings")


def _map_mode(value: str) -> str:
    from .config import check_map_mode
    from .errors import ConfigError

    try:
        return check_map_mode(value, "--map-mode")
    except ConfigError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _add_output(p: argparse.ArgumentParser, default: Path | None) -> None:
    p.add_argument("--out", type=Path, default=default, help="output folder (refused if it exists)")
    p.add_argument("--overwrite", action="store_true", help="replace an existing output folder")
    p.add_argument(
        "--map-mode",
        type=_map_mode,
        default=None,
        metavar="{shared,offline}",
        help="shared: Leaflet and the page script written once to maps/assets/ (the default; "
        "open from disk, offline or a shared drive); offline: one self-contained file per page",
    )
    p.add_argument("--no-maps", action="store_true", help="skip the HTML maps")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resilience",
        description="Map community resilience for small areas of England and Wales.",
    )
    parser.add_argument("--version", action="version", version=f"resilience {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="the whole pipeline on the built-in synthetic borough")
    _add_output(demo, Path("resilience-demo"))
    demo.add_argument("--seed", type=int, default=0, help="seed of the synthetic borough")
    demo.add_argument(
        "--waves",
        type=int,
        default=1,
        choices=range(1, 5),
        metavar="N",
        help="survey waves (2-4: change over time, with a known change; default 1)",
    )
    demo.add_argument(
        "--method",
        choices=("classification", "mrp", "both"),
        default="classification",
        help="estimation route: the classification lookup, MRP (census post-stratification) "
        "or both compared",
    )
    _add_common(demo)

    run = sub.add_parser("run", help="the whole pipeline on your data")
    run.add_argument("config", type=Path, help="the resilience.toml config file")
    _add_output(run, None)
    run.add_argument(
        "--sensitivity",
        action="store_true",
        help="also refit with other choices and report what changes (model/sensitivity.csv)",
    )
    run.add_argument(
        "--per-authority",
        action="store_true",
        help='one output folder per local authority of [area] lad ("all": every one in the '
        "files), an index page and a national GeoPackage; the models are fitted once, and a "
        "rerun skips the authorities already complete",
    )
    run.add_argument(
        "--workers", type=int, default=None, help="processes for --per-authority (default 2)"
    )
    _add_common(run)

    chk = sub.add_parser("check", help="validate inputs only; report what would fail")
    chk.add_argument("config", type=Path, help="the resilience.toml config file")
    _add_common(chk)

    trial = sub.add_parser(
        "synth-survey",
        help="write a synthetic respondent file for the config's classification (trial runs)",
    )
    trial.add_argument("config", type=Path, help="the resilience.toml config file")
    trial.add_argument("--out", type=Path, required=True, help="the .tab or .csv file to write")
    trial.add_argument("--respondents", type=int, default=8000, help="number of respondents")
    trial.add_argument("--seed", type=int, default=None, help="default: the config's seed")
    _add_common(trial)

    from .download._cli import add_parser as add_download

    add_download(sub, common=_add_common)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    logger.warning("warning: %s", message)


def _run(args: argparse.Namespace) -> int:
    from .config import load_config
    from .runner import run_to_folder

    cfg = load_config(args.config)
    out = args.out if args.out is not None else cfg.base / cfg["output"]
    if args.per_authority:
        from .national import run_per_authority

        national = run_per_authority(
            cfg, out, overwrite=args.overwrite, maps=not args.no_maps, map_mode=args.map_mode,
            workers=args.workers,
        )  # fmt: skip
        if national.failed:
            names = ", ".join(f"{o.code} ({o.name})" for o in national.failed)
            logger.error("error: %d authorities failed: %s", len(national.failed), names)
        return national.exit_status
    run_to_folder(
        cfg,
        out,
        overwrite=args.overwrite,
        maps=not args.no_maps,
        map_mode=args.map_mode,
        sensitivity=args.sensitivity,
    )
    return 0


def _check(args: argparse.Namespace) -> int:
    from .inputs.check import check

    report = check(args.config)
    print(report.format(quiet=args.quiet))
    return 0 if report.ok else 2


def _synth_survey(args: argparse.Namespace) -> int:
    from .synthetic._trial import write_trial_survey

    path = write_trial_survey(args.config, args.out, n_respondents=args.respondents, seed=args.seed)
    logger.info(
        "Wrote %s: a SYNTHETIC survey for a trial run. Point [survey] path at it; every "
        "output made from it says it is a trial run.",
        path,
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``resilience`` command. Returns the exit status."""
    args = _parser().parse_args(argv)
    verbosity = (
        -1 if getattr(args, "quiet", False) else (1 if getattr(args, "verbose", False) else 0)
    )
    handlers = configure_logging(verbosity)
    old_show = warnings.showwarning
    warnings.showwarning = _show_warning
    try:
        if args.command == "demo":
            from .demo import run_demo

            run_demo(
                args.out,
                seed=args.seed,
                overwrite=args.overwrite,
                maps=not args.no_maps,
                map_mode=args.map_mode,
                waves=args.waves,
                method=args.method,
            )
            return 0
        if args.command == "run":
            return _run(args)
        if args.command == "check":
            return _check(args)
        if args.command == "synth-survey":
            return _synth_survey(args)
        if args.command == "download":
            from .download._cli import run as run_download

            return run_download(args)
        return 2  # pragma: no cover - argparse requires a command
    except ResilienceError as err:
        logger.error("error: %s", err)
        return 2
    except OSError as err:  # the file system refused (permissions, disk full): not a bug
        where = f" ({err.filename})" if err.filename else ""
        logger.error(
            "error: %s%s. Check the path, its permissions and the free disk space.",
            err.strerror or err,
            where,
        )
        return 2
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    except Exception:
        logging.getLogger("resilience").exception("internal error (please report it)")
        return 1
    finally:
        warnings.showwarning = old_show
        remove_handlers(handlers)


#: glibc's malloc settings for the command's process and the processes it forks: freed
#: memory is kept for reuse (up to 1 GiB at the top of the heap, with 64 MiB more asked
#: for each time it grows) and blocks below 32 MiB come from the heap, rather than being
#: mapped afresh and given back each time. A run allocates and frees large arrays all the
#: way through; each fresh mapping is zeroed and faulted in page by page (London: 550,000
#: page faults, 4 s of system time). Left to the environment when it sets any of glibc's
#: ``MALLOC_*`` variables or ``glibc.malloc`` tunables (``GLIBC_TUNABLES``).
MALLOC_SETTINGS = {"M_TRIM_THRESHOLD": 1 << 30, "M_TOP_PAD": 64 << 20, "M_MMAP_THRESHOLD": 32 << 20}
_MALLOPT = {"M_TRIM_THRESHOLD": -1, "M_TOP_PAD": -2, "M_MMAP_THRESHOLD": -3}  # malloc.h


def tune_allocator() -> bool:
    """Apply :data:`MALLOC_SETTINGS` to this process (Linux with glibc; elsewhere, or when
    the environment sets the allocator's own settings, nothing is changed). Whether they
    were applied.

    Only the installed command calls this: a program using the package as a library keeps
    its own allocator settings.
    """
    own = any(k.startswith("MALLOC_") for k in os.environ)  # MALLOC_ARENA_MAX too
    if (
        not sys.platform.startswith("linux")
        or own
        or "glibc.malloc." in os.environ.get("GLIBC_TUNABLES", "")
    ):
        return False
    import ctypes

    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    applied = [mallopt(_MALLOPT[k], v) == 1 for k, v in MALLOC_SETTINGS.items()]
    return all(applied)


def console() -> None:
    """The installed ``resilience`` command: :func:`main`, then the process ends at once.

    Every output file is closed by then; the log is flushed and closed and both streams
    are flushed, then the process exits without freeing the run's objects one by one
    (after a London run that teardown took 1.3 s of hundreds of megabytes of layers and
    pages, for a process about to end). ``--help`` and ``--version`` exit as usual.
    """
    tune_allocator()
    status = main()
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # e.g. a full disk behind a redirection: as Python exits then
            status = status or 120
    os._exit(status)


if __name__ == "__main__":  # pragma: no cover
    console()
