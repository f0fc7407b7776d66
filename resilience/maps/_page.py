"""Assembling one map page with folium: map, layers, layer control, boxes, assets.

The page's own script (``assets/map.js``) draws everything from the page's JSON document.
folium supplies the Leaflet map, the tile layer, the layer control (radio buttons for the
choropleths, check boxes for ward outlines and names) and the page skeleton. In
``offline`` mode Leaflet's script and style sheet are written into the page from the
``xstatic-leaflet`` package, so the page needs no network at all.
"""

from __future__ import annotations

import base64
import re
import secrets
from functools import lru_cache
from importlib import resources
from pathlib import Path

import folium
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from ..errors import ConfigError
from ._layers import LayerSpec
from ._payload import esc

__all__ = ["LEAFLET_CSS_URL", "LEAFLET_JS_URL", "TILES", "PageTemplate", "tile_layer"]

LEAFLET_JS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS_URL = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
#: Default web base map. OpenStreetMap's tile policy asks for a Referer header, which
#: pages opened from disk (file://) do not send; serve the folder over HTTP, or pass
#: another provider (``tiles=``) if tiles are refused.
TILES = "OpenStreetMap"


def tile_layer(tiles: str, attribution: str | None) -> folium.TileLayer:
    """The base map: an xyzservices provider name or a URL template with its attribution.

    Raises
    ------
    ConfigError
        A URL template without attribution, or a provider that needs an API key.
    """
    try:
        return folium.TileLayer(
            tiles,
            attr=attribution,
            control=False,
            referrer_policy="strict-origin-when-cross-origin",
        )
    except ValueError as err:
        raise ConfigError(
            f"Cannot use tiles {tiles!r}: {err} Give an xyzservices provider name such as "
            f"{TILES!r}, or a URL template with tiles_attribution."
        ) from err


@lru_cache(maxsize=1)
def _own_assets() -> tuple[str, str]:
    folder = resources.files("resilience.maps") / "assets"
    return (folder / "map.js").read_text(encoding="utf-8"), (folder / "map.css").read_text(
        encoding="utf-8"
    )


@lru_cache(maxsize=1)
def _leaflet_inline() -> tuple[str, str]:
    """Leaflet's minified script and its style sheet with images as data URIs."""
    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    js = (base / "leaflet.js").read_text(encoding="utf-8")
    css = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match) -> str:
        data = (base / match.group(1)).read_bytes()
        return f"url(data:image/png;base64,{base64.b64encode(data).decode('ascii')})"

    css = re.sub(r"url\((images/[A-Za-z0-9_.-]+\.png)\)", inline, css)
    return js.replace("</script", "<\\/script"), css


#: Shown when the Leaflet library could not be loaded (removed by the page once it is).
NO_LEAFLET_NOTICE = (
    '<div id="rz-noleaflet" role="alert" style="position:absolute;top:35%;left:10%;right:10%;'
    "z-index:5000;font:16px/1.4 sans-serif;background:#fff3cd;border:1px solid #c9a227;"
    'padding:1em">The map could not start: the browser could not load the Leaflet map '
    "library from the internet. Open this file on a computer with internet access, or make "
    "the maps again with <code>--map-mode offline</code> (or <code>mode = "
    '"offline"</code> in the [maps] section of the config), which puts everything the map '
    "needs inside the file.</div>"
)


class _Page(Figure):
    """The HTML document, with a language and an escaped title."""

    _template = Template(
        "<!DOCTYPE html>\n"
        '<html lang="en">\n'
        "<head>\n"
        "<title>{{ this.title }}</title>\n"
        "    {{ this.header.render(**kwargs) }}\n"
        "</head>\n"
        "<body>\n"
        f"{NO_LEAFLET_NOTICE}\n"
        "    {{ this.html.render(**kwargs) }}\n"
        "</body>\n"
        "<script>\n"
        "    {{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        # the notice stays only when Leaflet could not be loaded (no internet, blocked CDN)
        '<script>if (window.L) { document.getElementById("rz-noleaflet").remove(); }</script>\n'
        "</html>\n"
    )


class _Map(folium.Map):
    """A folium map that loads only Leaflet (no jQuery, Bootstrap or marker icons)."""

    def __init__(self, *, offline: bool, **kwargs):
        super().__init__(**kwargs)
        self.default_js = [] if offline else [("leaflet", LEAFLET_JS_URL)]
        self.default_css = [] if offline else [("leaflet_css", LEAFLET_CSS_URL)]


class _Assets(MacroElement):
    _template = Template(
        """
        {% macro header(this, kwargs) %}
        {%- if this.leaflet_css %}<style>{{ this.leaflet_css }}</style>{% endif %}
        <style>{{ this.css }}</style>
        {%- if this.leaflet_js %}<script>{{ this.leaflet_js }}</script>{% endif %}
        <script>{{ this.js }}</script>
        {% endmacro %}
        """
    )

    def __init__(self, offline: bool):
        super().__init__()
        self._name = "Assets"
        self.js, self.css = _own_assets()
        self.leaflet_js, self.leaflet_css = _leaflet_inline() if offline else ("", "")


