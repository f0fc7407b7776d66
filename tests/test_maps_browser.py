"""HTML maps in headless Chromium: they load from file://, draw, switch layers, stay offline.

Skipped when no Chromium binary is found (CI installs Debian's ``chromium``). Pages of the
``tiles`` and ``tileless`` modes load Leaflet from its CDN: the test answers those requests
with the copy from ``xstatic-leaflet`` (and tiles with a blank image), so the pages run as
they would online while the machine stays offline. Screenshots of the borough map in every
mode are saved to ``tests/artifacts/`` for people to look at.
"""

from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path

import pytest
from cdp import Browser, find_chromium, hover
from map_frames import INDICATORS, SCRIPT_NAME, map_frames

from resilience.maps import MODES, write_maps

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LEAFLET_CDN = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/"
TILE_HOST = "https://tile.openstreetmap.org/"


def _blank_tile(size: int = 256, rgb: tuple[int, int, int] = (228, 226, 222)) -> bytes:
    """A plain PNG tile, made with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * size
    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * size))
        + chunk(b"IEND", b"")
    )


class Network:
    """Answers a page's http(s) requests: Leaflet from xstatic-leaflet, blank tiles."""

    def __init__(self):
        from xstatic.pkg import leaflet

        self.base = Path(leaflet.BASE_DIR)
        self.tile = _blank_tile()
        self.refused: list[str] = []

    def __call__(self, url: str):
        if url.startswith(LEAFLET_CDN):
            name = url[len(LEAFLET_CDN) :]
            mime = "text/css" if name.endswith(".css") else "application/javascript"
            return (self.base / name).read_bytes(), mime
        if url.startswith(TILE_HOST):
            return self.tile, "image/png"
        self.refused.append(url)
        return None


@pytest.fixture(scope="module")
def browser():
    binary = find_chromium()
    if binary is None:
        pytest.skip("Chromium not found; install it (Debian: apt-get install chromium)")
    with Browser(binary) as b:
        yield b


@pytest.fixture(scope="module")
def frames():
    return map_frames(seed=0)


@pytest.fixture(scope="module")
def maps(frames, tmp_path_factory):
    out = {}
    for mode in MODES:
        folder = tmp_path_factory.mktemp(f"browser_{mode}")
        out[mode] = write_maps(folder, *frames, mode=mode, indicator_labels=INDICATORS)
    return out


def open_page(browser, path: Path):
    net = Network()
    page = browser.open(path.resolve().as_uri(), net)
    page.settle()
    return page, net


def layer_titles(page) -> dict[str, str]:
    """Layer id -> legend title as text."""
    return page.evaluate(
        "Object.fromEntries(Object.values(resilienceMap.layers).map("
        "l => [l.id, new DOMParser().parseFromString(l.title, 'text/html').body.textContent]))"
    )


def select_layer(page, layer_id: str) -> None:
    """Click the layer's radio button in the layer control."""
    page.evaluate(
        f"""(() => {{
        const want = resilienceMap.layers[{json.dumps(layer_id)}].name;
        const text = new DOMParser().parseFromString(want, 'text/html').body.textContent;
        const label = [...document.querySelectorAll('.leaflet-control-layers-base label')]
            .find(l => l.textContent.trim() === text);
        label.querySelector('input').click();
        }})()"""
    )
    page.settle(0)


STYLED = """(() => {
  const app = resilienceMap, spec = app.active, t = app.data[spec.geo];
  return app.geo[spec.geo].getLayers().every(l => {
    const c = t.cls[spec.id][l.feature.properties.i];
    return l.options.fillColor === (c >= 0 ? spec.colors[c] : app.meta.missing);
  });
})()"""
PAINTED = """(() => {
  const c = resilienceMap.map.getPane('overlayPane').querySelector('canvas');
  const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < px.length; i += 4) { if (px[i] > 0) n++; }
  return n / (c.width * c.height);
})()"""


@pytest.mark.parametrize("mode", MODES)
def test_borough_map_opens_draws_and_switches_layers(browser, maps, frames, mode):
    oa, lsoa, _ = frames
    page, net = open_page(browser, maps[mode]["index"])
    assert page.console_errors() == []
    assert net.refused == []
    remote = [u for u in page.requests() if not u.startswith(("file:", "data:"))]
    if mode == "offline":
        assert remote == [] and page.intercepted == []
    elif mode == "tileless":
        assert sorted(set(remote)) == [LEAFLET_CDN + "leaflet.css", LEAFLET_CDN + "leaflet.js"]
    else:
        assert any(u.startswith(TILE_HOST) for u in remote)

    assert page.evaluate("resilienceMap.activeLayerId()") == "resilience_score"
    assert page.evaluate("resilienceMap.featureCount()") == len(oa)
    assert page.evaluate(PAINTED) > 0.03  # polygons cover part of the (oversized) canvas
    ARTIFACTS.mkdir(exist_ok=True)
    png = page.screenshot(ARTIFACTS / f"borough_{mode}.png")
    assert png.startswith(b"\x89PNG") and len(png) > 50_000  # a drawn map, not a blank page

    titles = layer_titles(page)
    legends = {}
    # through every layer, then back and forth between geographies
    for layer_id in [*titles, "share_isolation", "flag", "resilience_score"]:
        title = titles[layer_id]
        select_layer(page, layer_id)
        assert page.evaluate("resilienceMap.activeLayerId()") == layer_id
        expected = len(oa) if layer_id.startswith(("share_", "resilience")) else len(lsoa)
        assert page.evaluate("resilienceMap.featureCount()") == expected
        assert page.evaluate(STYLED), layer_id  # every area has its class colour
        legend = page.evaluate("resilienceMap.legendText()")
        assert legend.startswith(title) and "No data / suppressed" in legend
        legends[layer_id] = legend
    assert len(legends) == len(set(legends.values())) == len(titles)  # one legend per layer
    assert page.console_errors() == []


