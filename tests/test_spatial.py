"""Local Moran's I clusters of the prediction–hard-data gap."""

import inspect

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from resilience.compare.spatial import CLUSTER_LABELS, gap_clusters, gap_moran
from resilience.errors import ConfigError, InputDataError


def grid(values, *, island=None):
    """A 6 x 6 grid of unit squares (row 0 at the top), plus an optional far-away island."""
    values = np.asarray(values, dtype=float)
    geoms, codes, gaps = [], [], []
    for r in range(6):
        for c in range(6):
            geoms.append(box(c, 5 - r, c + 1, 6 - r))
            codes.append(f"E01{r * 6 + c + 1:06d}")
            gaps.append(values[r, c])
    if island is not None:
        geoms.append(box(100, 100, 101, 101))
        codes.append("E01099999")
        gaps.append(island)
    return gpd.GeoDataFrame(
        {"gap": gaps}, geometry=geoms, index=pd.Index(codes, name="lsoa_code"), crs="EPSG:27700"
    )


def two_patches():
    v = np.zeros((6, 6))
    v[:3, :3] = 3  # predicted much worse than hard data in the top left
    v[3:, 3:] = -3  # hard data much worse in the bottom right
    return v


def test_patches_island_and_labels():
    lsoa = grid(two_patches(), island=2.0)
    lsoa = lsoa.sample(frac=1, random_state=1)  # order must not matter
    out = gap_clusters(lsoa)
    assert out.name == "gap_cluster"
    assert out.index.equals(lsoa.index)
    assert set(out) <= set(CLUSTER_LABELS)
    assert out["E01000001"] == "high-high"  # top-left corner
    assert out["E01000036"] == "low-low"  # bottom-right corner
    assert out["E01099999"] == "no neighbours"
    top_left = [f"E01{r * 6 + c + 1:06d}" for r in range(3) for c in range(3)]
    assert set(out[top_left]) <= {"high-high", "not significant"}
    assert (out == "high-high").sum() >= 4 and (out == "low-low").sum() >= 4


def test_same_seed_same_labels_and_fdr_is_stricter():
    lsoa = grid(two_patches() + np.random.default_rng(0).normal(0, 0.5, (6, 6)))
    a = gap_clusters(lsoa, random_state=7)
    pd.testing.assert_series_equal(a, gap_clusters(lsoa, random_state=7))
    strict = gap_clusters(lsoa, random_state=7, fdr=True)
    significant = a.isin(["high-high", "low-low", "high-low", "low-high"])
    strict_sig = strict.isin(["high-high", "low-low", "high-low", "low-high"])
    assert strict_sig.sum() <= significant.sum()
    assert not (strict_sig & ~significant).any()
    assert (strict[strict_sig] == a[strict_sig]).all()


def test_constant_gap_and_only_islands_do_not_crash():
    out = gap_clusters(grid(np.zeros((6, 6)), island=0.0))
    assert (out.drop("E01099999") == "not significant").all()
    assert out["E01099999"] == "no neighbours"
    islands = gpd.GeoDataFrame(
        {"gap": [1.0, -2.0]}, geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)], crs="EPSG:27700"
    )
    assert gap_clusters(islands).tolist() == ["no neighbours", "no neighbours"]


def test_missing_gap_is_no_data():
    lsoa = grid(two_patches())
    lsoa["gap"] = lsoa["gap"].astype("Int64")
    lsoa.loc["E01000018", "gap"] = pd.NA
    out = gap_clusters(lsoa, fdr=False)
    assert out["E01000018"] == "no data"
    assert out["E01000001"] == "high-high"


def test_ties_in_an_integer_gap_are_not_significant():
    # the usual picture: gap 0 almost everywhere and a few disagreements. Here the mean
    # gap is exactly 0, so every zero has a local I of 0 in every permutation too. esda's
    # own p_sim counts those ties as less extreme on both sides and calls every zero
    # significant (p = 0.001); gap_clusters does not.
    from esda.moran import Moran_Local
    from libpysal.graph import Graph

    v = np.zeros((6, 6))
    v[0, 0], v[5, 5] = 2, -2
    lsoa = grid(v)
    zeros = lsoa.index[lsoa["gap"] == 0]
    out = gap_clusters(lsoa)
    assert (out[zeros] == "not significant").all()
    w = Graph.build_contiguity(lsoa.reset_index(drop=True), rook=False).transform("r")
    with np.errstate(all="ignore"), pytest.warns(DeprecationWarning):
        esda_p = Moran_Local(lsoa["gap"].to_numpy(), w, permutations=999, seed=0).p_sim
    assert (esda_p[(lsoa["gap"] == 0).to_numpy()] <= 0.05).all()


