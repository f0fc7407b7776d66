"""Local evidence joined onto the layers: community assets, the review log, the council's
resident survey.

:func:`add_local_evidence` runs after the layers are built. It reads the ``[[assets]]``
files and counts them per LSOA (``assets_total``, ``assets_<category>``,
``assets_per_1000`` in the LSOA layer), marks reviewed LSOAs (``last_review`` and
``review_outcome`` in the LSOA layer and the shortlist) and checks the prediction against
``[validation] resident_survey``. Each part is skipped when its section is absent.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import pandas as pd

from ..compare.validation import SurveyCheck, validate_against_survey
from ..inputs.assets import AssetPoints, count_assets, read_assets
from ..inputs.resident_survey import read_resident_survey
from ..inputs.reviews import latest_reviews, read_review_log, recently_explained
from ..schema import COLUMN_DESCRIPTIONS, REVIEW_COLUMNS

if TYPE_CHECKING:
    from ..config import Config
    from .layers import Layers

__all__ = [
    "REVIEW_MARKS",
    "LocalEvidence",
    "add_local_evidence",
    "local_column_meanings",
    "map_evidence",
]

#: Columns the review log adds to the LSOA layer and the shortlist.
REVIEW_MARKS: tuple[str, ...] = REVIEW_COLUMNS


@dataclass
class LocalEvidence:
    """What the council's own files add to a run.

    Attributes
    ----------
    assets : AssetPoints or None
        The assets placed in the study area and the rows left out.
    reviews : DataFrame or None
        The review log as read (every row), sorted by LSOA and date.
    explained : list of str
        Flagged LSOAs explained at a review within ``review_valid_years``: listed apart
        from the new flags.
    validation : SurveyCheck or None
        The prediction against the council's resident survey.
    validation_area : str
        ``ward`` or ``lsoa``.
    """

    assets: AssetPoints | None = None
    reviews: pd.DataFrame | None = None
    explained: list[str] = field(default_factory=list)
    validation: SurveyCheck | None = None
    validation_area: str = "ward"


def add_local_evidence(
    cfg: Config, layers: Layers, *, today: dt.date | None = None
) -> tuple[Layers, LocalEvidence]:
    """Read the assets, the review log and the resident survey named in ``cfg``.

    Returns the layers with the new columns (new frames; the inputs are not changed)
    and the evidence itself.
    """
    from .layers import Layers

    lsoa, flags = layers.lsoa.copy(), layers.flags.copy()
    local = LocalEvidence()
    if cfg.data.get("assets"):
        local.assets = read_assets(cfg["assets"], lsoa)
        counts = count_assets(local.assets.points, lsoa)
        lsoa = _insert_before_geometry(lsoa, counts)
    review = cfg.data.get("review") or {}
    if review.get("log"):
        local.reviews = read_review_log(review["log"], lsoa["lsoa_code"])
        marks = latest_reviews(local.reviews)
        lsoa = _insert_before_geometry(lsoa, marks)
        flags = flags.join(marks, on="lsoa_code")
        explained = set(
            recently_explained(local.reviews, years=review["review_valid_years"], today=today)
        )
        local.explained = [c for c in flags["lsoa_code"] if c in explained]
    spec = (cfg.data.get("validation") or {}).get("resident_survey")
    if spec:
        area = spec["area"]
        frame = (lsoa if area == "lsoa" else layers.ward).set_index(f"{area}_code")
        survey = read_resident_survey(spec, frame.index)
        local.validation = validate_against_survey(
            survey, frame, spec["measures"], interval=cfg["estimates"]["interval"]
        )
        local.validation_area = area
    return Layers(oa=layers.oa, lsoa=lsoa, ward=layers.ward, flags=flags), local


def map_evidence(local: LocalEvidence) -> dict[str, Any]:
    """The arguments of :func:`resilience.maps.write_maps` that draw the local evidence
    (the reviewed LSOAs come with the LSOA layer).

    Examples
    --------
    >>> map_evidence(LocalEvidence())
    {'assets': None, 'validation': None, 'validation_area': 'ward'}
    """
    return {
        "assets": local.assets.points if local.assets is not None else None,
        "validation": local.validation.areas if local.validation is not None else None,
        "validation_area": local.validation_area,
    }


def _insert_before_geometry(frame: gpd.GeoDataFrame, table: pd.DataFrame) -> gpd.GeoDataFrame:
    joined = frame.drop(columns=[c for c in table.columns if c in frame]).join(
        table, on="lsoa_code"
    )
    cols = [c for c in joined.columns if c != "geometry"] + ["geometry"]
    return gpd.GeoDataFrame(joined[cols], geometry="geometry", crs=frame.crs)


def local_column_meanings(columns: list[str], categories: list[str] = ()) -> dict[str, str]:
    """One-line meanings of the per-category asset columns, for the data dictionaries (the
    fixed columns are described in :data:`resilience.schema.COLUMN_DESCRIPTIONS`).

    Examples
    --------
    >>> local_column_meanings(["assets_total", "assets_gp_surgery", "review_outcome"],
    ...                       ["GP surgery"])["assets_gp_surgery"]
    "Community assets of category 'GP surgery' in the LSOA"
    """
    from ..inputs.assets import asset_slug

    by_slug = {asset_slug(c): c for c in categories}
    out = {}
    for col in columns:
        if col in COLUMN_DESCRIPTIONS:
            continue
        elif col.startswith("assets_") and col.endswith("_size"):
            cat = by_slug.get(col[7:-5], col[7:-5])
            out[col] = f"Summed size of the {cat!r} assets in the LSOA (as given: units, places…)"
        elif col.startswith("assets_"):
            out[col] = f"Community assets of category {by_slug.get(col[7:], col[7:])!r} in the LSOA"
    return out
