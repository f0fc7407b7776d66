"""A digest of shapes and settings: work made ahead is used only for the same input."""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import shapely

__all__ = ["shapes_digest"]


def shapes_digest(geometries: Any, *settings: object) -> str:
    """Hex digest of ``geometries`` (their WKB, in order) and ``settings`` (their reprs).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> a = shapes_digest([box(0, 0, 1, 1)], "EPSG:27700", 5.0)
    >>> a == shapes_digest([box(0, 0, 1, 1)], "EPSG:27700", 5.0)
    True
    >>> a == shapes_digest([box(0, 0, 1, 2)], "EPSG:27700", 5.0), a == shapes_digest(
    ...     [box(0, 0, 1, 1)], "EPSG:27700", 6.0)
    (False, False)
    """
    geoms = np.asarray(geometries, dtype=object)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(repr((len(geoms), *settings)).encode())
    for wkb in shapely.to_wkb(geoms):
        digest.update(b"-" if wkb is None else wkb)  # WKB is self-delimiting
    return digest.hexdigest()
