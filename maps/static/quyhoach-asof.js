/* The map's date slider: shows the district as it stood on a day of the period. It sets
 * `as_of` on the layers' and the summary's requests (quyhoach.reload) and keeps it in the URL,
 * so a link opens the map on the same day. */
(function () {
  'use strict';

  var WORDS = {
    vi: { title: 'Tình trạng đến ngày', today: 'Hiện tại', now: 'theo số liệu hiện tại' },
    en: { title: 'State as of', today: 'Today', now: 'as recorded today' },
  };
  var DAY = 86400000;

  function parse(iso) { return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)); }
  function iso(ms) { return new Date(ms).toISOString().slice(0, 10); }
  function shown(value, lang) {
    if (lang === 'en') { return value; }
    var p = value.split('-');
    return p[2] + '/' + p[1] + '/' + p[0];
  }

  function addSlider(qh, map, cfg) {
    var W = WORDS[cfg.lang] || WORDS.vi;
    var first = parse(cfg.from), last = parse(cfg.to);
    var days = Math.max(0, Math.round((last - first) / DAY));
    var box = L.DomUtil.create('div', 'qh-panel qh-asof');
    box.id = 'qh-asof';
    var title = L.DomUtil.create('label', 'qh-asof-title', box);
    title.htmlFor = 'qh-asof-range';
    title.textContent = W.title + ' ';
    var value = L.DomUtil.create('strong', 'qh-asof-value', title);
    var range = L.DomUtil.create('input', 'qh-asof-range', box);
    range.id = 'qh-asof-range';
    range.type = 'range';
    range.min = '0';
    range.max = String(days);
    range.step = '1';
    var today = L.DomUtil.create('button', 'qh-asof-today', box);
    today.type = 'button';
    today.textContent = W.today;

    function label() {
      value.textContent = cfg.asOf ? shown(cfg.asOf, cfg.lang) : W.now;
      today.disabled = !cfg.asOf;
    }
    function apply(day) {
      cfg.asOf = day;
      var u = new URL(window.location.href);
      if (day) { u.searchParams.set('as_of', day); } else { u.searchParams.delete('as_of'); }
      if (window.history && history.replaceState) { history.replaceState(null, '', u.toString()); }
      label();
      qh.reload();
    }
    range.value = String(cfg.asOf ? Math.round((parse(cfg.asOf) - first) / DAY) : days);
    range.addEventListener('input', function () {
      value.textContent = shown(iso(first + Number(range.value) * DAY), cfg.lang);
    });
    range.addEventListener('change', function () { apply(iso(first + Number(range.value) * DAY)); });
    today.addEventListener('click', function () { range.value = String(days); apply(null); });
    label();
    var Panel = L.Control.extend({ onAdd: function () { return box; } });
    new Panel({ position: 'topleft' }).addTo(map);
    L.DomEvent.disableClickPropagation(box);
    L.DomEvent.disableScrollPropagation(box);
    qh.setAsOf = function (day) {
      if (day) { range.value = String(Math.round((parse(day) - first) / DAY)); }
      else { range.value = String(days); }
      apply(day || null);
    };
  }

  var qh = window.quyhoach;
  if (!qh || !qh.init) { return; }
  var init = qh.init;
  qh.init = function (map, groups, cfg) {
    var day = new URL(window.location.href).searchParams.get('as_of');
    cfg.asOf = /^\d{4}-\d{2}-\d{2}$/.test(day || '') ? day : null;
    if (cfg.asOf) {
      cfg.layers.forEach(function (l) {
        if (l.source === 'tiles') { l.source = 'geojson'; l.tiledToday = true; }
      });
    }
    var result = init.apply(this, arguments);
    addSlider(window.quyhoach, map, cfg);
    return result;
  };
}());
