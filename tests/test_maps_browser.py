"""HTML maps in headless Chromium through Selenium: opened from file:// with no network.

Skipped when Chromium or its driver is missing (Debian: ``apt-get install chromium
chromium-driver``). Every host name fails to resolve (``--host-resolver-rules``), so the
pages run as on a machine with no internet: the shared maps must draw from their assets
folder, the street map must give way quietly, and offline pages must ask for nothing.
Screenshots go to ``tests/artifacts/`` for people to look at.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from map_frames import (
    ASSET_CATEGORIES,
    INDICATORS,
    SCRIPT_NAME,
    local_evidence,
    map_frames,
    without_oas,
    write_local_maps,
)

from resilience.maps import write_maps
from resilience.outputs.qml import asset_colours
from resilience.schema import REVIEW_OUTCOME_LABELS, SURVEY_DISAGREEMENT_LABELS

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.actions.action_builder import ActionBuilder  # noqa: E402

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
TILE_HOST = "https://tile.openstreetmap.org/"


def _find(*names: str) -> str | None:
    return next((p for n in names if (p := shutil.which(n))), None)


@pytest.fixture(scope="module")
def driver():
    chromium = _find("chromium", "chromium-browser", "google-chrome")
    chromedriver = _find("chromedriver")
    if chromium is None or chromedriver is None:
        pytest.skip("Chromium or chromedriver not found (Debian: chromium chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1200,900",
        "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: no network at all
        "--no-first-run",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    d = webdriver.Chrome(options=options, service=webdriver.ChromeService(chromedriver))
    d.set_script_timeout(30)
    yield d
    d.quit()


@pytest.fixture(scope="module")
def frames():
    return map_frames(seed=0)


@pytest.fixture(scope="module")
def maps(frames, tmp_path_factory):
    """name -> write_maps result: ``shared`` (street map on), ``offline``."""
    out = {}
    for mode in ("shared", "offline"):
        folder = tmp_path_factory.mktemp(f"browser_{mode}")
        out[mode] = write_maps(folder / "maps", *frames, mode=mode, indicator_labels=INDICATORS)
    return out


class Page:
    """The page open in the driver, with its browser log since it was opened."""

    def __init__(self, driver, path: Path):
        self.driver = driver
        driver.get_log("browser")  # drop what earlier pages logged
        driver.get(path.resolve().as_uri())
        self.log: list[dict] = []
        self.settle(400)

    def js(self, expression: str, *args):
        return self.driver.execute_script(f"return ({expression});", *args)

    def settle(self, ms: int = 250) -> None:
        """Wait for two animation frames and ``ms`` milliseconds."""
        self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1], ms = arguments[0];"
            "requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(done, ms)));",
            ms,
        )
        self.log += self.driver.get_log("browser")

    def errors(self) -> list[str]:
        """Console errors, except a street-map tile that could not be fetched."""
        self.log += self.driver.get_log("browser")
        return [
            e["message"]
            for e in self.log
            if e["level"] == "SEVERE"
            and not (e.get("source") == "network" and e["message"].startswith(TILE_HOST))
        ]

    def resources(self) -> list[str]:
        """Every http(s) URL the page fetched or tried to (file: loads are not listed)."""
        return self.js("performance.getEntriesByType('resource').map(e => e.name)")

    def linked(self) -> list[str]:
        """URLs of the page's external scripts and style sheets."""
        return self.js(
            "[...document.scripts].map(s => s.src).concat("
            "[...document.styleSheets].map(s => s.href)).filter(u => u)"
        )

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / name
        self.driver.save_screenshot(str(path))
        return path

    def hover(self, x: float, y: float) -> None:
        actions = ActionBuilder(self.driver)
        actions.pointer_action.move_to_location(int(x), int(y))
        actions.perform()
        self.settle()


def layer_titles(page: Page) -> dict[str, str]:
    """Layer id -> legend title as text."""
    return page.js(
        "Object.fromEntries(Object.values(resilienceMap.layers).map("
        "l => [l.id, new DOMParser().parseFromString(l.title, 'text/html').body.textContent]))"
    )


