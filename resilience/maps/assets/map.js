/* resilience map pages: choropleth layers, legend, tooltips, ward outlines, labels, search,
 * and the council's own evidence when the page has it: asset points, reviewed LSOAs and
 * the areas where the resident survey disagrees with the prediction (overlays).
 *
 * Each page embeds one JSON document (script#rz-data) written by resilience.maps. Every
 * string in it that comes from input data is already HTML-escaped, so it is inserted as
 * HTML; text typed by the user is only ever set with textContent.
 */
(function () {
  "use strict";

  var MINUS = "\u2212";
  var NODATA = '<span class="rz-nodata">No data / suppressed</span>';

  function fmt(v, kind, dp) {
    if (v === null || v === undefined) {
      return null;
    }
    var s;
    if (kind === "pct") {
      return (v * 100).toFixed(dp) + "%";
    }
    if (kind === "signed") {
      s = Math.abs(v).toFixed(dp);
      return Number(s) === 0 ? s : (v < 0 ? MINUS : "+") + s;
    }
    if (kind === "int") {
      s = Math.round(v).toLocaleString("en-GB");
    } else {
      var a = Math.abs(v);
      s = a >= 1000 ? Math.round(v).toLocaleString("en-GB")
        : a >= 10 ? v.toFixed(1) : String(Number(v.toPrecision(3)));
    }
    return s.replace("-", MINUS);
  }

  function textAt(col, i) {
    var k = col.idx[i];
    return k < 0 ? null : col.dict[k];
  }

  function plain(escaped) {
    var t = document.createElement("textarea");
    t.innerHTML = escaped;
    return t.value;
  }

  function features(table) {
    var out = new Array(table.n);
    for (var i = 0; i < table.n; i++) {
      out[i] = { type: "Feature", properties: { i: i }, geometry: table.geom[i] };
    }
    return { type: "FeatureCollection", features: out };
  }

  function domControl(el, position) {
    var Ctl = L.Control.extend({
      onAdd: function () {
        L.DomEvent.disableClickPropagation(el);
        L.DomEvent.disableScrollPropagation(el);
        el.hidden = false;
        return el;
      }
    });
    return new Ctl({ position: position });
  }

  /* A base layer of the layer control: showing it restyles the shared geometry. */
  var ChoroplethLayer = L.Layer.extend({
    initialize: function (app, id) {
      this._app = app;
      this.rzId = id;
    },
    onAdd: function () {
      this._app._show(this.rzId);
    },
    onRemove: function () {
      this._app._hide(this.rzId);
    }
  });

  function App(map, data) {
    this.map = map;
    this.data = data;
    this.meta = data.meta;
    this.layers = {};
    for (var i = 0; i < data.layers.length; i++) {
      this.layers[data.layers[i].id] = data.layers[i];
    }
    this.geo = {};
    this._detailZoom = 12;
    this.activeByGeo = {};
    this.active = null;
    map.createPane("rz-wards").style.zIndex = 450;
    map.getPane("rz-wards").style.pointerEvents = "none";
    map.createPane("rz-labels").style.zIndex = 640;
    // the local evidence: outlines and hatching under the ward lines, points above them
    map.createPane("rz-marks").style.zIndex = 420;
    map.getPane("rz-marks").style.pointerEvents = "none";
    map.createPane("rz-points").style.zIndex = 460;
    this.wardRenderer = L.canvas({ pane: "rz-wards" });
    this.markRenderer = L.svg({ pane: "rz-marks" });
    this.pointRenderer = L.svg({ pane: "rz-points" });
    this.reviewOf = {};
    this.overlays = {};
    this.legendEl = document.getElementById("rz-legend");
    this.panelEl = document.getElementById("rz-panel");
    if (this.panelEl) {
      domControl(this.panelEl, "topleft").addTo(map);
    }
    if (this.legendEl) {
      domControl(this.legendEl, "bottomright").addTo(map);
    }
    this.localEl = document.getElementById("rz-local");
    if (this.localEl) {
      domControl(this.localEl, "bottomleft").addTo(map);
    }
    if (map.attributionControl) {
      map.attributionControl.addAttribution(this.meta.attribution);
    }
  }

  App.prototype.layer = function (id) {
    return new ChoroplethLayer(this, id);
  };

  /* Style of the areas of one geography; outlines thin out when areas get small. */
  App.prototype._style = function (geo) {
    var self = this;
    var cls = this.data[geo].cls;
    var full = geo === "oa" ? 0.35 : 0.7;
    return function (f) {
      var spec = self.activeByGeo[geo];
      var c = spec ? cls[spec.id][f.properties.i] : -1;
      var z = self.map.getZoom();
      var weight = z >= self._detailZoom ? full : z >= self._detailZoom - 1.5 ? full / 2 : 0;
      return {
        fillColor: c >= 0 ? spec.colors[c] : self.meta.missing,
        fillOpacity: self.meta.fillOpacity,
        stroke: weight > 0,
        color: "#4d4d4d",
        opacity: 0.7,
        weight: weight
      };
    };
  };

  App.prototype._geoLayer = function (geo) {
    if (this.geo[geo]) {
      return this.geo[geo];
    }
    var self = this;
    var g = L.geoJSON(features(this.data[geo]), { style: this._style(geo) });
    g.bindTooltip(function (layer) {
      return self.describe(geo, layer.feature.properties.i, false);
    }, { sticky: true, className: "rz-tooltip", opacity: 1 });
    g.bindPopup(function (layer) {
      return self.describe(geo, layer.feature.properties.i, true);
    }, { maxWidth: 380, className: "rz-popup" });
    g.on("mouseover", function (e) {
      e.layer.setStyle({ weight: 2.5, color: "#000", opacity: 1 });
      e.layer.bringToFront();
    });
    g.on("mouseout", function (e) {
      g.resetStyle(e.layer);
    });
    g.on("popupopen", function () {
      g.closeTooltip();
    });
    this.geo[geo] = g;
    return g;
  };

  App.prototype._show = function (id) {
    var spec = this.layers[id];
    this.active = spec;
    this.activeByGeo[spec.geo] = spec;
    var g = this._geoLayer(spec.geo);
    if (!this.map.hasLayer(g)) {
      this.map.addLayer(g);
    }
    g.setStyle(g.options.style); // re-added paths keep their old style otherwise
    g.bringToBack();
    this.showLegend(id);
  };

  App.prototype._hide = function (id) {
    var spec = this.layers[id];
    var self = this;
    if (this.activeByGeo[spec.geo] === spec) {
      this.activeByGeo[spec.geo] = null;
    }
    // The layer control removes the old layer before adding the new one; drop the
    // geometry only if no layer of the same geography replaced it.
    Promise.resolve().then(function () {
      var g = self.geo[spec.geo];
      if (g && !self.activeByGeo[spec.geo] && self.map.hasLayer(g)) {
        self.map.removeLayer(g);
      }
    });
  };

  App.prototype.showLegend = function (id) {
    if (!this.legendEl) {
      return;
    }
    var sections = this.legendEl.querySelectorAll("[data-layer]");
    for (var i = 0; i < sections.length; i++) {
      sections[i].hidden = sections[i].getAttribute("data-layer") !== id;
    }
  };

  App.prototype._field = function (geo, key) {
    var fields = this.data.fields[geo];
    for (var i = 0; i < fields.length; i++) {
      if (fields[i].key === key) {
        return fields[i];
      }
    }
    return null;
  };

  /* One value of one area as HTML: number, interval and class in words. */
  App.prototype.value = function (geo, f, i) {
    var t = this.data[geo];
    var spec = f.layer ? this.layers[f.layer] : null;
    var c;
    if (spec && spec.geo === geo && spec.kind === "category") {
      c = t.cls[f.layer][i];
      return c >= 0 ? spec.words[c] + this._with(t, f, i) : NODATA;
    }
    var col = t.cols[f.key];
    if (!col) {
      return NODATA;
    }
    if (f.fmt === "text" || f.fmt === "cat") {
      var s = textAt(col, i);
      return s === null ? NODATA : s;
    }
    var v = col[i];
    if (v === null) {
      return NODATA;
    }
    var out = fmt(v, f.fmt, f.dp);
    if (f.lo && t.cols[f.lo] && t.cols[f.hi]) {
      var lo = t.cols[f.lo][i];
      var hi = t.cols[f.hi][i];
      if (lo !== null && hi !== null) {
        out += ' <span class="rz-int">(' + fmt(lo, f.fmt, f.dp) + "\u2013" +
          fmt(hi, f.fmt, f.dp) + ")</span>";
      }
    }
    if (spec && spec.geo === geo) {
      c = t.cls[f.layer][i];
      if (c >= 0) {
        out += ' <span class="rz-word">' + spec.words[c] + spec.suffix + "</span>";
      }
    }
    return out;
  };

  /* The word a field names in `with` (a flag's strength), in brackets; "none" is left out. */
  App.prototype._with = function (t, f, i) {
    var col = f["with"] ? t.cols[f["with"]] : null;
    var s = col ? textAt(col, i) : null;
    return s && s !== "none" ? ' <span class="rz-word">(' + s + ")</span>" : "";
  };

  App.prototype.wardHref = function (w) {
    var tpl = this.meta.wardHref;
    return tpl ? tpl.replace("{code}", this.data.ward.code[w]) : null;
  };

  /* Tooltip (full = false) or popup (full = true) of one area. */
  App.prototype.describe = function (geo, i, full) {
    var d = this.data;
    var t = d[geo];
    var spec = this.activeByGeo[geo];
    var h = [];
    if (geo === "oa") {
      h.push('<div class="rz-tt-h">Output area <span class="rz-code">' + t.code[i] +
        "</span></div>");
      var li = t.lsoa[i];
      if (li >= 0) {
        h.push('<div class="rz-tt-sub">LSOA: ' + d.lsoa.name[li] + ' <span class="rz-code">' +
          d.lsoa.code[li] + "</span></div>");
        h.push(this._reviewLine(li, "LSOA reviewed"));
      }
    } else {
      h.push('<div class="rz-tt-h">' + t.name[i] + ' <span class="rz-code">' + t.code[i] +
        "</span></div>");
      h.push(this._reviewLine(i, "Reviewed"));
    }
    var w = t.ward[i];
    if (w >= 0) {
      h.push('<div class="rz-tt-sub">Ward: ' + d.ward.name[w] + ' <span class="rz-code">' +
        d.ward.code[w] + "</span></div>");
    }
    if (spec) {
      var main = this._field(geo, spec.id);
      if (main) {
        h.push('<div class="rz-tt-main">' + spec.title + ": <b>" + this.value(geo, main, i) +
          "</b></div>");
      }
    }
    h.push('<table class="rz-tt-table">');
    var fields = d.fields[geo];
    for (var k = 0; k < fields.length; k++) {
      var f = fields[k];
      if ((f.more && !full) || (spec && f.key === spec.id)) {
        continue;
      }
      h.push("<tr><th>" + f.label + "</th><td>" + this.value(geo, f, i) + "</td></tr>");
    }
    h.push("</table>");
    if (t.cols.flag_reason) {
      var reason = textAt(t.cols.flag_reason, i);
      if (reason) {
        h.push('<div class="rz-tt-reason"><b>Reason:</b> ' + reason + "</div>");
      }
    }
    if (geo === "oa") {
      h.push('<div class="rz-tt-note">Cluster shares and the score are predicted from ' +
        "survey data, not measured.</div>");
    }
    if (full && w >= 0 && w !== d.ward.focus && this.wardHref(w)) {
      h.push('<div class="rz-tt-link"><a href="' + this.wardHref(w) + '">Open the map of ' +
        d.ward.name[w] + " ward</a></div>");
    } else if (!full) {
      h.push('<div class="rz-tt-hint">Click for more</div>');
    }
    return '<div class="rz-tt">' + h.join("") + "</div>";
  };

  /* "Reviewed <date>: <outcome>" for a reviewed LSOA (page position), else "". */
  App.prototype._reviewLine = function (li, what) {
    var r = this.data.local && this.data.local.reviews;
    var k = this.reviewOf[li];
    if (!r || k === undefined) {
      return "";
    }
    var o = r.outcomes[r.outcome[k]];
    return '<div class="rz-tt-review" style="border-color:' + o.color + '">' + what +
      (r.date[k] ? " " + r.date[k] : "") + ": <b>" + o.label + "</b></div>";
  };

  /* An overlay of the layer control, shown on opening; its legend entries follow it. */
  App.prototype._overlay = function (control, layer, key, name) {
    layer.rzKey = key;
    this.overlays[key] = layer;
    layer.addTo(this.map);
    control.addOverlay(layer, name);
  };

  App.prototype._legendState = function (key, on) {
    if (!this.localEl) {
      return;
    }
    var items = this.localEl.querySelectorAll('[data-overlay="' + key + '"]');
    for (var i = 0; i < items.length; i++) {
      items[i].classList.toggle("rz-off", !on);
    }
  };

  /* The council's own evidence (data.local): asset points, reviewed LSOAs, survey checks. */
  App.prototype._local = function (control) {
    var local = this.data.local;
    if (!local) {
      return;
    }
    var self = this;
    this.map.on("overlayadd overlayremove", function (e) {
      if (e.layer && e.layer.rzKey) {
        self._legendState(e.layer.rzKey, e.type === "overlayadd");
      }
    });
    if (local.reviews) {
      this._reviews(local.reviews, control);
    }
    if (local.survey) {
      this._survey(local.survey, control);
    }
    if (local.assets) {
      this._assets(local.assets, control);
    }
    this._fitPanel();
    this.map.on("resize", this._fitPanel, this);
  };

  /* The panel (top left) stops above the evidence box (bottom left). */
  App.prototype._fitPanel = function () {
    if (this.panelEl && this.localEl) {
      var style = window.getComputedStyle(this.panelEl);
      var padding = parseFloat(style.paddingTop) + parseFloat(style.paddingBottom);
      var room = this.localEl.getBoundingClientRect().top -
        this.panelEl.getBoundingClientRect().top - padding - 10;
      this.panelEl.style.maxHeight = Math.max(room, 160) + "px";
    }
  };

  function swatch(colour, ring) {
    return '<span class="rz-pt" style="background:' + (ring ? "#ffffff" : colour) +
      ";border-color:" + (ring ? colour : "#ffffff") + ";border-width:" + (ring ? 2.5 : 1) +
      'px"></span>';
  }

  /* Asset points: one overlay per category, filled points or rings in its colour. */
  App.prototype._assets = function (a, control) {
    var self = this;
    var groups = a.cats.map(function () {
      return L.featureGroup();
    });
    for (var i = 0; i < a.n; i++) {
      var c = a.cats[a.cat[i]];
      var m = L.circleMarker(a.ll[i], {
        renderer: this.pointRenderer,
        pane: "rz-points",
        radius: c.ring ? 4.5 : 5,
        color: c.ring ? c.color : "#ffffff",
        weight: c.ring ? 2.5 : 1,
        opacity: 1,
        fillColor: c.ring ? "#ffffff" : c.color,
        fillOpacity: 1,
        className: "rz-asset " + c.key
      });
      m.rzIndex = i;
      groups[a.cat[i]].addLayer(m);
    }
    groups.forEach(function (g, k) {
      var c = a.cats[k];
      g.bindTooltip(function (layer) {
        return self.describeAsset(layer.rzIndex);
      }, { className: "rz-tooltip rz-tooltip-small", opacity: 1, direction: "top",
        offset: [0, -6] });
      g.bindPopup(function (layer) {
        return self.describeAsset(layer.rzIndex);
      }, { className: "rz-popup" });
      self._overlay(control, g, c.key, swatch(c.color, c.ring) + " Assets: " + c.name +
        ' <span class="rz-count">(' + c.n.toLocaleString("en-GB") + ")</span>");
    });
  };

  App.prototype.describeAsset = function (i) {
    var a = this.data.local.assets;
    var c = a.cats[a.cat[i]];
    var h = ['<div class="rz-tt">'];
    h.push('<div class="rz-tt-h">' + (a.name[i] || c.name) + "</div>");
    h.push('<table class="rz-tt-table"><tr><th>Category</th><td>' + c.name + "</td></tr>");
    if (a.size && a.size[i] !== null) {
      var whole = Number.isInteger(a.size[i]);
      h.push("<tr><th>Size</th><td>" + fmt(a.size[i], whole ? "int" : "num", 0) + "</td></tr>");
    }
    var li = a.lsoa ? a.lsoa[i] : -1;
    if (li >= 0) {
      var lsoa = this.data.lsoa;
      h.push("<tr><th>LSOA</th><td>" + lsoa.name[li] + ' <span class="rz-code">' +
        lsoa.code[li] + "</span></td></tr>");
    }
    h.push("</table></div>");
    return h.join("");
  };

  /* Reviewed LSOAs: outlined by the outcome of their latest review (colour and dash). */
  App.prototype._reviews = function (r, control) {
    var lsoa = this.data.lsoa;
    var group = L.featureGroup();
    for (var k = 0; k < r.lsoa.length; k++) {
      var o = r.outcomes[r.outcome[k]];
      this.reviewOf[r.lsoa[k]] = k;
      var geom = lsoa.geom[r.lsoa[k]];
      var base = { renderer: this.markRenderer, pane: "rz-marks", interactive: false };
      group.addLayer(L.geoJSON(geom, L.extend({
        style: { color: "#ffffff", weight: 6, opacity: 0.9, fill: false }
      }, base)));
      group.addLayer(L.geoJSON(geom, L.extend({
        style: { color: o.color, weight: 3, opacity: 1, fill: false, dashArray: o.dash,
          className: "rz-review rz-review-" + o.value }
      }, base)));
    }
    var n = r.lsoa.length;
    this._overlay(control, group, r.key, 'Reviewed LSOAs ' +
      '<span class="rz-count">(' + n.toLocaleString("en-GB") + ")</span>");
  };

  /* One hatch pattern per direction of disagreement, for the SVG fills. */
  function hatches(dirs) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("width", "0");
    svg.setAttribute("height", "0");
    svg.setAttribute("aria-hidden", "true");
    svg.style.position = "absolute";
    var defs = document.createElementNS(ns, "defs");
    dirs.forEach(function (d, k) {
      var p = document.createElementNS(ns, "pattern");
      p.setAttribute("id", "rz-hatch-" + k);
      p.setAttribute("patternUnits", "userSpaceOnUse");
      p.setAttribute("width", "9");
      p.setAttribute("height", "9");
      p.setAttribute("patternTransform", "rotate(" + (k === 0 ? 45 : -45) + ")");
      var bar = document.createElementNS(ns, "rect");
      bar.setAttribute("width", "1.5");
      bar.setAttribute("height", "9");
      bar.setAttribute("fill", d.color);
      p.appendChild(bar);
      defs.appendChild(p);
    });
    svg.appendChild(defs);
    document.body.appendChild(svg);
  }

  /* Areas where the resident survey and the prediction disagree: one overlay per measure,
   * hatched by direction, with a marker (the tooltip) at the area's label point. */
  App.prototype._survey = function (s, control) {
    var self = this;
    hatches(s.dirs);
    var table = this.data[s.area];
    var groups = s.measures.map(function () {
      return L.featureGroup();
    });
    var seen = {};
    for (var k = 0; k < s.i.length; k++) {
      var d = s.dirs[s.d[k]];
      var g = groups[s.m[k]];
      g.addLayer(L.geoJSON(table.geom[s.i[k]], {
        renderer: this.markRenderer,
        pane: "rz-marks",
        interactive: false,
        style: { color: d.color, weight: 2.5, opacity: 1, fill: true,
          fillColor: "url(#rz-hatch-" + s.d[k] + ")", fillOpacity: 0.7,
          className: "rz-survey rz-survey-" + s.d[k] }
      }));
      // markers of several measures on one area sit side by side
      var slot = seen[s.i[k]] || 0;
      seen[s.i[k]] = slot + 1;
      var marker = L.marker(s.ll[k], {
        icon: L.divIcon({
          className: "rz-badge-icon",
          html: '<span class="rz-badge" style="background:' + d.color + '">' + d.symbol +
            "</span>",
          iconSize: [18, 18],
          iconAnchor: [9 - 20 * slot, -8]
        }),
        keyboard: false
      });
      // bound to each marker: a group's tooltip would also bind the group's outlines
      marker.bindTooltip(this.describeSurvey(k), { className: "rz-tooltip", opacity: 1,
        direction: "top", offset: [0, 4] });
      g.addLayer(marker);
    }
    groups.forEach(function (g, m) {
      var spec = s.measures[m];
      self._overlay(control, g, spec.key, 'Survey vs ' +
        "prediction: " + spec.name + ' <span class="rz-count">(' + spec.n + " " +
        (spec.n === 1 ? s.words[0] : s.words[1]) + ")</span>");
    });
  };

  App.prototype.describeSurvey = function (k) {
    var s = this.data.local.survey;
    var t = this.data[s.area];
    var spec = s.measures[s.m[k]];
    var d = s.dirs[s.d[k]];
    var i = s.i[k];
    var range = function (lo, hi, kind, dp) {
      return lo === null || hi === null ? "" : ' <span class="rz-int">(' + fmt(lo, kind, dp) +
        "\u2013" + fmt(hi, kind, dp) + ")</span>";
    };
    var h = ['<div class="rz-tt">'];
    h.push('<div class="rz-tt-h">' + t.name[i] + ' <span class="rz-code">' + t.code[i] +
      "</span></div>");
    h.push('<div class="rz-tt-sub">Resident survey: <b>' + spec.name + "</b></div>");
    h.push('<div class="rz-tt-main"><b>' + d.label + "</b>, beyond the sampling error of " +
      "both</div>");
    h.push('<table class="rz-tt-table">');
    h.push("<tr><th>Survey</th><td>" + fmt(s.s[k], "pct", 0) + range(s.slo[k], s.shi[k],
      "pct", 0) + (s.resp[k] !== null ? ", " + fmt(s.resp[k], "int", 0) + " respondents" : "") +
      "</td></tr>");
    h.push("<tr><th>Expected from the prediction</th><td>" + fmt(s.e[k], "pct", 0) +
      "</td></tr>");
    if (s.p[k] !== null) {
      h.push("<tr><th>Prediction" + (spec.tracks ? " (" + spec.tracks + ")" : "") +
        "</th><td>" + fmt(s.p[k], spec.fmt, spec.fmt === "pct" ? 0 : 2) +
        range(s.plo[k], s.phi[k], spec.fmt, spec.fmt === "pct" ? 0 : 2) + "</td></tr>");
    }
    if (s.z[k] !== null) {
      h.push("<tr><th>Difference in standard errors</th><td>" + fmt(s.z[k], "signed", 1) +
        "</td></tr>");
    }
    h.push("</table>");
    h.push('<div class="rz-tt-note">Expected: the prediction on the survey\u2019s scale ' +
      "(the calibration line of the report).</div></div>");
    return h.join("");
  };

  App.prototype.wardOutlines = function () {
    var d = this.data.ward;
    var focus = d.focus;
    var fc = features(d);
    var base = { pane: "rz-wards", renderer: this.wardRenderer, interactive: false };
    var halo = L.geoJSON(fc, L.extend({
      style: function (f) {
        return { color: "#ffffff", weight: f.properties.i === focus ? 7 : 3.5, opacity: 0.9,
          fill: false };
      }
    }, base));
    var lines = L.geoJSON(fc, L.extend({
      style: function (f) {
        var isFocus = f.properties.i === focus;
        return {
          color: "#111111",
          weight: isFocus ? 3.5 : 1.5,
          opacity: 1,
          fill: false,
          dashArray: focus >= 0 && !isFocus ? "5 4" : null
        };
      }
    }, base));
    this._wardLines = lines;
    return L.layerGroup([halo, lines]);
  };

  App.prototype.wardLabels = function () {
    var d = this.data.ward;
    var group = L.layerGroup();
    var order = [];
    for (var i = 0; i < d.n; i++) {
      var isFocus = i === d.focus;
      var href = isFocus ? null : this.wardHref(i);
      var inner = href
        ? '<a href="' + href + '" title="Open the map of ' + d.name[i] + ' ward">' +
          d.name[i] + "</a>"
        : "<span>" + d.name[i] + "</span>";
      var m = L.marker(d.label[i], {
        icon: L.divIcon({
          className: "rz-ward-label" + (isFocus ? " rz-focus" : ""),
          html: inner,
          iconSize: null
        }),
        pane: "rz-labels",
        interactive: false,
        keyboard: false
      });
      group.addLayer(m);
      order.push({ marker: m, priority: isFocus ? Infinity : d.area[i] });
    }
    order.sort(function (a, b) {
      return b.priority - a.priority;
    });
    this._labels = order;
    var self = this;
    var declutter = function () {
      self.declutter();
    };
    group.on("add", declutter);
    this.map.on("zoomend", declutter);
    return group;
  };

  /* Hide ward labels that would overlap a label of a larger ward. */
  App.prototype.declutter = function () {
    var kept = [];
    var labels = this._labels || [];
    for (var i = 0; i < labels.length; i++) {
      var el = labels[i].marker.getElement();
      if (!el || !el.firstChild) {
        continue;
      }
      var r = el.firstChild.getBoundingClientRect();
      var clash = false;
      for (var k = 0; k < kept.length && !clash; k++) {
        var q = kept[k];
        clash = r.left < q.right + 4 && r.right > q.left - 4 && r.top < q.bottom + 2 &&
          r.bottom > q.top - 2;
      }
      el.firstChild.style.visibility = clash ? "hidden" : "visible";
      if (!clash) {
        kept.push(r);
      }
    }
  };

  /* Wards with no output area in the data: grey, "No data". They share the areas' canvas
   * (and never overlap them), so their tooltips work like the areas'. */
  App.prototype._noData = function () {
    var d = this.data.ward;
    var idx = d.nodata || [];
    var out = [];
    for (var k = 0; k < idx.length; k++) {
      out.push({ type: "Feature", properties: { i: idx[k] }, geometry: d.geom[idx[k]] });
    }
    var g = L.geoJSON({ type: "FeatureCollection", features: out }, {
      style: { fillColor: this.meta.missing, fillOpacity: this.meta.fillOpacity, stroke: false }
    });
    g.bindTooltip(function (layer) {
      var i = layer.feature.properties.i;
      return '<div class="rz-tt"><div class="rz-tt-h">' + d.name[i] + ' <span class="rz-code">' +
        d.code[i] + "</span></div><div>" + NODATA + ": none of this ward's output areas " +
        "are in the data.</div></div>";
    }, { sticky: true, className: "rz-tooltip", opacity: 1 });
    this.noDataLayer = g.addTo(this.map);
  };

  /* The optional street map: dropped, with a word in the layer control, when its tiles
   * cannot load (no internet, a blocked server); the areas draw either way. */
  App.prototype.streetMap = function (layer, name) {
    var self = this;
    this.streetName = name;
    var loaded = 0;
    var failed = 0;
    this.street = layer;
    layer.on("tileload", function () {
      loaded += 1;
    });
    layer.on("tileerror", function () {
      failed += 1;
      if (loaded === 0 && failed >= 4 && self.map.hasLayer(layer)) {
        self.map.removeLayer(layer);
        self.streetMapFailed = true;
        self._markStreetMap();
      }
    });
  };

  /* Rename the street map's check box: "(not available)"; unticked, it can be tried again. */
  App.prototype._markStreetMap = function () {
    if (!this.control || !this.streetMapFailed || this._streetMarked) {
      return;
    }
    this._streetMarked = true;
    this.control.removeLayer(this.street);
    this.control.addOverlay(this.street, this.streetName + " (not available)");
  };

  App.prototype.zoomToWard = function (w) {
    var shape = L.geoJSON(this.data.ward.geom[w], {
      pane: "rz-wards",
      renderer: this.wardRenderer,
      interactive: false,
      style: { color: "#000000", weight: 6, opacity: 0.9, fill: false }
    });
    this.map.fitBounds(shape.getBounds(), this._padding());
    shape.addTo(this.map);
    var map = this.map;
    window.setTimeout(function () {
      map.removeLayer(shape);
    }, 2500);
  };

  App.prototype._search = function () {
    var input = document.getElementById("rz-search");
    var list = document.getElementById("rz-results");
    if (!input || !list) {
      return;
    }
    var d = this.data.ward;
    var names = d.name.map(plain);
    var codes = d.code.map(plain);
    var self = this;
    var run = function () {
      var q = input.value.trim().toLowerCase();
      list.textContent = "";
      if (!q) {
        return;
      }
      var n = 0;
      for (var i = 0; i < d.n && n < 8; i++) {
        if (names[i].toLowerCase().indexOf(q) < 0 && codes[i].toLowerCase().indexOf(q) < 0) {
          continue;
        }
        n += 1;
        var li = document.createElement("li");
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = names[i];
        b.title = "Zoom to " + names[i];
        b.addEventListener("click", self.zoomToWard.bind(self, i));
        li.appendChild(b);
        var href = self.wardHref(i);
        if (href) {
          var a = document.createElement("a");
          a.href = href;
          a.textContent = "ward map";
          a.title = "Open the map of " + names[i] + " ward";
          li.appendChild(document.createTextNode(" "));
          li.appendChild(a);
        }
        list.appendChild(li);
      }
      if (!n) {
        var none = document.createElement("li");
        none.textContent = "No ward matches \u201c" + input.value.trim() + "\u201d";
        list.appendChild(none);
      }
    };
    input.addEventListener("input", run);
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") {
        var first = list.querySelector("button");
        if (first) {
          first.click();
        }
      }
    });
  };

  App.prototype._padding = function () {
    var size = this.map.getSize();
    var left = this.panelEl ? this.panelEl.offsetWidth + 20 : 20;
    var right = this.legendEl ? this.legendEl.offsetWidth + 20 : 20;
    return {
      paddingTopLeft: [Math.min(left, size.x * 0.4), 20],
      paddingBottomRight: [Math.min(right, size.x * 0.3), 20]
    };
  };

  /* Called once every layer and the layer control exist. */
  App.prototype.finish = function (control) {
    var self = this;
    this.control = control;
    this._local(control);
    this._markStreetMap(); // if its tiles failed before the control was made
    this.map.on("baselayerchange", function (e) {
      if (e.layer && e.layer.rzId) {
        self.showLegend(e.layer.rzId);
      }
    });
    this.map.fitBounds(this.meta.bounds, L.extend({ animate: false }, this._padding()));
    // Outlines at full strength from the zoom at which an output area of median size is
    // about 20 px across, thinner below, none when areas are tiny; restyled on zoom.
    this._detailZoom = this._zoomForSize(this.meta.areaSize || 300, 20);
    this.map.on("zoomend", function () {
      var spec = self.active;
      var g = spec && self.geo[spec.geo];
      if (g && self.map.hasLayer(g)) {
        g.setStyle(g.options.style);
      }
    });
    var first = this.active && this.geo[this.active.geo];
    if (first) {
      first.setStyle(first.options.style);
    }
    this._noData();
    this._search();
    this.declutter();
  };

  /* Zoom at which a length of `metres` spans `pixels` at the map's centre. */
  App.prototype._zoomForSize = function (metres, pixels) {
    var lat = this.map.getCenter().lat * Math.PI / 180;
    var metresPerPixelAtZero = 156543.03 * Math.cos(lat);
    return Math.log(metresPerPixelAtZero * pixels / metres) / Math.LN2;
  };

  /* For scripts and tests: the layer shown and how many areas it draws. */
  App.prototype.activeLayerId = function () {
    return this.active ? this.active.id : null;
  };

  App.prototype.featureCount = function () {
    if (!this.active) {
      return 0;
    }
    var g = this.geo[this.active.geo];
    return g && this.map.hasLayer(g) ? g.getLayers().length : 0;
  };

  App.prototype.legendText = function () {
    if (!this.legendEl) {
      return "";
    }
    var s = this.legendEl.querySelector("[data-layer]:not([hidden])");
    return s ? s.textContent.replace(/\s+/g, " ").trim() : "";
  };

  window.Resilience = {
    init: function (map, data) {
      var app = new App(map, data);
      window.resilienceMap = app;
      return app;
    },
    format: fmt
  };
})();
