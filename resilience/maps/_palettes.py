"""Colour-blind-safe palettes for the maps, as fixed hex lists.

Sequential ramps are ColorBrewer 2.0 schemes (Cynthia Brewer, Mark Harrower and The
Pennsylvania State University, https://colorbrewer2.org, Apache-2.0 licence; the hex values
are those branca ships) and matplotlib's viridis; the diverging ramp is ColorBrewer PuOr,
which stays readable for deuteranopes (unlike RdYlGn or Spectral), and BrBG for the
national benchmark bands; the qualitative scheme
is Paul Tol's "muted" (https://personal.sron.nl/~pault/). Missing or suppressed values are a
neutral grey that no palette uses.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MISSING", "PALETTES", "pick"]

#: Fill of areas with no value (missing or suppressed), labelled "No data / suppressed".
MISSING = "#b4b4b4"

PALETTES: dict[str, tuple[str, ...]] = {
    # ColorBrewer, 5 classes, light to dark
    "YlGnBu": ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494"),
    "RdPu": ("#feebe2", "#fbb4b9", "#f768a1", "#c51b8a", "#7a0177"),
    "YlOrBr": ("#ffffd4", "#fed98e", "#fe9929", "#d95f0e", "#993404"),
    # ColorBrewer diverging, orange ... white ... purple
    "PuOr": ("#e66101", "#fdb863", "#f7f7f7", "#b2abd2", "#5e3c99"),
    # ColorBrewer diverging, brown ... near-white ... teal (national benchmark bands)
    "BrBG": ("#a6611a", "#dfc27d", "#f5f5f5", "#80cdc1", "#018571"),
    # matplotlib viridis at 0, 0.25, 0.5, 0.75, 1
    "viridis": ("#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"),
    # Paul Tol's muted qualitative scheme (its pale grey left out: grey means "no data")
    "tol_muted": (
        "#332288",
        "#88ccee",
        "#44aa99",
        "#117733",
        "#999933",
        "#ddcc77",
        "#cc6677",
        "#882255",
        "#aa4499",
    ),
}


def pick(name: str, n: int) -> list[str]:
    """``n`` colours spread evenly over a sequential or diverging palette.

    Examples
    --------
    >>> pick("viridis", 3)
    ['#440154', '#21918c', '#fde725']
    >>> pick("YlGnBu", 1)
    ['#41b6c4']
    """
    colours = PALETTES[name]
    if n <= 0:
        return []
    if n == 1:
        return [colours[len(colours) // 2]]
    idx = np.round(np.linspace(0, len(colours) - 1, n)).astype(int)
    return [colours[i] for i in idx]
