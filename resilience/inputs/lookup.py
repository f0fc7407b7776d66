"""The OA → LSOA → ward lookup: read from an ONS file, or derived from the boundaries.

:func:`read_lookup` reads a lookup as ONS publishes it (CSV or Excel; ``OA21CD``,
``LSOA21CD``, ``LSOA21NM``, ``WD24CD``, ``WD24NM`` …, any case). :func:`derive_lookup`
builds one from OA, LSOA and ward boundaries by best fit, the way ONS builds its ward
lookups. :func:`vintage_of_codes` tells 2011 from 2021 codes by membership in official
code lists, since the two cannot be told apart by their pattern.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import DataQualityWarning, InputDataError, format_examples
from ._areacodes import (
    LEVEL_LABELS,
    check_level_codes,
    detect_code_column,
    name_column_for,
    resolve_column,
)
from ._io import file_label, read_table
from .codes import column_vintage, normalise_codes

__all__ = ["best_fit_parent", "derive_lookup", "read_lookup", "vintage_of_codes"]

_ENTRY = "the config's [geography] lookup entry"
_N_EXAMPLES = 10


def read_lookup(
    path: str | Path,
    *,
    oa: str | None = None,
    lsoa: str | None = None,
    ward: str | None = None,
    lsoa_name: str | None = None,
    ward_name: str | None = None,
) -> pd.DataFrame:
    """Read an OA → LSOA → ward lookup table.

    Parameters
    ----------
    path : str or Path
        CSV, tab-separated or Excel file with one row per OA (rows repeating an OA with
        the same parents, as in postcode lookups, are collapsed).
    oa, lsoa, ward : str, optional
        Code columns. By default the one column of each geography named as ONS names
        them (``OA21CD``, ``lsoa11cd``, ``WD24CD`` …, any case).
    lsoa_name, ward_name : str, optional
        Name columns. By default the ``…NM`` column paired with the code column, if any.

    Returns
    -------
    DataFrame
        ``oa_code``, ``lsoa_code``, ``ward_code`` (+ ``lsoa_name``, ``ward_name`` when the
        file has them), one row per OA in file order, RangeIndex. ``attrs`` holds
        ``path``, ``columns`` (the file's column used for each output column) and
        ``vintage`` (year in each code column's name, or None).

    Raises
    ------
    InputDataError
        A column is missing or ambiguous; codes are empty or of the wrong geography; an
        OA appears with two different LSOAs or wards.

    Warns
    -----
    DataQualityWarning
        When the OA and LSOA code columns name different census years.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "lookup.csv"
    >>> _ = f.write_text(
    ...     "OA21CD,LSOA21CD,LSOA21NM,WD24CD,WD24NM\\n"
    ...     "E00000001,E01000001,A 001A,E05000001,North\\n"
    ...     "E00000002,E01000001,A 001A,E05000002,South\\n"
    ... )
    >>> read_lookup(f)[["oa_code", "lsoa_code", "ward_code"]].to_numpy().tolist()
    [['E00000001', 'E01000001', 'E05000001'], ['E00000002', 'E01000001', 'E05000002']]
    """
    role = "lookup"
    df = read_table(path, role=role)
    cols = list(df.columns)
    given = {"oa": oa, "lsoa": lsoa, "ward": ward}
    used: dict[str, str] = {}
    for level, col in given.items():
        if col is not None:
            used[f"{level}_code"] = resolve_column(
                cols, col, path=path, role=role, setting=f"{level} in {_ENTRY}"
            )
        else:
            used[f"{level}_code"] = detect_code_column(
                cols, level, path=path, role=role, setting=f'{level} = "..." in {_ENTRY}'
            )
    for level, col in (("lsoa", lsoa_name), ("ward", ward_name)):
        key = f"{level}_name"
        if col is not None:
            used[key] = resolve_column(
                cols, col, path=path, role=role, setting=f"{key} in {_ENTRY}"
            )
        else:
            found = name_column_for(cols, used[f"{level}_code"])
            if found is not None:
                used[key] = found

    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    for level in ("oa", "lsoa", "ward"):
        col = used[f"{level}_code"]
        out[f"{level}_code"] = check_level_codes(
            df[col], level, path=path, role=role, column=col, first_row=2
        ).astype(str)
    for key in ("lsoa_name", "ward_name"):
        if key in used:
            out[key] = df[used[key]].astype("string").str.strip().astype(str).to_numpy()

    _check_one_parent(out, path=path, columns=used)
    out = out.drop_duplicates(subset="oa_code", keep="first").reset_index(drop=True)

    vintage = {k: column_vintage(v) for k, v in used.items() if k.endswith("_code")}
    if vintage["oa_code"] and vintage["lsoa_code"] and vintage["oa_code"] != vintage["lsoa_code"]:
        warnings.warn(
            f"The lookup file {file_label(path)} pairs OA codes of {vintage['oa_code']} "
            f"({used['oa_code']!r}) with LSOA codes of {vintage['lsoa_code']} "
            f"({used['lsoa_code']!r}). OAs nest in the LSOAs of their own census year: check "
            "that the columns are the ones you meant.",
            DataQualityWarning,
            stacklevel=2,
        )
    out.attrs = {"path": str(path), "columns": used, "vintage": vintage}
    return out


def _check_one_parent(out: pd.DataFrame, *, path: str | Path, columns: dict[str, str]) -> None:
    """Raise if an OA is given two different LSOAs or wards."""
    for parent in ("lsoa_code", "ward_code"):
        n = out.groupby("oa_code", sort=False)[parent].nunique()
        bad = n.index[n > 1]
        if len(bad) == 0:
            continue
        examples = []
        for oa in bad[:3]:
            rows = out.index[out["oa_code"] == oa]
            parents = out.loc[rows, parent].unique().tolist()
            examples.append(
                f"{oa!r} in rows {format_examples([int(r) + 2 for r in rows], 4)} with "
                f"{format_examples(parents, 4)}"
            )
        level = LEVEL_LABELS[parent.removesuffix("_code")]
        raise InputDataError(
            f"The lookup file {file_label(path)} gives {len(bad)} OA(s) more than one "
            f"{level} in column {columns[parent]!r}: {'; '.join(examples)}. A lookup gives "
            f"each OA exactly one {level}; use a best-fit lookup, or remove the extra rows."
        )


def derive_lookup(
    oa: gpd.GeoDataFrame, lsoa: gpd.GeoDataFrame, ward: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, dict]:
    """Derive the OA → LSOA → ward lookup from boundaries, by best fit.

    Each OA goes to the LSOA and to the ward that contain its representative point (a
    point guaranteed to lie inside the OA, :func:`shapely.point_on_surface`), which is
    how ONS builds best-fit lookups (with population-weighted centroids). A point on the
    shared edge of two polygons goes to the one overlapping the OA most. An OA whose
    point lies outside every LSOA (or ward) gets the nearest one and is reported.

    Parameters
    ----------
    oa, lsoa, ward : GeoDataFrame
        Boundaries as returned by :func:`resilience.inputs.boundaries.read_boundaries`: columns
        ``<level>_code`` (+ ``<level>_name``) and polygons, all in the same CRS.

    Returns
    -------
    lookup : DataFrame
        ``oa_code``, ``lsoa_code``, ``ward_code`` (+ ``lsoa_name``, ``ward_name`` when the
        boundaries have names), one row per OA in the order of ``oa``.
    report : dict
        ``n_oa``; ``oa_outside_lsoa`` and ``oa_outside_ward``, each a dict with ``count``,
        ``examples`` (up to 10 OA codes) and ``max_distance_m`` (to the polygon assigned);
        ``lsoa_split_across_wards``, a dict with ``count`` and ``examples`` of LSOAs whose
        OAs went to more than one ward (normal: wards do not follow LSOAs).

    Raises
    ------
    InputDataError
        A frame lacks its code column or the CRSs differ or are missing.

    Warns
    -----
    DataQualityWarning
        When some OAs lie outside every LSOA or ward (the files may cover different
        areas or years).

    Examples
    --------
    >>> import shapely
    >>> oa = gpd.GeoDataFrame({"oa_code": ["E00000001", "E00000002"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=27700)
    >>> lsoa = gpd.GeoDataFrame({"lsoa_code": ["E01000001"]},
    ...     geometry=[shapely.box(0, 0, 2, 1)], crs=27700)
    >>> ward = gpd.GeoDataFrame({"ward_code": ["E05000001", "E05000002"]},
    ...     geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=27700)
    >>> lookup, report = derive_lookup(oa, lsoa, ward)
    >>> lookup["ward_code"].tolist(), report["lsoa_split_across_wards"]["count"]
    (['E05000001', 'E05000002'], 1)
    """
    frames = {"oa": oa, "lsoa": lsoa, "ward": ward}
    for level, frame in frames.items():
        _check_frame(frame, level)
    crs = {level: frame.crs for level, frame in frames.items()}
    if any(c is None for c in crs.values()):
        raise InputDataError(
            "derive_lookup needs boundaries with a CRS; "
            f"{', '.join(k for k, c in crs.items() if c is None)} has none. Read them with "
            "read_boundaries, which sets EPSG:27700."
        )
    if not all(CRS(c).equals(CRS(crs["oa"])) for c in crs.values()):
        listed = ", ".join(f"{k} {CRS(c).to_string()}" for k, c in crs.items())
        raise InputDataError(
            f"derive_lookup needs all boundaries in one CRS, but they are: {listed}. "
            "Call .to_crs(27700) on each (read_boundaries does this)."
        )

    oa_geoms = oa.geometry.to_numpy()
    points = shapely.point_on_surface(oa_geoms)
    oa_codes = oa["oa_code"].astype(str).to_numpy()
    out = pd.DataFrame({"oa_code": oa_codes})
    report: dict = {"n_oa": len(oa)}
    for level, polys in (("lsoa", lsoa), ("ward", ward)):
        idx, dist = _best_fit(points, oa_geoms, polys, level)
        codes = polys[f"{level}_code"].astype(str).to_numpy()
        out[f"{level}_code"] = codes[idx]
        if f"{level}_name" in polys.columns:
            out[f"{level}_name"] = polys[f"{level}_name"].astype(str).to_numpy()[idx]
        outside = ~np.isnan(dist)
        report[f"oa_outside_{level}"] = {
            "count": int(outside.sum()),
            "examples": oa_codes[outside][:_N_EXAMPLES].tolist(),
            "max_distance_m": float(dist[outside].max()) if outside.any() else 0.0,
        }
    out = out[[c for c in _COLUMNS if c in out.columns]]

    wards_per_lsoa = out.groupby("lsoa_code")["ward_code"].nunique()
    split = wards_per_lsoa.index[wards_per_lsoa > 1]
    report["lsoa_split_across_wards"] = {
        "count": len(split),
        "examples": split[:_N_EXAMPLES].tolist(),
    }
    for level in ("lsoa", "ward"):
        r = report[f"oa_outside_{level}"]
        if r["count"]:
            warnings.warn(
                f"{r['count']} of {len(oa)} OAs lie outside every {LEVEL_LABELS[level]} "
                f"boundary and were given the nearest {LEVEL_LABELS[level]} (up to "
                f"{r['max_distance_m']:,.0f} m away), e.g. {format_examples(r['examples'])}. "
                "Check that the boundary files cover the same area and year.",
                DataQualityWarning,
                stacklevel=2,
            )
    return out, report


_COLUMNS = ("oa_code", "lsoa_code", "lsoa_name", "ward_code", "ward_name")


def _check_frame(frame: object, level: str) -> None:
    col = f"{level}_code"
    if not isinstance(frame, gpd.GeoDataFrame) or col not in frame.columns:
        raise InputDataError(
            f"derive_lookup needs the {LEVEL_LABELS[level]} boundaries as a GeoDataFrame "
            f"with a {col!r} column, as returned by read_boundaries(path, {level!r})."
        )


def _best_fit(
    points: np.ndarray, oa_geoms: np.ndarray, polys: gpd.GeoDataFrame, level: str
) -> tuple[np.ndarray, np.ndarray]:
    """Index of the polygon each point falls in, and its distance (NaN when inside).

    Ties (a point on a shared edge) go to the polygon with the largest overlap with the
    OA, then to the lowest code; points in no polygon go to the nearest (lowest code on
    equal distance).
    """
    geoms = polys.geometry.to_numpy()
    codes = polys[f"{level}_code"].astype(str).to_numpy()
    tree = shapely.STRtree(geoms)
    pt_idx, poly_idx = tree.query(points, predicate="intersects")
    n = len(points)
    best = np.full(n, -1, dtype=np.int64)
    dist = np.full(n, np.nan)
    counts = np.bincount(pt_idx, minlength=n)
    single = counts[pt_idx] == 1
    best[pt_idx[single]] = poly_idx[single]
    for i in np.flatnonzero(counts > 1):
        cands = poly_idx[pt_idx == i]
        overlap = shapely.area(shapely.intersection(oa_geoms[i], geoms[cands]))
        order = np.lexsort((codes[cands], -overlap))
        best[i] = cands[order[0]]
    missing = np.flatnonzero(best < 0)
    if len(missing):
        (pi, qi), d = tree.query_nearest(points[missing], return_distance=True, all_matches=True)
        near = pd.DataFrame({"pt": missing[pi], "poly": qi, "d": d, "code": codes[qi]})
        near = near.sort_values(["pt", "d", "code"]).drop_duplicates("pt", keep="first")
        best[near["pt"].to_numpy()] = near["poly"].to_numpy()
        dist[near["pt"].to_numpy()] = near["d"].to_numpy()
    return best, dist


def vintage_of_codes(
    codes: Iterable[str],
    lookup_2011_codes: Iterable[str] | None = None,
    lookup_2021_codes: Iterable[str] | None = None,
) -> dict:
    """Tell whether area codes are 2011 or 2021 codes, by membership in official lists.

    A 2011 code and a 2021 code look alike (``E01000001`` exists in both years, and most
    codes were kept), so the pattern cannot tell them apart; only the codes that exist in
    one year's list and not the other's can. Pass the code lists of the official lookups
    (for example the ``LSOA11CD`` and ``LSOA21CD`` columns of the ONS LSOA 2011 → 2021
    lookup).

    Parameters
    ----------
    codes : iterable of str
        The codes to classify (stripped and upper-cased; duplicates ignored).
    lookup_2011_codes, lookup_2021_codes : iterable of str, optional
        Every code of the geography in 2011 and in 2021. At least one is needed.

    Returns
    -------
    dict
        ``vintage``: 2011 or 2021 when every code is in that year's list and at least one
        is not in the other year's (given) list; None otherwise (all codes exist in both
        years, or in neither, or the codes mix years). ``mixed``: True when some codes
        exist only in 2011 and others only in 2021. ``n``: number of distinct codes.
        ``in_2011``/``in_2021``: how many are in each list (None when not given).
        ``only_2011``, ``only_2021``: up to 10 example codes found in one year's list and
        not the other's (both lists needed); ``in_neither``: up to 10 codes in no given
        list. With one list only, ``vintage`` stays None (codes kept from 2011 to 2021
        are in both years), but ``in_neither`` still shows which codes are not of that
        year.

    Raises
    ------
    TypeError
        When neither code list is given.

    Examples
    --------
    >>> r = vintage_of_codes(["E01000001", "E01035000"],
    ...     lookup_2011_codes=["E01000001", "E01000002"],
    ...     lookup_2021_codes=["E01000001", "E01035000"])
    >>> r["vintage"], r["only_2021"]
    (2021, ['E01035000'])
    """
    if lookup_2011_codes is None and lookup_2021_codes is None:
        raise TypeError("vintage_of_codes needs lookup_2011_codes, lookup_2021_codes or both.")
    own = set(normalise_codes(pd.Series(list(codes), dtype="string")).dropna())
    sets = {
        year: None if lst is None else set(normalise_codes(pd.Series(list(lst), dtype="string")))
        for year, lst in ((2011, lookup_2011_codes), (2021, lookup_2021_codes))
    }
    s11, s21 = sets[2011], sets[2021]
    in11 = own & s11 if s11 is not None else None
    in21 = own & s21 if s21 is not None else None
    only11 = in11 - s21 if in11 is not None and s21 is not None else set()
    only21 = in21 - s11 if in21 is not None and s11 is not None else set()
    neither = own - (in11 or set()) - (in21 or set())
    # a year is identified when its list holds every code and the other list lacks one
    years = [
        year
        for year, mine, other in ((2011, s11, s21), (2021, s21, s11))
        if own and mine is not None and other is not None and own <= mine and not own <= other
    ]
    vintage = years[0] if len(years) == 1 else None
    return {
        "vintage": vintage,
        "mixed": bool(only11 and only21),
        "n": len(own),
        "in_2011": None if in11 is None else len(in11),
        "in_2021": None if in21 is None else len(in21),
        "only_2011": sorted(only11)[:_N_EXAMPLES],
        "only_2021": sorted(only21)[:_N_EXAMPLES],
        "in_neither": sorted(neither)[:_N_EXAMPLES],
    }


def best_fit_parent(
    lookup: pd.DataFrame, weights: pd.Series, *, child: str = "lsoa", parent: str = "ward"
) -> pd.Series:
    """Best-fit parent of each child area: the parent holding most of its OAs' weight.

    An LSOA split between wards (2011 LSOAs on 2022 wards) is given the ward where most
    of its population lives; ties go to the first ward code.

    Parameters
    ----------
    lookup : DataFrame
        ``<child>_code`` and ``<parent>_code`` of every OA (same index as ``weights``).
    weights : Series
        Population (or another weight) of every OA.

    Examples
    --------
    >>> lk = pd.DataFrame({"lsoa_code": ["L1", "L1", "L1"], "ward_code": ["W2", "W1", "W2"]})
    >>> best_fit_parent(lk, pd.Series([10.0, 50.0, 10.0])).to_dict()
    {'L1': 'W1'}
    """
    frame = pd.DataFrame(
        {"child": lookup[f"{child}_code"], "parent": lookup[f"{parent}_code"], "w": weights}
    )
    total = frame.groupby(["child", "parent"], sort=True)["w"].sum().reset_index()
    total = total.sort_values(["child", "w", "parent"], ascending=[True, False, True])
    out = total.drop_duplicates("child").set_index("child")["parent"]
    out.index.name = f"{child}_code"
    return out.rename(f"{parent}_code")
