"""The ``resilience`` command line: ``demo``, ``run``, ``check`` and ``download``.

Exit status: 0 on success, 2 on bad input or configuration (the message names the file,
the column, examples of the offending values and the fix), 1 on an internal error. A
failed run leaves no partial output folder behind.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import __version__
from ._progress import configure_logging, logger, remove_handlers
from .errors import ResilienceError

__all__ = ["main"]


def _add_common(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    g.add_argument("-v", "--verbose", action="store_true", help="more detail, with timings")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="resilience",
        description="Map community resilience for small areas of England and Wales.",
    )
    parser.add_argument("--version", action="version", version=f"resilience {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="run the whole pipeline on the built-in synthetic borough")
    demo.add_argument("--out", type=Path, default=Path("resilience-demo"), help="output folder")
    demo.add_argument("--seed", type=int, default=0, help="seed of the synthetic borough")
    demo.add_argument("--overwrite", action="store_true", help="replace an existing folder")
    _add_common(demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``resilience`` command. Returns the exit status."""
    args = _parser().parse_args(argv)
    verbosity = -1 if args.quiet else (1 if args.verbose else 0)
    handlers = configure_logging(verbosity)
    try:
        if args.command == "demo":
            from .demo import run_demo

            run_demo(args.out, seed=args.seed, overwrite=args.overwrite)
        return 0
    except ResilienceError as err:
        logger.error("error: %s", err)
        return 2
    except KeyboardInterrupt:
        logger.error("interrupted")
        return 130
    except Exception:
        logging.getLogger("resilience").exception("internal error (please report it)")
        return 1
    finally:
        remove_handlers(handlers)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