class _Body(MacroElement):
    _template = Template("{% macro html(this, kwargs) %}{{ this.content }}{% endmacro %}")

    def __init__(self, content: str):
        super().__init__()
        self._name = "Body"
        self.content = content


class _App(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = Resilience.init(
            {{ this._parent.get_name() }},
            JSON.parse(document.getElementById("rz-data").textContent)
        );
        {% endmacro %}
        """
    )

    def __init__(self):
        super().__init__()
        self._name = "ResilienceApp"


class _AppLayer(Layer):
    """A layer made by the page script: a choropleth (base layer) or a ward overlay."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = {{ this.app.get_name() }}.{{ this.call }};
        {% endmacro %}
        """
    )

    def __init__(self, app: _App, call: str, name: str, *, overlay: bool, show: bool):
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "ResilienceLayer"
        self.app = app
        self.call = call


class _Finish(MacroElement):
    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.app.get_name() }}.finish({{ this.control.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, app: _App, control: folium.LayerControl):
        super().__init__()
        self._name = "ResilienceFinish"
        self.app = app
        self.control = control


def _stable_ids(element: Element, counter: list[int] | None = None) -> None:
    """Replace folium's random element ids by sequential ones (byte-identical reruns)."""
    counter = [0] if counter is None else counter
    for child in element._children.values():
        counter[0] += 1
        child._id = f"{counter[0]:04x}"
        _stable_ids(child, counter)


class PageTemplate:
    """A rendered page with slots for its title, JSON document and boxes.

    The folium map (Leaflet, tiles, layers, layer control, assets) is the same on every
    page of a run, so it is rendered once; :meth:`fill` puts each page's own content in.

    Parameters
    ----------
    mode : {"tiles", "tileless", "offline"}
        Web tiles and CDN Leaflet; CDN Leaflet without tiles; no network at all.
    layers : list of LayerSpec
        The choropleth layers, in layer-list order.
    initial : str
        Id of the layer shown on opening.
    centre : (lat, lon)
        Initial centre; each page then fits the map to its own areas.
    tiles, tiles_attribution : str
        Base map of ``tiles`` mode (see :func:`tile_layer`).
    """

    def __init__(
        self,
        *,
        mode: str,
        layers: list[LayerSpec],
        initial: str,
        centre: tuple[float, float],
        tiles: str = TILES,
        tiles_attribution: str | None = None,
    ):
        nonce = secrets.token_hex(8)
        slots = [f"@@rz-{name}-{nonce}@@" for name in ("title", "data", "boxes")]
        text = _render(
            mode=mode,
            title=slots[0],
            body=f'<script type="application/json" id="rz-data">{slots[1]}</script>{slots[2]}',
            layers=layers,
            initial=initial,
            centre=centre,
            tiles=tiles,
            tiles_attribution=tiles_attribution,
        )
        self._parts: list[str] = []
        self._order: list[int] = []
        rest = text
        while True:
            found = [(rest.find(slot), k) for k, slot in enumerate(slots) if slot in rest]
            if not found:
                break
            pos, k = min(found)
            self._parts.append(rest[:pos])
            self._order.append(k)
            rest = rest[pos + len(slots[k]) :]
        self._parts.append(rest)
        if sorted(self._order) != [0, 1, 2]:
            raise RuntimeError("page template lost a slot")  # folium changed its output

    def fill(self, *, title: str, data_json: str, boxes_html: str) -> str:
        """The page's HTML: ``title`` is plain text (escaped here); the rest is ready HTML.

        ``data_json`` must not contain ``<`` (the payload writer escapes it).
        """
        values = (esc(title), data_json, boxes_html)
        out = [self._parts[0]]
        for k, part in zip(self._order, self._parts[1:], strict=True):
            out.append(values[k])
            out.append(part)
        return "".join(out)


def _render(
    *,
    mode: str,
    title: str,
    body: str,
    layers: list[LayerSpec],
    initial: str,
    centre: tuple[float, float],
    tiles: str,
    tiles_attribution: str | None,
) -> str:
    offline = mode == "offline"
    page = _Page()
    page.title = title
    m = _Map(
        offline=offline,
        location=list(centre),
        zoom_start=12,
        tiles=None,
        prefer_canvas=True,
        control_scale=True,
        zoomSnap=0.25,
        zoomDelta=0.5,
        minZoom=5,
        maxZoom=18,
    )
    m.add_to(page)
    if mode == "tiles":
        tile_layer(tiles, tiles_attribution).add_to(m)
    _Assets(offline).add_to(m)
    _Body(body).add_to(m)
    app = _App()
    app.add_to(m)
    for spec in layers:
        _AppLayer(
            app, f"layer({spec.id!r})", esc(spec.name), overlay=False, show=spec.id == initial
        ).add_to(m)
    _AppLayer(app, "wardOutlines()", "Ward boundaries", overlay=True, show=True).add_to(m)
    _AppLayer(app, "wardLabels()", "Ward names", overlay=True, show=True).add_to(m)
    control = folium.LayerControl(position="topright", collapsed=False)
    control.add_to(m)
    _Finish(app, control).add_to(m)
    _stable_ids(page)
    return page.render()
