/* The map's date slider: shows the district as it stood on a day of the period. It sets
 * `as_of` on the layers' and the summary's requests (quyhoach.reload) and keeps it in the URL,
 * so a link opens the map on the same day. Its right end is always today's data (no as_of),
 * and the totals panel names the day its figures stand on. */
(function () {
  'use strict';

  var WORDS = {
    vi: { title: 'Tình trạng đến ngày', today: 'Hiện tại', now: 'theo số liệu hiện tại',
          period: 'Từ {from} đến {to}', on: 'theo tình trạng ngày {day}' },
    en: { title: 'State as of', today: 'Today', now: 'as recorded today',
          period: 'From {from} to {to}', on: 'as it stood on {day}' },
  };
  var DAY = 86400000;

  function parse(iso) { return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)); }
  function iso(ms) { return new Date(ms).toISOString().slice(0, 10); }
  function shown(value, lang) { return window.qhFormat.day(value, lang); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
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

    // The day a slider position stands for: the right end is today's data, not the period's end.
    function dayAt(position) {
      return Number(position) >= days ? null : iso(first + Number(position) * DAY);
    }
    function label() {
      value.textContent = cfg.asOf ? shown(cfg.asOf, cfg.lang) : W.now;
      today.disabled = !cfg.asOf;
      var period = document.querySelector('#qh-summary .qh-summary-period');
      if (period) {
        var end = cfg.asOf && cfg.asOf < cfg.to ? cfg.asOf : cfg.to;
        period.textContent = fill(W.period, { from: shown(cfg.from, cfg.lang), to: shown(end, cfg.lang) }) +
          ' (' + (cfg.asOf ? fill(W.on, { day: shown(cfg.asOf, cfg.lang) }) : W.now) + ')';
        period.dataset.asOf = cfg.asOf || '';
      }
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
      var day = dayAt(range.value);
      value.textContent = day ? shown(day, cfg.lang) : W.now;
    });
    range.addEventListener('change', function () { apply(dayAt(range.value)); });
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
