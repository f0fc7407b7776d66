"""Assembling one map page with folium: map, layers, layer control, boxes, assets.

The page's own script (``assets/map.js``) draws everything from the page's JSON document.
folium supplies the Leaflet map, the optional street map, the layer control (radio buttons
for the choropleths, check boxes for the street map, ward outlines and names; the page
script adds those of the council's own evidence, which differ from page to page) and the page
skeleton. In ``shared`` mode the page links Leaflet, ``map.js`` and ``map.css`` from the
assets folder; in ``offline`` mode they are written into the page, which then needs
nothing else.
"""

from __future__ import annotations

import secrets

import folium
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from folium.template import Template

from ..errors import ConfigError
from ._assets import inline_assets
from ._layers import LayerSpec
from ._payload import esc

__all__ = ["NO_TILES", "TILES", "PageTemplate", "tile_layer"]

#: Default street map. OpenStreetMap's tile policy asks for a Referer header, which
#: pages opened from disk (file://) do not send; serve the folder over HTTP, or pass
#: another provider (``tiles=``) if tiles are refused.
TILES = "OpenStreetMap"
#: ``tiles`` value meaning: no street map.
NO_TILES = "none"
STREET_MAP = "Street map"


def tile_layer(tiles: str, attribution: str | None) -> folium.TileLayer:
    """The street map: an xyzservices provider name or a URL template with its attribution.

    An optional layer (a check box of the layer control), shown on opening.

    Raises
    ------
    ConfigError
        A URL template without attribution, or a provider that needs an API key.
    """
    try:
        return folium.TileLayer(
            tiles,
            attr=attribution,
            name=STREET_MAP,
            overlay=True,
            control=True,
            show=True,
            referrer_policy="strict-origin-when-cross-origin",
        )
    except ValueError as err:
        raise ConfigError(
            f"Cannot use tiles {tiles!r}: {err} Give an xyzservices provider name such as "
            f"{TILES!r}, a URL template with tiles_attribution, or {NO_TILES!r} for no "
            "street map."
        ) from err


#: Shown when Leaflet could not be loaded (removed by the page once it is): a shared page
#: copied away from its assets folder.
NO_LEAFLET_NOTICE = (
    '<div id="rz-noleaflet" role="alert" style="position:absolute;top:35%;left:10%;right:10%;'
    "z-index:5000;font:16px/1.4 sans-serif;background:#fff3cd;border:1px solid #c9a227;"
    'padding:1em">The map could not start: the browser could not read the map library in '
    "the <code>assets</code> folder of the maps. Keep the pages inside the <code>maps</code> "
    "folder next to <code>assets</code> (copy or share the whole folder), or make the maps "
    "again with <code>--map-mode offline</code> (or <code>mode = "
    '"offline"</code> in the [maps] section of the config), which puts everything a page '
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
        "{{ this.notice }}"
        "    {{ this.html.render(**kwargs) }}\n"
        "</body>\n"
        "<script>\n"
        "    {{ this.script.render(**kwargs) }}\n"
        "</script>\n"
        # the notice stays only when Leaflet could not be loaded (the assets folder is missing)
        "{% if this.notice %}"
        '<script>if (window.L) { document.getElementById("rz-noleaflet").remove(); }</script>\n'
        "{% endif %}"
        "</html>\n"
    )


class _Map(folium.Map):
    """A folium map that loads only Leaflet (no jQuery, Bootstrap or marker icons).

    ``assets`` is the relative URL of the assets folder (``shared`` mode), or None when
    Leaflet is written into the page.
    """

    def __init__(self, *, assets: str | None, **kwargs):
        super().__init__(**kwargs)
        self.default_js = [] if assets is None else [("leaflet", f"{assets}leaflet.js")]
        self.default_css = [] if assets is None else [("leaflet_css", f"{assets}leaflet.css")]


class _Assets(MacroElement):
    _template = Template(
        """
        {% macro header(this, kwargs) %}
        {%- if this.inline %}
        <style>{{ this.inline.leaflet_css }}</style>
        <style>{{ this.inline.css }}</style>
        <script>{{ this.inline.leaflet_js }}</script>
        <script>{{ this.inline.js }}</script>
        {%- else %}
        <link rel="stylesheet" href="{{ this.assets }}map.css">
        <script src="{{ this.assets }}map.js"></script>
        {%- endif %}
        {% endmacro %}
        """
    )

    def __init__(self, assets: str | None):
        super().__init__()
        self._name = "Assets"
        self.assets = assets
        self.inline = inline_assets() if assets is None else None


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


class _StreetMap(MacroElement):
    """Hands the street map to the page script, which drops it when its tiles fail."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.app.get_name() }}.streetMap({{ this.tiles.get_name() }}, {{ this.label|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, app: _App, tiles: folium.TileLayer):
        super().__init__()
        self._name = "ResilienceStreetMap"
        self.app = app
        self.tiles = tiles
        self.label = STREET_MAP


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

    The folium map (Leaflet, street map, layers, layer control, assets) is the same on
    every page of a run, so it is rendered once; :meth:`fill` puts each page's own content
    in.

    Parameters
    ----------
    assets : str or None
        Relative URL of the assets folder, ending in ``/`` (``shared`` mode: ``assets/``
        from the borough map, ``../assets/`` from a ward map); None writes Leaflet and the
        page script into the page (``offline`` mode).
    layers : list of LayerSpec
        The choropleth layers, in layer-list order.
    initial : str
        Id of the layer shown on opening.
    centre : (lat, lon)
        Initial centre; each page then fits the map to its own areas.
    tiles : str or None
        The optional street map (see :func:`tile_layer`); None for none.
    tiles_attribution : str, optional
        Attribution of a URL template.
    """

    def __init__(
        self,
        *,
        assets: str | None,
        layers: list[LayerSpec],
        initial: str,
        centre: tuple[float, float],
        tiles: str | None = None,
        tiles_attribution: str | None = None,
    ):
        nonce = secrets.token_hex(8)
        slots = [f"@@rz-{name}-{nonce}@@" for name in ("title", "data", "boxes")]
        text = _render(
            assets=assets,
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
    assets: str | None,
    title: str,
    body: str,
    layers: list[LayerSpec],
    initial: str,
    centre: tuple[float, float],
    tiles: str | None,
    tiles_attribution: str | None,
) -> str:
    page = _Page()
    page.title = title
    page.notice = "" if assets is None else NO_LEAFLET_NOTICE + "\n"
    m = _Map(
        assets=assets,
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
    street = None
    if tiles is not None:
        street = tile_layer(tiles, tiles_attribution)
        street.add_to(m)
    _Assets(assets).add_to(m)
    _Body(body).add_to(m)
    app = _App()
    app.add_to(m)
    for spec in layers:
        _AppLayer(
            app, f"layer({spec.id!r})", esc(spec.name), overlay=False, show=spec.id == initial
        ).add_to(m)
    _AppLayer(app, "wardOutlines()", "Ward boundaries", overlay=True, show=True).add_to(m)
    _AppLayer(app, "wardLabels()", "Ward names", overlay=True, show=True).add_to(m)
    if street is not None:
        _StreetMap(app, street).add_to(m)
    control = folium.LayerControl(position="topright", collapsed=False)
    control.add_to(m)
    _Finish(app, control).add_to(m)
    _stable_ids(page)
    return page.render()
