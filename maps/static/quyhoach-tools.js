/* The map's tools: a swipe between two layers or plan sheets, measuring on the ground, and a
 * link to the QGIS project of the service's layers.
 *
 * Swipe: the layers chosen for the left and the right side are clipped (CSS clip on their
 * panes, or on a plan sheet's tile container) at a divider the reader drags.
 * Measuring: distances and areas on the WGS 84 ellipsoid with GeographicLib (the geodesic
 * routines PostGIS uses for `geography`, so the same figure as the service's area_ha).
 * Words come from the page's config (i18n.tools), in the reader's language. */
(function () {
  'use strict';

  var overlays = [];  // every overlay of the layer control: { layer, name }

  // The layer control is built after this script loads: its overlays are noted as it adds them.
  if (window.L && L.Control && L.Control.Layers) {
    var addLayer = L.Control.Layers.prototype._addLayer;
    L.Control.Layers.prototype._addLayer = function (layer, name, overlay) {
      if (overlay) { overlays.push({ layer: layer, name: name }); }
      return addLayer.apply(this, arguments);
    };
  }

  function node(tag, className, text, parent) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text != null) { el.textContent = String(text); }
    if (parent) { parent.appendChild(el); }
    return el;
  }

  // The control's names are HTML (escaped by the service); shown here as plain text.
  function plainText(html) {
    return new DOMParser().parseFromString(String(html), 'text/html').body.textContent;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) { return key in values ? values[key] : m; });
  }

  // --- swipe ------------------------------------------------------------------------------------

  function swipeTool(map, qh, T, box) {
    var state = qh.tools.swipe = { on: false, left: null, right: null, position: 0.5 };
    var clipped = [];
    var row = node('div', 'qh-tool-row', null, box);
    var toggle = node('button', 'btn btn-sm btn-light qh-swipe-toggle', T.swipe, row);
    toggle.type = 'button';
    var panel = node('div', 'qh-swipe-panel', null, box);
    panel.hidden = true;
    function chooser(label) {
      var wrap = node('label', '', label + ' ', panel);
      wrap.style.display = 'block';
      var select = node('select', 'form-select form-select-sm', null, wrap);
      overlays.forEach(function (o, i) {
        var opt = node('option', '', plainText(o.name), select);
        opt.value = String(i);
      });
      return select;
    }
    var leftSelect = chooser(T.swipe_left);
    var rightSelect = chooser(T.swipe_right);
    leftSelect.className += ' qh-swipe-left';
    rightSelect.className += ' qh-swipe-right';
    if (overlays.length > 1) { rightSelect.value = '1'; }

    var divider = node('div', 'qh-swipe-divider', null, map.getContainer());
    var ds = divider.style;
    ds.position = 'absolute'; ds.top = '0'; ds.bottom = '0'; ds.width = '6px';
    ds.marginLeft = '-3px'; ds.background = '#ffffff'; ds.boxShadow = '0 0 4px rgba(0,0,0,.6)';
    ds.zIndex = '800'; ds.cursor = 'ew-resize'; ds.display = 'none'; ds.touchAction = 'none';
    L.DomEvent.disableClickPropagation(divider);

    // The element a layer is drawn in: its own pane, a plan sheet's tile container.
    function elementOf(choice) {
      var layer = choice.layer;
      var entry = (qh.entries || []).filter(function (e) { return e.group === layer; })[0];
      if (entry) { return map.getPane(entry.pane); }
      if (layer.getContainer && layer.getContainer()) { return layer.getContainer(); }
      return map.getPane('overlayPane');
    }

    function unclip() {
      clipped.forEach(function (el) { el.style.clip = ''; });
      clipped = [];
    }

    function update() {
      unclip();
      if (!state.on) { return; }
      var size = map.getSize();
      var nw = map.containerPointToLayerPoint([0, 0]);
      var se = map.containerPointToLayerPoint(size);
      var x = map.containerPointToLayerPoint([state.position * size.x, 0]).x;
      var left = elementOf(overlays[state.left]), right = elementOf(overlays[state.right]);
      ds.left = (state.position * size.x) + 'px';
      if (left === right) { return; }
      left.style.clip = 'rect(' + nw.y + 'px,' + x + 'px,' + se.y + 'px,' + nw.x + 'px)';
      right.style.clip = 'rect(' + nw.y + 'px,' + se.x + 'px,' + se.y + 'px,' + x + 'px)';
      clipped = [left, right];
    }

    function choose() {
      state.left = Number(leftSelect.value);
      state.right = Number(rightSelect.value);
      [state.left, state.right].forEach(function (i) {
        if (!map.hasLayer(overlays[i].layer)) { map.addLayer(overlays[i].layer); }
      });
      update();
    }

    function setOn(on) {
      state.on = on && overlays.length > 0;
      panel.hidden = !state.on;
      ds.display = state.on ? 'block' : 'none';
      toggle.textContent = state.on ? T.swipe_off : T.swipe;
      if (state.on) { choose(); } else { unclip(); }
    }

    toggle.addEventListener('click', function () { setOn(!state.on); });
    leftSelect.addEventListener('change', choose);
    rightSelect.addEventListener('change', choose);
    divider.addEventListener('pointerdown', function (e) {
      divider.setPointerCapture(e.pointerId);
      map.dragging.disable();
      e.preventDefault();
    });
    divider.addEventListener('pointermove', function (e) {
      if (!divider.hasPointerCapture(e.pointerId)) { return; }
      var rect = map.getContainer().getBoundingClientRect();
      state.position = Math.min(1, Math.max(0, (e.clientX - rect.left) / rect.width));
      update();
    });
    function release(e) {
      if (divider.hasPointerCapture(e.pointerId)) { divider.releasePointerCapture(e.pointerId); }
      map.dragging.enable();
    }
    divider.addEventListener('pointerup', release);
    divider.addEventListener('pointercancel', release);
    map.on('move zoom zoomend resize viewreset', update);
    map.on('layeradd', function () { if (state.on) { update(); } });
    state.update = update;
    state.setOn = setOn;
  }

  // --- measuring --------------------------------------------------------------------------------

  function measureTool(map, qh, T, box, lang) {
    var geod = window.geodesic.Geodesic.WGS84;
    var F = window.qhFormat;
    var state = qh.tools.measure = { mode: null, points: [], meters: null, squareMeters: null };
    map.createPane('qh-measure').style.zIndex = '650';
    var drawn = L.layerGroup().addTo(map);
    var row = node('div', 'qh-tool-row', null, box);
    function button(label, cls) {
      var b = node('button', 'btn btn-sm btn-light ' + cls, label, row);
      b.type = 'button';
      return b;
    }
    var distanceButton = button(T.measure_distance, 'qh-measure-distance');
    var areaButton = button(T.measure_area, 'qh-measure-area');
    var clearButton = button(T.measure_clear, 'qh-measure-clear');
    var result = node('div', 'qh-measure-result', null, box);
    result.setAttribute('aria-live', 'polite');

    function compute() {
      var pts = state.points;
      state.meters = null;
      state.squareMeters = null;
      if (state.mode === 'distance' && pts.length > 1) {
        var m = 0;
        for (var i = 1; i < pts.length; i++) {
          m += geod.Inverse(pts[i - 1][0], pts[i - 1][1], pts[i][0], pts[i][1]).s12;
        }
        state.meters = m;
        result.textContent = fill(T.distance, { m: F.number(m, 1, lang) });
      } else if (state.mode === 'area' && pts.length > 2) {
        var poly = geod.Polygon(false);
        pts.forEach(function (p) { poly.AddPoint(p[0], p[1]); });
        var a = Math.abs(poly.Compute(false, true).area);
        state.squareMeters = a;
        result.textContent = fill(T.area, { m2: F.number(a, 1, lang), ha: F.number(a / 10000, 4, lang) });
      } else {
        result.textContent = state.mode ? T.measure_hint : '';
      }
    }

    function redraw() {
      drawn.clearLayers();
      var latlngs = state.points.map(function (p) { return L.latLng(p[0], p[1]); });
      var style = { pane: 'qh-measure', color: '#ff6f00', weight: 3, dashArray: '6 4',
                    interactive: false, fillOpacity: 0.15 };
      if (state.mode === 'area' && latlngs.length > 2) { drawn.addLayer(L.polygon(latlngs, style)); }
      else if (latlngs.length > 1) { drawn.addLayer(L.polyline(latlngs, style)); }
      latlngs.forEach(function (ll) {
        drawn.addLayer(L.circleMarker(ll, { pane: 'qh-measure', radius: 4, color: '#ff6f00',
                                            fillColor: '#ffffff', fillOpacity: 1, weight: 2,
                                            interactive: false }));
      });
    }

    function start(mode) {
      state.mode = mode;
      state.points = [];
      state.done = false;
      map.doubleClickZoom.disable();
      map.getContainer().style.cursor = 'crosshair';
      distanceButton.classList.toggle('active', mode === 'distance');
      areaButton.classList.toggle('active', mode === 'area');
      redraw();
      compute();
    }

    function stop() {
      state.done = true;
      map.doubleClickZoom.enable();
      map.getContainer().style.cursor = '';
      distanceButton.classList.remove('active');
      areaButton.classList.remove('active');
    }

    map.on('click', function (e) {
      if (!state.mode || state.done) { return; }
      var p = [e.latlng.lat, e.latlng.lng];
      var last = state.points[state.points.length - 1];
      if (last && last[0] === p[0] && last[1] === p[1]) { return; }  // a double click's second
      state.points.push(p);
      redraw();
      compute();
    });
    map.on('dblclick', function () { if (state.mode && !state.done) { stop(); } });
    // While points are being placed a click measures: it opens no feature's popup.
    map.on('popupopen', function (e) {
      if (state.mode && !state.done) { map.closePopup(e.popup); }
    });
    distanceButton.addEventListener('click', function () { start('distance'); });
    areaButton.addEventListener('click', function () { start('area'); });
    clearButton.addEventListener('click', function () {
      stop();
      state.mode = null;
      state.points = [];
      redraw();
      compute();
    });
    [distanceButton, areaButton, clearButton].forEach(function (b) {
      L.DomEvent.disableClickPropagation(b);
    });
  }

  // --- the control ------------------------------------------------------------------------------

  function tools(map, qh, cfg) {
    var T = (cfg.i18n && cfg.i18n.tools) || {};
    qh.tools = { map: map };
    var control = L.control({ position: 'topleft' });
    control.onAdd = function () {
      // Not a .leaflet-bar: its rules shrink links to 26 px icons.
      var box = L.DomUtil.create('div', 'qh-tools');
      var s = box.style;
      s.background = '#ffffff'; s.padding = '4px'; s.fontSize = '12px'; s.maxWidth = '260px';
      s.borderRadius = '4px'; s.boxShadow = '0 1px 5px rgba(0,0,0,.4)';
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      var link = node('a', 'btn btn-sm btn-light qh-qgis', T.qgis, node('div', 'qh-tool-row', null, box));
      link.href = cfg.base + '/qgis/project.qgz?lang=' + encodeURIComponent(cfg.lang);
      link.setAttribute('download', 'quyhoach.qgz');
      swipeTool(map, qh, T, box);
      measureTool(map, qh, T, box, cfg.lang);
      // Folded to one button while not in use (the map's own panels' rule, closed at first).
      var L_ = cfg.layout || {};
      if (qh.foldable && L_.tools) {
        qh.tools.panel = qh.foldable(box, 'tools', L_.tools, {
          open: false, words: { show: L_.show, hide: L_.hide } });
      }
      return box;
    };
    control.addTo(map);
  }

  var qh = window.quyhoach;
  if (!qh || !qh.init) { return; }
  var init = qh.init;
  qh.init = function (map, groups, cfg) {
    var result = init.apply(this, arguments);
    tools(map, window.quyhoach, cfg);
    return result;
  };
}());
