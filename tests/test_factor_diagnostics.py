"""Factor-analysis diagnostics against hand computation, R psych and factor_analyzer.

The R figures were computed with R 4.2.2, psych 2.2.9 and GPArotation (Debian 12
packages ``r-cran-psych``, ``r-cran-gparotation``) on the correlation matrix ``R6`` below
(rounded correlations of 400 simulated respondents), with::

    f <- fa(R6, nfactors = 2, n.obs = 400, fm = "minres", rotate = "oblimin")
    f$communality; f$Vaccounted; f$Phi
    KMO(R6); cortest.bartlett(R6, n = 400); cortest.bartlett(R6, n = 250.5)
    smc(R6); eigen(R6)$values; rr <- R6; diag(rr) <- smc(R6); eigen(rr)$values
    fa.parallel(R6, n.obs = 400, fa = "both", SMC = TRUE, n.iter = 50)  # set.seed(1)

psych's "SS loadings" of an oblique solution are ``diag(Φ Lᵀ L)`` (function ``fac`` in
psych 2.2.9: ``vx <- diag(Phi %*% t(loadings) %*% loadings)``), and its proportions are
divided by the total variance, so the cumulative proportion ends at ``Σ h² / p``.
"""

import numpy as np
import pytest
from factor_analyzer import calculate_bartlett_sphericity, calculate_kmo

from resilience.items import Item
from resilience.models._factor import (
    bartlett,
    fit_factors,
    kish_n,
    kmo,
    parallel_analysis,
    smc,
    variance_explained,
    weighted_corr,
)

R6 = np.array(
    [
        [1.000, 0.506, 0.403, 0.277, 0.290, 0.136],
        [0.506, 1.000, 0.376, 0.294, 0.257, 0.236],
        [0.403, 0.376, 1.000, 0.194, 0.191, 0.102],
        [0.277, 0.294, 0.194, 1.000, 0.410, 0.464],
        [0.290, 0.257, 0.191, 0.410, 1.000, 0.311],
        [0.136, 0.236, 0.102, 0.464, 0.311, 1.000],
    ]
)
PSYCH_H2 = [0.5710582242, 0.4577197217, 0.2990465862, 0.5745228902, 0.2962374766, 0.3876647736]
PSYCH_SS = [1.3618256220, 1.2244240504]
PSYCH_CUMULATIVE = [0.2269709370, 0.4310416121]
PSYCH_PHI = 0.4689710132
PSYCH_KMO = 0.7401552627
PSYCH_KMO_ITEMS = [
    0.7166633008,
    0.7456923224,
    0.7857220862,
    0.7231216144,
    0.8017428661,
    0.6907955931,
]
PSYCH_BARTLETT_400 = 456.4939762
PSYCH_BARTLETT_250_5 = 284.2284749
PSYCH_SMC = [0.3362623212, 0.3245905260, 0.2063653769, 0.3224651761, 0.2237850193, 0.2443530712]
PSYCH_EIGEN = [2.4982414106, 1.1876485659, 0.6939676760, 0.6371392845, 0.5191205830, 0.4638824801]
PSYCH_REDUCED_EIGEN = [
    1.784422655,
    0.461098609,
    -0.062164774,
    -0.117216503,
    -0.182049626,
    -0.22626887,
]
ITEMS = [Item(f"x{i + 1}", "first" if i < 3 else "second", 1, 5, "higher") for i in range(6)]


