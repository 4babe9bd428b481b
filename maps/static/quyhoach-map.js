/* The clearance map: fetches each enabled layer from the service for the area in view and
 * draws it, styled from a feature property with the colours the page's config carries.
 * Layers come as GeoJSON from /collections/{id}/items?bbox=..., or as vector tiles from
 * /collections/{id}/tiles/WebMercatorQuad when the config says so. No data is in the page. */
(function () {
  'use strict';

  var PAD = 0.25;  // fetch a margin around the view so small pans need no new request
  var qh = window.quyhoach = { state: { layers: {}, stats: null, statsStatus: 'idle' } };

  // Feature properties reach the page as text only: elements filled through textContent.
  function node(tag, className, text, parent) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text != null) { el.textContent = String(text); }
    if (parent) { parent.appendChild(el); }
    return el;
  }

  function fmt(value, digits) {
    var n = Number(value);
    return isFinite(n) ? n.toFixed(digits) : '';
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return key in values ? values[key] : m;
    });
  }

  qh.init = function (map, groups, cfg) {
    var S = cfg.i18n, T = S.text, lang = cfg.lang;
    var entries = [];
    var statusBox;
    qh.map = map;
    qh.cfg = cfg;

    // Leaflet ≥ 1.8 dropped fakeStop, which VectorGrid's canvas renderer still calls.
    if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = L.DomEvent.stopPropagation; }

    function billion(vnd) {
      var n = Number(vnd) / 1e9, a = Math.abs(n);
      return (n === 0 ? '0' : fmt(n, a >= 10 ? 1 : a >= 1 ? 2 : 3)) + ' ' + T.billion;
    }

    function day(value) {
      if (!value) { return ''; }
      var p = String(value).slice(0, 10).split('-');
      return lang === 'en' ? p.join('-') : p[2] + '/' + p[1] + '/' + p[0];
    }

    function fieldValue(layerId, key, p) {
      var v = p[key];
      switch (key) {
        case 'plans':
          return p.plans_approved + '/' + p.plans_total;
        case 'area_ha':
        case 'recovered_ha':
          return v == null ? '' : fmt(v, Number(v) >= 1 ? 2 : 4) + ' ha';
        case 'recovered_pct':
          return v == null ? '' : fmt(v, 1) + '% ' + T.of_project_area;
        case 'compensation_vnd':
          return v == null ? '' : billion(v);
        case 'length_m':
          return v == null ? '' : fmt(v, 1) + ' m';
        case 'northing_m':
        case 'easting_m':
          return v == null ? '' : fmt(v, 3);
        case 'district':
          return S.districts[v] || v;
      }
      if (v === true) { return T.yes; }
      if (v === false) { return T.no; }
      if (v == null || v === '') { return ''; }
      if (/_on$|_date$/.test(key)) { return day(v); }
      var coded = (S.values[layerId] || {})[key];
      return coded && coded[v] ? coded[v] : v;
    }

    function popupContent(entry, p) {
      var id = entry.id;
      var box = node('div', 'qh-popup');
      box.setAttribute('data-layer', id);
      node('div', 'qh-popup-layer', entry.cfg.title, box);
      node('div', 'qh-popup-title', p[S.popupTitle[id]] || entry.cfg.title, box);
      var rows = node('tbody', null, null, node('table', null, null, box));
      (S.popupFields[id] || []).forEach(function (key) {
        var value = fieldValue(id, key, p);
        if (value === '') { return; }
        var tr = node('tr', null, null, rows);
        node('th', null, S.fields[id + '.' + key] || S.fields[key] || key, tr);
        node('td', null, value, tr);
      });
      return box;
    }

    function pathStyle(entry, p) {
      var s = entry.style;
      var color = (s.colorBy && s.colors[p[s.colorBy]]) || s.default;
      var dash = s.dashBy ? (s.dashes[p[s.dashBy]] || null) : s.dash;
      var o = {
        color: s.stroke || color, weight: s.weight, opacity: s.opacity, dashArray: dash,
        fill: s.kind !== 'line', fillColor: color, fillOpacity: s.fillOpacity,
      };
      if (s.kind === 'point') { o.radius = s.radius; }
      if (entry.id === 'wards' && cfg.ward && p.name === cfg.ward) {
        o.weight = 3; o.dashArray = null; o.color = '#000000';  // the ward the view is about
      }
      return o;
    }

    function showStatus(message) {
      statusBox.textContent = message || '';
      statusBox.hidden = !message;
    }

    function control(id, position) {
      var el = document.getElementById(id);
      var Panel = L.Control.extend({ onAdd: function () { return el; } });
      new Panel({ position: position }).addTo(map);
      L.DomEvent.disableClickPropagation(el);
      L.DomEvent.disableScrollPropagation(el);
      return el;
    }

    function bboxOf(bounds) {
      var w = Math.max(bounds.getWest(), -180), s = Math.max(bounds.getSouth(), -90);
      var e = Math.min(bounds.getEast(), 180), n = Math.min(bounds.getNorth(), 90);
      return [w, s, e, n].map(function (v) { return v.toFixed(6); }).join(',');
    }

    function clear(entry) {
      if (entry.drawn) { entry.group.removeLayer(entry.drawn); entry.drawn = null; }
      entry.bounds = null;
    }

    function draw(entry, fc) {
      var opts = {
        pane: entry.pane,
        style: function (f) { return pathStyle(entry, f.properties); },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, L.extend({ pane: entry.pane }, pathStyle(entry, f.properties)));
        },
        onEachFeature: function (f, layer) {
          layer.options.className = 'qh-feature qh-' + entry.id;
          layer.bindPopup(function () { return popupContent(entry, f.properties); }, { maxWidth: 360 });
          if (entry.id === 'wards') {
            layer.bindTooltip(node('span', null, f.properties.name), {
              permanent: true, direction: 'center', className: 'qh-ward-label',
            });
          }
        },
      };
      var layer = L.geoJSON(fc, opts);
      clear(entry);
      entry.drawn = layer;
      entry.group.addLayer(layer);
      return layer.getLayers().length;
    }

    function fetchItems(entry) {
      var st = entry.state;
      var view = map.getBounds();
      if (entry.bounds && entry.complete && entry.bounds.contains(view)) { return; }
      var bounds = view.pad(PAD);
      var bbox = bboxOf(bounds);
      var params = new URLSearchParams({ bbox: bbox, limit: cfg.limit, district: cfg.district });
      if (cfg.asOf) { params.set('as_of', cfg.asOf); }  // the layer as it stood that day
      var url = cfg.base + '/collections/' + entry.id + '/items?' + params.toString();
      if (entry.controller) { entry.controller.abort(); }
      var controller = new AbortController();
      entry.controller = controller;
      st.status = 'loading';
      fetch(url, { signal: controller.signal, headers: { Accept: 'application/geo+json' } })
        .then(function (r) {
          if (!r.ok) { throw new Error(String(r.status)); }
          return r.json();
        })
        .then(function (fc) {
          if (entry.controller !== controller) { return; }
          entry.controller = null;
          var drawn = draw(entry, fc);
          entry.bounds = bounds;
          entry.complete = fc.numberMatched <= fc.numberReturned;
          st.bbox = bbox;
          st.matched = fc.numberMatched;
          st.returned = fc.numberReturned;
          st.drawn = drawn;
          st.status = 'loaded';
          st.loads = (st.loads || 0) + 1;
          showStatus(entry.complete ? '' : fill(T.truncated, {
            layer: entry.cfg.title, shown: fc.numberReturned, matched: fc.numberMatched,
          }));
        })
        .catch(function (err) {
          if (err.name === 'AbortError') { return; }
          st.status = 'error';
          showStatus(fill(T.load_failed, { layer: entry.cfg.title }));
        });
    }

    function tileUrl(doc) {
      var link = (doc.links || []).filter(function (l) {
        return l.rel === 'item' && (!l.type || /vector-tile|protobuf|pbf/.test(l.type));
      })[0];
      if (!link) { throw new Error('no tile link'); }
      return link.href.replace('{tileMatrix}', '{z}').replace('{tileRow}', '{y}')
        .replace('{tileCol}', '{x}');
    }

    function startTiles(entry) {
      var st = entry.state;
      if (entry.tiles || entry.tilesPending) { return; }
      entry.tilesPending = true;
      st.status = 'loading';
      var url = cfg.base + '/collections/' + entry.id + '/tiles/WebMercatorQuad';
      fetch(url, { headers: { Accept: 'application/json' } })
        .then(function (r) {
          if (!r.ok) { throw new Error(String(r.status)); }
          return r.json();
        })
        .then(function (doc) {
          var template = tileUrl(doc);
          var styles = {};
          styles[entry.id] = function (p) { return pathStyle(entry, p); };
          var grid = L.vectorGrid.protobuf(template, {
            pane: entry.pane, interactive: true, minZoom: entry.cfg.minZoom, maxZoom: 22,
            vectorTileLayerStyles: styles,
            getFeatureId: function (f) { return f.id != null ? f.id : f.properties.id; },
          });
          grid.on('click', function (e) {
            L.popup({ maxWidth: 360 }).setLatLng(e.latlng)
              .setContent(popupContent(entry, e.layer.properties)).openOn(map);
          });
          grid.on('loading', function () { st.status = 'loading'; });
          grid.on('load', function () {
            st.status = 'loaded';
            st.loads = (st.loads || 0) + 1;
          });
          entry.tiles = grid;
          entry.tilesPending = false;
          st.source = 'tiles';
          st.url = template;
          entry.group.addLayer(grid);
          if (map.getZoom() < entry.cfg.minZoom) { st.status = 'hidden'; }
        })
        .catch(function () {
          // The service offers no tiles for this layer: draw it from GeoJSON instead.
          entry.tilesPending = false;
          entry.source = st.source = 'geojson';
          refresh(entry);
        });
    }

    function refresh(entry) {
      if (!map.hasLayer(entry.group)) { return; }
      if (entry.source === 'tiles') {
        startTiles(entry);
        if (entry.tiles && map.getZoom() < entry.cfg.minZoom) { entry.state.status = 'hidden'; }
        return;
      }
      if (map.getZoom() < entry.cfg.minZoom) {
        if (entry.controller) { entry.controller.abort(); entry.controller = null; }
        clear(entry);
        entry.state.status = 'hidden';
        entry.state.drawn = 0;
        return;
      }
      fetchItems(entry);
    }

    function syncLegend() {
      entries.forEach(function (entry) {
        var section = legend.querySelector('section[data-layer="' + entry.id + '"]');
        if (section) { section.classList.toggle('qh-off', !map.hasLayer(entry.group)); }
      });
    }

    function syncUrl() {
      if (!window.history || !history.replaceState) { return; }
      var u = new URL(window.location.href), c = map.getCenter();
      u.searchParams.delete('bbox');
      u.searchParams.set('center', c.lat.toFixed(5) + ',' + c.lng.toFixed(5));
      u.searchParams.set('zoom', String(Math.round(map.getZoom())));
      u.searchParams.set('lang', lang);
      u.searchParams.set('layers', entries.filter(function (e) {
        return map.hasLayer(e.group);
      }).map(function (e) { return e.id; }).join(','));
      history.replaceState(null, '', u.toString());
    }

    function setStat(key, value, detail) {
      var cell = summary.querySelector('[data-stat="' + key + '"]');
      if (!cell) { return; }
      cell.textContent = value;
      if (detail) { L.DomUtil.create('small', '', cell).textContent = detail; }
    }

    function loadStats() {
      var params = new URLSearchParams({ district: cfg.district, from: cfg.from, to: cfg.to });
      if (cfg.ward) { params.set('ward', cfg.ward); }
      if (cfg.asOf) { params.set('as_of', cfg.asOf); }
      qh.state.statsStatus = 'loading';
      fetch(cfg.base + '/stats/clearance?' + params.toString(), { headers: { Accept: 'application/json' } })
        .then(function (r) {
          if (!r.ok) { throw new Error(String(r.status)); }
          return r.json();
        })
        .then(function (s) {
          setStat('projects', String(s.projects), fill(T.stat_projects_detail, {
            budget: s.projects_budget, non_budget: s.projects_non_budget,
          }));
          setStat('plans', s.plans_approved + '/' + s.plans_total);
          setStat('recovered', fmt(s.recovered_ha, 2) + ' ha');
          setStat('compensation', fmt(Number(s.compensation_vnd) / 1e9, 1) + ' ' + T.billion);
          setStat('ahead', String(s.projects_ahead_of_schedule));
          qh.state.stats = s;
          qh.state.statsStatus = 'loaded';
        })
        .catch(function () {
          qh.state.statsStatus = 'error';
          showStatus(T.stats_failed);
        });
    }

    var legend = control('qh-legend', 'bottomright');
    var summary = control('qh-summary', 'bottomleft');
    statusBox = L.DomUtil.create('div', 'qh-status', legend);
    statusBox.hidden = true;
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);

    cfg.layers.forEach(function (layerCfg) {
      var pane = 'qh-' + layerCfg.id;
      map.createPane(pane).style.zIndex = String(layerCfg.z);
      var entry = {
        id: layerCfg.id, cfg: layerCfg, group: groups[layerCfg.id], pane: pane,
        style: cfg.styles[layerCfg.id], source: layerCfg.source,
        state: { status: 'idle', source: layerCfg.source },
      };
      qh.state.layers[entry.id] = entry.state;
      entries.push(entry);
    });

    var v = cfg.view;
    if (v.bbox) {
      var b = L.latLngBounds([v.bbox[1], v.bbox[0]], [v.bbox[3], v.bbox[2]]);
      if (v.zoom != null) { map.setView(b.getCenter(), v.zoom, { animate: false }); }
      else { map.fitBounds(b, { animate: false }); }
    } else {
      map.setView(v.center, v.zoom, { animate: false });
    }

    map.on('moveend', function () {
      entries.forEach(refresh);
      syncUrl();
    });
    map.on('overlayadd overlayremove', function (e) {
      entries.forEach(function (entry) {
        if (entry.group === e.layer) { refresh(entry); }
      });
      syncLegend();
      syncUrl();
    });
    entries.forEach(refresh);
    syncLegend();
    loadStats();

    qh.entries = entries;
    // Redraw every layer and the summary for cfg.asOf (set by the date slider). Tiles show
    // today's state, so a past day is drawn from GeoJSON.
    qh.reload = function () {
      entries.forEach(function (entry) {
        var tiled = (entry.cfg.source === 'tiles' || entry.cfg.tiledToday) && !cfg.asOf;
        if (!tiled && entry.tiles) { entry.group.removeLayer(entry.tiles); entry.tiles = null; }
        if (tiled && entry.source !== 'tiles') { clear(entry); }
        entry.source = entry.state.source = tiled ? 'tiles' : 'geojson';
        entry.bounds = null;
        refresh(entry);
      });
      loadStats();
    };
    qh.idle = function () {
      return qh.state.statsStatus !== 'loading' && entries.every(function (e) {
        return !map.hasLayer(e.group) || e.state.status !== 'loading';
      });
    };
  };
}());