def test_ward_map_opens_offline_and_shows_hostile_names_as_text(browser, maps, frames):
    oa, _, ward = frames
    code = ward.loc[ward["ward_name"] == SCRIPT_NAME, "ward_code"].item()
    page, _ = open_page(browser, maps["offline"]["wards"][code])
    assert page.console_errors() == []
    assert page.intercepted == [] and all(u.startswith(("file:", "data:")) for u in page.requests())
    assert page.evaluate("resilienceMap.featureCount()") == int((oa["ward_code"] == code).sum())
    assert page.evaluate("document.title").startswith(SCRIPT_NAME)
    assert page.evaluate("document.querySelector('#rz-panel summary').textContent").startswith(
        SCRIPT_NAME
    )
    labels = page.evaluate(
        "[...document.querySelectorAll('.rz-ward-label.rz-focus')].map(e => e.textContent)"
    )
    assert labels == [SCRIPT_NAME]
    assert not [e for e in browser.events if e["method"] == "Page.javascriptDialogOpening"]
    assert page.evaluate(PAINTED) > 0.03


TOOLTIP = "[...document.querySelectorAll('.rz-tooltip')].pop().innerText"
FIND_AREA = """(geo, wanted) => {
  const app = resilienceMap, t = app.data[geo];
  for (const layer of app.geo[geo].getLayers()) {
    const i = layer.feature.properties.i;
    if (wanted !== null && t.cls.flag[i] === wanted) continue;
    const p = app.map.latLngToContainerPoint(layer.getCenter());
    const el = document.elementFromPoint(p.x, p.y);
    if (el && el.tagName === 'CANVAS' && layer.getBounds().contains(layer.getCenter())) {
      return [p.x, p.y, t.code[i]];
    }
  }
  return null;
}"""


def test_tooltips_give_names_codes_values_in_words_and_flag_reasons(browser, maps):
    page, _ = open_page(browser, maps["tileless"]["index"])
    x, y, code = page.evaluate(f"({FIND_AREA})('oa', null)")
    hover(page, x, y)
    page.settle()
    text = page.evaluate(TOOLTIP)
    assert "Output area" in text and "LSOA:" in text and "Ward:" in text
    assert "Resilience score (predicted):" in text
    assert any(w in text for w in ("very low", "low", "middling", "high", "very high"))
    assert "not measured" in text
    select_layer(page, "flag")
    x, y, code = page.evaluate(f"({FIND_AREA})('lsoa', 1)")  # a flagged LSOA (class 1 = agree)
    hover(page, x + 1, y)
    page.settle()
    text = page.evaluate(TOOLTIP)
    assert code in text
    assert "Reason: Income Score (rate) & Crime <rank> pull the hard data apart" in text
    assert page.console_errors() == []


def test_search_finds_wards_and_links_to_their_maps(browser, maps, frames):
    ward = frames[2]
    code = ward.loc[ward["ward_name"] == SCRIPT_NAME, "ward_code"].item()
    page, _ = open_page(browser, maps["offline"]["index"])
    zoom = page.evaluate("resilienceMap.map.getZoom()")
    found = page.evaluate(
        """(() => {
        const input = document.getElementById('rz-search');
        input.value = 'alert';
        input.dispatchEvent(new Event('input'));
        return [...document.querySelectorAll('#rz-results li')].map(li => [
            li.querySelector('button').textContent, li.querySelector('a').getAttribute('href')]);
        })()"""
    )
    assert found == [[SCRIPT_NAME, f"wards/{code}.html"]]
    label_links = page.evaluate(
        "[...document.querySelectorAll('.rz-ward-label a')].map(a => a.getAttribute('href'))"
    )
    assert sorted(label_links) == sorted(f"wards/{c}.html" for c in ward["ward_code"])
    page.evaluate("document.querySelector('#rz-results button').click()")
    page.evaluate("new Promise(r => setTimeout(r, 600))")
    assert page.evaluate("resilienceMap.map.getZoom()") > zoom
    assert page.console_errors() == []
