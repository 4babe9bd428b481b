/* The clearance map: fetches each enabled layer from the service for the area in view and
 * draws it, styled from a feature property with the colours the page's config carries.
 * Layers come as GeoJSON from /collections/{id}/items?bbox=..., or, for big layers, as vector
 * tiles drawn on canvas from the versioned tile URL the config carries. No data is in the page.
 * The summary's totals are fetched once the layers in view have first drawn.
 * Layout: the layer control (grouped by theme), the legend and the other panels fold to a
 * button, closed at first on screens narrower than WIDE_SCREEN and then as the reader left them.
 * A click opens one popup: the most specific feature under it, the others as links. */
(function () {
  'use strict';

  var PAD = 0.25;  // fetch a margin around the view so small pans need no new request
  var STATS_WAIT_MS = 3000;  // the totals start by then even if a layer is still loading
  var WIDE_SCREEN = 1500;  // px; narrower screens open the map with its panels folded
  var THEMES = ['clearance', 'planning', 'infrastructure', 'administrative'];
  var qh = window.quyhoach = { state: { layers: {}, stats: null, statsStatus: 'waiting' } };

  // Layer controls as folium creates them (its script keeps no global of the control itself).
  var layerControls = [];
  if (window.L && L.Control && L.Control.Layers) {
    L.Control.Layers.addInitHook(function () { layerControls.push(this); });
  }

  // Feature properties reach the page as text only: elements filled through textContent.
  function node(tag, className, text, parent) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text != null) { el.textContent = String(text); }
    if (parent) { parent.appendChild(el); }
    return el;
  }

  // Numbers as the reader writes them (quyhoach-format.js: 3,80 in Vietnamese, 3.80 in English).
  var F = window.qhFormat;
  var fmtLang = 'vi';
  function fmt(value, digits) { return F.number(value, digits, fmtLang); }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return key in values ? values[key] : m;
    });
  }

  // A click that hits nothing on a canvas tile goes on to what lies beneath it (a tiled layer
  // below, a GeoJSON layer or the map), as it would through an SVG tile's empty areas.
  // The tile stays out of the way until the click is handled, so that a tile beneath that
  // finds nothing either passes it further down, not back up.
  function passOn(el, e) {
    var before = el.style.pointerEvents;
    el.style.pointerEvents = 'none';
    try {
      var below = document.elementFromPoint(e.clientX, e.clientY);
      if (!below || below === el) { return false; }
      below.dispatchEvent(new MouseEvent(e.type, e));
      return true;
    } finally {
      el.style.pointerEvents = before;
    }
  }

  // Renderer of one vector tile on a canvas. Unlike VectorGrid's, it stops no event, so a drag
  // that starts on a feature still pans the map, and it lets clicks on empty areas through.
  function tileCanvas() {
    var TileCanvas = L.Canvas.Tile.extend({
      _featureAt: function (e) {
        var point = this._map.mouseEventToLayerPoint(e).subtract(this.getOffset()), found = null;
        for (var id in this._layers) {
          var layer = this._layers[id];
          if (layer.options.interactive && layer._containsPoint(point)) { found = layer; }
        }
        return found;
      },
      // Every interactive feature of this tile under a point of the map.
      _layersAt: function (latlng) {
        if (!this._map) { return []; }
        var point = this._map.latLngToLayerPoint(latlng).subtract(this.getOffset()), found = [];
        for (var id in this._layers) {
          var layer = this._layers[id];
          if (layer.options.interactive && layer._containsPoint(point)) { found.push(layer); }
        }
        return found;
      },
      _onClick: function (e) {
        if (!this._map) { return; }
        var click = e.type === 'click';
        if (click && this._map._draggableMoved(this._map)) { return; }  // the end of a pan
        var layer = this._featureAt(e);
        if (!layer && click && passOn(this._container, e)) { return; }
        this._fireEvent(layer ? [layer] : false, e);
      },
      _fireEvent: function (layers, e, type) {
        // Leaflet places events on a point at its latlng, which a tile's point lacks.
        (layers || []).forEach(function (layer) {
          if (layer._point && layer.getLatLng) {
            layer._latlng = this._map.layerPointToLatLng(layer._point.add(this.getOffset()));
          }
        }, this);
        L.Canvas.Tile.prototype._fireEvent.call(this, layers, e, type);
      },
    });
    return function (coords, size, options) { return new TileCanvas(coords, size, options); };
  }

  function featureIdOf(f) { return f.id != null ? f.id : f.properties.id; }

  // VectorGrid's protobuf layer whose drawn features keep their feature id, for their popups.
  function tileGridClass() {
    return L.VectorGrid.Protobuf.extend({
      _createLayer: function (feat, pxPerExtent) {
        var layer = L.VectorGrid.Protobuf.prototype._createLayer.call(this, feat, pxPerExtent);
        layer.featureId = featureIdOf(feat);
        return layer;
      },
    });
  }

  // A search box (top left): /search's hits listed under it; choosing one zooms to its extent.
  // Folded to a button while not in use: it opens on a click and folds again when left empty.
  function searchBox(map, cfg) {
    var W = cfg.search, asked = 0, timer = null, hits = [];
    var LW = cfg.layout || {};
    var el = L.DomUtil.create('div', 'qh-search leaflet-bar qh-folded');
    var open = node('button', 'qh-search-open', null, el);
    node('i', 'fa-solid fa-magnifying-glass', null, open).setAttribute('aria-hidden', 'true');
    open.type = 'button';
    open.title = LW.search || W.placeholder;
    open.setAttribute('aria-label', open.title);
    open.setAttribute('aria-expanded', 'false');
    var input = node('input', 'form-control form-control-sm', null, el);
    input.type = 'search';
    input.maxLength = 200;
    input.placeholder = W.placeholder;
    input.setAttribute('aria-label', W.placeholder);
    var list = node('div', 'qh-search-hits', null, el);
    list.style.cssText = 'max-height:260px;overflow-y:auto';
    function go(hit) {
      var e = hit.extent;
      map.fitBounds([[e[1], e[0]], [e[3], e[2]]], { maxZoom: 18 });
      list.replaceChildren();
    }
    function show(found) {
      hits = found;
      list.replaceChildren();
      if (!found.length) { node('div', 'text-muted', W.none, list); }
      found.forEach(function (hit) {
        var row = node('a', 'd-block text-decoration-none text-body py-1', null, list);
        row.href = '#';
        row.dataset.collection = hit.collection;
        node('div', 'fw-semibold', hit.label, row);
        if (hit.detail) { node('div', 'small text-muted', hit.detail, row); }
        L.DomEvent.on(row, 'click', function (ev) { L.DomEvent.preventDefault(ev); go(hit); });
      });
    }
    function ask() {
      var q = input.value.trim(), mine = ++asked;
      if (!q) { list.replaceChildren(); hits = []; return; }
      fetch((cfg.base || '') + '/search?' + new URLSearchParams({ q: q, lang: cfg.lang, limit: 8 }))
        .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
        .then(function (body) { if (mine === asked) { show(body.hits); } })
        .catch(function () {
          if (mine === asked) { list.replaceChildren(); node('div', 'text-danger', W.failed, list); }
        });
    }
    L.DomEvent.on(input, 'input', function () { clearTimeout(timer); timer = setTimeout(ask, 250); });
    L.DomEvent.on(input, 'keydown', function (ev) {
      if (ev.key === 'Enter' && hits.length) { go(hits[0]); }
      if (ev.key === 'Escape') { input.value = ''; list.replaceChildren(); fold(true); }
    });
    function fold(folded) {
      el.classList.toggle('qh-folded', folded);
      open.setAttribute('aria-expanded', String(!folded));
      if (!folded) { input.focus(); }
    }
    L.DomEvent.on(open, 'click', function () { fold(false); });
    L.DomEvent.on(input, 'blur', function () {
      // A click on a hit blurs the input first: let it land before folding.
      setTimeout(function () {
        if (!input.value.trim() && !el.contains(document.activeElement)) { fold(true); }
      }, 200);
    });
    var Box = L.Control.extend({ onAdd: function () { return el; } });
    new Box({ position: 'topleft' }).addTo(map);
    L.DomEvent.disableClickPropagation(el);
    L.DomEvent.disableScrollPropagation(el);
  }

  // ------------------------------------------------------------------ panels that fold away

  function stored(key) {
    try { return window.localStorage.getItem('quyhoach.panel.' + key); } catch (e) { return null; }
  }
  function store(key, open) {
    try { window.localStorage.setItem('quyhoach.panel.' + key, open ? 'open' : 'closed'); }
    catch (e) { /* private browsing: the state lasts for the page only */ }
  }

  // Make a panel fold to its title button. `key` names the remembered state; until the reader
  // changes it the panel is open on a wide screen only, or as `open` says. `button`: a title
  // element of the panel to use; `onChange(open)` runs after each change.
  function foldable(el, key, label, opts) {
    var o = opts || {}, W = o.words || {};
    var button = o.button || document.createElement('button');
    button.type = 'button';
    button.classList.add('qh-fold-toggle');
    if (!o.button) {
      button.textContent = label;
      el.insertBefore(button, el.firstChild);
    }
    el.classList.add('qh-foldable');
    var saved = stored(key);
    var open = saved ? saved === 'open' : o.open != null ? o.open : window.innerWidth >= WIDE_SCREEN;
    function set(value, remember) {
      open = value;
      el.classList.toggle('qh-folded', !open);
      button.setAttribute('aria-expanded', String(open));
      button.title = (open ? W.hide : W.show || '').replace('{panel}', label.toLowerCase());
      if (remember) { store(key, open); }
      if (o.onChange) { o.onChange(open); }
    }
    L.DomEvent.on(button, 'click', function (ev) { L.DomEvent.stop(ev); set(!open, true); });
    set(open, false);
    return { button: button, isOpen: function () { return open; }, set: set };
  }
  qh.foldable = foldable;

  // The element's words as plain text (the layer control's names are escaped HTML).
  function plainText(html) {
    return new DOMParser().parseFromString(String(html), 'text/html').body.textContent.trim();
  }

  qh.init = function (map, groups, cfg) {
    var S = cfg.i18n, T = S.text, lang = cfg.lang;
    var LW = cfg.layout || {};

    // The theme of an overlay: a catalogue layer's, a plan sheet's (overlays.py sets it), the
    // former boundaries' (administrative).
    var themes = new Map();
    cfg.layers.forEach(function (l) { if (groups[l.id]) { themes.set(groups[l.id], l.theme); } });
    var former = cfg.units && cfg.units.formerGroup && window[cfg.units.formerGroup];
    if (former) { themes.set(former, 'administrative'); }
    function themeOf(layer) { return themes.get(layer) || layer.qhTheme || 'other'; }

    // Leaflet's layer control, folded to a button, its overlays under their theme's title and
    // named in full on hover; plan sheets listed while they lie in view (or are on).
    function groupLayerControl(ctl, words) {
      var container = ctl.getContainer();
      container.classList.add('qh-layers');
      var label = LW.layers;
      var fold = foldable(container, 'layers', label, {
        words: words,
        onChange: function (open) {
          map.getContainer().classList.toggle('qh-layers-open', open);
          if (open && ctl._map) { ctl.expand(); }
        },
      });
      function inView() {
        var view = map.getBounds();
        Array.prototype.forEach.call(ctl._overlaysList.querySelectorAll('label'), function (el) {
          var obj = el.qhLayer;
          if (!obj || !obj.layer.qhBounds) { return; }
          el.hidden = !view.intersects(obj.layer.qhBounds) && !map.hasLayer(obj.layer);
        });
      }
      function regroup() {
        var list = ctl._overlaysList, byTheme = {};
        Array.prototype.slice.call(list.querySelectorAll('label')).forEach(function (el) {
          var input = el.querySelector('input');
          var obj = input && ctl._getLayer(input.layerId);
          if (!obj) { return; }
          el.qhLayer = obj;
          var theme = themeOf(obj.layer);
          el.dataset.theme = theme;
          var name = el.querySelector('span > span');
          if (name) {
            name.classList.add('qh-layer-name');
            name.title = obj.layer.qhTitle || plainText(obj.name);
          }
          (byTheme[theme] = byTheme[theme] || []).push(el);
        });
        list.textContent = '';
        THEMES.concat(['other']).forEach(function (theme) {
          if (!byTheme[theme]) { return; }
          var group = node('div', 'qh-layer-group', null, list);
          group.dataset.theme = theme;
          node('div', 'qh-layer-group-title', LW['theme.' + theme] || theme, group);
          byTheme[theme].forEach(function (el) { group.appendChild(el); });
        });
        container.classList.toggle('qh-one-base', ctl._layers.filter(function (o) {
          return !o.overlay;
        }).length < 2);
        inView();
      }
      var update = ctl._update;
      ctl._update = function () {
        var result = update.apply(this, arguments);
        regroup();
        return result;
      };
      regroup();
      map.on('moveend', inView);
      qh.layerControl = ctl;
      return fold;
    }
    fmtLang = lang;
    var entries = [];
    var statusBox;
    var TileGrid = tileGridClass(), canvasRenderer = tileCanvas();
    qh.map = map;
    qh.cfg = cfg;

    // Leaflet ≥ 1.8 dropped fakeStop, which VectorGrid's canvas renderer still calls.
    if (!L.DomEvent.fakeStop) { L.DomEvent.fakeStop = L.DomEvent.stopPropagation; }

    function billion(vnd) { return F.amount(vnd, lang); }

    function day(value) {
      if (!value) { return ''; }
      var p = String(value).slice(0, 10).split('-');
      return lang === 'en' ? p.join('-') : p[2] + '/' + p[1] + '/' + p[0];
    }

    function fieldValue(layerId, key, p) {
      var v = p[key];
      switch (key) {
        case 'plans_approved':
          return F.ratio(p.plans_approved, p.plans_total, lang);
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

    // `zoom`: the tile's, for tiled layers; otherwise the map's.
    function pathStyle(entry, p, zoom) {
      var s = entry.style;
      var color = (s.colorBy && s.colors[p[s.colorBy]]) || s.default;
      var dash = s.dashBy ? (s.dashes[p[s.dashBy]] || null) : s.dash;
      var z = zoom == null ? map.getZoom() : zoom;
      var low = s.lowZoom && z < s.lowZoom.below ? s.lowZoom : {};
      var o = {
        color: s.stroke || color, weight: low.weight != null ? low.weight : s.weight,
        opacity: low.opacity != null ? low.opacity : s.opacity, dashArray: dash,
        fill: s.kind !== 'line', fillColor: color,
        fillOpacity: low.fillOpacity != null ? low.fillOpacity : s.fillOpacity,
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
          // No popup of its own: the map's click handler opens one for all that lies there.
          layer.options.className = 'qh-feature qh-' + entry.id;
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
      var params = new URLSearchParams({ bbox: bbox, limit: cfg.limit });
      // A former district's map keeps to its features; a unit's shows all in view.
      if (cfg.itemsDistrict) { params.set('district', cfg.itemsDistrict); }
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
          firstDrawn();
        })
        .catch(function (err) {
          if (err.name === 'AbortError') { return; }
          st.status = 'error';
          showStatus(fill(T.load_failed, { layer: entry.cfg.title }));
          firstDrawn();
        });
    }

    // A tiled layer's features carry little more than style keys and ids: their popup shows
    // the feature as the items endpoint gives it.
    function fetchFeature(entry, fid) {
      var url = cfg.base + '/collections/' + entry.id + '/items/' + encodeURIComponent(fid);
      return fetch(url, { headers: { Accept: 'application/geo+json' } }).then(function (r) {
        if (!r.ok) { throw new Error(String(r.status)); }
        return r.json();
      });
    }

    // ---------------------------------------------------------------- one popup at a time

    var FAMILY_RANK = { point: 0, line: 1, polygon: 2 };

    // Everything drawn under a point of the map, the most specific first: points, then lines,
    // then areas from the smallest; administrative units last; the upper layer first on a tie.
    function hitsAt(latlng) {
      var hits = [], lp = map.latLngToLayerPoint(latlng);
      function add(entry, layer, props, fid) {
        var b = layer._pxBounds, kind = entry.style.kind;
        var area = kind === 'polygon' && b ? (b.max.x - b.min.x) * (b.max.y - b.min.y) : 0;
        hits.push({ entry: entry, props: props || {}, fid: fid,
                    rank: [entry.cfg.theme === 'administrative' ? 1 : 0, FAMILY_RANK[kind] || 0,
                           area, -entry.cfg.z] });
      }
      entries.forEach(function (entry) {
        if (!map.hasLayer(entry.group)) { return; }
        if (entry.drawn) {
          entry.drawn.eachLayer(function (layer) {
            if (layer._containsPoint && layer._map && layer._containsPoint(lp)) {
              add(entry, layer, layer.feature.properties, featureIdOf(layer.feature));
            }
          });
        }
        var grid = entry.tiles;
        if (grid && grid._map && grid._vectorTiles && grid._tileZoom != null &&
            map.getZoom() >= entry.cfg.minZoom) {
          var size = grid.getTileSize(), p = map.project(latlng, grid._tileZoom);
          var coords = L.point(Math.floor(p.x / size.x), Math.floor(p.y / size.y));
          coords.z = grid._tileZoom;
          var tile = grid._vectorTiles[grid._tileCoordsToKey(coords)];
          if (tile && tile._layersAt) {
            tile._layersAt(latlng).forEach(function (layer) {
              add(entry, layer, layer.properties, layer.featureId);
            });
          }
        }
      });
      hits.sort(function (a, b) {
        for (var i = 0; i < a.rank.length; i++) {
          if (a.rank[i] !== b.rank[i]) { return a.rank[i] - b.rank[i]; }
        }
        return 0;
      });
      return hits;
    }

    function hitLabel(hit) {
      if (hit.plan) { return hit.plan; }
      var p = hit.props, id = hit.entry.id;
      var name = p[S.popupTitle[id]] || p.name || p.code || '';
      return hit.entry.cfg.title + (name ? ': ' + name : '');
    }

    // "Also here: …" links under a popup or a panel; `before` runs ahead of the link's action.
    qh.alsoHere = function (parent, others, before) {
      var row = node('div', 'qh-also', null, parent);
      node('span', 'qh-also-title', LW.also_here, row);
      others.forEach(function (o) {
        var a = node('a', 'qh-also-link', o.label, row);
        a.href = '#';
        if (o.layer) { a.dataset.layer = o.layer; }
        L.DomEvent.on(a, 'click', function (ev) {
          L.DomEvent.stop(ev);
          if (before) { before(); }
          o.open();
        });
      });
      return row;
    };

    function popupOptions() {
      return { maxWidth: 360, maxHeight: Math.max(180, map.getSize().y - 170),
               autoPanPadding: L.point(40, 40) };
    }

    // Open the popup of hits[index], the others linked from it.
    function openHit(hits, index, latlng) {
      var hit = hits[index];
      var others = hits.map(function (h, j) {
        return { label: hitLabel(h), layer: h.plan ? 'plan' : h.entry.id,
                 open: function () { openHit(hits, j, latlng); } };
      }).filter(function (o, j) { return j !== index; });
      if (hit.plan) {
        map.closePopup();
        qh.plans.lookup(latlng, others);
        return;
      }
      if (qh.plans) { qh.plans.hide(); }
      var entry = hit.entry;
      var popup = L.popup(popupOptions()).setLatLng(latlng);
      function show(box) {
        box.setAttribute('data-feature-id', hit.fid == null ? '' : String(hit.fid));
        if (others.length) { qh.alsoHere(box, others); }
        popup.setContent(box);
        if (popup.isOpen()) { popup.update(); }
      }
      // A tiled layer's features carry little more than style keys and ids: their popup shows
      // the feature as the items endpoint gives it.
      if (entry.source !== 'tiles' || hit.fid == null) {
        show(popupContent(entry, hit.props));
        popup.openOn(map);
        return;
      }
      var box = node('div', 'qh-popup-loading');
      node('div', 'qh-popup-layer', entry.cfg.title, box);
      node('div', null, T.loading, box);
      popup.setContent(box).openOn(map);
      fetchFeature(entry, hit.fid)
        .then(function (f) { if (popup.isOpen()) { show(popupContent(entry, f.properties || {})); } })
        .catch(function () { box.lastChild.textContent = T.feature_failed; });
    }

    // While a tool places points (measuring, drawing) a click opens nothing.
    function clicksTaken() {
      var m = qh.tools && qh.tools.measure;
      if (m && m.mode && !m.done) { return true; }
      if (qh.popupsPaused) { return true; }
      var pm = map.pm;
      return !!(pm && ((pm.globalDrawModeEnabled && pm.globalDrawModeEnabled()) ||
                       (pm.globalEditModeEnabled && pm.globalEditModeEnabled())));
    }

    map.on('click', function (e) {
      if (clicksTaken()) { return; }
      var hits = hitsAt(e.latlng);
      if (qh.plans && qh.plans.active()) {
        // The planned land use ranks after every feature but the administrative units.
        var at = 0;
        while (at < hits.length && hits[at].rank[0] === 0) { at += 1; }
        hits.splice(at, 0, { plan: qh.plans.title, rank: [0, 3, 0, 0] });
      }
      qh.state.hits = hits.map(function (h) { return h.plan ? 'plan' : h.entry.id; });
      if (!hits.length) { return; }
      openHit(hits, 0, e.latlng);
    });

    function tileGrid(entry, url) {
      var styles = {};
      styles[entry.id] = function (p, zoom) { return pathStyle(entry, p, zoom); };
      return new TileGrid(url, {
        pane: entry.pane, interactive: true, minZoom: entry.cfg.minZoom, maxZoom: 22,
        rendererFactory: canvasRenderer, vectorTileLayerStyles: styles,
        getFeatureId: featureIdOf,
      });
    }

    function startTiles(entry) {
      var st = entry.state;
      if (entry.tiles) { return; }
      if (!entry.cfg.tiles) {  // no tile URL for this layer: draw it from GeoJSON instead
        entry.source = st.source = 'geojson';
        refresh(entry);
        return;
      }
      var grid = tileGrid(entry, entry.cfg.tiles);
      grid.on('loading', function () { st.status = 'loading'; });
      grid.on('load', function () {
        st.status = 'loaded';
        st.loads = (st.loads || 0) + 1;
        firstDrawn();
      });
      entry.tiles = grid;
      st.source = 'tiles';
      st.url = entry.cfg.tiles;
      st.status = 'loading';
      entry.group.addLayer(grid);
      if (map.getZoom() < entry.cfg.minZoom) { st.status = 'hidden'; }
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

    function layersSettled() {
      return entries.every(function (e) {
        return !map.hasLayer(e.group) || e.state.status !== 'loading';
      });
    }

    // The totals wait for the layers in view to draw first: theirs is among the heaviest
    // queries of the page, and it would hold a connection the first tiles need.
    function firstDrawn() {
      if (qh.state.statsStatus !== 'waiting' || !layersSettled()) { return; }
      if (qh.state.drawnAt == null) { qh.state.drawnAt = Math.round(performance.now()); }
      var start = function () { if (qh.state.statsStatus === 'waiting') { loadStats(); } };
      if (window.requestIdleCallback) { requestIdleCallback(start, { timeout: 300 }); }
      else { setTimeout(start, 0); }
    }

    // The legend lists the layers that are on; the others wait in the layer control.
    function syncLegend() {
      var shown = 0;
      entries.forEach(function (entry) {
        var section = legend.querySelector('section[data-layer="' + entry.id + '"]');
        var on = map.hasLayer(entry.group);
        if (section) { section.classList.toggle('qh-off', !on); }
        if (on && section) { shown += 1; }
      });
      legendEmpty.hidden = shown > 0;
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
          setStat('projects', F.count(s.projects, lang), fill(T.stat_projects_detail, {
            budget: F.count(s.projects_budget, lang), non_budget: F.count(s.projects_non_budget, lang),
          }));
          setStat('plans', F.ratio(s.plans_approved, s.plans_total, lang));
          setStat('recovered', F.hectares(s.recovered_ha, lang));
          setStat('compensation', F.amount(s.compensation_vnd, lang));
          setStat('ahead', F.count(s.projects_ahead_of_schedule, lang));
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
    var legendEmpty = node('div', 'qh-legend-empty', LW.legend_empty, legend);
    statusBox = L.DomUtil.create('div', 'qh-status', legend);
    statusBox.hidden = true;
    L.control.scale({ imperial: false, position: 'bottomleft' }).addTo(map);
    if (cfg.search) { searchBox(map, cfg); }
    var words = { show: LW.show, hide: LW.hide };
    qh.panels = {};
    // The legend folds to its title, closed at first on a small screen; the totals too, open
    // at first (the period's figures are what the map is opened for).
    [[legend, 'legend', false], [summary, 'summary', true]].forEach(function (p) {
      var title = p[0].querySelector('.qh-panel-title');
      if (!title) { return; }
      var button = document.createElement('button');
      button.className = 'qh-panel-title';
      button.textContent = title.textContent;
      title.replaceWith(button);
      var key = p[1];
      qh.panels[key] = foldable(p[0], key, button.textContent, {
        button: button, words: words, open: p[2] || null,
        onChange: function (open) { map.getContainer().classList.toggle('qh-' + key + '-open', open); },
      });
    });
    layerControls.filter(function (c) { return c._map === map; }).forEach(function (c) {
      qh.panels.layers = groupLayerControl(c, words);
    });

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
    // Emphasis that changes with the zoom: drawn GeoJSON layers are restyled (tiles redraw).
    map.on('zoomend', function () {
      entries.forEach(function (entry) {
        if (entry.drawn && entry.style.lowZoom) {
          entry.drawn.setStyle(function (f) { return pathStyle(entry, f.properties); });
        }
      });
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
    firstDrawn();
    setTimeout(function () {
      if (qh.state.statsStatus === 'waiting') { loadStats(); }
    }, STATS_WAIT_MS);

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
      var stats = qh.state.statsStatus;
      return stats !== 'loading' && stats !== 'waiting' && layersSettled();
    };
  };
}());
