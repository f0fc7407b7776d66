"""The post-stratification concepts: each respondent characteristic and its Census 2021 table.

A *concept* (``sex``, ``age``, ``tenure``, ``qualification``, ``health``,
``country_of_birth``, ``household_size``) has a short list of categories that both the
Understanding Society (UKHLS) codes and the Census 2021 output-area tables can be mapped
onto. Each mapping is written out here once, with the approximations it makes:

``sex``
    UKHLS ``sex`` 1 male, 2 female; Census TS008 male, female (all usual residents).
``age``
    UKHLS ``dvage`` in years; Census TS007A (5-year bands) or TS007 (single years), usual
    residents aged 16 and over only. A Census band that straddles a boundary of the
    model's bands (15–19 against 16) is split in proportion to the years it covers.
``tenure``
    UKHLS ``tenure_dv`` (the household's, on ``w_hhresp``): 1–2 owned, 3–4 social rented,
    5–8 private rented or other; Census TS054 owned (outright, mortgage, shared
    ownership), social rented (council, other), private rented (landlord or agency, other)
    and lives rent free. **Approximation**: TS054 counts households, not people, so the
    OA's share of people in each tenure is taken as its share of households (people per
    household assumed equal across tenures); shared ownership counts as owned and living
    rent free as private renting.
``qualification``
    UKHLS ``hiqual_dv``: 1 degree and 2 other higher degree → level 4+, 3 A-level etc →
    level 3, 4 GCSE etc → levels 1–2, 5 other qualification → other, 9 no qualification
    → none; Census TS067 (usual residents aged 16+): level 4+, level 3, levels 1–2 (level
    1 and entry, level 2), other (apprenticeship, other) and none.
``health``
    UKHLS ``scsf1`` (SF-12 item 1; ``sf1`` or a ``health`` column coded the same way):
    1 excellent, 2 very good, 3 good, 4 fair, 5 poor; Census TS037: very good, good, fair,
    bad, very bad. **Approximation**: the scales differ in their top and bottom steps, so
    UKHLS excellent + very good ≈ Census very good, and Census bad + very bad ≈ UKHLS
    poor (four shared categories). Census counts all usual residents, children included.
``country_of_birth``
    UKHLS ``ukborn`` 1–4 (England, Scotland, Wales, Northern Ireland) → UK, 5 → outside
    the UK; Census TS004: Europe: United Kingdom → UK, every other leaf category →
    outside the UK. Census counts all usual residents, children included.
``household_size``
    UKHLS ``hhsize`` (``w_hhresp``) 1, 2, 3, 4, 5 or more; Census TS017 households by
    size, turned into people by multiplying by the size (8 or more counted as 8).

Sources for the UKHLS codes: the Understanding Society variable pages —
https://www.understandingsociety.ac.uk/documentation/mainstage/variables/hiqual_dv,
https://www.understandingsociety.ac.uk/?p=221818 (``tenure_dv``),
https://www.understandingsociety.ac.uk/?p=256772 (``plbornc``, asked when ``ukborn`` = 5
"not born in the UK") and
https://www.understandingsociety.ac.uk/documentation/mainstage/variables/sf12pcs_dv/
(``scsf1`` is SF-12 item 1, whose five answers run excellent … poor; Ware et al. 2001, *How
to score version 2 of the SF-12*). ``sex`` (1 male, 2 female) and ``ukborn`` 1–4 (the four
UK countries) follow the UKHLS value labels. The Census categories are the ONS/Nomis table
definitions as published with the bulk files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "AGE_BANDS",
    "CONCEPTS",
    "DEFAULT_VARIABLES",
    "Concept",
    "age_band",
    "age_interval",
    "census_category_matrix",
]

#: The six concepts of the default post-stratification.
DEFAULT_VARIABLES: tuple[str, ...] = (
    "sex",
    "age",
    "tenure",
    "qualification",
    "health",
    "country_of_birth",
)

#: Adult age bands of the model, as [low, high] years (high inclusive; 120 = open).
AGE_BANDS: dict[str, tuple[int, int]] = {
    "16-24": (16, 24),
    "25-34": (25, 34),
    "35-49": (35, 49),
    "50-64": (50, 64),
    "65+": (65, 120),
}


@dataclass(frozen=True)
class Concept:
    """One post-stratification concept.

    Attributes
    ----------
    name : str
        The concept's name in ``[poststratification] variables``.
    categories : tuple of str
        The shared categories, in a fixed order.
    ukhls : tuple of str
        UKHLS variable names that carry it (the first found is used).
    ukhls_codes : dict
        UKHLS code → category (empty for ``age``, banded from years).
    tables : tuple of str
        Census 2021 table titles (lower case) that publish it.
    census_labels : dict
        Census category label (lower case, without the title) → category.
    unit : str
        ``persons``, ``adults`` or ``households`` (what the Census table counts).
    note : str
        The approximation made, in a sentence (empty when the mapping is exact).
    """

    name: str
    categories: tuple[str, ...]
    ukhls: tuple[str, ...]
    ukhls_codes: dict[int, str]
    tables: tuple[str, ...]
    census_labels: dict[str, str] = field(default_factory=dict)
    unit: str = "persons"
    note: str = ""


_OUTSIDE_UK = (
    "europe: eu countries: european union eu14",
    "europe: eu countries: european union eu8",
    "europe: eu countries: european union eu2",
    "europe: eu countries: all other eu countries",
    "europe: non-eu countries: all other non-eu countries",
    "africa",
    "middle east and asia",
    "the americas and the caribbean",
    "antarctica and oceania (including australasia) and other",
    "british overseas",
)

CONCEPTS: dict[str, Concept] = {
    c.name: c
    for c in (
        Concept(
            "sex",
            ("male", "female"),
            ("sex",),
            {1: "male", 2: "female"},
            ("sex",),
            {"male": "male", "female": "female"},
        ),
        Concept(
            "age",
            tuple(AGE_BANDS),
            ("dvage",),
            {},
            ("age",),
            unit="adults",
            note="Census bands that straddle a model band are split by the years they cover.",
        ),
        Concept(
            "tenure",
            ("owned", "social_rented", "private_rented"),
            ("tenure_dv",),
            {
                1: "owned",
                2: "owned",
                3: "social_rented",
                4: "social_rented",
                5: "private_rented",
                6: "private_rented",
                7: "private_rented",
                8: "private_rented",
            },
            ("tenure of household",),
            {
                "owned: owns outright": "owned",
                "owned: owns with a mortgage or loan": "owned",
                "shared ownership: shared ownership": "owned",
                "social rented: rents from council or local authority": "social_rented",
                "social rented: other social rented": "social_rented",
                "private rented: private landlord or letting agency": "private_rented",
                "private rented: other private rented": "private_rented",
                "lives rent free": "private_rented",
            },
            unit="households",
            note="TS054 counts households: people's tenure shares are taken as the "
            "households' (equal household size across tenures assumed).",
        ),
        Concept(
            "qualification",
            ("none", "level1_2", "level3", "level4", "other"),
            ("hiqual_dv",),
            {1: "level4", 2: "level4", 3: "level3", 4: "level1_2", 5: "other", 9: "none"},
            ("highest level of qualification",),
            {
                "no qualifications": "none",
                "level 1 and entry level qualifications": "level1_2",
                "level 2 qualifications": "level1_2",
                "apprenticeship": "other",
                "level 3 qualifications": "level3",
                "level 4 qualifications and above": "level4",
                "other qualifications": "other",
            },
            unit="adults",
            note="UKHLS 'other qualification' ≈ Census apprenticeship + other.",
        ),
        Concept(
            "health",
            ("very_good", "good", "fair", "bad"),
            ("scsf1", "sf1", "health"),
            {1: "very_good", 2: "very_good", 3: "good", 4: "fair", 5: "bad"},
            ("general health",),
            {
                "very good health": "very_good",
                "good health": "good",
                "fair health": "fair",
                "bad health": "bad",
                "very bad health": "bad",
            },
            note="UKHLS excellent…poor against Census very good…very bad: UKHLS excellent + "
            "very good ≈ Census very good, Census bad + very bad ≈ UKHLS poor.",
        ),
        Concept(
            "country_of_birth",
            ("uk", "outside_uk"),
            ("ukborn",),
            {1: "uk", 2: "uk", 3: "uk", 4: "uk", 5: "outside_uk"},
            ("country of birth",),
            {"europe: united kingdom": "uk", **dict.fromkeys(_OUTSIDE_UK, "outside_uk")},
            note="Census counts all usual residents (children included).",
        ),
        Concept(
            "household_size",
            ("1", "2", "3", "4", "5+"),
            ("hhsize",),
            {1: "1", 2: "2", 3: "3", 4: "4", **dict.fromkeys(range(5, 30), "5+")},
            ("household size",),
            {
                "1 person in household": "1",
                "2 people in household": "2",
                "3 people in household": "3",
                "4 people in household": "4",
                "5 people in household": "5+",
                "6 people in household": "5+",
                "7 people in household": "5+",
                "8 or more people in household": "5+",
            },
            unit="households",
            note="TS017 counts households; people = households × size (8 or more as 8).",
        ),
    )
}

_AGE_RE = [
    (re.compile(r"aged under (\d+) years?"), lambda a: (0, int(a) - 1)),
    (re.compile(r"aged (\d+) years? and under"), lambda a: (0, int(a))),
    (re.compile(r"aged (\d+) to (\d+) years?"), lambda a, b: (int(a), int(b))),
    (re.compile(r"aged (\d+) years? and over"), lambda a: (int(a), 120)),
    (re.compile(r"aged (\d+) years?"), lambda a: (int(a), int(a))),
]


def age_interval(label: str) -> tuple[int, int] | None:
    """The [low, high] years of a Census age label (None for totals and other labels).

    Examples
    --------
    >>> age_interval("Aged 4 years and under"), age_interval("Aged 15 to 19 years")
    ((0, 4), (15, 19))
    >>> age_interval("Aged 85 years and over"), age_interval("Aged under 1 year")
    ((85, 120), (0, 0))
    >>> age_interval("Total") is None
    True
    """
    text = label.strip().lower()
    for pattern, make in _AGE_RE:
        m = pattern.fullmatch(text)
        if m:
            return make(*m.groups())
    return None


def age_band(years: pd.Series) -> pd.Series:
    """UKHLS ``dvage`` → the model's adult age band (under 16 or missing → missing).

    Examples
    --------
    >>> age_band(pd.Series([16, 24, 25, 64, 90, 15, -9])).tolist()
    ['16-24', '16-24', '25-34', '50-64', '65+', nan, nan]
    """
    edges = [lo for lo, _ in AGE_BANDS.values()] + [10_000]
    out = pd.cut(pd.to_numeric(years, errors="coerce"), edges, right=False, labels=list(AGE_BANDS))
    return out.astype(object).where(out.notna(), np.nan)


def _age_weights(labels: list[str]) -> np.ndarray:
    """(labels x age bands): the share of each Census age label in each model band."""
    out = np.zeros((len(labels), len(AGE_BANDS)))
    for i, lab in enumerate(labels):
        iv = age_interval(lab)
        if iv is None:
            continue
        lo, hi = iv
        years = hi - lo + 1
        for j, (blo, bhi) in enumerate(AGE_BANDS.values()):
            overlap = min(hi, bhi) - max(lo, blo) + 1
            if overlap > 0:
                out[i, j] = overlap / years
    return out


def census_category_matrix(concept: Concept, labels: list[str]) -> np.ndarray:
    """(labels x categories): how much of each Census column counts in each category.

    Labels are the Census category labels without the table title (any case). Totals and
    sub-totals get a row of zeros. For households by size the row holds the number of
    people (size × households).

    Examples
    --------
    >>> m = census_category_matrix(CONCEPTS["health"], ["Total: All usual residents",
    ...     "Very good health", "Good health", "Fair health", "Bad health", "Very bad health"])
    >>> m.sum(axis=0).tolist()
    [1.0, 1.0, 1.0, 2.0]
    >>> census_category_matrix(CONCEPTS["age"], ["Aged 15 to 19 years"])[0, 0]
    np.float64(0.8)
    """
    if concept.name == "age":
        return _age_weights(labels)
    out = np.zeros((len(labels), len(concept.categories)))
    pos = {c: j for j, c in enumerate(concept.categories)}
    for i, lab in enumerate(labels):
        key = " ".join(lab.strip().lower().split())
        cat = concept.census_labels.get(key)
        if cat is None:
            continue
        people = 1.0
        if concept.name == "household_size":
            people = float(re.match(r"(\d+)", key).group(1))  # type: ignore[union-attr]
        out[i, pos[cat]] = people
    return out
