/* The clearance dashboard: reads /stats/clearance for the chosen district, ward, period and day,
 * and draws the cumulative progress by month, the results by ward and by funding (Chart.js) and
 * a sortable, filterable table of the projects with links to each on the map; and reads
 * /stats/infrastructure for the programme's figures beside their targets. */
(function () {
  'use strict';

  var DAY = 86400000;
  var D = window.qhDashboard = { state: { status: 'idle', charts: {}, rows: 0, loads: 0 } };

  function $(id) { return document.getElementById(id); }
  function parse(iso) { return Date.UTC(+iso.slice(0, 4), +iso.slice(5, 7) - 1, +iso.slice(8, 10)); }
  function iso(ms) { return new Date(ms).toISOString().slice(0, 10); }
  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? values[k] : m; });
  }
  // A #rrggbb colour of the page's config, made see-through.
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ', ' + ((n >> 8) & 255) + ', ' + (n & 255) + ', ' + a + ')';
  }

  function start(cfg) {
    var W = cfg.words, lang = cfg.lang, C = cfg.colors, F = window.qhFormat;
    // Every number and date through quyhoach-format.js, the rules of core/i18n.py.
    var int = { format: function (v) { return F.count(v, lang); } };
    var ha = { format: function (v) { return F.number(v, 2, lang); } };
    var state = { district: cfg.district, ward: cfg.ward, from: cfg.from, to: cfg.to,
                  asOf: cfg.asOf, unit: cfg.unit };
    var table = { rows: [], sort: 'code', dir: 1 };
    var controller = null;

    function day(value) { return F.day(value, lang); }
    function tick(digits) {
      return function (value) { return F.number(value, digits, lang); };
    }

    function params(extra) {
      var p = new URLSearchParams(state.unit ? { unit: state.unit } : { district: state.district });
      p.set('from', state.from);
      p.set('to', state.to);
      if (state.ward && !state.unit) { p.set('ward', state.ward); }
      if (state.asOf) { p.set('as_of', state.asOf); }
      Object.keys(extra || {}).forEach(function (k) { p.set(k, extra[k]); });
      return p;
    }

    function option(select, value, label, selected) {
      var o = document.createElement('option');
      o.value = value;
      o.textContent = label;
      o.selected = !!selected;
      select.appendChild(o);
    }

    // ---------------------------------------------------------------- selectors
    var district = $('qd-district'), ward = $('qd-ward'), from = $('qd-from'), to = $('qd-to');
    var asOf = $('qd-asof'), asOfValue = $('qd-asof-value'), today = $('qd-today');
    // The unit picker (quyhoach-units.js): choosing a unit opens its dashboard, unit= in the URL.
    var picker = $('qd-unit');
    if (picker) {
      window.quyhoachUnits.fillPicker(picker, cfg.units.groups, cfg.units.selected);
      picker.addEventListener('change', function () {
        var q = window.quyhoachUnits.unitQuery(params({ lang: lang }), picker.options[picker.selectedIndex]);
        window.location.assign(window.location.pathname + '?' + q.toString());
      });
    }
    if (district) {
      Object.keys(cfg.districts).forEach(function (d) {
        option(district, d, cfg.districts[d], d === state.district);
      });
    }

    function fillWards() {
      ward.textContent = '';
      option(ward, '', W.all_wards, !state.ward);
      (cfg.wards[state.district] || []).forEach(function (w) { option(ward, w, w, w === state.ward); });
    }

    function syncSlider() {
      var days = Math.max(0, Math.round((parse(state.to) - parse(state.from)) / DAY));
      asOf.max = String(days);
      asOf.value = String(state.asOf ? Math.round((parse(state.asOf) - parse(state.from)) / DAY) : days);
      asOfValue.textContent = state.asOf ? day(state.asOf) : W.as_of_now;
      today.disabled = !state.asOf;
    }

    function syncForm() {
      if (district) {
        district.value = state.district;
        fillWards();
      }
      from.value = state.from;
      to.value = state.to;
      syncSlider();
    }

    function syncLinks() {
      var u = new URL(window.location.href);
      u.search = params({ lang: lang }).toString();
      if (window.history && history.replaceState) { history.replaceState(null, '', u.toString()); }
      $('qd-map-link').href = cfg.base + '/map?' + params({ lang: lang }).toString();
      Array.prototype.forEach.call(document.querySelectorAll('.qd-report'), function (a) {
        a.href = cfg.base + '/reports/clearance?' + params({ format: a.dataset.format, lang: lang });
      });
      if (district) {
        $('qd-title').textContent = fill(W.title, { district: cfg.districts[state.district] || state.district });
      }
    }

    if (district) district.addEventListener('change', function () {
      state.district = district.value;
      state.ward = null;
      var p = cfg.periods[state.district];
      if (p) { state.from = p[0]; state.to = p[1]; }
      state.asOf = null;
      syncForm();
      load();
    });
    if (ward) { ward.addEventListener('change', function () { state.ward = ward.value || null; load(); }); }
    [from, to].forEach(function (input) {
      input.addEventListener('change', function () {
        if (!from.value || !to.value || to.value < from.value) { return; }
        state.from = from.value;
        state.to = to.value;
        if (state.asOf && (state.asOf < state.from || state.asOf > state.to)) { state.asOf = null; }
        syncSlider();
        load();
      });
    });
    asOf.addEventListener('input', function () {
      asOfValue.textContent = day(iso(parse(state.from) + Number(asOf.value) * DAY));
    });
    asOf.addEventListener('change', function () {
      state.asOf = iso(parse(state.from) + Number(asOf.value) * DAY);
      syncSlider();
      load();
    });
    today.addEventListener('click', function () { state.asOf = null; syncSlider(); load(); });
    $('qd-form').addEventListener('submit', function (e) { e.preventDefault(); });

    // ---------------------------------------------------------------- charts
    Chart.defaults.font.family = '"DejaVu Sans", "Segoe UI", Roboto, Arial, sans-serif';
    Chart.defaults.animation = false;
    Chart.defaults.maintainAspectRatio = false;
    var charts = D.state.charts;
    charts.month = new Chart($('qd-chart-month'), {
      type: 'bar',
      data: { labels: [], datasets: [
        { type: 'bar', label: W.approved_cumulative, data: [], yAxisID: 'plans',
          backgroundColor: alpha(C.approved, 0.75) },
        { type: 'line', label: W.recovered_cumulative, data: [], yAxisID: 'ha',
          borderColor: C.recovered, backgroundColor: C.recovered, tension: 0.2 },
      ] },
      options: { scales: {
        x: { title: { display: true, text: W.axis_month } },
        plans: { position: 'left', beginAtZero: true, title: { display: true, text: W.plans_approved },
                 ticks: { callback: tick(0) } },
        ha: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false },
              title: { display: true, text: W.recovered_ha }, ticks: { callback: tick(1) } },
      } },
    });
    charts.ward = new Chart($('qd-chart-ward'), {
      type: 'bar',
      data: { labels: [], datasets: [
        { label: W.recovered_ha, data: [], xAxisID: 'ha', backgroundColor: alpha(C.recovered, 0.8) },
        { label: W.plans_approved, data: [], xAxisID: 'plans', backgroundColor: alpha(C.approved, 0.8) },
      ] },
      // Horizontal bars, one labelled row per ward: the chart grows with the number of wards.
      options: { indexAxis: 'y', scales: {
        y: { ticks: { autoSkip: false }, title: { display: true, text: W.axis_ward } },
        ha: { position: 'bottom', beginAtZero: true, title: { display: true, text: W.recovered_ha },
              ticks: { callback: tick(1) } },
        plans: { position: 'top', beginAtZero: true, grid: { drawOnChartArea: false },
                 title: { display: true, text: W.plans_approved }, ticks: { callback: tick(0) } },
      } },
    });
    charts.funding = new Chart($('qd-chart-funding'), {
      type: 'doughnut',
      data: { labels: [], datasets: [{ label: W.n_projects, data: [], backgroundColor: [] }] },
      options: { plugins: { legend: { position: 'bottom' } } },
    });

    function drawCharts(s) {
      var months = s.by_month || [];
      charts.month.data.labels = months.map(function (m) { return m.month; });
      charts.month.data.datasets[0].data = months.map(function (m) { return m.plans_approved_cumulative; });
      charts.month.data.datasets[1].data = months.map(function (m) { return Number(m.recovered_ha_cumulative); });
      charts.month.update();
      $('qd-ward-box').style.height = Math.max(260, 110 + 30 * s.by_ward.length) + 'px';
      charts.ward.data.labels = s.by_ward.map(function (w) { return w.ward; });
      charts.ward.data.datasets[0].data = s.by_ward.map(function (w) { return Number(w.recovered_ha); });
      charts.ward.data.datasets[1].data = s.by_ward.map(function (w) { return w.plans_approved; });
      charts.ward.resize();
      charts.ward.update();
      var funding = s.by_funding || [];
      charts.funding.data.labels = funding.map(function (f) {
        return (cfg.funding[f.funding] || f.funding) + ' (' + int.format(f.projects) + ')';
      });
      charts.funding.data.datasets[0].data = funding.map(function (f) { return f.projects; });
      charts.funding.data.datasets[0].backgroundColor = funding.map(function (f) {
        return C.funding[f.funding];
      });
      charts.funding.update();
    }

    function setStat(key, text) {
      var el = document.querySelector('[data-stat="' + key + '"]');
      if (el) { el.textContent = text; }
    }

    function drawCards(s) {
      setStat('projects', int.format(s.projects));
      setStat('projects_detail', fill(W.projects_detail, {
        budget: int.format(s.projects_budget), non_budget: int.format(s.projects_non_budget) }));
      setStat('plans', F.ratio(s.plans_approved, s.plans_total, lang));
      setStat('recovered', F.hectares(s.recovered_ha, lang));
      setStat('compensation', F.amount(s.compensation_vnd, lang));
      setStat('ahead', int.format(s.projects_ahead_of_schedule));
      setStat('behind', int.format(s.projects_behind_schedule || 0));
    }

    // Ahead of schedule and behind schedule, side by side; the flags come from the figures' SQL.
    function drawSchedule(list) {
      function fillTable(id, rows, cells) {
        var body = document.querySelector('#' + id + ' tbody');
        body.textContent = '';
        rows.forEach(function (p) {
          var tr = document.createElement('tr');
          tr.dataset.code = p.code;
          cells(p).forEach(function (c) { cell(tr, c[0], c[1]); });
          body.appendChild(tr);
        });
        if (!rows.length) { cell(body.insertRow(), W.empty).colSpan = 4; }
      }
      fillTable('qd-ahead', list.filter(function (p) { return p.ahead_of_schedule; }), function (p) {
        return [[p.code], [p.name], [day(p.target_date)], [day(p.completed_on)]];
      });
      var late = list.filter(function (p) { return p.behind_schedule; }).sort(function (a, b) {
        return (b.days_late - a.days_late) || a.code.localeCompare(b.code);
      });
      fillTable('qd-late', late, function (p) {
        return [[p.code], [p.name], [day(p.target_date)], [int.format(p.days_late), 'qd-num']];
      });
    }

    // ---------------------------------------------------------------- table
    var search = $('qd-search'), fFunding = $('qd-filter-funding'), fStatus = $('qd-filter-status');
    var fKey = $('qd-filter-key'), fComplaints = $('qd-filter-complaints');
    option(fFunding, '', W.any_funding, true);
    Object.keys(cfg.funding).forEach(function (k) { option(fFunding, k, cfg.funding[k]); });
    option(fStatus, '', W.any_status, true);
    Object.keys(cfg.status).forEach(function (k) { option(fStatus, k, cfg.status[k]); });
    [search, fFunding, fStatus, fKey, fComplaints].forEach(function (el) {
      el.addEventListener(el.type === 'search' ? 'input' : 'change', drawTable);
    });
    var heads = document.querySelectorAll('#qd-projects th[data-key]');
    Array.prototype.forEach.call(heads, function (th) {
      th.tabIndex = 0;
      var go = function () {
        table.dir = table.sort === th.dataset.key ? -table.dir : 1;
        table.sort = th.dataset.key;
        drawTable();
      };
      th.addEventListener('click', go);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter') { go(); } });
    });

    function sortValue(p, key) {
      var v = p[key];
      if (key === 'wards') { return (v || []).join(', '); }
      if (key === 'plans_approved') { return Number(v); }
      if (key === 'funding') { return cfg.funding[v] || v; }
      if (key === 'status') { return cfg.status[v] || v; }
      if (key === 'recovered_ha' || key === 'compensation_vnd' || key === 'plans_approved') { return Number(v); }
      return v == null ? '' : v;
    }

    // The map opened on the project, which it highlights (quyhoach-focus.js reads `project`).
    function mapLink(p) {
      return cfg.base + '/map?' + params({ lang: lang, layers: 'wards,projects,parcels',
        center: p.lat + ',' + p.lon, zoom: '17', project: p.code }).toString();
    }

    function cell(tr, text, cls) {
      var td = document.createElement('td');
      td.textContent = text;
      if (cls) { td.className = cls; }
      tr.appendChild(td);
      return td;
    }

    function drawTable() {
      // Accent-insensitive: "ngoc thuy" finds Ngọc Thụy.
      var q = F.fold(search.value.trim()).toLowerCase();
      var rows = table.rows.filter(function (p) {
        if (fFunding.value && p.funding !== fFunding.value) { return false; }
        if (fStatus.value && p.status !== fStatus.value) { return false; }
        if (fKey.checked && !p.is_key) { return false; }
        if (fComplaints.checked && !p.has_complaints) { return false; }
        if (!q) { return true; }
        return F.fold(p.code + ' ' + p.name + ' ' + (p.wards || []).join(' ')).toLowerCase()
          .indexOf(q) >= 0;
      });
      var key = table.sort, dir = table.dir;
      rows.sort(function (a, b) {
        var x = sortValue(a, key), y = sortValue(b, key);
        if (typeof x === 'number' && typeof y === 'number') { return dir * (x - y) || a.code.localeCompare(b.code); }
        return dir * (lang === 'en' ? String(x).localeCompare(String(y), 'en') : F.compare(x, y)) ||
          a.code.localeCompare(b.code);
      });
      Array.prototype.forEach.call(heads, function (th) {
        th.setAttribute('aria-sort', th.dataset.key === key ? (dir > 0 ? 'ascending' : 'descending') : 'none');
      });
      var body = document.querySelector('#qd-projects tbody');
      body.textContent = '';
      rows.forEach(function (p) {
        var tr = document.createElement('tr');
        tr.dataset.code = p.code;
        cell(tr, p.code);
        var name = cell(tr, p.name);
        if (p.is_key) { name.appendChild(badge(W.key, 'qd-badge-key')); }
        if (p.has_complaints) { name.appendChild(badge(W.complaints, 'qd-badge-complaints')); }
        cell(tr, (p.wards || []).join(', '));
        cell(tr, cfg.funding[p.funding] || p.funding);
        cell(tr, cfg.status[p.status] || p.status, 'qd-status-' + p.status);
        cell(tr, int.format(p.plans_approved) + '/' + int.format(p.plans_total), 'qd-num');
        cell(tr, ha.format(p.recovered_ha), 'qd-num');
        cell(tr, F.billions(p.compensation_vnd, lang), 'qd-num');
        cell(tr, day(p.target_date));
        var a = document.createElement('a');
        a.href = mapLink(p);
        a.textContent = W.on_map;
        a.className = 'qd-map';
        cell(tr, '').appendChild(a);
        body.appendChild(tr);
      });
      if (!rows.length) { cell(body.insertRow(), W.empty).colSpan = heads.length + 1; }
      $('qd-shown').textContent = fill(W.shown, { shown: rows.length, total: table.rows.length });
      D.state.rows = rows.length;
    }

    function badge(text, cls) {
      var b = document.createElement('span');
      b.className = 'qd-badge ' + cls;
      b.textContent = text;
      return b;
    }

    // ---------------------------------------------------------------- infrastructure
    // The programme's figures (/stats/infrastructure, the SQL of the infrastructure report)
    // beside their targets, for the same place, period and day.
    var I = cfg.infra, IW = I.words, infraController = null;
    var PERCENT = { permit_rate_pct: 1, violations_controlled_pct: 1, alleys_lit_pct: 1 };
    var HECTARES = { green_water_added_ha: 1 };

    function indicatorValue(indicator, value) {
      if (value == null) { return ''; }
      if (PERCENT[indicator]) { return F.percent(value, lang); }
      if (HECTARES[indicator]) { return F.hectares(value, lang); }
      return F.count(value, lang);
    }
    function bound(t) {
      var lo = indicatorValue(t.indicator, t.min), hi = indicatorValue(t.indicator, t.max);
      if (lo && hi) { return fill(I.bounds.bound_range, { min: lo, max: hi }); }
      return lo ? fill(I.bounds.bound_min, { min: lo }) : fill(I.bounds.bound_max, { max: hi });
    }
    function indicatorText(t) {
      var width = t.param == null ? '' : F.number(t.param, 1, lang);
      return fill(I.indicators[t.indicator] || t.indicator, { ward: t.ward || '', width: width });
    }
    function infraCard(key, value, detail, target) {
      var card = document.querySelector('[data-infra="' + key + '"]');
      card.querySelector('[data-value]').textContent = value;
      card.querySelector('[data-detail]').textContent = detail || '';
      var line = card.querySelector('[data-target]');
      if (!line) { return; }
      line.textContent = '';
      line.className = 'qd-target';
      if (target) {
        line.textContent = fill(IW.target, { bound: bound(target) }) + ' — ' +
          (target.met ? IW.met : IW.not_met);
        line.classList.add(target.met ? 'qd-met' : 'qd-not-met');
      }
    }
    function targetOf(s, indicator) {
      return (s.targets || []).filter(function (t) { return t.indicator === indicator && !t.ward; })[0];
    }

    function drawInfra(s) {
      var rows = s.lighting || [];
      var all = rows.filter(function (r) { return r.min_width_m == null; })[0] || rows[0] || {};
      infraCard('lit', F.number(all.lit_km, 2, lang) + ' km', fill(IW.lit_detail, {
        lamps: F.count(all.lamps, lang), unlit: F.number(all.unlit_km, 2, lang) }));
      // The width classes the programme measures: lit km and lamps of alleys at least W m wide.
      document.querySelector('[data-infra="lit"] [data-widths]').textContent = rows.filter(function (r) {
        return r.min_width_m != null;
      }).map(function (r) {
        return fill(IW.width_min, { width: F.number(r.min_width_m, 1, lang) }) + ': ' +
          F.number(r.lit_km, 2, lang) + ' km, ' + F.count(r.lamps, lang) + ' ' + IW.lamps;
      }).join('; ');
      var roads = {};
      (s.roads || []).forEach(function (r) { roads[r.surface] = r; });
      ['asphalt', 'concrete'].forEach(function (k) {
        var r = roads[k] || {};
        infraCard(k, F.count(r.count, lang), fill(IW.in_period, { n: F.count(r.in_period, lang) }) +
                  ' · ' + F.number(r.km, 2, lang) + ' km');
      });
      var total = (s.permits && s.permits.total) || {};
      infraCard('permits', F.percent(total.permit_rate_pct, lang), fill(IW.permit_detail, {
        permitted: F.count(total.permitted, lang), constructions: F.count(total.constructions, lang),
      }), targetOf(s, 'permit_rate_pct'));
      infraCard('violations', F.percent(total.controlled_pct, lang), fill(IW.violations_detail, {
        controlled: F.count(total.controlled, lang), violations: F.count(total.violations, lang),
      }), targetOf(s, 'violations_controlled_pct'));
      var g = s.green || {};
      infraCard('green', F.hectares(g.added_ha, lang), fill(IW.green_detail, {
        green: F.hectares(g.added_green_ha, lang), water: F.hectares(g.added_water_ha, lang),
      }), targetOf(s, 'green_water_added_ha'));

      var body = document.querySelector('#qd-public tbody');
      body.textContent = '';
      var sums = [0, 0, 0];
      ((s.public_facilities || {}).by_kind || []).forEach(function (k) {
        var tr = body.insertRow();
        tr.dataset.kind = k.kind;
        cell(tr, I.kinds[k.kind] || k.kind);
        [k['new'], k.renovation, k.national_standard].forEach(function (v, i) {
          sums[i] += Number(v) || 0;
          cell(tr, F.count(v, lang), 'qd-num');
        });
      });
      var foot = body.insertRow();
      foot.className = 'qd-total';
      cell(foot, IW.total);
      sums.forEach(function (v) { cell(foot, F.count(v, lang), 'qd-num'); });

      var targets = document.querySelector('#qd-targets tbody');
      targets.textContent = '';
      (s.targets || []).forEach(function (t) {
        var tr = targets.insertRow();
        tr.dataset.indicator = t.indicator;
        cell(tr, indicatorText(t));
        cell(tr, bound(t));
        cell(tr, indicatorValue(t.indicator, t.actual), 'qd-num');
        cell(tr, t.met == null ? '' : t.met ? IW.met : IW.not_met, t.met ? 'qd-met' : 'qd-not-met');
      });
      if (!(s.targets || []).length) { cell(targets.insertRow(), IW.no_targets).colSpan = 4; }
    }

    function loadInfra() {
      var infraStatus = $('qd-infra-status');
      $('qd-infra-report').href = cfg.base + '/reports/infrastructure?' +
        params({ format: 'pdf', lang: lang }).toString();
      if (infraController) { infraController.abort(); }
      var mine = infraController = new AbortController();
      D.state.infraStatus = 'loading';
      fetch(cfg.base + '/stats/infrastructure?' + params().toString(),
            { signal: mine.signal, headers: { Accept: 'application/json' } })
        .then(function (r) {
          if (!r.ok) { throw new Error(String(r.status)); }
          return r.json();
        })
        .then(function (s) {
          if (mine !== infraController) { return; }
          infraController = null;
          D.state.infra = s;
          drawInfra(s);
          infraStatus.hidden = true;
          D.state.infraStatus = 'loaded';
        })
        .catch(function (err) {
          if (err.name === 'AbortError') { return; }
          D.state.infraStatus = 'error';
          infraStatus.textContent = IW.failed;
          infraStatus.hidden = false;
        });
    }

    // ---------------------------------------------------------------- loading
    var status = $('qd-status');
    function showStatus(text) { status.textContent = text || ''; status.hidden = !text; }

    function load() {
      syncLinks();
      loadInfra();
      if (controller) { controller.abort(); }
      var mine = controller = new AbortController();
      D.state.status = 'loading';
      showStatus(W.loading);
      fetch(cfg.base + '/stats/clearance?' + params().toString(),
            { signal: mine.signal, headers: { Accept: 'application/json' } })
        .then(function (r) {
          if (!r.ok) { throw new Error(String(r.status)); }
          return r.json();
        })
        .then(function (s) {
          if (mine !== controller) { return; }
          controller = null;
          D.state.stats = s;
          drawCards(s);
          drawCharts(s);
          table.rows = s.project_list || [];
          drawTable();
          drawSchedule(table.rows);
          showStatus('');
          D.state.loads += 1;
          D.state.status = 'loaded';
        })
        .catch(function (err) {
          if (err.name === 'AbortError') { return; }
          D.state.status = 'error';
          showStatus(W.failed);
        });
    }

    D.load = load;
    D.set = function (changes) {
      Object.keys(changes).forEach(function (k) { state[k] = changes[k]; });
      syncForm();
      load();
    };
    syncForm();
    load();
  }

  document.addEventListener('DOMContentLoaded', function () {
    start(JSON.parse(document.getElementById('qd-config').textContent));
  });
}());