def select_layer(page: Page, layer_id: str) -> None:
    """Click the layer's radio button in the layer control."""
    page.js(
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
STYLES = """[
  getComputedStyle(document.querySelector('.leaflet-container')).overflow,
  getComputedStyle(document.getElementById('rz-panel')).backgroundColor,
  getComputedStyle(document.querySelector('.leaflet-control-layers-toggle')).backgroundImage
]"""
STREET_MAP_LABEL = (
    "[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
    ".map(l => l.textContent.trim()).find(t => t.startsWith('Street map'))"
)


def test_shared_borough_map_draws_from_its_assets_with_no_network(driver, maps, frames):
    oa, lsoa, _ = frames
    page = Page(driver, maps["shared"]["index"])
    page.settle(1500)  # give the street map time to fail
    assert page.errors() == []
    assets = maps["shared"]["assets"].resolve().as_uri()
    assert sorted(page.linked()) == [
        f"{assets}/{n}" for n in ("leaflet.css", "leaflet.js", "map.css", "map.js")
    ]
    # their styles apply, with Leaflet's images from the same folder
    assert page.js(STYLES) == [
        "hidden",
        "rgba(255, 255, 255, 0.96)",
        f'url("{assets}/images/layers.png")',
    ]
    # nothing but street-map tiles was asked of the network, and they failed quietly
    fetched = page.resources()
    assert fetched and all(u.startswith(TILE_HOST) for u in fetched)
    assert page.js("resilienceMap.streetMapFailed") is True
    assert page.js(STREET_MAP_LABEL) == "Street map (not available)"
    assert page.js("document.getElementById('rz-noleaflet')") is None
    assert page.js("resilienceMap.activeLayerId()") == "resilience_score"
    assert page.js("resilienceMap.featureCount()") == len(oa)
    assert page.js(PAINTED) > 0.03  # polygons cover part of the (oversized) canvas
    shot = page.screenshot("borough_shared_no_network.png")
    assert shot.stat().st_size > 50_000  # a drawn map, not a blank page

    titles = layer_titles(page)
    legends = {}
    for layer_id in [*titles, "share_isolation", "flag", "resilience_score"]:
        select_layer(page, layer_id)
        assert page.js("resilienceMap.activeLayerId()") == layer_id
        oa_layer = layer_id.startswith(("share_", "resilience", "band_", "change_"))
        expected = len(oa) if oa_layer else len(lsoa)
        assert page.js("resilienceMap.featureCount()") == expected
        assert page.js(STYLED), layer_id  # every area has its class colour
        legend = page.js("resilienceMap.legendText()")
        assert legend.startswith(titles[layer_id]) and "No data / suppressed" in legend
        legends[layer_id] = legend
    assert len(legends) == len(set(legends.values())) == len(titles)  # one legend per layer
    assert page.errors() == []


def test_shared_ward_maps_use_the_one_assets_folder_from_a_copied_folder(
    driver, maps, frames, tmp_path
):
    oa, _, ward = frames
    # the maps folder copied whole to a "shared drive" path with spaces
    drive = tmp_path / "Shared Drive" / "Resilience maps"
    shutil.copytree(maps["shared"]["index"].parent, drive)
    assert [p.name for p in drive.rglob("assets")] == ["assets"]  # one folder for all pages
    code = ward.loc[ward["ward_name"] == SCRIPT_NAME, "ward_code"].item()
    page = Page(driver, drive / "wards" / f"{code}.html")
    assert page.errors() == []
    assets = (drive / "assets").resolve().as_uri()
    assert sorted(page.linked()) == [
        f"{assets}/{n}" for n in ("leaflet.css", "leaflet.js", "map.css", "map.js")
    ]
    assert page.js("resilienceMap.featureCount()") == int((oa["ward_code"] == code).sum())
    assert page.js(PAINTED) > 0.03
    # hostile names from the data are shown as text, never run
    assert page.js("document.title").startswith(SCRIPT_NAME)
    labels = page.js(
        "[...document.querySelectorAll('.rz-ward-label.rz-focus')].map(e => e.textContent)"
    )
    assert labels == [SCRIPT_NAME]
    panel = page.js("document.getElementById('rz-panel').innerText")
    assert "1 = most need" in panel and "1 = least resilient" in panel
    # the panel's content fits its width: no column cut off at the right edge
    overflow = page.js(
        "document.getElementById('rz-panel').scrollWidth"
        " - document.getElementById('rz-panel').clientWidth"
    )
    assert overflow <= 0, overflow
    page.screenshot("ward_shared_no_network.png")
    # every ward page of the copy opens and draws
    for c in ward["ward_code"].iloc[:4]:
        p = Page(driver, drive / "wards" / f"{c}.html")
        assert p.errors() == [] and p.js("resilienceMap.featureCount()") > 0


def test_a_shared_page_away_from_its_assets_explains_what_to_do(driver, maps, tmp_path):
    alone = tmp_path / "index.html"
    shutil.copy(maps["shared"]["index"], alone)
    page = Page(driver, alone)
    notice = page.js("document.getElementById('rz-noleaflet').innerText")
    assert "copy or share the whole folder" in notice and "--map-mode offline" in notice


def test_offline_pages_ask_nothing_of_anyone(driver, maps, frames):
    oa, _, ward = frames
    for path in (maps["offline"]["index"], maps["offline"]["wards"][ward["ward_code"].iloc[0]]):
        page = Page(driver, path)
        assert page.errors() == []
        assert page.resources() == [] and page.linked() == []  # not even a file
        assert page.js("resilienceMap.featureCount()") > 0 and page.js(PAINTED) > 0.03
    page = Page(driver, maps["offline"]["index"])
    assert page.js("resilienceMap.featureCount()") == len(oa)
    page.screenshot("borough_offline.png")


TOOLTIP = "[...document.querySelectorAll('.rz-tooltip')].pop().innerText"
FIND_AREA = """((geo, wanted) => {
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
})(arguments[0], arguments[1])"""


def test_tooltips_give_names_codes_values_in_words_and_flag_reasons(driver, maps, frames):
    page = Page(driver, maps["shared"]["index"])
    x, y, code = page.js(FIND_AREA, "oa", None)
    page.hover(x, y)
    text = page.js(TOOLTIP)
    assert "Output area" in text and "LSOA:" in text and "Ward:" in text
    assert "Resilience score (predicted):" in text
    assert any(w in text for w in ("very low", "low", "middling", "high", "very high"))
    assert "not measured" in text
    select_layer(page, "flag")
    x, y, code = page.js(FIND_AREA, "lsoa", 1)  # a flagged LSOA (class 1 = agree)
    page.hover(x + 1, y)
    text = page.js(TOOLTIP)
    assert code in text
    assert "Reason: Income Score (rate) & Crime <rank> pull the hard data apart" in text
    lsoa = frames[1].set_index("lsoa_code")
    strength = lsoa.loc[code, "flag_strength"]
    assert strength in ("strong", "possible")
    words = FLAG_WORDS[lsoa.loc[code, "flag"]]
    assert f"Where prediction and hard data disagree: {words} ({strength})" in text
    assert page.errors() == []


FLAG_WORDS = {
    "hard_worse": "Hard data show more need than predicted",
    "predicted_worse": "Prediction shows more need than hard data",
}


def test_bivariate_and_change_layers_draw_and_describe_areas(driver, maps, frames):
    oa, lsoa, _ = frames
    page = Page(driver, maps["offline"]["index"])
    select_layer(page, "bivariate")
    assert page.js("resilienceMap.featureCount()") == len(lsoa)
    assert page.js(STYLED)
    legend = page.js("resilienceMap.legendText()")
    assert legend.startswith("Predicted need against hard-data need")
    assert "Predicted need 3 / hard need 3" in legend
    x, y, code = page.js(FIND_AREA, "lsoa", None)
    page.hover(x + 1, y)
    text = page.js(TOOLTIP)
    value = lsoa.set_index("lsoa_code").loc[code, "bivariate"]
    p, h = value.split("-")
    assert f"Predicted need against hard-data need: Predicted need {p} / hard need {h}" in text
    page.js("void resilienceMap.geo.lsoa.closeTooltip()")
    page.settle()
    shot = page.screenshot("borough_bivariate.png")
    assert shot.stat().st_size > 50_000
    select_layer(page, "change_resilience_score")
    assert page.js("resilienceMap.featureCount()") == len(oa)
    assert page.js(STYLED)
    x, y, code = page.js(FIND_AREA, "oa", None)
    page.hover(x, y)
    text = page.js(TOOLTIP)
    row = oa.set_index("oa_code").loc[code]
    if row["change_significant"] == False:  # noqa: E712 (an object column: True, False, None)
        assert "no significant change" in text
    else:
        assert any(w in text for w in ("large fall", "fall", "rise", "large rise"))
    page.screenshot("borough_change.png")
    assert page.errors() == []


def test_search_finds_wards_and_links_to_their_maps(driver, maps, frames):
    ward = frames[2]
    code = ward.loc[ward["ward_name"] == SCRIPT_NAME, "ward_code"].item()
    page = Page(driver, maps["shared"]["index"])
    zoom = page.js("resilienceMap.map.getZoom()")
    found = page.js(
        """(() => {
        const input = document.getElementById('rz-search');
        input.value = 'alert';
        input.dispatchEvent(new Event('input'));
        return [...document.querySelectorAll('#rz-results li')].map(li => [
            li.querySelector('button').textContent, li.querySelector('a').getAttribute('href')]);
        })()"""
    )
    assert found == [[SCRIPT_NAME, f"wards/{code}.html"]]
    label_links = page.js(
        "[...document.querySelectorAll('.rz-ward-label a')].map(a => a.getAttribute('href'))"
    )
    assert sorted(label_links) == sorted(f"wards/{c}.html" for c in ward["ward_code"])
    page.js("document.querySelector('#rz-results button').click()")
    page.settle(600)
    assert page.js("resilienceMap.map.getZoom()") > zoom
    assert page.errors() == []


def test_a_ward_without_output_areas_is_grey_and_says_no_data(driver, frames, tmp_path):
    code, oa, lsoa, ward = without_oas(frames)
    name = ward.loc[ward["ward_code"] == code, "ward_name"].item()
    result = write_maps(tmp_path / "maps", oa, lsoa, ward, tiles=None)

    page = Page(driver, result["index"])
    assert page.errors() == []
    grey = page.js(
        "resilienceMap.noDataLayer.getLayers().map(l => [l.options.fillColor, "
        "resilienceMap.data.ward.code[l.feature.properties.i]])"
    )
    assert grey == [[page.js("resilienceMap.meta.missing"), code]]
    # just below the ward's label (the centre of its largest inscribed circle)
    x, y, under = page.js(
        """(() => {
        const app = resilienceMap, d = app.data.ward, i = d.code.indexOf(arguments[0]);
        const p = app.map.latLngToContainerPoint(d.label[i]);
        const el = document.elementFromPoint(p.x, p.y + 16);
        return [p.x, p.y + 16, el && el.tagName];
        })()""",
        code,
    )
    assert under == "CANVAS"
    page.hover(x, y)
    text = page.js(TOOLTIP)
    assert name in text and "No data" in text
    page.screenshot("borough_ward_without_oas.png")

    page = Page(driver, result["wards"][code])
    assert page.errors() == []
    panel = page.js("document.getElementById('rz-panel').innerText")
    assert "No data: none of this ward's output areas are in the data" in panel
    assert page.js("resilienceMap.noDataLayer.getLayers().length") == 1
    page.screenshot("ward_without_oas.png")


# ---- the council's own evidence: assets, reviewed LSOAs, resident survey ----------------


@pytest.fixture(scope="module")
def evidence(frames):
    return local_evidence(frames)


@pytest.fixture(scope="module")
def local_maps(frames, evidence, tmp_path_factory):
    folder = tmp_path_factory.mktemp("browser_local")
    return write_local_maps(folder / "maps", frames, evidence)


OVERLAYS = (
    "[...document.querySelectorAll('.leaflet-control-layers-overlays label')]"
    ".map(l => l.textContent.trim())"
)
COUNT = "document.querySelectorAll(arguments[0]).length"
LOCAL_LEGEND = (
    "[...document.querySelectorAll('#rz-local li[data-overlay]')].map(li => [li.dataset.overlay,"
    " li.textContent.trim(), li.classList.contains('rz-off'),"
    " (li.querySelector('.rz-pt') || {style: {}}).style.backgroundColor])"
)
POINT_FILLS = """(() => {
  const out = {};
  for (const p of document.querySelectorAll('path.rz-asset')) {
    const key = [...p.classList].find(c => c.startsWith('assets-'));
    (out[key] = out[key] || new Set()).add(p.getAttribute('fill'));
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, [...v]]));
})()"""


def toggle_overlay(page: Page, starts: str) -> None:
    """Click the check box of the overlay whose label starts with ``starts``."""
    page.js(
        """[...document.querySelectorAll('.leaflet-control-layers-overlays label')]
        .find(l => l.textContent.trim().startsWith(arguments[0])).querySelector('input').click()""",
        starts,
    )
    page.settle(0)


def rgb(hex_colour: str) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"


def test_assets_are_points_one_overlay_per_category_with_a_legend(driver, local_maps, evidence):
    _, assets, _ = evidence
    page = Page(driver, local_maps["index"])
    assert page.errors() == []
    assert page.js(COUNT, "path.rz-asset") == len(assets)
    colours = asset_colours(ASSET_CATEGORIES)
    counts = assets["category"].value_counts()
    overlays = page.js(OVERLAYS)
    for k, category in enumerate(colours):
        assert page.js(COUNT, f"path.assets-{k}") == counts[category]
        assert f"Assets: {category} ({counts[category]})" in overlays
    # the legend's swatch and the points share each category's colour
    legend = page.js(LOCAL_LEGEND)
    by_key = {key: (text, off, fill) for key, text, off, fill in legend}
    fills = page.js(POINT_FILLS)
    for k, (category, colour) in enumerate(colours.items()):
        text, off, fill = by_key[f"assets-{k}"]
        assert text.startswith(category) and text.endswith(str(counts[category])) and not off
        assert fill == rgb(colour) and fills[f"assets-{k}"] == [colour]
    # unticking a category hides its points (and greys its legend entry); ticking shows them
    toggle_overlay(page, "Assets: Library")
    library = f"path.assets-{list(colours).index('Library')}"
    assert page.js(COUNT, library) == 0
    assert page.js(COUNT, "path.rz-asset") == len(assets) - counts["Library"]
    assert [off for key, _, off, _ in page.js(LOCAL_LEGEND) if key == library[5:]] == [True]
    toggle_overlay(page, "Assets: Library")
    assert page.js(COUNT, library) == counts["Library"]
    # a point's tooltip names it, its category, size and LSOA
    x, y, i = page.js(FIND_ASSET)
    sized = assets.iloc[i]
    page.hover(x, y)
    text = page.js(TOOLTIP)
    assert sized["name"] in text and "Category\tGP surgery" in text  # a table: th, tab, td
    assert f"Size\t{sized['size']:.0f}\n" in text and sized["lsoa_code"] in text
    assert page.errors() == []


def test_reviewed_lsoas_are_outlined_with_the_outcome_in_the_tooltip(driver, local_maps, evidence):
    lsoa, _, _ = evidence
    reviewed = lsoa[lsoa["review_outcome"].notna()].set_index("lsoa_code")
    page = Page(driver, local_maps["index"])
    assert page.js(COUNT, "path.rz-review") == len(reviewed)
    for outcome, n in reviewed["review_outcome"].value_counts().items():
        assert page.js(COUNT, f"path.rz-review-{outcome}") == n
    legend = [text for key, text, _, _ in page.js(LOCAL_LEGEND) if key == "reviews"]
    assert legend == [
        f"{REVIEW_OUTCOME_LABELS[o]}{reviewed['review_outcome'].eq(o).sum()}"
        for o in ("confirmed", "explained", "not_confirmed")
    ]
    # an output area of a reviewed LSOA gives its LSOA's outcome and date
    x, y, code = page.js(FIND_REVIEWED_OA)
    page.hover(x, y)
    text = page.js(TOOLTIP)
    row = reviewed.loc[code]
    label = REVIEW_OUTCOME_LABELS[row["review_outcome"]]
    assert f"LSOA reviewed {row['last_review']}: {label}" in text
    toggle_overlay(page, "Reviewed LSOAs")
    assert page.js(COUNT, "path.rz-review") == 0
    assert page.errors() == []


FIND_ASSET = """(() => {
  const app = resilienceMap, a = app.data.local.assets;
  for (const g of Object.values(app.overlays)) {
    for (const m of g.getLayers()) {
      const i = m.rzIndex;
      if (i === undefined || !a.name[i] || a.size[i] === null) continue;
      const p = app.map.latLngToContainerPoint(m.getLatLng());
      if (document.elementFromPoint(p.x, p.y) === m.getElement()) return [p.x, p.y, i];
    }
  }
  return null;
})()"""
FIND_REVIEWED_OA = """(() => {
  const app = resilienceMap, t = app.data.oa, lsoa = app.data.lsoa;
  for (const layer of app.geo.oa.getLayers()) {
    const i = layer.feature.properties.i;
    if (app.reviewOf[t.lsoa[i]] === undefined) continue;
    const p = app.map.latLngToContainerPoint(layer.getCenter());
    const el = document.elementFromPoint(p.x, p.y);
    if (el && el.tagName === 'CANVAS' && layer.getBounds().contains(layer.getCenter())) {
      return [p.x, p.y, lsoa.code[t.lsoa[i]]];
    }
  }
  return null;
})()"""


def test_survey_disagreements_are_drawn_only_where_configured(driver, local_maps, evidence, maps):
    _, _, validation = evidence
    disagree = validation[validation["disagreement"] != "within sampling error"]
    page = Page(driver, local_maps["index"])
    assert page.js(COUNT, "path.rz-survey") == len(disagree)
    assert page.js(COUNT, ".rz-badge-icon") == len(disagree)
    overlays = page.js(OVERLAYS)
    assert "Survey vs prediction: pull_together (2 wards)" in overlays
    assert "Survey vs prediction: lonely (1 ward)" in overlays
    # the marker's tooltip gives both values
    row = disagree.iloc[0]
    x, y = page.js(
        "(() => { const r = document.querySelector('.rz-badge-icon').getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; })()"
    )
    page.hover(x, y)
    text = page.js(TOOLTIP)
    assert "Resident survey: pull_together" in text
    assert f"{SURVEY_DISAGREEMENT_LABELS[row['disagreement']]}, beyond the sampling error" in text
    assert f"Survey\t{row['survey_share']:.0%}" in text
    assert f"{row['respondents']} respondents" in text
    assert "Expected from the prediction\t45%" in text
    toggle_overlay(page, "Survey vs prediction: pull_together")
    assert page.js(COUNT, ".rz-badge-icon") == 1
    assert page.errors() == []
    # none of it where the data are not given
    plain = Page(driver, maps["offline"]["index"])
    assert plain.js(COUNT, ".rz-badge-icon, path.rz-survey, path.rz-asset, path.rz-review") == 0
    assert not any(o.startswith(("Survey", "Assets", "Reviewed")) for o in plain.js(OVERLAYS))
    assert plain.js("document.getElementById('rz-local')") is None


def test_screenshots_of_maps_with_the_councils_evidence(driver, local_maps, evidence, frames):
    _, assets, _ = evidence
    ward = frames[2].set_index("ward_code")
    page = Page(driver, local_maps["index"])
    assert page.screenshot("borough_local_evidence.png").stat().st_size > 50_000
    code = ward.index[0]
    page = Page(driver, local_maps["wards"][code])
    assert page.errors() == []
    near = assets.distance(ward.loc[code, "geometry"]) <= 400
    assert page.js(COUNT, "path.rz-asset") == int(near.sum())
    assert page.js(COUNT, ".rz-badge-icon") == 2  # both measures disagree in this ward
    # the panel ends above the evidence box
    bottom, top = page.js(
        "[document.getElementById('rz-panel').getBoundingClientRect().bottom,"
        " document.getElementById('rz-local').getBoundingClientRect().top]"
    )
    assert bottom <= top
    assert page.screenshot("ward_local_evidence.png").stat().st_size > 50_000


def test_an_offline_page_draws_the_evidence_from_its_own_file(driver, frames, evidence, tmp_path):
    _, assets, _ = evidence
    result = write_local_maps(tmp_path, frames, evidence, mode="offline", ward_pages=False)
    page = Page(driver, result["index"])
    assert page.errors() == [] and page.resources() == [] and page.linked() == []
    assert page.js(COUNT, "path.rz-asset") == len(assets)
    assert page.js(COUNT, "path.rz-review") == 4 and page.js(COUNT, ".rz-badge-icon") == 3
