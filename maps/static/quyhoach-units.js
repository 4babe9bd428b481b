/* Administrative units in the pages.
 * On the clearance map: a compact control to choose the unit (today's wards and communes, and
 * the former ones grouped under their former district) and the period (from/to, or a preset);
 * a choice reloads the page with unit=, from= and to= in the URL, which keeps them. The former
 * boundaries are an optional layer (hidden at opening), drawn as outlines from
 * /units?on=DAY&f=geojson, and the control lists where the chosen unit came from.
 * On the dashboard: the unit picker fills the place selector (quyhoachUnits.fillPicker).
 * On /units/{id}/succession: the small map of the unit and its predecessors and successors. */
(function () {
  'use strict';

  function node(tag, className, text, parent) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text != null) { el.textContent = String(text); }
    if (parent) { parent.appendChild(el); }
    return el;
  }

  // The grouped options of a unit picker; `selected` is the unit shown.
  function fillPicker(select, groups, selected) {
    select.textContent = '';
    groups.forEach(function (g) {
      var group = node('optgroup', null, null, select);
      group.label = g.label;
      g.units.forEach(function (u) {
        var o = node('option', null, u.label, group);
        o.value = u.id;
        o.dataset.validFrom = u.validFrom;
        if (u.validTo) { o.dataset.validTo = u.validTo; }
        o.selected = u.id === selected;
      });
    });
  }

  // The query of a page for a unit: the period is kept unless it starts after the unit ceased
  // (the page then opens on the unit's own period); the old district/ward names are dropped.
  function unitQuery(current, option) {
    var q = new URLSearchParams(current);
    q.delete('district');
    q.delete('ward');
    q.delete('as_of');
    q.set('unit', option.value);
    var ended = option.dataset.validTo, start = q.get('from') || q.get('to');
    if (ended && start && start > ended) { q.delete('from'); q.delete('to'); }
    return q;
  }

  window.quyhoachUnits = { fillPicker: fillPicker, unitQuery: unitQuery };

  // ------------------------------------------------------------------ the clearance map
  function addControl(map, cfg) {
    var U = cfg.units, W = U.words;
    var box = L.DomUtil.create('details', 'qh-panel qh-units');
    box.id = 'qh-units';
    box.style.fontSize = '12px';  // 300 px wide once opened (quyhoach-map.css)
    var summary = node('summary', 'qh-panel-title', W.control, box);
    summary.style.cursor = 'pointer';

    function go(q) {
      window.location.assign(window.location.pathname + '?' + q.toString());
    }
    function here() {
      var q = new URLSearchParams(window.location.search);
      q.set('lang', cfg.lang);
      return q;
    }

    var picker = node('select', 'form-select form-select-sm qh-units-picker', null,
                      node('label', 'd-block mb-1', W.picker, box));
    picker.name = 'unit';
    fillPicker(picker, U.groups, U.selected);
    picker.addEventListener('change', function () {
      var q = unitQuery(here(), picker.options[picker.selectedIndex]);
      q.delete('center'); q.delete('zoom'); q.delete('bbox');  // open on the unit
      go(q);
    });

    var dates = node('div', 'd-flex gap-1 mb-1', null, box);
    function dateInput(label, name, value) {
      var wrap = node('label', null, label, dates);
      wrap.style.cssText = 'flex:1 1 0;min-width:0';
      var input = node('input', 'form-control form-control-sm', null, wrap);
      input.type = 'date';
      input.name = name;
      input.value = value;
      return input;
    }
    var from = dateInput(W.from, 'from', cfg.from), to = dateInput(W.to, 'to', cfg.to);
    var row = node('div', 'd-flex gap-1', null, box);
    var presets = node('select', 'form-select form-select-sm qh-units-presets', null, row);
    node('option', null, W.presets, presets).value = '';
    U.presets.forEach(function (p) {
      var o = node('option', null, p.label, presets);
      o.value = p.from + '/' + p.to;
    });
    var apply = node('button', 'btn btn-sm btn-primary qh-units-apply', W.apply, row);
    apply.type = 'button';
    function period(a, b) {
      if (!a || !b || b < a) { return; }
      var q = here();
      q.set('from', a);
      q.set('to', b);
      var asOf = q.get('as_of');
      if (asOf && (asOf < a || asOf > b)) { q.delete('as_of'); }
      go(q);
    }
    apply.addEventListener('click', function () { period(from.value, to.value); });
    presets.addEventListener('change', function () {
      if (presets.value) { period.apply(null, presets.value.split('/')); }
    });

    if (U.selected) {
      var origin = node('div', 'qh-units-origin mt-1', null, box);
      var link = node('a', null, W.origin_link, origin);
      link.href = (cfg.base || '') + '/units/' + encodeURIComponent(U.selected) +
        '/succession?lang=' + cfg.lang;
    }

    // Above the totals it changes; a bottom corner stacks it there and lets it open upwards.
    var Panel = L.Control.extend({ onAdd: function () { return box; } });
    new Panel({ position: 'bottomleft' }).addTo(map);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    return box;
  }

  // The former boundaries: fetched the first time the layer is switched on.
  function formerLayer(map, group, cfg) {
    var U = cfg.units, o = U.outline, state = { status: 'idle' };
    function load() {
      if (state.status !== 'idle') { return; }
      state.status = 'loading';
      var q = new URLSearchParams({ on: U.formerOn, f: 'geojson', lang: cfg.lang });
      fetch((cfg.base || '') + '/units?' + q.toString(), { headers: { Accept: 'application/geo+json' } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
        .then(function (fc) {
          group.addLayer(L.geoJSON(fc, {
            interactive: true,
            style: function (f) {
              return { color: o.color, dashArray: o.dash, fill: false, opacity: 0.9,
                       weight: f.properties.level === 'district' ? o.districtWeight : o.weight };
            },
            onEachFeature: function (f, layer) {
              layer.bindTooltip(node('span', null, f.properties.name), { sticky: true });
            },
          }));
          state.status = 'loaded';
          state.features = fc.features.length;
        })
        .catch(function () { state.status = 'error'; });
    }
    map.on('overlayadd', function (e) { if (e.layer === group) { load(); } });
    if (map.hasLayer(group)) { load(); }
    return state;
  }

  var qh = window.quyhoach;
  if (qh && qh.init) {
    var init = qh.init;
    qh.init = function (map, groups, cfg) {
      var result = init.apply(this, arguments);
      var self = window.quyhoach;
      if (cfg.units) {
        self.units = { control: addControl(map, cfg) };
        // The page's set-up script declares the layer group as a global, named in the config.
        var former = cfg.units.formerGroup && window[cfg.units.formerGroup];
        if (former && cfg.units.formerOn) { self.units.former = formerLayer(map, former, cfg); }
      }
      return result;
    };
  }

  // ------------------------------------------------------------------ the succession page
  function succession(cfg) {
    var el = document.getElementById('qu-map');
    if (!el || !window.L) { return; }
    var map = L.map(el, { scrollWheelZoom: false });
    if (cfg.basemap) {
      L.tileLayer(cfg.basemap, { attribution: cfg.attribution, maxZoom: 19 }).addTo(map);
    }
    var C = cfg.colors;
    var layer = L.geoJSON(cfg.features, {
      style: function (f) {
        var own = f.properties.role === 'unit';
        return { color: own ? C.unit : C[f.properties.role], weight: own ? 3 : 1.5,
                 dashArray: own ? null : '4 4', fill: own, fillOpacity: own ? 0.15 : 0 };
      },
      onEachFeature: function (f, l) {
        l.bindTooltip(node('span', null, f.properties.name), { sticky: true });
      },
    }).addTo(map);
    var bounds = layer.getBounds();
    if (bounds.isValid()) { map.fitBounds(bounds, { padding: [10, 10] }); }
    window.quyhoachSuccession = { map: map, drawn: layer.getLayers().length };
  }

  document.addEventListener('DOMContentLoaded', function () {
    var cfg = document.getElementById('qu-config');
    if (cfg) { succession(JSON.parse(cfg.textContent)); }
  });
}());
