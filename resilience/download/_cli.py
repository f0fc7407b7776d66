"""``resilience download``: command-line wiring (``add_parser`` + ``run``)."""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from pathlib import Path

from .._progress import logger
from ._services import BASE_URL, DEFAULT_VINTAGE, PRODUCTS, SERVICES

__all__ = ["add_parser", "run"]


def _service_override(text: str) -> tuple[str, str]:
    key, sep, name = text.partition("=")
    key, name = key.strip(), name.strip()
    if not sep or not key or not name:
        raise argparse.ArgumentTypeError(
            f"expected KEY=NAME (e.g. ward=Wards_December_2024_Boundaries_UK_BGC), got {text!r}"
        )
    if key not in PRODUCTS:
        raise argparse.ArgumentTypeError(
            f"unknown service key {key!r}; keys are {', '.join(PRODUCTS)}"
        )
    return key, name


def _services_epilog() -> str:
    lines = ["service keys and their default names (override with --service KEY=NAME):"]
    for vintage, table in SERVICES.items():
        lines.append(f"  vintage {vintage}:")
        lines.extend(f"    {key:<8} {table[key].name}" for key in PRODUCTS)
    lines.append(
        "ONS renames services when it republishes them; `resilience download services TEXT` "
        "lists the current names."
    )
    return "\n".join(lines)


def add_parser(
    subparsers: argparse._SubParsersAction,
    *,
    common: Callable[[argparse.ArgumentParser], None] | None = None,
) -> argparse.ArgumentParser:
    """Add ``download boundaries`` and ``download services`` to a subparsers object.

    ``common`` is called on each leaf parser to add shared options (``--quiet``/``--verbose``).
    Returns the ``download`` parser; :func:`run` executes parsed arguments.
    """
    parser = subparsers.add_parser(
        "download",
        help="ONS boundaries and lookups for a local authority (needs internet)",
        description="Download from the ONS Open Geography Portal (needs internet).",
    )
    sub = parser.add_subparsers(dest="download_command", required=True, metavar="WHAT")
    b = sub.add_parser(
        "boundaries",
        help="OA, LSOA and ward boundaries and the OA → LSOA → ward lookup",
        description=textwrap.fill(
            "Download OA, LSOA and ward boundaries (generalised, EPSG:27700) and the "
            "OA → LSOA → ward lookup for one or more local authority districts, with a "
            "provenance record and a starter resilience.toml.",
            width=78,
        ),
        epilog=_services_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    b.add_argument("lad_codes", nargs="+", metavar="LAD_CODE", help="e.g. E09000018 (Hounslow)")
    b.add_argument("--out", type=Path, required=True, help="folder to write the files into")
    b.add_argument(
        "--vintage",
        type=int,
        choices=sorted(SERVICES),
        default=DEFAULT_VINTAGE,
        help=f"ward and LAD vintage (default {DEFAULT_VINTAGE})",
    )
    b.add_argument("--base-url", default=BASE_URL, help="ArcGIS services directory URL")
    b.add_argument(
        "--service",
        action="append",
        type=_service_override,
        default=[],
        metavar="KEY=NAME",
        help="use another service name for KEY (repeatable); keys are listed below",
    )
    b.add_argument("--delay", type=float, default=0.5, help="seconds between requests (0.5)")
    b.add_argument("--overwrite", action="store_true", help="replace existing files")

    s = sub.add_parser(
        "services",
        help="list FeatureServer service names (find a renamed service)",
        description="List the services on the portal whose names contain all the words given.",
    )
    s.add_argument("words", nargs="*", metavar="TEXT", help="e.g. Wards_December_2024")
    s.add_argument("--base-url", default=BASE_URL, help="ArcGIS services directory URL")
    for leaf in (b, s):
        if common is not None:
            common(leaf)
    return parser


def run(args: argparse.Namespace) -> int:
    """Execute parsed ``download`` arguments; return the exit status (0).

    Errors are raised as :class:`~resilience.errors.ResilienceError` subclasses for the
    command line's usual handling (exit status 2 with the message).
    """
    from ._boundaries import download_boundaries
    from ._client import ArcGISClient

    if args.download_command == "services":
        with ArcGISClient(args.base_url, delay=0) as client:
            names = client.list_services(" ".join(args.words))
        for name in names:
            print(name)
        logger.info("%d service(s) match %r at %s", len(names), " ".join(args.words), args.base_url)
        return 0
    with ArcGISClient(args.base_url, delay=args.delay) as client:
        download_boundaries(
            args.lad_codes,
            args.out,
            vintage=args.vintage,
            services=dict(args.service),
            client=client,
            overwrite=args.overwrite,
        )
    return 0
