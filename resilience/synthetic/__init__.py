"""The built-in synthetic borough: demo data with a known ground truth.

:func:`make_borough` builds a fictional local authority — nested OA, LSOA and ward
boundaries, an OAC-like area classification with spatial structure, OA populations,
IMD File 7-shaped hard data with planted disagreements, and a national UKHLS-shaped
respondent file — together with the truth the pipeline should recover. The same
generator builds larger areas for benchmarks (``n_oa=25_000`` …).

Examples
--------
>>> from resilience.synthetic import make_borough
>>> b = make_borough(seed=1, n_oa=60, n_lsoa=12, n_ward=3, n_respondents=800)
>>> len(b.oa), len(b.lsoa), len(b.ward)
(60, 12, 3)
>>> b.oa["oa_code"].str.match(r"^E00\\d{6}$").all()
np.True_
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..clusters import resilience_score, share_columns
from ..errors import ConfigError
from ._authorities import split_authorities
from ._classification import LEVELS, assign_areas, classification_from_tree, make_classification
from ._geometry import GeographySpec, dissolve_groups, make_geography
from ._hard import PLANTABLE, file7_columns, make_hard_data
from ._mrp import MRPWorld, make_mrp_world
from ._names import lsoa_names, ward_names
from ._survey import make_survey as _make_survey
from ._waves import SyntheticWaves, long_survey, make_waves
from ._write import write_borough

__all__ = [
    "MRPWorld",
    "SyntheticBorough",
    "SyntheticWaves",
    "Truth",
    "long_survey",
    "make_borough",
    "make_mrp_world",
    "make_survey",
    "make_waves",
    "split_authorities",
]

CRS = "EPSG:27700"
OA_BASE, LSOA_BASE, WARD_BASE = 170_001, 40_001, 20_001


@dataclass
class Truth:
    """What the pipeline should recover from a synthetic borough.

    Attributes
    ----------
    respondent_cluster : Series
        True cluster key of every respondent, indexed by ``pidp`` (proxies included).
    category_shares : DataFrame
        True cluster shares of every classification category at every level, indexed by
        (``level``, ``code``), with the category's ``national_share``.
    oa_shares, lsoa_shares, ward_shares : DataFrame
        True shares (``share_<cluster>``) and ``resilience_score`` of every area,
        indexed by area code; LSOA and ward figures are adult-population-weighted.
    planted : DataFrame
        LSOAs whose hard data were planted to disagree: ``lsoa_code``, ``direction``
        (``hard_worse`` or ``predicted_worse``) and ``indicators`` (domains pushed).
    """

    respondent_cluster: pd.Series
    category_shares: pd.DataFrame
    oa_shares: pd.DataFrame
    lsoa_shares: pd.DataFrame
    ward_shares: pd.DataFrame
    planted: pd.DataFrame


@dataclass
class SyntheticBorough:
    """A synthetic local authority: inputs shaped as users have them, and the truth.

    Attributes
    ----------
    name, lad_code : str
        The fictional authority's name and GSS code.
    vintage : int
        2021 (``OA21CD``, ``LSOA21CD``, ``WD24CD``, IoD2025 layout) or 2011.
    oa, lsoa, ward : GeoDataFrame
        Boundaries in EPSG:27700. ``oa`` carries ``oa_code``, ``lsoa_code``,
        ``ward_code``, ``population`` (adults) and the classification codes; ``lsoa``
        carries ``lsoa_code``, ``lsoa_name``, ``msoa_code``, ``ward_code``; ``ward``
        carries ``ward_code`` and ``ward_name``.
    outline : shapely Polygon
        The authority's boundary.
    classification : DataFrame
        OA → classification codes (columns ``supergroup``, ``group``, ``subgroup``),
        indexed by OA code.
    survey : DataFrame
        UKHLS-shaped respondent file (wave prefix, negative codes, weight, OAC codes).
    hard : DataFrame
        IMD File 7-shaped LSOA table.
    truth : Truth
        The ground truth.
    seed : int
        The seed it was built from.
    """

    name: str
    lad_code: str
    vintage: int
    oa: gpd.GeoDataFrame
    lsoa: gpd.GeoDataFrame
    ward: gpd.GeoDataFrame
    outline: object
    classification: pd.DataFrame
    survey: pd.DataFrame
    hard: pd.DataFrame
    truth: Truth
    seed: int
    prefix: str = "f_"
    levels: tuple[str, ...] = LEVELS
    indicators: list[dict[str, str]] = field(default_factory=list)

    def __repr__(self) -> str:
        return (
            f"<SyntheticBorough {self.name!r} ({self.lad_code}), seed {self.seed}: "
            f"{len(self.oa)} OAs, {len(self.lsoa)} LSOAs, {len(self.ward)} wards, "
            f"{len(self.survey)} respondents, {len(self.truth.planted)} planted LSOAs>"
        )

    def write(self, folder: str | Path, *, overwrite: bool = False) -> dict[str, Path]:
        """Write the borough as the files users have, plus a config and the truth.

        Files: ``data/oa.gpkg``, ``data/lsoa.gpkg``, ``data/wards.gpkg`` (boundaries with
        ONS-style columns), ``data/lookup.csv`` (OA → LSOA → ward), ``data/oac.csv``,
        ``data/oa_population.csv``, ``data/<prefix>indresp.tab``, ``data/imd_file7.csv``
        (UTF-8 with a byte-order mark, as published), ``resilience.toml`` and
        ``truth/*.csv``. Returns the paths by role.
        """
        return write_borough(self, Path(folder), overwrite=overwrite)


def _check_sizes(n_oa: int, n_lsoa: int, n_ward: int, n_respondents: int) -> None:
    if not (n_oa >= 3 * n_lsoa and n_lsoa >= 2 * n_ward and n_ward >= 1):
        raise ConfigError(
            f"Synthetic sizes must nest: n_oa >= 3 * n_lsoa and n_lsoa >= 2 * n_ward; got "
            f"n_oa={n_oa}, n_lsoa={n_lsoa}, n_ward={n_ward}."
        )
    if n_respondents < 100:
        raise ConfigError(f"n_respondents must be at least 100; got {n_respondents}.")


def make_borough(
    seed: int = 0,
    *,
    n_oa: int = 700,
    n_lsoa: int = 140,
    n_ward: int = 20,
    n_respondents: int = 8000,
    n_planted: int | None = None,
    hard_noise: float = 0.05,
    vintage: int = 2021,
    name: str = "Northbridge",
    lad_code: str = "E09000040",
    centre: tuple[float, float] | None = None,
    area_per_oa_m2: float = 70_000.0,
    wiggle: float = 0.12,
) -> SyntheticBorough:
    """Build the synthetic borough and its ground truth.

    Parameters
    ----------
    seed : int, default=0
        Everything is determined by the seed.
    n_oa, n_lsoa, n_ward : int, default=700, 140, 20
        Numbers of output areas, LSOAs and wards (OAs nest in LSOAs nest in wards).
    n_respondents : int, default=8000
        Respondents in the national survey file.
    n_planted : int, optional
        LSOAs planted to disagree with the truth (default: 10 % of LSOAs, at least 2).
    hard_noise : float, default=0.05
        Extra share of each hard indicator's variance unrelated to true need.
    vintage : {2021, 2011}, default=2021
        Geography vintage: column names, File 7 layout, LSOA count for ranks.
    name, lad_code : str
        Name and GSS code of the fictional authority.
    centre : (float, float), optional
        Centre in British National Grid metres (default: west London for a borough,
        the Midlands for anything over 2,000 km²).
    area_per_oa_m2 : float, default=70000
        Average OA area; sets the size of the authority.
    wiggle : float, default=0.12
        Amplitude of the boundary wiggle as a share of OA spacing (0 = straight edges).

    Returns
    -------
    SyntheticBorough
    """
    _check_sizes(n_oa, n_lsoa, n_ward, n_respondents)
    if vintage not in (2011, 2021):
        raise ConfigError(f"vintage must be 2011 or 2021; got {vintage!r}.")
    rng = np.random.default_rng(seed)
    area = n_oa * area_per_oa_m2
    if centre is None:
        centre = (512_500.0, 176_000.0) if area < 2e9 else (420_000.0, 330_000.0)
    n_centres = max(1, round(np.sqrt(n_oa / 350)))
    geo = make_geography(
        rng, GeographySpec(n_oa, n_lsoa, n_ward, centre, area_per_oa_m2, wiggle, n_centres)
    )

    cls = make_classification(rng)
    xy = geo["oa_xy"]
    oa_lsoa, lsoa_ward = geo["oa_lsoa"], geo["lsoa_ward"]
    ward_xy = pd.DataFrame(xy).groupby(lsoa_ward[oa_lsoa]).mean().to_numpy()
    dist = np.min(np.linalg.norm(ward_xy[:, None, :] - geo["centres"][None], axis=2), axis=1)
    ward_urban = 1.0 - 2.0 * np.clip(dist / geo["radius"], 0, 1)
    ward_east = (ward_xy[:, 0] - centre[0]) / geo["radius"]
    oa_sub = assign_areas(rng, cls, oa_lsoa, lsoa_ward, ward_urban, ward_east)

    survey, resp_truth = _make_survey(rng, cls.subgroups, n_respondents)
    population = np.clip(np.round(rng.normal(265, 60, n_oa)), 110, 520).astype(int)

    # ---- codes and names ------------------------------------------------------------
    lsoa_xy = pd.DataFrame(xy).groupby(oa_lsoa).mean().to_numpy()
    lsoa_nm, lsoa_order, msoa_of = lsoa_names(rng, lsoa_xy, name)
    lsoa_code_of = np.empty(n_lsoa, dtype=object)
    lsoa_code_of[lsoa_order] = [f"E01{LSOA_BASE + i:06d}" for i in range(n_lsoa)]
    ward_nm = ward_names(rng, n_ward)
    ward_rank = np.argsort(np.argsort(ward_nm, kind="stable"), kind="stable")
    ward_code_of = np.array([f"E05{WARD_BASE + r:06d}" for r in ward_rank], dtype=object)
    # OA codes run through the LSOAs in code order, then west to east
    oa_order = np.lexsort((xy[:, 0], np.argsort(lsoa_order)[oa_lsoa]))
    oa_code = np.empty(n_oa, dtype=object)
    oa_code[oa_order] = [f"E00{OA_BASE + i:06d}" for i in range(n_oa)]

    sub = cls.subgroups
    oa = gpd.GeoDataFrame(
        {
            "oa_code": oa_code,
            "lsoa_code": lsoa_code_of[oa_lsoa],
            "ward_code": ward_code_of[lsoa_ward[oa_lsoa]],
            "population": population,
            "supergroup": sub["supergroup"].to_numpy()[oa_sub],
            "group": sub["group"].to_numpy()[oa_sub],
            "subgroup": sub["subgroup"].to_numpy()[oa_sub],
        },
        geometry=gpd.GeoSeries(geo["oa_geom"], crs=CRS),
    )
    oa = oa.iloc[np.argsort(oa_code)].reset_index(drop=True)

    lsoa_geom = dissolve_groups(geo["oa_geom"], oa_lsoa, n_lsoa)
    lsoa = gpd.GeoDataFrame(
        {
            "lsoa_code": lsoa_code_of,
            "lsoa_name": lsoa_nm,
            "msoa_code": [f"E02{90_001 + m:06d}" for m in msoa_of],
            "ward_code": ward_code_of[lsoa_ward],
        },
        geometry=gpd.GeoSeries(lsoa_geom, crs=CRS),
    )
    lsoa = lsoa.sort_values("lsoa_code").reset_index(drop=True)
    ward_geom = dissolve_groups(lsoa_geom, lsoa_ward, n_ward)
    ward = gpd.GeoDataFrame(
        {"ward_code": ward_code_of, "ward_name": ward_nm},
        geometry=gpd.GeoSeries(ward_geom, crs=CRS),
    )
    ward = ward.sort_values("ward_code").reset_index(drop=True)

    # ---- truth ------------------------------------------------------------------------
    shares = share_columns()
    oa_truth = pd.DataFrame(
        sub[shares].to_numpy()[oa_sub], columns=shares, index=pd.Index(oa_code, name="oa_code")
    ).sort_index()
    oa_truth["resilience_score"] = resilience_score(oa_truth)
    pop = oa.set_index("oa_code")["population"].reindex(oa_truth.index)

    def _weighted(by: pd.Series, index_name: str) -> pd.DataFrame:
        w = oa_truth[shares].mul(pop, axis=0)
        agg = w.groupby(by.to_numpy()).sum().div(pop.groupby(by.to_numpy()).sum(), axis=0)
        agg.index.name = index_name
        agg["resilience_score"] = resilience_score(agg)
        return agg

    by_oa = oa.set_index("oa_code").reindex(oa_truth.index)
    lsoa_truth = _weighted(by_oa["lsoa_code"], "lsoa_code")
    ward_truth = _weighted(by_oa["ward_code"], "ward_code")

    lsoa_pop = pop.groupby(by_oa["lsoa_code"].to_numpy()).sum()
    lsoa_table = pd.DataFrame(
        {
            "lsoa_code": lsoa["lsoa_code"],
            "lsoa_name": lsoa["lsoa_name"],
            "population": lsoa_pop.reindex(lsoa["lsoa_code"]).to_numpy(),
        }
    )
    need = -lsoa_truth["resilience_score"].reindex(lsoa["lsoa_code"]).to_numpy()
    if n_planted is None:
        n_planted = max(2, n_lsoa // 10)
    hard, planted = make_hard_data(
        rng, lsoa_table, need, lad_code, name, vintage, n_planted, hard_noise
    )
    lsoa_truth["planted"] = (
        planted.set_index("lsoa_code")["direction"].reindex(lsoa_truth.index).fillna("")
    )

    classification = oa.set_index("oa_code")[list(LEVELS)].rename_axis("oa_code").sort_index()
    indicator_titles = {
        "income": ("Income Score (rate)", "worse"),
        "employment": ("Employment Score (rate)", "worse"),
        "education": ("Education, Skills and Training Score", "worse"),
        "health": ("Health Deprivation and Disability Score", "worse"),
        "crime": ("Crime Rank (where 1 is most deprived)", "better"),
    }
    indicators = [
        {"column": indicator_titles[k][0], "higher_is": indicator_titles[k][1], "domain": k}
        for k in PLANTABLE
    ]
    truth = Truth(
        respondent_cluster=resp_truth,
        category_shares=cls.truth(),
        oa_shares=oa_truth,
        lsoa_shares=lsoa_truth,
        ward_shares=ward_truth,
        planted=planted,
    )
    return SyntheticBorough(
        name=name,
        lad_code=lad_code,
        vintage=vintage,
        oa=oa,
        lsoa=lsoa,
        ward=ward,
        outline=geo["outline"],
        classification=classification,
        survey=survey,
        hard=hard,
        truth=truth,
        seed=seed,
        indicators=indicators,
    )


def make_survey(
    categories: pd.DataFrame,
    *,
    n_respondents: int = 8000,
    seed: int = 0,
    prefix: str = "f_",
    upper_case_codes: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series]:
    """A UKHLS-shaped survey for any area classification, with its truth.

    Use it to try the pipeline on real geography and a real classification (for example
    the London OAC per output area) without licensed survey data.

    Parameters
    ----------
    categories : DataFrame
        One row per finest category, one column per level (coarse to fine, named as the
        survey's classification columns should be), and optionally ``national_share``.
    n_respondents, seed, prefix, upper_case_codes
        As in :func:`make_borough`.

    Returns
    -------
    survey : DataFrame
        The respondent file (classification columns named as in ``categories``).
    category_shares : DataFrame
        True cluster shares of every category at every level, indexed by (level, code).
    respondent_cluster : Series
        True cluster of every respondent, indexed by ``pidp``.

    Examples
    --------
    >>> cats = pd.DataFrame({"sg": ["A", "A", "B"], "g": ["A1", "A2", "B1"]})
    >>> survey, shares, truth = make_survey(cats, n_respondents=300, seed=1)
    >>> sorted(survey["g"].unique())
    ['A1', 'A2', 'B1']
    """
    levels = tuple(c for c in categories.columns if c != "national_share")
    tree = categories.drop_duplicates(list(levels)).reset_index(drop=True)
    rng = np.random.default_rng(seed)
    cls = classification_from_tree(rng, tree, levels)
    survey, truth = _make_survey(
        rng,
        cls.subgroups,
        n_respondents,
        prefix=prefix,
        upper_case_codes=upper_case_codes,
        level_columns={lv: lv for lv in levels},
    )
    return survey, cls.truth(), truth


def file7_code_column(vintage: int) -> str:
    """Name of the LSOA code column of a File 7 table of the given vintage."""
    return file7_columns(vintage)["code"]
