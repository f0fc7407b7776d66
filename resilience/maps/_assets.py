"""The code and styles every map page needs: Leaflet and the project's own script and styles.

Leaflet comes from the ``xstatic-leaflet`` package (no download at run time); the page
script and styles (``map.js``, ``map.css``) from this package's ``assets`` folder. In
``shared`` mode they are written once to ``maps/assets/`` and linked relatively from every
page; in ``offline`` mode they are written into every page, with Leaflet's images as data
URIs.
"""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from importlib import resources
from pathlib import Path

__all__ = ["ASSETS_FOLDER", "asset_files", "inline_assets"]

#: Name of the folder, next to ``index.html``, that holds the shared files.
ASSETS_FOLDER = "assets"
_IMAGE_URL = re.compile(r"url\((images/[A-Za-z0-9_.-]+\.png)\)")


def _leaflet_dir() -> Path:
    from xstatic.pkg import leaflet

    return Path(leaflet.BASE_DIR)


@lru_cache(maxsize=1)
def _own() -> dict[str, bytes]:
    folder = resources.files("resilience.maps") / "assets"
    return {name: (folder / name).read_bytes() for name in ("map.js", "map.css")}


def asset_files() -> dict[str, bytes]:
    """Path inside the assets folder -> content, for ``shared`` mode.

    Leaflet's script, its style sheet and the images the style sheet names (the layer
    control's icons, the default marker), then ``map.js`` and ``map.css``.

    Examples
    --------
    >>> sorted(asset_files())[:4]
    ['images/layers-2x.png', 'images/layers.png', 'images/marker-icon.png', 'leaflet.css']
    >>> b"Leaflet" in asset_files()["leaflet.js"]
    True
    """
    base = _leaflet_dir()
    css = (base / "leaflet.css").read_bytes()
    out = {"leaflet.js": (base / "leaflet.js").read_bytes(), "leaflet.css": css}
    for name in sorted(set(_IMAGE_URL.findall(css.decode("utf-8")))):
        out[name] = (base / name).read_bytes()
    out.update(_own())
    return out


@lru_cache(maxsize=1)
def inline_assets() -> dict[str, str]:
    """The same files as text to write into a page (``offline`` mode).

    Keys ``leaflet_js``, ``leaflet_css`` (images as data URIs), ``js`` and ``css``; the
    scripts are safe inside ``<script>`` (no ``</script``).
    """
    base = _leaflet_dir()
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = (base / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    own = _own()
    return {
        "leaflet_js": js.replace("</script", "<\\/script"),
        "leaflet_css": _IMAGE_URL.sub(inline, css),
        "js": own["map.js"].decode("utf-8").replace("</script", "<\\/script"),
        "css": own["map.css"].decode("utf-8"),
    }