def _data_with_correlation(corr, n, seed=0):
    """Data whose (unweighted) sample correlation matrix is exactly ``corr``."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, len(corr)))
    x -= x.mean(axis=0)
    white = x @ np.linalg.inv(np.linalg.cholesky(x.T @ x / n)).T
    return white @ np.linalg.cholesky(corr).T


def test_communalities_and_variance_on_a_hand_computed_oblique_example():
    # pattern L and factor correlation 0.5; structure S = L Φ:
    #   x1 (0.8, 0.0) -> S (0.80, 0.40);  x2 (0.6, 0.0) -> S (0.60, 0.30)
    #   x3 (0.0, 0.7) -> S (0.35, 0.70);  x4 (0.1, 0.5) -> S (0.35, 0.55)
    load = np.array([[0.8, 0.0], [0.6, 0.0], [0.0, 0.7], [0.1, 0.5]])
    phi = np.array([[1.0, 0.5], [0.5, 1.0]])
    h2, var = variance_explained(load, phi)
    # h² = Σ_j L_ij S_ij; x4: 0.1·0.35 + 0.5·0.55 = 0.31 (= 0.01 + 0.25 + 2·0.5·0.1·0.5)
    np.testing.assert_allclose(h2, [0.64, 0.36, 0.49, 0.31], atol=1e-12)
    # SS loadings = Σ_i L_ij S_ij: 0.64 + 0.36 + 0.035 = 1.035 and 0.49 + 0.275 = 0.765
    np.testing.assert_allclose(var["ss_loadings"], [1.035, 0.765], atol=1e-12)
    # the pattern alone: 0.64 + 0.36 + 0.01 = 1.01 and 0.49 + 0.25 = 0.74
    np.testing.assert_allclose(var["ss_pattern"], [1.01, 0.74], atol=1e-12)
    # total: Σ h² / p = 1.8 / 4 = 0.45, against Σ L² / p = 1.75 / 4 = 0.4375
    np.testing.assert_allclose(var["cumulative"], [1.035 / 4, 0.45], atol=1e-12)
    # orthogonal factors: everything reduces to sums of squared loadings
    h2_orth, var_orth = variance_explained(load, np.eye(2))
    np.testing.assert_allclose(h2_orth, (load**2).sum(axis=1))
    np.testing.assert_allclose(var_orth["ss_loadings"], var_orth["ss_pattern"])


def test_fit_matches_psych_on_an_oblique_solution():
    z = _data_with_correlation(R6, 400)
    np.testing.assert_allclose(weighted_corr(z, np.ones(400)), R6, atol=1e-12)
    fac = fit_factors(z, np.ones(400), ITEMS, n_factors=2, rotation="oblimin", method="minres")
    assert fac.names == ["first", "second"]
    # minres optimiser tolerance: factor_analyzer and psych agree to about 2e-6
    np.testing.assert_allclose(fac.communalities, PSYCH_H2, atol=1e-5)
    np.testing.assert_allclose(fac.variance["ss_loadings"], PSYCH_SS, atol=1e-5)
    np.testing.assert_allclose(fac.variance["cumulative"], PSYCH_CUMULATIVE, atol=1e-5)
    assert fac.factor_corr.loc["first", "second"] == pytest.approx(PSYCH_PHI, abs=1e-5)
    # the pattern-only total understates it: 0.4213 against psych's 0.4310
    assert fac.variance["ss_pattern"].sum() / 6 == pytest.approx(0.4213, abs=1e-4)


def test_communalities_do_not_depend_on_the_rotation():
    z = _data_with_correlation(R6, 400)
    w = np.ones(400)
    fits = [
        fit_factors(z, w, ITEMS, n_factors=2, rotation=rot, method="minres")
        for rot in (None, "varimax", "oblimin", "promax")
    ]
    for fac in fits[1:]:
        np.testing.assert_allclose(fac.communalities, fits[0].communalities, atol=1e-6)
        assert fac.variance["cumulative"].iloc[-1] == pytest.approx(
            fits[0].variance["cumulative"].iloc[-1], abs=1e-6
        )


def test_kmo_bartlett_and_smc_match_psych():
    per_item, total = kmo(R6)
    assert total == pytest.approx(PSYCH_KMO, abs=1e-9)
    np.testing.assert_allclose(per_item, PSYCH_KMO_ITEMS, atol=1e-9)
    np.testing.assert_allclose(smc(R6), PSYCH_SMC, atol=1e-9)
    chi2, p, df = bartlett(R6, 400)
    assert (chi2, df) == (pytest.approx(PSYCH_BARTLETT_400, abs=1e-6), 15)
    assert p == pytest.approx(8.781790170e-88, rel=1e-6)
    assert bartlett(R6, 250.5)[0] == pytest.approx(PSYCH_BARTLETT_250_5, abs=1e-6)


def test_kmo_and_bartlett_agree_with_factor_analyzer_unweighted():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((300, 2)) @ rng.uniform(0.3, 0.9, (2, 7))
    x += rng.standard_normal((300, 7))
    corr = weighted_corr(x, np.ones(300))
    per_item, total = kmo(corr)
    fa_items, fa_total = calculate_kmo(x)
    assert total == pytest.approx(fa_total, abs=1e-10)
    np.testing.assert_allclose(per_item, fa_items, atol=1e-10)
    chi2, p, _ = bartlett(corr, kish_n(np.ones(300)))
    fa_chi2, fa_p = calculate_bartlett_sphericity(x)
    assert chi2 == pytest.approx(fa_chi2, rel=1e-10)
    assert p == pytest.approx(fa_p, rel=1e-8)


def test_kish_effective_n():
    assert kish_n(np.ones(250)) == 250
    # (1 + 1 + 2)² / (1 + 1 + 4) = 16 / 6
    assert kish_n(np.array([1.0, 1.0, 2.0])) == pytest.approx(16 / 6)
    # scale-free
    w = np.random.default_rng(0).uniform(0.2, 3, 100)
    assert kish_n(7 * w) == pytest.approx(kish_n(w))


def test_parallel_analysis_eigenvalues_match_psych_and_both_variants_suggest_two():
    w = np.ones(400)
    pa = parallel_analysis(R6, w, n_iter=50, random_state=1)
    np.testing.assert_allclose(pa.eigenvalues, PSYCH_EIGEN, atol=1e-9)
    np.testing.assert_allclose(pa.reduced_eigenvalues, PSYCH_REDUCED_EIGEN, atol=1e-8)
    # psych::fa.parallel (set.seed(1), 50 iterations): 2 factors and 2 components
    assert (pa.n_components, pa.n_factors) == (2, 2)
    # psych compares with the mean of the simulated eigenvalues: components 1.177, 1.082,
    # 1.024; reduced matrix 0.196, 0.094, 0.034. The medians of ours are close to them
    mid = parallel_analysis(R6, w, n_iter=200, quantile=0.5, random_state=1)
    np.testing.assert_allclose(mid.threshold[:3], [1.177, 1.082, 1.024], atol=0.02)
    np.testing.assert_allclose(mid.reduced_threshold[:3], [0.196, 0.094, 0.034], atol=0.02)
    # and the 95th percentiles used for the suggestion lie above them
    assert (pa.threshold[:3] > mid.threshold[:3]).all()


def test_parallel_analysis_reference_varies_with_the_weights():
    # unequal weights make the weighted correlations of random data noisier (Kish n below
    # n), so the random eigenvalues spread more and the thresholds rise
    n = 400
    w_equal = np.ones(n)
    w_uneven = np.where(np.arange(n) % 4 == 0, 10.0, 1.0)  # Kish n = 1300² / 10300 = 164.1
    assert kish_n(w_uneven) == pytest.approx(1300**2 / 10300)
    even = parallel_analysis(R6, w_equal, random_state=0)
    uneven = parallel_analysis(R6, w_uneven, random_state=0)
    assert uneven.threshold[0] > even.threshold[0] + 0.03
    assert uneven.reduced_threshold[0] > even.reduced_threshold[0] + 0.03
    np.testing.assert_array_equal(uneven.eigenvalues, even.eigenvalues)  # same observed
