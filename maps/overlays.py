"""Approved 1/2000 zoning plans laid over the current situation on the clearance map."""

from __future__ import annotations

from typing import Any

import folium
import orjson
from branca.element import MacroElement
from folium.template import Template
from sqlalchemy import Connection

from core import i18n
from core.i18n import html_text, script_json
from core.settings import Settings
from layers.landuse import legend
from layers.plans import list_plans


class PlanOverlays(MacroElement):
    """Opacity sliders, lazy zone loading and the lookup panel."""

    _template = Template("""
{% macro header(this, kwargs) %}
<style>
.qh-plans { background: rgba(255,255,255,.94); border-radius: 6px; padding: 6px 9px;
  box-shadow: 0 1px 5px rgba(0,0,0,.35); font: 12px/1.35 "DejaVu Sans", Arial, sans-serif;
  color: #222; max-width: 320px; }
.qh-plans-title { font-weight: 700; margin-bottom: 3px; }
.qh-plans-row { margin: 3px 0; }
.qh-plans-row.qh-off { display: none; }
.qh-plans-row label { display: block; font-size: 11px; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.qh-plans-row input[type=range] { width: 100%; margin: 0; }
.qh-plans-legend { display: flex; flex-wrap: wrap; gap: 1px 8px; margin-top: 4px; }
.qh-plans-legend span { display: inline-flex; align-items: center; gap: 3px; white-space: nowrap; }
.qh-plans-legend i, .qh-plans-info .qh-zone i { width: 12px; height: 10px; border: 1px solid #777;
  display: inline-block; }
.qh-plans-info { margin-top: 6px; border-top: 1px solid #ccc; padding-top: 4px; }
.qh-plans-info table { border-collapse: collapse; }
.qh-plans-info th { font-weight: 400; color: #444; padding: 0 8px 0 0; text-align: left; }
.qh-plans-info .qh-zone { font-weight: 700; font-size: 13px; }
.qh-plans-info button { float: right; border: 0; background: none; cursor: pointer; font-size: 14px; }
.qh-zone-label { background: none; border: 0; box-shadow: none; padding: 0; color: #222;
  font: 600 11px/1.15 "DejaVu Sans", Arial, sans-serif; text-align: center; white-space: nowrap;
  text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; pointer-events: none; }
.qh-zone-label::before { display: none; }
.qh-zone-label small { font-weight: 400; font-size: 10px; }
</style>
{% endmacro %}
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var cfg = {{ this.config }};
  var W = cfg.words;
  var F = window.qhFormat;
  var layers = {
{%- for plan_id, name in this.layers %}
    "{{ plan_id }}": {{ name }},
{%- endfor %}
  };
  var opacity = {}, zones = {}, rows = {}, marker = null;
  // The layer control groups the sheets under planning, lists only those in view and names
  // each in full on hover (quyhoach-map.js reads these).
  cfg.plans.forEach(function (p) {
    var layer = layers[p.id];
    layer.qhTheme = "planning";
    layer.qhBounds = L.latLngBounds(p.bounds);
    layer.qhTitle = p.title;
  });
  // Every word of a plan or a zone goes into the page as text, never as markup.
  function el(tag, cls, text, parent) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text != null) { e.textContent = String(text); }
    if (parent) { parent.appendChild(e); }
    return e;
  }
  function swatch(color, parent) {
    el("i", null, null, parent).style.background = color;
  }
  function zoneStyle(f, op) {
    return {color: "#444", weight: 0.7, opacity: Math.min(1, op + 0.2),
            fillColor: f.properties.color, fillOpacity: op};
  }
  // A zone's label: its plot name (or land-use code), then building density and floors.
  function zoneLines(props) {
    var lines = [props.name || props.code];
    var more = [];
    if (props.building_density_pct != null) {
      more.push(W.density_short + " " + F.number(props.building_density_pct, 0, cfg.lang) + "%");
    }
    if (props.max_floors != null) {
      more.push(F.number(props.max_floors, 0, cfg.lang) + " " + W.floors_short);
    }
    if (props.name && props.code && props.name.indexOf(props.code) < 0) { lines[0] += " · " + props.code; }
    if (more.length) { lines.push(more.join(" · ")); }
    return lines;
  }
  // Labels are shown at the zooms where they fit inside their zone.
  function fitLabels(p) {
    if (!zones[p.id] || !map.hasLayer(layers[p.id])) { return; }
    zones[p.id].eachLayer(function (layer) {
      var t = layer.getTooltip();
      if (!t) { return; }
      var b = layer.getBounds();
      var a = map.latLngToContainerPoint(b.getNorthWest()), c = map.latLngToContainerPoint(b.getSouthEast());
      var fits = Math.abs(c.x - a.x) >= layer.labelSize[0] && Math.abs(c.y - a.y) >= layer.labelSize[1];
      if (fits && map.getBounds().intersects(b)) { layer.openTooltip(); } else { layer.closeTooltip(); }
    });
  }
  function setOpacity(p, v) {
    opacity[p.id] = v;
    if (p.kind === "raster") { layers[p.id].setOpacity(v); }
    else if (zones[p.id]) { zones[p.id].setStyle(function (f) { return zoneStyle(f, v); }); }
  }
  cfg.plans.forEach(function (p) {
    opacity[p.id] = 0.7;
    if (p.kind !== "vector") { return; }
    layers[p.id].on("add", function () {
      if (zones[p.id]) { return; }
      zones[p.id] = L.geoJSON(null, {interactive: false,
                                     style: function (f) { return zoneStyle(f, opacity[p.id]); },
                                     onEachFeature: function (f, layer) {
        var lines = zoneLines(f.properties);
        var label = document.createElement("div");
        lines.forEach(function (line, i) {
          if (i) { label.appendChild(document.createElement("br")); }
          label.appendChild(document.createElement(i ? "small" : "span")).textContent = line;
        });
        layer.labelSize = [7 * Math.max.apply(null, lines.map(function (l) { return l.length; })),
                           14 * lines.length];
        layer.bindTooltip(label, {permanent: true, direction: "center", className: "qh-zone-label",
                                  interactive: false, opacity: 1});
      }});
      layers[p.id].addLayer(zones[p.id]);
      fetch(cfg.base + "/collections/plan_zones/items?plan_id=" + p.id + "&limit=10000")
        .then(function (r) { return r.json(); })
        .then(function (fc) { zones[p.id].addData(fc); fitLabels(p); });
    });
  });
  function active() {
    return cfg.plans.filter(function (p) { return map.hasLayer(layers[p.id]); });
  }
  var panel = L.control({position: "bottomleft"});
  panel.onAdd = function () {
    var div = L.DomUtil.create("div", "qh-plans qh-plans-control");
    el("div", "qh-plans-title", W.panel, div);
    cfg.plans.forEach(function (p) {
      var row = el("div", "qh-plans-row qh-off", null, div);
      row.setAttribute("data-plan", String(p.id));
      el("label", null, p.name, row).title = p.name;
      var input = el("input", null, null, row);
      input.type = "range";
      input.min = "0";
      input.max = "100";
      input.value = "70";
      input.setAttribute("aria-label", W.opacity + ": " + p.name);
      input.addEventListener("input", function (e) { setOpacity(p, e.target.value / 100); });
      rows[p.id] = row;
    });
    var key = el("div", "qh-plans-legend qh-off", null, div);
    cfg.legend.forEach(function (u) {
      var item = el("span", null, null, key);
      swatch(u.color, item);
      item.appendChild(document.createTextNode(u.code));
    });
    el("div", "qh-plans-info", null, div).hidden = true;
    L.DomEvent.disableClickPropagation(div);
    L.DomEvent.disableScrollPropagation(div);
    return div;
  };
  panel.addTo(map);
  var box = panel.getContainer();
  var info = box.querySelector(".qh-plans-info");
  function refresh() {
    var on = active();
    box.style.display = on.length ? "" : "none";
    cfg.plans.forEach(function (p) {
      rows[p.id].classList.toggle("qh-off", !map.hasLayer(layers[p.id]));
    });
    box.querySelector(".qh-plans-legend").classList.toggle("qh-off", !on.length);
    if (!on.length) { info.hidden = true; if (marker) { map.removeLayer(marker); marker = null; } }
  }
  map.on("layeradd layerremove", refresh);
  map.on("zoomend moveend", function () { cfg.plans.forEach(fitLabels); });
  refresh();
  function row(table, label, value, unit) {
    if (value == null || value === "") { return; }
    var tr = el("tr", null, null, table);
    el("th", null, label, tr);
    el("td", null, String(value) + (unit || ""), tr);
  }
  function note(text) {
    el("small", null, text, el("div", null, null, info));
  }
  function render(d) {
    var en = cfg.lang === "en";
    info.textContent = "";
    var close = el("button", null, "×", info);
    close.type = "button";
    close.title = W.close;
    el("b", null, W.here, info);
    if (!d.zones.length) { el("div", null, W.none, info); }
    d.zones.forEach(function (z) {
      var zone = el("div", "qh-zone", null, info);
      swatch(z.color, zone);
      zone.appendChild(document.createTextNode(
        " " + z.code + " — " + (en ? z.land_use_en : z.land_use_vi)));
      var table = el("table", null, null, info);
      row(table, W.plot, z.name);
      row(table, W.density, F.percent(z.building_density_pct, cfg.lang, 0));
      row(table, W.floors, F.number(z.max_floors, 0, cfg.lang));
      row(table, W.far, F.number(z.floor_area_ratio, 1, cfg.lang));
      row(table, W.area, F.hectares(z.area_ha, cfg.lang));
      row(table, W.decision, z.plan.decision);
      note(z.plan.name);
    });
    if (d.sheets.length) {
      note(W.sheets + ": " + d.sheets.map(function (s) { return s.name; }).join("; "));
    }
    if (d.red_line) {
      note(W.red_line + ": " + d.red_line.road + " (" + F.number(d.red_line.distance_m, 1, cfg.lang) + " m)");
    }
  }
  function hide() {
    info.hidden = true;
    if (marker) { map.removeLayer(marker); marker = null; }
  }
  // The map's one click handler (quyhoach-map.js) asks here when a plan is on: the planned land
  // use at the point goes into the panel, with what else lies there as links (`others`).
  function lookup(latlng, others) {
    var url = cfg.base + "/plans/lookup?lon=" + latlng.lng.toFixed(7) + "&lat=" +
      latlng.lat.toFixed(7) + "&lang=" + cfg.lang;
    if (marker) { map.removeLayer(marker); }
    marker = L.circleMarker(latlng, {radius: 5, color: "#000", weight: 2, fillOpacity: 0,
                                     interactive: false}).addTo(map);
    fetch(url).then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(render)
      .catch(function () { info.textContent = W.failed; })
      .then(function () {
        info.hidden = false;
        var qh = window.quyhoach;
        if (others && others.length && qh && qh.alsoHere) { qh.alsoHere(info, others, hide); }
        var close = info.querySelector("button");
        if (close) { close.addEventListener("click", hide); }
      });
  }
  if (window.quyhoach) {
    window.quyhoach.plans = {
      active: function () { return active().length > 0; }, lookup: lookup, hide: hide,
      title: W.here,
    };
  }
})();
{% endmacro %}
""")

    def __init__(self, layers: list[tuple[int, str]], config: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PlanOverlays"
        self.layers = layers
        self.config = script_json(config)


def add_plan_overlays(fmap: folium.Map, conn: Connection, settings: Settings, lang: str) -> None:
    """Add each zoning plan as an overlay with an opacity slider, and a click-to-lookup panel.

    Raster plans are tile layers on /plans/{id}/tiles; vector plans fetch their zones from the
    plan_zones collection when first switched on. The layer control lists a sheet only while it
    lies in view. A click on the map, while a plan is on, asks /plans/lookup and shows the
    planned land use in a panel, unless a more specific feature lies there (its popup opens
    instead, the plan one link away).
    """
    plan_features = orjson.loads(list_plans(conn))["features"]
    if not plan_features:
        return
    # The page's own base URL (empty for same-origin pages, absolute in saved snapshots).
    leaflet = dict(getattr(fmap, "default_js", [])).get("leaflet", "")
    marker = "/static/lib/leaflet/leaflet.js"
    base = leaflet[: -len(marker)] if leaflet.endswith(marker) else ""
    table = i18n.PLAN_OVERLAY_WORDS
    words = {key: i18n.phrase(table, key, lang) for key in table}
    layers: list[tuple[int, str]] = []
    plans_cfg = []
    for feature in plan_features:
        p, plan_id = feature["properties"], feature["id"]
        coords = [c for poly in feature["geometry"]["coordinates"] for ring in poly for c in ring]
        lons, lats = [c[0] for c in coords], [c[1] for c in coords]
        bounds = [[min(lats), min(lons)], [max(lats), max(lons)]]
        # The full name: the layer control cuts it to its width and shows it whole on hover.
        full = f"QH 1/{p['scale']} · {p['name']}"
        # Leaflet writes layer names and attributions as HTML: the plan's words go in as text.
        title = html_text(full)
        if p["kind"] == "raster":
            layer = folium.TileLayer(
                tiles=f"{base}/plans/{plan_id}/tiles/{{z}}/{{x}}/{{y}}.png", name=title,
                attr=html_text(p["decision"] or p["name"]), overlay=True, control=True, show=False,
                opacity=0.7, max_zoom=22, max_native_zoom=20, bounds=bounds)
        else:
            layer = folium.FeatureGroup(name=title, overlay=True, control=True, show=False)
        layer.add_to(fmap)
        layers.append((plan_id, layer.get_name()))
        plans_cfg.append({"id": plan_id, "kind": p["kind"], "name": p["name"], "title": full,
                          "decision": p["decision"], "bounds": bounds})
    config = {"base": base, "lang": lang, "words": words, "plans": plans_cfg,
              "legend": legend(lang)}
    fmap.add_child(PlanOverlays(layers, config))

