/* Exports of the clearance map: the "Xuất bản đồ / Export" control (a PNG of the current view,
 * or a PDF at an exact scale), and the hooks the service's headless browser uses to stage a
 * snapshot (view, plan backdrop, caption) and to know when everything has drawn.
 * Loaded after quyhoach-map.js; it wraps quyhoach.init to add the control. */
(function () {
  'use strict';

  var qh = window.quyhoach;
  var PLAN_TILES = /\/plans\/(\d+)\/tiles\//;
  var SCALES = [500, 1000, 2000, 5000, 10000, 25000];
  var PAPERS = ['A4', 'A3', 'A2', 'A1', 'A0'];
  var WORDS = {
    vi: {
      button: 'Xuất bản đồ', png: 'Ảnh PNG của khung nhìn', pdf: 'PDF in đúng tỷ lệ',
      scale: 'Tỷ lệ', paper: 'Khổ giấy', orientation: 'Hướng giấy', landscape: 'Ngang',
      portrait: 'Dọc', title: 'Tiêu đề', download: 'Tải xuống', working: 'Đang xuất…',
      failed: 'Không xuất được bản đồ.', close: 'Đóng',
    },
    en: {
      button: 'Export', png: 'PNG of this view', pdf: 'PDF at an exact scale',
      scale: 'Scale', paper: 'Paper', orientation: 'Orientation', landscape: 'Landscape',
      portrait: 'Portrait', title: 'Title', download: 'Download', working: 'Exporting…',
      failed: 'The map could not be exported.', close: 'Close',
    },
  };

  function esc(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c];
    });
  }

  // The plan overlays, in the order of their panel rows: [{id, layer, row}].
  function planLayers() {
    var rows = Array.prototype.slice.call(document.querySelectorAll('.qh-plans-row[data-plan]'));
    var overlays = [];
    Object.keys(window).forEach(function (key) {
      var v = /^layer_control_\w+_layers$/.test(key) ? window[key] : null;
      if (!v || !v.overlays) { return; }
      Object.keys(v.overlays).forEach(function (name) {
        if (name.indexOf('QH 1/') === 0) { overlays.push(v.overlays[name]); }
      });
    });
    return rows.map(function (row, i) {
      var id = Number(row.getAttribute('data-plan'));
      var layer = overlays[i];
      overlays.forEach(function (o) {  // raster plans name themselves in their tile URL
        var m = o._url && PLAN_TILES.exec(o._url);
        if (m && Number(m[1]) === id) { layer = o; }
      });
      return { id: id, layer: layer, row: row };
    });
  }

  function activePlan() {
    var on = planLayers().filter(function (p) { return p.layer && qh.map.hasLayer(p.layer); })[0];
    if (!on) { return null; }
    var input = on.row.querySelector('input');
    return { id: on.id, opacity: input ? Number(input.value) / 100 : 0.7 };
  }

  function tileLayers(plans) {
    var out = [];
    qh.map.eachLayer(function (l) {
      if (l instanceof L.TileLayer && typeof l._url === 'string' &&
          PLAN_TILES.test(l._url) === plans) { out.push(l); }
    });
    return out;
  }

  // Stage a snapshot: exact view (fractional zoom), plan backdrop, caption, no interactive controls.
  qh.exportSetup = function (o) {
    var map = qh.map;
    map.getContainer().classList.add('qh-exporting');
    // The date slider is a control like the others: the caption names the day instead.
    var slider = document.getElementById('qh-asof');
    if (slider) { slider.style.display = 'none'; }
    map.options.zoomSnap = 0;
    map.setMaxZoom(Math.max(map.getMaxZoom(), 22));
    map.setView(o.center, o.zoom, { animate: false });
    qh.exportPlan = null;
    if (o.plan != null) {
      var p = planLayers().filter(function (x) { return x.id === o.plan; })[0];
      if (p && p.layer) {
        map.addLayer(p.layer);
        var input = p.row.querySelector('input');
        if (input) {
          input.value = String(Math.round(o.opacity * 100));
          input.dispatchEvent(new Event('input'));
        }
        qh.exportPlan = p;
      }
    }
    if (o.caption && o.caption.length) {
      var Caption = L.Control.extend({
        onAdd: function () {
          var div = L.DomUtil.create('div', 'qh-panel qh-export-caption');
          o.caption.forEach(function (line, i) {  // titles and plan names: text, not markup
            L.DomUtil.create('div', i === 0 ? 'qh-panel-title' : 'qh-caption-line', div)
              .textContent = line;
          });
          return div;
        },
      });
      new Caption({ position: 'topleft' }).addTo(map);
    }
  };

  // True once every enabled layer's fetch has been drawn and the plan backdrop has loaded.
  qh.exportReady = function () {
    if (!qh.idle || !qh.idle()) { return false; }
    if (tileLayers(true).some(function (l) { return l.isLoading(); })) { return false; }
    var p = qh.exportPlan;
    if (p && p.layer && !(p.layer instanceof L.TileLayer)) {
      // A vector plan fetches its zones when switched on: wait until they are drawn.
      var drawn = 0;
      p.layer.eachLayer(function (g) { if (g.getLayers) { drawn += g.getLayers().length; } });
      if (!drawn) { return false; }
    }
    return true;
  };

  qh.basemapReady = function () {
    return tileLayers(false).every(function (l) { return !l.isLoading(); });
  };

  function nearestScale(map) {
    var lat = map.getCenter().lat;
    var metresPerPx = 40075016.686 * Math.cos(lat * Math.PI / 180) / (256 * Math.pow(2, map.getZoom()));
    var screen = metresPerPx / 0.0002646;  // a CSS pixel is 0.2646 mm
    return SCALES.reduce(function (best, s) {
      return Math.abs(Math.log(s / screen)) < Math.abs(Math.log(best / screen)) ? s : best;
    }, SCALES[0]);
  }

  function exportUrl(map, cfg, form) {
    var layers = (qh.entries || []).filter(function (e) { return map.hasLayer(e.group); })
      .map(function (e) { return e.id; });
    var q = new URLSearchParams({
      district: cfg.district, from: cfg.from, to: cfg.to, lang: cfg.lang,
      layers: layers.join(','),
    });
    if (cfg.asOf) { q.set('as_of', cfg.asOf); }  // the day the date slider shows
    var plan = activePlan();
    if (plan) { q.set('plan', String(plan.id)); q.set('opacity', plan.opacity.toFixed(2)); }
    if (form.elements.title.value.trim()) { q.set('title', form.elements.title.value.trim()); }
    if (form.elements.format.value === 'pdf') {
      var c = map.getCenter();
      q.set('center', c.lat.toFixed(6) + ',' + c.lng.toFixed(6));
      q.set('scale', form.elements.scale.value);
      q.set('paper', form.elements.paper.value);
      q.set('orientation', form.elements.orientation.value);
      return cfg.base + '/exports/map.pdf?' + q.toString();
    }
    var b = map.getBounds(), size = map.getSize();
    q.set('bbox', [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
      return v.toFixed(6);
    }).join(','));
    q.set('width', String(Math.min(4096, Math.max(200, size.x))));
    q.set('height', String(Math.min(4096, Math.max(200, size.y))));
    return cfg.base + '/exports/map.png?' + q.toString();
  }

  function download(url, status, W) {
    status.textContent = W.working;
    status.hidden = false;
    fetch(url).then(function (r) {
      if (r.ok) { return r.blob().then(function (blob) { return { blob: blob, r: r }; }); }
      return r.json().then(function (e) { throw new Error(e.description || W.failed); },
                           function () { throw new Error(W.failed); });
    }).then(function (res) {
      var m = /filename="([^"]+)"/.exec(res.r.headers.get('Content-Disposition') || '');
      var a = document.createElement('a');
      a.href = URL.createObjectURL(res.blob);
      a.download = m ? m[1] : 'quyhoach-map';
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 10000);
      status.hidden = true;
    }).catch(function (err) {
      status.textContent = err.message || W.failed;
    });
  }

  function addControl(map, cfg) {
    var W = WORDS[cfg.lang] || WORDS.vi;
    var Control = L.Control.extend({
      onAdd: function () {
        var div = L.DomUtil.create('div', 'qh-panel qh-export');
        div.innerHTML =
          '<button type="button" class="qh-export-toggle" aria-expanded="false">⤓ ' +
          esc(W.button) + '</button>' +
          '<form class="qh-export-form" hidden>' +
          '<label><input type="radio" name="format" value="png" checked> ' + esc(W.png) + '</label>' +
          '<label><input type="radio" name="format" value="pdf"> ' + esc(W.pdf) + '</label>' +
          '<fieldset class="qh-export-pdf" disabled>' +
          '<label>' + esc(W.scale) + ' <select name="scale">' + SCALES.map(function (s) {
            return '<option value="' + s + '">' + esc(window.qhFormat.scale(s, cfg.lang)) + '</option>';
          }).join('') + '</select></label>' +
          '<label>' + esc(W.paper) + ' <select name="paper">' + PAPERS.map(function (p) {
            return '<option' + (p === 'A3' ? ' selected' : '') + '>' + p + '</option>';
          }).join('') + '</select></label>' +
          '<label>' + esc(W.orientation) + ' <select name="orientation">' +
          '<option value="landscape">' + esc(W.landscape) + '</option>' +
          '<option value="portrait">' + esc(W.portrait) + '</option></select></label>' +
          '</fieldset>' +
          '<label>' + esc(W.title) + ' <input type="text" name="title" maxlength="200"></label>' +
          '<button type="submit">' + esc(W.download) + '</button>' +
          '<div class="qh-export-status" role="status" hidden></div></form>';
        var form = div.querySelector('form');
        var toggle = div.querySelector('.qh-export-toggle');
        var status = div.querySelector('.qh-export-status');
        toggle.addEventListener('click', function () {
          form.hidden = !form.hidden;
          toggle.setAttribute('aria-expanded', String(!form.hidden));
          if (!form.hidden) { form.elements.scale.value = String(nearestScale(map)); }
        });
        form.addEventListener('change', function () {
          div.querySelector('.qh-export-pdf').disabled = form.elements.format.value !== 'pdf';
        });
        form.addEventListener('submit', function (ev) {
          ev.preventDefault();
          download(exportUrl(map, cfg, form), status, W);
        });
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      },
    });
    new Control({ position: 'topleft' }).addTo(map);
  }

  var init = qh.init;
  qh.init = function (map, groups, cfg) {
    init.apply(this, arguments);
    addControl(map, cfg);
  };
  qh.exportUrl = exportUrl;
}());