def test_bad_arguments():
    lsoa = grid(two_patches())
    with pytest.raises(InputDataError, match="needs a GeoDataFrame"):
        gap_clusters(pd.DataFrame(lsoa.drop(columns="geometry")))
    with pytest.raises(InputDataError, match="no column 'difference'"):
        gap_clusters(lsoa, "difference")
    with pytest.raises(ConfigError, match="permutations must be at least 19"):
        gap_clusters(lsoa, permutations=9)
    with pytest.raises(ConfigError, match="alpha must be between 0 and 1"):
        gap_clusters(lsoa, alpha=5)


def test_fdr_is_the_default_and_chance_patterns_do_not_survive_it():
    assert inspect.signature(gap_clusters).parameters["fdr"].default is True
    # a gap of pure noise: without correction a few LSOAs pass p <= 0.05 by chance
    rng = np.random.default_rng(3)
    hits_raw, hits_fdr = 0, 0
    for seed in range(5):
        lsoa = grid(rng.integers(-2, 3, (6, 6)))
        sig = ["high-high", "low-low", "high-low", "low-high"]
        hits_raw += int(gap_clusters(lsoa, random_state=seed, fdr=False).isin(sig).sum())
        hits_fdr += int(gap_clusters(lsoa, random_state=seed).isin(sig).sum())
    assert hits_raw >= 1
    assert hits_fdr == 0


def test_global_moran_of_the_gap_by_hand_and_for_noise():
    # west +1, east -1 on a 6 x 6 grid, queen neighbours, row-standardised:
    # I = (24 + 8 * 2/8 + 4 * 1/5) / 36 = 0.7444 (see the gap_moran docstring)
    west_east = np.where(np.arange(6)[None, :] < 3, 1.0, -1.0).repeat(6, axis=0)
    out = gap_moran(grid(west_east), permutations=199)
    assert out["moran_i"] == pytest.approx(26.8 / 36, abs=1e-12)
    assert out["expected_i"] == pytest.approx(-1 / 35)
    assert out["p_value"] == pytest.approx(1 / 200)
    assert out["significant"] and out["n"] == 36
    # same seed, same p; islands are left out of n
    noise = grid(np.random.default_rng(0).normal(size=(6, 6)), island=5.0)
    a, b = gap_moran(noise, random_state=4), gap_moran(noise, random_state=4)
    assert a == b and a["n"] == 36
    # I = -0.166 here: dispersion, not clustering, so the one-sided p is large
    assert a["moran_i"] < a["expected_i"] and a["p_value"] > 0.9 and not a["significant"]
    chequer = grid((np.add.outer(np.arange(6), np.arange(6)) % 2) * 2.0 - 1)
    assert not gap_moran(chequer)["significant"]
    flat = gap_moran(grid(np.zeros((6, 6))))
    assert flat["moran_i"] is None and not flat["significant"]


def test_contiguity_built_ahead_is_used_only_for_the_same_shapes(monkeypatch):
    from resilience.compare import spatial

    g = grid(two_patches(), island=1.0)
    ahead = spatial.queen_graph(g)  # from the shapes alone, before any gap is known
    builds = []
    monkeypatch.setattr(spatial, "_build", lambda s, f=spatial._build: builds.append(1) or f(s))
    nb = spatial.contiguity(g, ready=ahead)
    assert nb.graph is ahead.graph and builds == []
    fresh = spatial.contiguity(g)
    assert builds == [1]
    assert nb.island.tolist() == fresh.island.tolist() and nb.island.sum() == 1
    pd.testing.assert_frame_equal(nb.graph.adjacency.to_frame(), fresh.graph.adjacency.to_frame())
    # the same LISA labels and global Moran's I either way
    pd.testing.assert_series_equal(
        gap_clusters(g, permutations=99, neighbours=nb),
        gap_clusters(g, permutations=99, neighbours=fresh),
    )
    assert gap_moran(g, permutations=99, neighbours=nb) == gap_moran(
        g, permutations=99, neighbours=fresh
    )
    # other shapes (moved by a metre), or an LSOA without a gap: built for them instead
    moved = g.copy()
    moved.geometry = moved.geometry.translate(1.0, 0.0)
    assert spatial.contiguity(moved, ready=ahead).graph is not ahead.graph and builds == [1, 1]
    g.iloc[0, g.columns.get_loc("gap")] = np.nan
    assert spatial.contiguity(g, ready=ahead).graph is not ahead.graph and builds == [1, 1, 1]
