"""Errors raised by the downloader."""

from __future__ import annotations

import re

from ..errors import ResilienceError, format_examples
from ._services import PORTAL_URL

__all__ = ["DownloadError", "ServiceNotFoundError", "not_found_message"]


class DownloadError(ResilienceError):
    """A download from the ONS Open Geography Portal failed or returned inconsistent data."""


class ServiceNotFoundError(DownloadError):
    """The named ArcGIS service does not exist (ONS renamed or withdrew it).

    Attributes
    ----------
    service : str
        The name that was not found.
    base_url : str
        The services directory it was looked up in.
    similar : list of str
        Names in the directory that look alike (may be empty).
    """

    def __init__(
        self, service: str, base_url: str, similar: list[str], key: str | None = None
    ) -> None:
        super().__init__(not_found_message(service, base_url, similar, key))
        self.service = service
        self.base_url = base_url
        self.similar = similar
        self.key = key


def not_found_message(
    service: str, base_url: str, similar: list[str], key: str | None = None
) -> str:
    """The explanation given when a service name is unknown: why, where to look, how to fix.

    Examples
    --------
    >>> msg = not_found_message("OA21_WD24_LAD24_EW_LU_v2", "https://x/services/", [], "oa_ward")
    >>> "--service oa_ward=NEW_NAME" in msg and "https://x/services/?f=json" in msg
    True
    """
    what = f" (service key {key!r})" if key else ""
    k = key or "KEY"
    hint = f" Services with similar names: {format_examples(similar)}." if similar else ""
    term = re.sub(r"_[Vv]\d+$", "", service)
    return (
        f"Service {service!r}{what} was not found at {base_url}. ONS renames services when it "
        f"republishes them (a new vintage or a _V2 suffix), so this name may be out of date."
        f"{hint} Find the current name in the services directory {base_url}?f=json (or run "
        f"`resilience download services {term}`), or search {PORTAL_URL} and open the "
        f"dataset's API page. Then pass the new name: --service {k}=NEW_NAME on the command "
        f"line, or services={{{k!r}: 'NEW_NAME'}} in Python."
    )
