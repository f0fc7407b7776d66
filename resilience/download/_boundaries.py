"""``download_boundaries``: OA, LSOA and ward boundaries and the lookup for some councils."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from .._progress import Progress, logger
from ..errors import ConfigError, OutputExistsError, format_examples
from ..inputs.codes import GEOGRAPHY_PREFIXES
from ._client import ArcGISClient
from ._errors import DownloadError, ServiceNotFoundError
from ._fetch import Fetched, check_prefix, fetch, field_of, in_clauses, require_codes, utc_now
from ._services import DEFAULT_VINTAGE, PRODUCTS, Service, resolve_services
from ._write import FILES, write_all

__all__ = ["CHUNK_SIZE", "download_boundaries"]

#: Codes per ``IN (...)`` filter when fetching boundaries for a list of codes.
CHUNK_SIZE = 200

_LAD_RE = re.compile(r"^(E0[6-9]|W06)\d{6}$")


def _check_lad_codes(lad_codes: Iterable[str] | str) -> list[str]:
    if isinstance(lad_codes, str):
        lad_codes = [lad_codes]
    codes = list(dict.fromkeys(str(c).strip().upper() for c in lad_codes))
    if not codes:
        raise ConfigError("Give at least one local authority district code, e.g. E09000018.")
    bad = [c for c in codes if not _LAD_RE.match(c)]
    if bad:
        raise ConfigError(
            f"Not local authority district codes: {format_examples(bad)}. LAD codes are nine "
            f"characters starting {', '.join(GEOGRAPHY_PREFIXES['lad'])} (e.g. E09000018 for "
            "Hounslow); look yours up on the Open Geography Portal."
        )
    return codes


def _existing_targets(out_dir: Path) -> list[str]:
    return [name for name in FILES.values() if (out_dir / name).exists()]


def download_boundaries(
    lad_codes: Iterable[str] | str,
    out_dir: str | os.PathLike[str],
    *,
    vintage: int = DEFAULT_VINTAGE,
    services: Mapping[str, str | Service] | None = None,
    client: ArcGISClient | None = None,
    overwrite: bool = False,
    chunk_size: int = CHUNK_SIZE,
) -> dict[str, Path]:
    """Download OA, LSOA and ward boundaries and the OA → LSOA → ward lookup for councils.

    For the given local authority districts: the LAD boundaries (which also checks the codes
    exist in ``vintage``), the OA → ward best-fit lookup filtered by LAD, the OA → LSOA
    lookup, then OA, LSOA and ward boundaries for those codes in chunks of ``chunk_size``
    codes, all in British National Grid (EPSG:27700). Every query is paged and checked
    against the server's count; every code the lookup names must come back with a boundary.

    Parameters
    ----------
    lad_codes : str or iterable of str
        LAD codes of ``vintage`` (``E06``/``E07``/``E08``/``E09``/``W06``), e.g. ``"E09000018"``.
    out_dir : path
        Folder to write into (created if needed). Other files in it are left alone.
    vintage : int, default :data:`DEFAULT_VINTAGE`
        Ward and LAD vintage (a key of :data:`SERVICES`). OAs and LSOAs are Census 2021.
    services : mapping, optional
        Overrides of service names (``{"ward": "NEW_NAME"}``) or whole :class:`Service`
        entries, for when ONS has renamed a service. Keys: :data:`PRODUCTS`.
    client : ArcGISClient, optional
        Client to use (base URL, delay, retries); a default client otherwise.
    overwrite : bool, default False
        Replace files of the same names; otherwise any existing one is an error.
    chunk_size : int, default :data:`CHUNK_SIZE`
        Codes per ``IN (...)`` filter.

    Returns
    -------
    dict of str to Path
        Paths of the written files, keyed as in :data:`FILES`: ``oa``, ``lsoa``, ``ward``,
        ``lad`` (GeoPackages), ``lookup`` (CSV), ``provenance`` (JSON: service, query URLs,
        retrieval time, count and sha256 per file) and ``config`` (a starter
        ``resilience.toml`` with ``[geography]`` filled in).

    Raises
    ------
    ConfigError
        A code is not a LAD code or is unknown in ``vintage``; an unknown service key.
    OutputExistsError
        A file to be written exists and ``overwrite`` is false.
    DownloadError
        The server failed, a service was not found (:class:`ServiceNotFoundError`, with how
        to find the new name), or the data were incomplete or inconsistent.
    """
    from .. import __version__

    codes = _check_lad_codes(lad_codes)
    svc = resolve_services(vintage, services)
    if chunk_size < 1:
        raise ConfigError(f"chunk_size must be at least 1; got {chunk_size}.")
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError(f"{str(out_dir)!r} exists and is not a folder; choose a folder.")
    existing = _existing_targets(out_dir) if out_dir.is_dir() else []
    if existing and not overwrite:
        raise OutputExistsError(
            f"Folder {str(out_dir)!r} already has {format_examples(existing)}. Choose another "
            "folder with --out, or pass --overwrite (overwrite=True) to replace them."
        )
    own_client = client is None
    client = client if client is not None else ArcGISClient()
    try:
        fetched = _download(client, svc, codes, chunk_size)
        created = utc_now()
        return write_all(
            fetched,
            svc,
            out_dir,
            codes=codes,
            vintage=vintage,
            created=created,
            version=__version__,
            client=client,
        )
    finally:
        if own_client:
            client.close()


def _download(
    client: ArcGISClient, svc: dict[str, Service], codes: list[str], chunk_size: int
) -> dict[str, Fetched]:
    progress = Progress(7)
    out: dict[str, Fetched] = {}
    with progress.stage(f"Checking {len(svc)} ONS services", key="services"):
        for key, service in svc.items():
            try:
                client.resolve_fields(
                    service.name, list(service.fields.values()), layer=service.layer
                )
            except ServiceNotFoundError as err:
                raise ServiceNotFoundError(err.service, err.base_url, err.similar, key) from None
    lad_code = field_of(svc["lad"], "code", "lad")
    with progress.stage(f"Local authority boundaries for {', '.join(codes)}", key="lad"):
        lad = out["lad"] = fetch(
            client,
            "lad",
            svc["lad"],
            in_clauses(lad_code, codes, chunk_size),
            ["code", "name"],
            geometry=True,
            unique="code",
        )
        unknown = sorted(set(codes) - set(lad.frame[lad_code]))
        if unknown:
            raise ConfigError(
                f"LAD code(s) {format_examples(unknown)} are not in {svc['lad'].name!r} "
                f"({lad_code}). LAD codes change when councils merge (2023: Cumberland, "
                "Westmorland and Furness, North Yorkshire, Somerset); use a code of this "
                "vintage, or choose another --vintage."
            )

    ow_svc = svc["oa_ward"]
    with progress.stage("OA → ward lookup", key="oa_ward"):
        ow = out["oa_ward"] = fetch(
            client,
            "oa_ward",
            ow_svc,
            in_clauses(field_of(ow_svc, "lad", "oa_ward"), codes, chunk_size),
            ["oa", "ward", "ward_name", "lad"],
            geometry=False,
            unique="oa",
        )
        f = ow_svc.fields
        empty = sorted(set(codes) - set(ow.frame[f["lad"]]))
        if empty:
            raise DownloadError(
                f"The OA → ward lookup {ow_svc.name!r} has no OAs for {format_examples(empty)}, "
                f"although {svc['lad'].name!r} knows them. The lookup may be of another "
                "vintage: check --vintage and the service names."
            )
        check_prefix(ow.frame[f["oa"]], "oa", fetched=ow, column=f["oa"])
        check_prefix(ow.frame[f["ward"]], "ward", fetched=ow, column=f["ward"])
        oa_codes = sorted(ow.frame[f["oa"]])
        ward_codes = sorted(set(ow.frame[f["ward"]]))
        logger.info("      %d OAs in %d wards", len(oa_codes), len(ward_codes))

    ol_svc = svc["oa_lsoa"]
    with progress.stage(f"OA → LSOA lookup for {len(oa_codes)} OAs", key="oa_lsoa"):
        ol_oa = field_of(ol_svc, "oa", "oa_lsoa")
        ol = out["oa_lsoa"] = fetch(
            client,
            "oa_lsoa",
            ol_svc,
            in_clauses(ol_oa, oa_codes, chunk_size),
            ["oa", "lsoa"],
            geometry=False,
            unique="oa",
        )
        require_codes(ol.frame[ol_oa], oa_codes, fetched=ol, what="OAs")
        lsoa_col = ol_svc.fields["lsoa"]
        check_prefix(ol.frame[lsoa_col], "lsoa", fetched=ol, column=lsoa_col)
        lsoa_codes = sorted(set(ol.frame[lsoa_col]))

    for key, wanted, what in (
        ("oa", oa_codes, "OAs"),
        ("lsoa", lsoa_codes, "LSOAs"),
        ("ward", ward_codes, "wards"),
    ):
        service = svc[key]
        code = field_of(service, "code", key)
        roles = ["code"] if key == "oa" else ["code", "name"]
        label = PRODUCTS[key][0].upper() + PRODUCTS[key][1:]
        with progress.stage(f"{label}: {len(wanted)} {what}", key=key):
            got = out[key] = fetch(
                client,
                key,
                service,
                in_clauses(code, wanted, chunk_size),
                roles,
                geometry=True,
                unique="code",
            )
            require_codes(got.frame[code], wanted, fetched=got, what=what)
    return out
