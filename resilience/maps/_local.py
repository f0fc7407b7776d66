"""The council's own evidence on the maps: community assets, reviewed LSOAs and the areas
where the resident survey disagrees with the prediction.

Each part is drawn only when its data exist, as overlays of the layer control (ticked on
opening) with a section of the legend:

* asset points, one overlay per category, coloured as in the GeoPackage style (Paul Tol's
  "muted" colours over the sorted categories; from the tenth category on, the same colours
  as rings), with the name, category, size and LSOA in the tooltip;
* reviewed LSOAs (``review_outcome`` in the LSOA frame), outlined by the outcome of their
  latest review (colour and dash), with the outcome and date in the tooltips of the LSOA
  and of its output areas;
* for each resident-survey measure, the wards or LSOAs where the survey and the prediction
  disagree beyond the sampling error of both, hatched by direction, with a marker whose
  tooltip gives both values.

A ward map shows the assets in the ward or within :data:`NEAR_METRES` of it (as the
review pack lists them), the reviewed LSOAs it draws and the disagreeing areas among its
wards or LSOAs.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..compare.validation import AREA_COLUMNS
from ..errors import (
    CodeMatchError,
    ConfigError,
    DataQualityWarning,
    InputDataError,
    format_examples,
)
from ..outputs.qml import ASSET_COLOURS, DISAGREEMENT_CATEGORIES, asset_colours
from ..outputs.review.pack import NEAR_METRES  # a ward map shows the assets this near, as the pack
from ..schema import (
    REVIEW_COLUMNS,
    REVIEW_OUTCOME_LABELS,
    REVIEW_OUTCOMES,
    SURVEY_DISAGREEMENTS,
    default_aliases,
)
from ._geometry import WGS84, MapGeometry
from ._inputs import CRS, MapInputs, require_columns
from ._payload import esc, numbers, positions, row_groups

__all__ = [
    "NEAR_METRES",
    "REVIEW_STYLE",
    "SURVEY_SYMBOLS",
    "LocalInputs",
    "LocalLayers",
    "check_local",
    "local_legend",
]

#: Outline colour and dash pattern of each review outcome (ColorBrewer RdBu ends, black).
REVIEW_STYLE: dict[str, tuple[str, str | None]] = dict(
    zip(REVIEW_OUTCOMES, (("#b2182b", None), ("#2166ac", "8 5"), ("#1a1a1a", "2 5")), strict=True)
)
#: Marker of the two directions of disagreement (survey higher, survey lower).
SURVEY_SYMBOLS: tuple[str, str] = ("\u25b2", "\u25bc")
_VALIDATION_REQUIRED = [
    "measure",
    "area_code",
    "survey_share",
    "respondents",
    "expected_share",
    "disagreement",
]
_VALIDATION_NUMERIC = [
    c for c in AREA_COLUMNS if c not in ("measure", "area_code", "tracks", "disagreement")
]
_AREA_WORDS = {"ward": ("ward", "wards"), "lsoa": ("LSOA", "LSOAs")}


@dataclass
class LocalInputs:
    """The checked local evidence: asset points (EPSG:27700) and the resident-survey table."""

    assets: gpd.GeoDataFrame | None = None
    validation: pd.DataFrame | None = None
    validation_area: str = "ward"


def _check_assets(assets: object) -> gpd.GeoDataFrame | None:
    if assets is None:
        return None
    if not isinstance(assets, gpd.GeoDataFrame):
        raise InputDataError(
            f"assets passed to write_maps must be a GeoDataFrame of points; got "
            f"{type(assets).__name__}. Pass the assets of a run (result.local.assets.points)."
        )
    require_columns(assets, ["category"], "assets frame", "Each point needs its category.")
    if assets.crs is None:
        raise InputDataError(
            f"The assets frame has no coordinate reference system. Set it, e.g. "
            f"gdf.set_crs({CRS!r}) for British National Grid coordinates."
        )
    pts = assets.to_crs(CRS) if assets.crs != CRS else assets.copy()
    geom = pts.geometry
    bad = (geom.isna() | geom.is_empty | (geom.geom_type != "Point")).to_numpy()
    if bad.any():
        raise InputDataError(
            f"{int(bad.sum())} row(s) of the assets frame are not points (rows "
            f"{format_examples(np.flatnonzero(bad).tolist())}). Give one point per asset."
        )
    category = pts["category"].astype("string").str.strip()
    blank = (category.isna() | (category == "")).to_numpy()
    if blank.any():
        raise InputDataError(
            f"Column 'category' of the assets frame is empty in {int(blank.sum())} row(s) "
            f"(rows {format_examples(np.flatnonzero(blank).tolist())}). Every asset needs one."
        )
    pts["category"] = category.astype(object)
    return pts.reset_index(drop=True) if len(pts) else None


def _check_validation(validation: object, area: str, inputs: MapInputs) -> pd.DataFrame | None:
    if validation is None:
        return None
    if area not in _AREA_WORDS:
        raise ConfigError(
            f"validation_area must be 'ward' or 'lsoa' (the areas of the resident survey); "
            f"got {area!r}."
        )
    if not isinstance(validation, pd.DataFrame):
        raise InputDataError(
            f"validation passed to write_maps must be a DataFrame (the per-area table of the "
            f"resident-survey check, result.local.validation.areas); got "
            f"{type(validation).__name__}."
        )
    require_columns(
        validation,
        _VALIDATION_REQUIRED,
        "validation table",
        "Pass the per-area table of the resident-survey check (tables/validation.csv).",
    )
    table = pd.DataFrame(validation).reset_index(drop=True)
    words = table["disagreement"].astype("string").str.strip()
    unknown = sorted(set(words.dropna()) - set(SURVEY_DISAGREEMENTS))
    if unknown or words.isna().any():
        raise InputDataError(
            f"Column 'disagreement' of the validation table holds "
            f"{format_examples(unknown or ['blank'])}; allowed values are "
            f"{format_examples(SURVEY_DISAGREEMENTS)}."
        )
    table["disagreement"] = words.astype(object)
    table["area_code"] = table["area_code"].astype("string").str.strip().astype(object)
    codes = set(getattr(inputs, area)[f"{area}_code"])
    strangers = sorted(set(table["area_code"]) - codes)
    if strangers:
        raise CodeMatchError(
            f"{len(strangers)} area code(s) of the validation table are not in the {area} "
            f"frame, e.g. {format_examples(strangers)}. Pass the table of the same run, and "
            f"validation_area={'lsoa' if area == 'ward' else 'ward'!r} if it is by that area."
        )
    for col in _VALIDATION_NUMERIC:
        if col in table.columns:
            table[col] = pd.to_numeric(table[col], errors="coerce").astype(float)
    return table if len(table) else None


def _check_reviews(lsoa: pd.DataFrame) -> None:
    outcome_col = REVIEW_COLUMNS[1]
    if outcome_col not in lsoa.columns:
        return
    values = lsoa[outcome_col].astype("string").str.strip()
    unknown = sorted(set(values.dropna()) - set(REVIEW_OUTCOMES) - {""})
    if unknown:
        raise InputDataError(
            f"Column {outcome_col!r} of the lsoa frame holds {format_examples(unknown)}; "
            f"allowed values are {format_examples(REVIEW_OUTCOMES)} (or blank)."
        )


def check_local(
    assets: object, validation: object, validation_area: str, inputs: MapInputs
) -> LocalInputs:
    """Check the asset points, the resident-survey table and the LSOAs' review outcomes.

    Raises
    ------
    InputDataError
        Assets that are not a GeoDataFrame of points with a category and a CRS; a
        validation table without its columns or with unknown ``disagreement`` values; an
        unknown ``review_outcome``.
    CodeMatchError
        Validation areas that are not in the ward (or LSOA) frame.
    ConfigError
        ``validation_area`` other than ``ward`` or ``lsoa``.
    """
    _check_reviews(inputs.lsoa)
    return LocalInputs(
        assets=_check_assets(assets),
        validation=_check_validation(validation, validation_area, inputs),
        validation_area=validation_area,
    )


def _lat_lon(points: np.ndarray) -> list[list[float]]:
    """[lat, lon] of EPSG:27700 points, rounded to 5 decimals (about 1 m)."""
    ll = gpd.GeoSeries(points, crs=CRS).to_crs(WGS84)
    lat, lon = numbers(ll.y.to_numpy(), 5), numbers(ll.x.to_numpy(), 5)
    return [[a, b] for a, b in zip(lat, lon, strict=True)]


def _text(values: pd.Series) -> list[str | None]:
    out = []
    for v in values:
        s = "" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v).strip()
        out.append(esc(s) if s else None)
    return out


def _tracks_label(tracks: str) -> tuple[str, str]:
    """Readable name of a tracked column (``-`` first: inverse) and how its values show."""
    col = tracks.strip().lstrip("-").strip()
    label = default_aliases([col]).get(col, col)
    if tracks.strip().startswith("-"):
        label += ", inverse"
    return label, "pct" if col.startswith("share_") else "signed"


class LocalLayers:
    """The local evidence prepared once for every page; :meth:`page` slices it."""

    def __init__(self, inputs: MapInputs, local: LocalInputs, ward_geometry: MapGeometry):
        self.n_lsoa, self.n_ward = len(inputs.lsoa), len(inputs.ward)
        self.near: list[np.ndarray] | None = None
        self.assets = local.assets
        if self.assets is not None:
            self._prepare_assets(self.assets, inputs)
        self.review_outcome = None
        if REVIEW_COLUMNS[1] in inputs.lsoa.columns:
            date_col, outcome_col = REVIEW_COLUMNS
            values = inputs.lsoa[outcome_col].astype("string").str.strip()
            outcome = pd.Index(REVIEW_OUTCOMES).get_indexer(values.fillna(""))
            if (outcome >= 0).any():
                self.review_outcome = outcome
                dates = inputs.lsoa.get(date_col, pd.Series(None, index=inputs.lsoa.index))
                self.review_date = _text(dates)
        self.area = local.validation_area
        self.survey = None
        if local.validation is not None:
            self._prepare_survey(local.validation, inputs, ward_geometry)

    def _prepare_assets(self, pts: gpd.GeoDataFrame, inputs: MapInputs) -> None:
        colours = asset_colours(pts["category"])
        n_colours = len(ASSET_COLOURS)
        if len(colours) > 2 * n_colours:
            warnings.warn(
                f"The assets have {len(colours)} categories; the maps tell {2 * n_colours} "
                f"apart (filled points and rings), so categories from the "
                f"{2 * n_colours + 1}st on repeat a marker. Merge categories to tell them "
                "apart on the maps.",
                DataQualityWarning,
                stacklevel=4,
            )
        self.asset_cats = [
            {"name": esc(c), "color": colour, "ring": (i // n_colours) % 2 == 1}
            for i, (c, colour) in enumerate(colours.items())
        ]
        self.asset_cat = pd.Index(list(colours)).get_indexer(pts["category"])
        self.asset_xy = np.asarray(pts.geometry.values, dtype=object)
        self.asset_ll = _lat_lon(self.asset_xy)
        self.asset_name = _text(pts["name"]) if "name" in pts else [None] * len(pts)
        size = (
            pd.to_numeric(pts["size"], errors="coerce").to_numpy(dtype=float)
            if "size" in pts
            else None
        )
        self.asset_size = size if size is not None and np.isfinite(size).any() else None
        self.asset_lsoa = (
            pd.Index(inputs.lsoa["lsoa_code"]).get_indexer(pts["lsoa_code"].astype(str))
            if "lsoa_code" in pts
            else None
        )

    def _prepare_survey(
        self, table: pd.DataFrame, inputs: MapInputs, ward_geometry: MapGeometry
    ) -> None:
        self.measures = list(dict.fromkeys(table["measure"].astype(str)))
        tracks = (
            table.groupby(table["measure"].astype(str), sort=False)["tracks"].first()
            if "tracks" in table
            else pd.Series(dtype=object)
        )
        self.measure_meta = []
        for m in self.measures:
            label, fmt = _tracks_label(str(tracks.get(m, ""))) if m in tracks else ("", "pct")
            self.measure_meta.append({"name": esc(m), "tracks": esc(label), "fmt": fmt})
        rows = table[table["disagreement"].isin(SURVEY_DISAGREEMENTS[:2])].reset_index(drop=True)
        if not len(rows):
            return
        frame = getattr(inputs, self.area)
        pos = pd.Index(frame[f"{self.area}_code"]).get_indexer(rows["area_code"])
        if self.area == "ward":
            ll = [[float(y), float(x)] for x, y in ward_geometry.label_xy[pos]]
        else:
            ll = _lat_lon(shapely.point_on_surface(np.asarray(frame.geometry.values)[pos]))
        cols = {c: rows[c].to_numpy(dtype=float) if c in rows else np.full(len(rows), np.nan)
                for c in _VALIDATION_NUMERIC}  # fmt: skip
        self.survey = {
            "area": pos,
            "measure": pd.Index(self.measures).get_indexer(rows["measure"].astype(str)),
            "dir": pd.Index(SURVEY_DISAGREEMENTS).get_indexer(rows["disagreement"]),
            "ll": ll,
            "cols": cols,
        }

    def prepare_wards(self, ward: gpd.GeoDataFrame) -> None:
        """Find the assets in or near each ward (before the ward pages are written)."""
        if self.assets is None:
            return
        tree = shapely.STRtree(self.asset_xy)
        w, p = tree.query(
            np.asarray(ward.geometry.values), predicate="dwithin", distance=NEAR_METRES
        )
        self.near = [np.sort(p[g]) for g in row_groups(w, len(ward))]

    def page(self, lsoa_rows: np.ndarray, ward_rows: np.ndarray, ward: int | None) -> dict:
        """The ``local`` part of a page's document (empty when there is nothing to draw).

        ``ward`` is the position of the page's ward (ward pages: assets in or near it), None
        on the borough map (every asset).
        """
        lsoa_pos = positions(lsoa_rows, self.n_lsoa)
        parts = {
            "assets": self._assets_part(ward, lsoa_pos),
            "reviews": self._reviews_part(lsoa_rows, lsoa_pos),
            "survey": self._survey_part(lsoa_pos, positions(ward_rows, self.n_ward)),
        }
        return {k: v for k, v in parts.items() if v is not None}

    def _assets_part(self, ward: int | None, lsoa_pos: np.ndarray) -> dict | None:
        if self.assets is None:
            return None
        if ward is None:
            rows = np.arange(len(self.asset_cat))
        else:
            assert self.near is not None  # prepare_wards() before the ward pages
            rows = self.near[ward]
        if not len(rows):
            return None
        cat = self.asset_cat[rows]
        present, page_cat = np.unique(cat, return_inverse=True)
        counts = np.bincount(page_cat, minlength=len(present))
        out: dict = {
            "n": len(rows),
            "cats": [
                {**self.asset_cats[k], "key": f"assets-{k}", "n": int(c)}
                for k, c in zip(present.tolist(), counts.tolist(), strict=True)
            ],
            "cat": page_cat.tolist(),
            "ll": [self.asset_ll[i] for i in rows],
            "name": [self.asset_name[i] for i in rows],
            "near": ward is not None,
        }
        if self.asset_size is not None:
            out["size"] = numbers(self.asset_size[rows], 2)
        if self.asset_lsoa is not None:
            glob = self.asset_lsoa[rows]
            out["lsoa"] = np.where(glob >= 0, lsoa_pos[glob], -1).tolist()
        return out

    def _reviews_part(self, lsoa_rows: np.ndarray, lsoa_pos: np.ndarray) -> dict | None:
        if self.review_outcome is None:
            return None
        rows = lsoa_rows[self.review_outcome[lsoa_rows] >= 0]
        if not len(rows):
            return None
        outcome = self.review_outcome[rows]
        counts = np.bincount(outcome, minlength=len(REVIEW_OUTCOMES))
        return {
            "key": "reviews",
            "lsoa": lsoa_pos[rows].tolist(),
            "outcome": outcome.tolist(),
            "date": [self.review_date[i] for i in rows],
            "outcomes": [
                {
                    "value": o,
                    "label": esc(REVIEW_OUTCOME_LABELS[o]),
                    "color": REVIEW_STYLE[o][0],
                    "dash": REVIEW_STYLE[o][1],
                    "n": int(n),
                }
                for o, n in zip(REVIEW_OUTCOMES, counts.tolist(), strict=True)
            ],
        }

    def _survey_part(self, lsoa_pos: np.ndarray, ward_pos: np.ndarray) -> dict | None:
        s = self.survey
        if s is None:
            return None
        pos = (ward_pos if self.area == "ward" else lsoa_pos)[s["area"]]
        keep = np.flatnonzero(pos >= 0)
        if not len(keep):
            return None
        present, page_measure = np.unique(s["measure"][keep], return_inverse=True)
        counts = np.bincount(page_measure, minlength=len(present))
        one, many = _AREA_WORDS[self.area]
        cols = s["cols"]
        return {
            "area": self.area,
            "words": [one, many],
            "measures": [
                {**self.measure_meta[m], "key": f"survey-{m}", "n": int(c)}
                for m, c in zip(present.tolist(), counts.tolist(), strict=True)
            ],
            "dirs": [
                {"value": v, "label": esc(label), "color": colour, "symbol": symbol}
                for (v, label, colour), symbol in zip(
                    DISAGREEMENT_CATEGORIES[:2], SURVEY_SYMBOLS, strict=True
                )
            ],
            "m": page_measure.tolist(),
            "i": pos[keep].tolist(),
            "d": s["dir"][keep].tolist(),
            "ll": [s["ll"][k] for k in keep],
            **{
                key: numbers(cols[col][keep], 0 if col == "respondents" else 4)
                for key, col in (
                    ("s", "survey_share"),
                    ("slo", "survey_lo"),
                    ("shi", "survey_hi"),
                    ("resp", "respondents"),
                    ("p", "predicted"),
                    ("plo", "predicted_lo"),
                    ("phi", "predicted_hi"),
                    ("e", "expected_share"),
                    ("z", "z"),
                )
            },
        }


def _point_swatch(cat: dict) -> str:
    fill, stroke, width = (
        ("#ffffff", cat["color"], 2.5) if cat["ring"] else (cat["color"], "#ffffff", 1)
    )
    return (
        f'<span class="rz-pt" style="background:{fill};border-color:{stroke};'
        f'border-width:{width:g}px"></span>'
    )


def _line_swatch(colour: str, dash: str | None) -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        '<svg class="rz-line" width="30" height="12" aria-hidden="true">'
        '<line x1="1" y1="6" x2="29" y2="6" stroke="#ffffff" stroke-width="6"/>'
        f'<line x1="1" y1="6" x2="29" y2="6" stroke="{colour}" stroke-width="3"{dashed}/></svg>'
    )


def local_legend(part: dict) -> str:
    """The legend box of a page's local evidence (``part`` from :meth:`LocalLayers.page`);
    empty when the page has none."""
    out = []
    a = part.get("assets")
    if a:
        where = f", in the ward or within {NEAR_METRES:.0f} m of it" if a["near"] else ""
        items = "".join(
            f'<li data-overlay="{c["key"]}">{_point_swatch(c)}<span>{c["name"]}</span>'
            f'<span class="rz-word">{c["n"]:,}</span></li>'
            for c in a["cats"]
        )
        out.append(
            '<section class="rz-local" data-local="assets"><h2>Community assets</h2>'
            f'<p class="rz-small">{a["n"]:,} from the council\'s lists{where}; a check box per '
            f"category in the layer list.</p><ul>{items}</ul>"
            "</section>"
        )
    r = part.get("reviews")
    if r:
        items = "".join(
            f'<li data-overlay="{r["key"]}">{_line_swatch(o["color"], o["dash"])}'
            f'<span>{o["label"]}</span><span class="rz-word">{o["n"]:,}</span></li>'
            for o in r["outcomes"]
            if o["n"]
        )
        out.append(
            '<section class="rz-local" data-local="reviews"><h2>Reviewed LSOAs</h2>'
            '<p class="rz-small">Outlined by the outcome of their latest review in the review '
            f"log; its date is in the tooltips.</p><ul>{items}</ul></section>"
        )
    s = part.get("survey")
    if s:
        present = sorted(set(s["d"]))
        dirs = "".join(
            f'<li><span class="rz-sw rz-hatch" style="--c:{d["color"]}"></span>'
            f'<span class="rz-badge" style="background:{d["color"]}">{d["symbol"]}</span>'
            f"<span>{d['label']}</span></li>"
            for k, d in enumerate(s["dirs"])
            if k in present
        )
        one, many = s["words"]
        measures = "".join(
            f'<li data-overlay="{m["key"]}"><span>{m["name"]}'
            + (f' <span class="rz-small">(tracks {m["tracks"]})</span>' if m["tracks"] else "")
            + f'</span><span class="rz-word">{m["n"]:,} {one if m["n"] == 1 else many}</span></li>'
            for m in s["measures"]
        )
        out.append(
            '<section class="rz-local" data-local="survey">'
            "<h2>Resident survey against the prediction</h2>"
            f'<p class="rz-small">{many[0].upper() + many[1:]} where the resident survey and the '
            "prediction (on the survey's scale) differ by more than the sampling error of "
            "both; hover a marker for the two values.</p>"
            f"<ul>{dirs}</ul><ul>{measures}</ul></section>"
        )
    if not out:
        return ""
    return (
        '<div id="rz-local" class="rz-box rz-local-box" hidden><details open>'
        f"<summary>The council's own evidence</summary>{''.join(out)}</details></div>"
    )
