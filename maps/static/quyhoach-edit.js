/* Editing on the map for signed-in editors: draw a new project boundary, reshape a feature
 * (its vertices snap to parcels and red lines), edit attributes in a form built from the
 * layers' declaration (the page config's `edit.forms`), move a plan to its next status from
 * its popup, delete with confirmation.
 * Every write names the version the editor read (If-Match with the ETag of the feature as it
 * was opened). When someone else changed the feature meanwhile (412), both versions are shown,
 * attributes side by side and both geometries on the map, and the editor chooses: nothing is
 * overwritten without that choice.
 * The page is the same for every reader: the tools appear only once /me names an editor or an
 * administrator, and /me is asked only when the browser holds a session (its readable CSRF
 * cookie). Each write carries that CSRF token. */
(function () {
  'use strict';

  if (!window.L || !L.PM) { return; }
  // Only the editor's own shapes get editing handles; the guides opt in to snapping alone.
  L.PM.setOptIn(true);

  var CSRF_COOKIE = 'qh_csrf';
  var GEOJSON = 'application/geo+json';
  var MERGE_PATCH = 'application/merge-patch+json';
  var NEW_LAYER = 'projects';           // what "draw a new project" creates
  var GUIDE_LAYERS = ['parcels', 'red_lines'];
  var GUIDE_MIN_ZOOM = 15;              // below it a view holds too many parcels to snap to
  var GUIDE_LIMIT = 3000;
  var SNAP_PX = 15;
  var MINE = { color: '#e6550d', weight: 3, opacity: 1, fillColor: '#e6550d', fillOpacity: 0.15,
               className: 'qh-edit-shape qh-edit-mine' };
  var THEIRS = { color: '#7a0177', weight: 3, opacity: 1, dashArray: '8 5', fillColor: '#7a0177',
                 fillOpacity: 0.08, className: 'qh-edit-shape qh-edit-theirs' };
  var GUIDE = { color: '#555555', weight: 1, opacity: 0.55, fill: false, dashArray: '2 3',
                className: 'qh-edit-shape qh-edit-guide' };
  var EDITABLE_GEOMETRY = /Polygon|LineString/;

  function node(tag, className, text, parent) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text != null) { el.textContent = String(text); }
    if (parent) { parent.appendChild(el); }
    return el;
  }

  function button(label, className, parent, onClick) {
    var el = node('button', className, label, parent);
    el.type = 'button';
    L.DomEvent.on(el, 'click', function (ev) { L.DomEvent.preventDefault(ev); onClick(); });
    return el;
  }

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, key) {
      return key in values ? values[key] : m;
    });
  }

  function csrfToken() {
    var prefix = CSRF_COOKIE + '=';
    var found = document.cookie.split(';').map(function (c) { return c.trim(); })
      .filter(function (c) { return c.indexOf(prefix) === 0; })[0];
    return found ? decodeURIComponent(found.slice(prefix.length)) : null;
  }

  function featureIdOf(f) { return f.id != null ? f.id : (f.properties || {}).id; }

  function today() {
    var d = new Date();
    return new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  }

  // A value as the form and the service compare it: empty is null, dates are days.
  function norm(value, type) {
    if (value === undefined || value === null || value === '') { return null; }
    if (type === 'integer' || type === 'numeric') { return Number(value); }
    if (type === 'boolean') { return value === true || value === 'true'; }
    if (type === 'date') { return String(value).slice(0, 10); }
    return String(value);
  }

  function same(a, b, type) { return norm(a, type) === norm(b, type); }

  function sameGeometry(a, b) { return JSON.stringify(a || null) === JSON.stringify(b || null); }

  function editor(qh, map, cfg) {
    var E = cfg.edit, W = E.words, forms = E.forms, lang = cfg.lang;
    var districts = (cfg.i18n && cfg.i18n.districts) || {};
    var state = { status: 'idle', user: null, layer: null, id: null, etag: null, message: '',
                  lastStatus: null, statuses: [], guides: 0 };
    var api = { state: state };
    var box, hintBox, messageBox, body, editGroup, guideGroup;
    var cur = null;       // the feature being edited: layer, id, base (as read), etag, shapes
    var guidesAsked = 0, lastPopup = null;

    // --- the service ---------------------------------------------------------------------

    function itemsUrl(layer) { return E.items.replace('{layer}', encodeURIComponent(layer)); }
    function itemUrl(layer, id) { return itemsUrl(layer) + '/' + encodeURIComponent(id); }

    function answer(r) {
      var etag = r.headers.get('ETag');
      if (r.status === 204) { return { status: 204, ok: true, etag: etag, body: null }; }
      return r.json().catch(function () { return null; }).then(function (b) {
        return { status: r.status, ok: r.ok, etag: etag, body: b };
      });
    }

    function send(method, url, doc, type, etag) {
      var headers = { Accept: GEOJSON + ', application/json', 'X-CSRF-Token': csrfToken() || '' };
      if (type) { headers['Content-Type'] = type; }
      if (etag) { headers['If-Match'] = etag; }
      return fetch(url, {
        method: method, headers: headers, credentials: 'same-origin', cache: 'no-store',
        body: doc == null ? undefined : JSON.stringify(doc),
      }).then(answer, function () { return { status: 0, ok: false, body: null }; })
        .then(function (res) {
          state.lastStatus = res.status;
          state.statuses.push(res.status);
          return res;
        });
    }

    function read(layer, id) {
      return fetch(itemUrl(layer, id), {
        headers: { Accept: GEOJSON }, credentials: 'same-origin', cache: 'no-store',
      }).then(answer, function () { return { status: 0, ok: false, body: null }; });
    }

    // The service's own words for a refusal (403 out of scope, 422 naming the attribute...).
    function refusal(res) {
      if (res.status === 0) { return W.offline; }
      var b = res.body || {};
      var said = lang === 'en' ? (b.description_en || b.description)
        : (b.description_vi || b.description);
      if (res.status === 401) { return W.signed_out + (said ? ' ' + said : ''); }
      return said || fill(W.failed, { status: res.status });
    }

    function refresh() { if (qh.reload) { qh.reload(); } }

    // --- the panel -----------------------------------------------------------------------

    function say(text, kind) {
      state.message = text || '';
      messageBox.textContent = text || '';
      messageBox.className = 'qh-edit-message' + (kind ? ' qh-edit-' + kind : '');
      messageBox.hidden = !text;
    }

    function hint(text) {
      hintBox.textContent = text || '';
      hintBox.hidden = !text;
    }

    // While drawing or reshaping, a click on the map places or moves a vertex: no popups.
    function busy(on) {
      L.DomUtil[on ? 'addClass' : 'removeClass'](map.getContainer(), 'qh-edit-busy');
      qh.popupsPaused = on;
    }

    function decl(layer) { return forms[layer]; }

    function titleOf(layer, feature) {
      var p = (feature && feature.properties) || {};
      return p.name || p.code || String(featureIdOf(feature || {}) || '');
    }

    function choiceLabel(field, value) {
      var found = (field.choices || []).filter(function (c) { return c[0] === value; })[0];
      return found ? found[1] : value;
    }

    function statusLabel(layer, value) {
      var field = decl(layer).fields.filter(function (f) { return f.name === 'status'; })[0];
      return field ? choiceLabel(field, value) : value;
    }

    function shown(field, value) {
      var v = norm(value, field.type);
      if (v === null) { return W.blank; }
      if (field.type === 'boolean') { return v ? W.yes : W.no; }
      if (field.name === 'district' && districts[v]) { return districts[v]; }
      var F = window.qhFormat;
      if (field.type === 'date' && F) { return F.day(v, lang); }
      if ((field.type === 'numeric' || field.type === 'integer') && F) {
        return F.number(v, (String(v).split('.')[1] || '').length, lang);  // every digit given
      }
      return String(choiceLabel(field, v));
    }

    function select(options, value, blank) {
      var el = document.createElement('select');
      if (blank) { node('option', null, W.blank, el).value = ''; }
      options.forEach(function (o) { node('option', null, o[1], el).value = o[0]; });
      var v = value == null ? '' : String(value);
      if (v && !options.some(function (o) { return o[0] === v; })) {
        node('option', null, v, el).value = v;  // a value stored before the vocabulary
      }
      el.value = v || (blank ? '' : (options[0] || [''])[0]);
      return el;
    }

    function input(field, value) {
      var el;
      if (field.choices && field.choices.length) {
        el = select(field.choices, value, !field.required);
      } else if (field.name === 'district' && Object.keys(districts).length) {
        el = select(Object.keys(districts).map(function (k) { return [k, districts[k]]; }), value,
                    !field.required);
      } else if (field.type === 'boolean') {
        el = select([['true', W.yes], ['false', W.no]], value == null ? '' : String(value), true);
      } else {
        el = document.createElement('input');
        if (field.type === 'date') {
          el.type = 'date';
          el.min = '1900-01-01';
          el.max = '2100-12-31';
        } else if (field.type === 'integer' || field.type === 'numeric') {
          el.type = 'number';
          el.step = field.type === 'integer' ? '1' : 'any';
          if (field.min != null) { el.min = String(field.min); }
          if (field.max != null) { el.max = String(field.max); }
        } else {
          el.type = 'text';
          el.maxLength = 2000;
        }
        el.value = value == null ? '' : (field.type === 'date' ? String(value).slice(0, 10)
          : String(value));
      }
      el.name = field.name;
      return el;
    }

    function formValues(form, layer) {
      var values = {};
      decl(layer).fields.forEach(function (f) {
        var el = form.elements[f.name];
        if (el && !f.history) { values[f.name] = norm(el.value, f.type); }
      });
      return values;
    }

    // The members of `values` that differ from `base` (attributes the history keeps are left out).
    function changes(values, base, layer) {
      var out = {};
      decl(layer).fields.forEach(function (f) {
        if (!f.history && f.name in values && !same(values[f.name], base[f.name], f.type)) {
          out[f.name] = values[f.name];
        }
      });
      return out;
    }

    // --- shapes on the map ---------------------------------------------------------------

    function shapeOf(geometry, style, editable) {
      var group = L.geoJSON(geometry, {
        pmIgnore: !editable, snapIgnore: true, interactive: editable, style: function () {
          return style;
        },
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, L.extend({ radius: 7, pmIgnore: true }, style));
        },
      });
      return group.getLayers()[0];
    }

    function editOptions() {
      return { snappable: true, snapDistance: SNAP_PX, allowSelfIntersection: false,
               draggable: false, removeLayerBelowMinVertexCount: false };
    }

    // The editor's shape; its vertices are handles unless `still` (a confirmation only shows it).
    function showMine(geometry, still) {
      if (cur.mine) { if (cur.mine.pm) { cur.mine.pm.disable(); } editGroup.removeLayer(cur.mine); }
      var editable = !still && EDITABLE_GEOMETRY.test(geometry.type) &&
        !decl(cur.layer).pointFromAttributes;
      cur.mine = shapeOf(geometry, MINE, editable);
      editGroup.addLayer(cur.mine);
      cur.snapping = editable && !!cur.mine.pm;
      busy(cur.snapping);
      if (cur.snapping) {
        cur.mine.pm.enable(editOptions());
        cur.mine.on('pm:edit', function () { if (cur) { cur.geomDirty = true; } });
        loadGuides();
      } else {
        guideGroup.clearLayers();
      }
      hint(cur.snapping ? W.reshape_hint : '');
    }

    function mineGeometry() { return cur.mine.toGeoJSON(8).geometry; }

    function showTheirs(geometry) {
      if (cur.theirs) { editGroup.removeLayer(cur.theirs); }
      cur.theirs = shapeOf(geometry, THEIRS, false);
      editGroup.addLayer(cur.theirs);
    }

    function dropTheirs() {
      if (cur && cur.theirs) { editGroup.removeLayer(cur.theirs); cur.theirs = null; }
    }

    // Parcels and red lines in view, drawn faintly, for the vertices to snap to.
    function loadGuides() {
      var asked = ++guidesAsked;
      if (map.getZoom() < GUIDE_MIN_ZOOM) { guideGroup.clearLayers(); state.guides = 0; return; }
      var b = map.getBounds().pad(0.2);
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
        return v.toFixed(6);
      }).join(',');
      Promise.all(GUIDE_LAYERS.map(function (layer) {
        var url = itemsUrl(layer) + '?' + new URLSearchParams({ bbox: bbox, limit: GUIDE_LIMIT });
        return fetch(url, { headers: { Accept: GEOJSON }, credentials: 'same-origin' })
          .then(function (r) { return r.ok ? r.json() : null; })
          .catch(function () { return null; });
      })).then(function (found) {
        if (asked !== guidesAsked || !cur) { return; }
        guideGroup.clearLayers();
        var count = 0;
        found.forEach(function (fc) {
          if (!fc || !fc.features) { return; }
          L.geoJSON(fc, {
            pmIgnore: true, snapIgnore: false, interactive: false,
            style: function () { return GUIDE; },
            onEachFeature: function (f, layer) { guideGroup.addLayer(layer); count += 1; },
          });
        });
        state.guides = count;
      });
    }

    // --- opening, saving and closing a feature --------------------------------------------

    function stop() {
      if (map.pm) { map.pm.disableDraw(); }
      if (cur && cur.mine && cur.mine.pm) { cur.mine.pm.disable(); }
      editGroup.clearLayers();
      guideGroup.clearLayers();
      guidesAsked += 1;
      state.guides = 0;
      cur = null;
      state.layer = state.id = state.etag = null;
      body.replaceChildren();
      busy(false);
      hint('');
    }

    function close() { stop(); state.status = 'ready'; say(''); }

    function track(layer, id, etag) {
      state.layer = layer;
      state.id = id;
      state.etag = etag;
    }

    function heading(text) { return node('div', 'qh-edit-heading', text, body); }

    function showForm(values) {
      body.replaceChildren();
      var d = decl(cur.layer);
      heading(cur.id == null ? fill(W.new_feature, { layer: d.title })
        : fill(W.feature, { layer: d.title, id: cur.id }));
      var form = node('form', 'qh-edit-form', null, body);
      form.noValidate = true;  // the service names what is wrong, in the reader's language
      d.fields.forEach(function (f) {
        var row = node('label', 'qh-edit-row', null, form);
        var label = node('span', 'qh-edit-label', f.label, row);
        if (f.required && !f.history) {
          var mark = node('abbr', 'qh-edit-required', '*', label);
          mark.title = W.required;
        }
        var el = input(f, values[f.name]);
        if (f.history) { el.disabled = true; row.title = W.history_field; }
        row.appendChild(el);
      });
      var actions = node('div', 'qh-edit-actions', null, form);
      var save = node('button', 'qh-edit-save', W.save, actions);
      save.type = 'submit';
      if (cur.id != null) { button(W.delete, 'qh-edit-delete', actions, function () { askDelete(); }); }
      button(W.close, 'qh-edit-close', actions, close);
      L.DomEvent.on(form, 'submit', function (ev) {
        L.DomEvent.preventDefault(ev);
        saveForm(form);
      });
      cur.form = form;
      state.status = cur.id == null ? 'new' : 'editing';
    }

    // `ask`: a question about the feature (delete, next step) rather than its form.
    function begin(layer, feature, etag, ask) {
      stop();
      cur = { layer: layer, id: featureIdOf(feature), base: feature, etag: etag, geomDirty: false,
              asking: !!ask };
      track(layer, cur.id, etag);
      showMine(feature.geometry, !!ask);
      if (ask) { ask(); } else { showForm(feature.properties || {}); }
    }

    function open(layer, id) {
      say(W.loading);
      return read(layer, id).then(function (res) {
        if (!res.ok) { say(refusal(res), 'error'); return null; }
        say('');
        return res;
      });
    }

    function edit(layer, id) {
      open(layer, id).then(function (res) { if (res) { begin(layer, res.body, res.etag); } });
    }

    // A write answered: the feature as the service now holds it becomes the version read.
    function written(res, message) {
      var feature = res.body;
      cur.id = featureIdOf(feature);
      cur.base = feature;
      cur.etag = res.etag;
      cur.geomDirty = false;
      cur.pending = null;
      track(cur.layer, cur.id, res.etag);
      dropTheirs();
      showMine(feature.geometry);
      showForm(feature.properties || {});
      cur.asking = false;
      state.status = 'saved';
      say(message, 'ok');
      refresh();
    }

    function saveForm(form) {
      var values = formValues(form, cur.layer);
      if (cur.id == null) {
        var props = {};
        Object.keys(values).forEach(function (k) { if (values[k] !== null) { props[k] = values[k]; } });
        state.status = 'saving';
        say(W.saving);
        var doc = { type: 'Feature', geometry: mineGeometry(), properties: props };
        send('POST', itemsUrl(cur.layer), doc, GEOJSON, null).then(function (res) {
          if (res.status === 201) { written(res, fill(W.created, { id: featureIdOf(res.body) })); }
          else { state.status = 'error'; say(refusal(res), 'error'); }
        });
        return;
      }
      var patch = changes(values, cur.base.properties || {}, cur.layer);
      if (!Object.keys(patch).length && !cur.geomDirty) { say(W.unchanged); return; }
      var doc = { properties: patch };
      if (cur.geomDirty) { doc.geometry = mineGeometry(); }
      cur.pending = { values: values, geometry: mineGeometry() };
      write(doc);
    }

    function write(doc) {
      state.status = 'saving';
      say(W.saving);
      return send('PATCH', itemUrl(cur.layer, cur.id), doc, MERGE_PATCH, cur.etag).then(function (res) {
        if (res.ok) { written(res, W.saved); return; }
        if (res.status === 412) { conflict(); return; }
        state.status = 'error';
        if (!cur.form || !cur.form.isConnected) {  // refused after the comparison: back to the form
          dropTheirs();
          showForm(L.extend({}, cur.base.properties, cur.pending ? cur.pending.values : {}));
          state.status = 'error';
        }
        say(refusal(res), 'error');
      });
    }

    // --- someone else changed it meanwhile -------------------------------------------------

    function conflict() {
      var mine = cur.pending;
      read(cur.layer, cur.id).then(function (res) {
        if (!res.ok) { state.status = 'error'; say(refusal(res), 'error'); return; }
        showConflict(mine, res.body, res.etag);
      });
    }

    function showConflict(mine, server, etag) {
      var d = decl(cur.layer), theirs = server.properties || {};
      state.status = 'conflict';
      say('');
      showTheirs(server.geometry);
      body.replaceChildren();
      heading(fill(W.feature, { layer: d.title, id: cur.id }));
      var view = node('div', 'qh-edit-conflict', null, body);
      node('p', 'qh-edit-note', W.conflict, view).setAttribute('role', 'alert');
      node('p', null, W.conflict_help, view);
      var table = node('table', 'qh-edit-compare', null, view);
      var head = node('tr', null, null, node('thead', null, null, table));
      [W.field, W.mine, W.theirs].forEach(function (t) { node('th', null, t, head); });
      var rows = node('tbody', null, null, table);
      d.fields.forEach(function (f) {
        var m = f.history ? (cur.base.properties || {})[f.name] : mine.values[f.name];
        var tr = node('tr', null, null, rows);
        tr.dataset.field = f.name;
        if (!same(m, theirs[f.name], f.type)) { tr.className = 'qh-edit-differs'; }
        node('th', null, f.label, tr);
        node('td', 'qh-edit-mine-value', shown(f, m), tr);
        node('td', 'qh-edit-theirs-value', shown(f, theirs[f.name]), tr);
      });
      var moved = !sameGeometry(server.geometry, cur.base.geometry);
      var geo = node('tr', moved || cur.geomDirty ? 'qh-edit-differs' : null, null, rows);
      geo.dataset.field = 'geometry';
      node('th', null, W.geometry, geo);
      node('td', 'qh-edit-mine-value', W.mine_on_map, geo);
      node('td', 'qh-edit-theirs-value', W.theirs_on_map, geo);
      var actions = node('div', 'qh-edit-actions', null, view);
      button(W.keep_mine, 'qh-edit-keep-mine', actions, function () {
        // Mine, whole: every attribute and the geometry where the server's version differs.
        var doc = { properties: changes(mine.values, theirs, cur.layer) };
        if (cur.geomDirty || moved) { doc.geometry = mine.geometry; }
        cur.base = server;
        cur.etag = etag;
        track(cur.layer, cur.id, etag);
        write(doc);
      });
      button(W.take_theirs, 'qh-edit-take-theirs', actions, function () {
        cur.pending = null;
        cur.base = server;
        cur.etag = etag;
        cur.geomDirty = false;
        track(cur.layer, cur.id, etag);
        dropTheirs();
        showMine(server.geometry);
        showForm(theirs);
        say('');
      });
    }

    // --- delete, and a plan's next step ----------------------------------------------------

    // A question over the form (kept as the editor left it, for "cancel"), or alone.
    function confirmView(text, note, action, run) {
      Array.prototype.forEach.call(body.querySelectorAll('.qh-edit-confirm'), function (old) {
        old.remove();
      });
      var before = Array.prototype.slice.call(body.children);
      before.forEach(function (el) { el.hidden = true; });
      var view = node('div', 'qh-edit-confirm', null, body);
      say('');
      if (note) { node('p', 'qh-edit-note', note, view).setAttribute('role', 'alert'); }
      node('p', null, text, view);
      var extra = node('div', null, null, view);
      var actions = node('div', 'qh-edit-actions', null, view);
      button(action, 'qh-edit-confirm-yes', actions, run);
      button(W.cancel, 'qh-edit-confirm-no', actions, function () {
        if (!cur || cur.asking) { close(); return; }
        view.remove();
        before.forEach(function (el) { el.hidden = false; });
        state.status = 'editing';
      });
      state.status = 'confirm';
      return extra;
    }

    function askDelete(note) {
      var d = decl(cur.layer);
      var text = fill(W.confirm_delete, { layer: d.title.toLowerCase(),
                                          name: titleOf(cur.layer, cur.base), id: cur.id });
      confirmView(text, note, W.delete, function () {
        send('DELETE', itemUrl(cur.layer, cur.id), null, null, cur.etag).then(function (res) {
          if (res.status === 204) {
            var id = cur.id;
            stop();
            state.status = 'deleted';
            say(fill(W.deleted, { id: id }), 'ok');
            refresh();
            return;
          }
          if (res.status === 412) { reread(askDelete); return; }
          say(refusal(res), 'error');
        });
      });
    }

    // The version now on the server, then the same question again about it.
    function reread(ask) {
      read(cur.layer, cur.id).then(function (res) {
        if (!res.ok) { say(refusal(res), 'error'); return; }
        cur.base = res.body;
        cur.etag = res.etag;
        cur.geomDirty = false;
        track(cur.layer, cur.id, res.etag);
        dropTheirs();
        showMine(res.body.geometry, true);
        if (cur.form) { cur.form.remove(); cur.form = null; }
        cur.asking = true;  // the form showed the version before; the question is now alone
        say('');
        ask(W.changed_meanwhile);
      });
    }

    function remove(layer, id) {
      open(layer, id).then(function (res) {
        if (res) { begin(layer, res.body, res.etag, function () { askDelete(); }); }
      });
    }

    function askNextStep(note) {
      var layer = cur.layer, d = decl(layer), p = cur.base.properties || {};
      var at = d.steps.indexOf(p.status), next = d.steps[at + 1];
      if (at < 0 || !next) { stop(); state.status = 'ready'; say(W.last_step, 'error'); return; }
      var text = fill(W.confirm_status, {
        name: titleOf(cur.layer, cur.base), from: statusLabel(cur.layer, p.status),
        to: statusLabel(cur.layer, next),
      });
      var dateField = next + '_on';
      var hasDate = d.fields.some(function (f) { return f.name === dateField; });
      var date;
      var extra = confirmView(text, note, fill(W.next_status, { status: statusLabel(cur.layer, next) }),
                              function () {
        var props = { status: next };
        if (hasDate && date.value) { props[dateField] = date.value; }
        send('PATCH', itemUrl(cur.layer, cur.id), { properties: props }, MERGE_PATCH, cur.etag)
          .then(function (res) {
            if (res.ok) {
              stop();
              state.status = 'saved';
              say(fill(W.moved, { status: statusLabel(layer, next) }), 'ok');
              refresh();
              return;
            }
            if (res.status === 412) { reread(askNextStep); return; }
            say(refusal(res), 'error');
          });
      });
      if (hasDate) {
        var row = node('label', 'qh-edit-row', null, extra);
        node('span', 'qh-edit-label', W.status_date, row);
        date = node('input', null, null, row);
        date.type = 'date';
        date.name = dateField;
        date.value = today();
      }
    }

    function nextStep(layer, id) {
      open(layer, id).then(function (res) {
        if (res) { begin(layer, res.body, res.etag, function () { askNextStep(); }); }
      });
    }

    // --- drawing a new project -------------------------------------------------------------

    function drawNew() {
      stop();
      if (!map.pm) { return; }
      busy(true);
      cur = { layer: NEW_LAYER, id: null, base: { properties: {} }, etag: null, drawing: true,
              snapping: true };
      track(NEW_LAYER, null, null);
      loadGuides();
      map.pm.enableDraw('Polygon', {
        snappable: true, snapDistance: SNAP_PX, allowSelfIntersection: false, tooltips: true,
        templineStyle: MINE, hintlineStyle: L.extend({}, MINE, { dashArray: '5 5' }),
        pathOptions: L.extend({ pmIgnore: false, snapIgnore: true }, MINE),
      });
      state.status = 'drawing';
      hint(W.draw_hint);
      say('');
    }

    function created(e) {
      if (!cur || !cur.drawing) { map.removeLayer(e.layer); return; }
      map.removeLayer(e.layer);
      var geometry = e.layer.toGeoJSON(8).geometry;
      cur.drawing = false;
      var defaults = {};
      var district = cfg.itemsDistrict || cfg.district;
      if (districts[district]) { defaults.district = district; }
      cur.base = { properties: defaults, geometry: geometry };
      showMine(geometry);
      cur.geomDirty = true;
      showForm(defaults);
    }

    // --- actions in the popups -------------------------------------------------------------

    function entryOfGrid(grid) {
      return (qh.entries || []).filter(function (e) { return e.tiles === grid; })[0];
    }

    // A tiled layer's popup is opened by the layer's own click handler, before this one.
    function tileClicked(e) {
      var entry = entryOfGrid(e.target), popup = lastPopup;
      if (!entry || !popup || !map.hasLayer(popup) || !e.layer || e.layer.featureId == null) { return; }
      popup._qhRef = { layer: entry.id, id: e.layer.featureId, props: e.layer.properties || {} };
      hook(popup);
    }

    function watchGrid(layer) {
      if (layer instanceof L.VectorGrid && !layer._qhEditWatched) {
        layer._qhEditWatched = true;
        layer.on('click', tileClicked);
      }
    }

    function hook(popup) {
      if (!popup._qhEditHooked) {
        popup._qhEditHooked = true;
        popup.on('contentupdate', function () { decorate(popup); });
      }
      decorate(popup);
    }

    // The feature a popup shows: named on its content (data-layer, data-feature-id), or else
    // known from the layer it is bound to or the tile clicked.
    function refOf(popup, content) {
      var layer = content.getAttribute('data-layer'), fid = content.getAttribute('data-feature-id');
      var src = popup._source, known = popup._qhRef;
      if (src && src.feature) {
        known = { layer: layer, id: featureIdOf(src.feature), props: src.feature.properties || {} };
      }
      if (fid) {
        return { layer: layer, id: fid,
                 props: known && String(known.id) === fid ? known.props : {} };
      }
      return known && known.layer === layer ? known : null;
    }

    function decorate(popup) {
      var el = popup.getElement && popup.getElement();
      var content = el && el.querySelector('.qh-popup[data-layer]');
      if (!content || content.querySelector('.qh-edit-actions')) { return; }
      var ref = refOf(popup, content);
      if (!ref || ref.id == null || ref.id === '' || !decl(ref.layer)) { return; }
      var d = decl(ref.layer);
      var actions = node('div', 'qh-edit qh-edit-actions', null, content);
      function then(action) {
        return function () { map.closePopup(); action(ref.layer, ref.id); };
      }
      button(W.edit, 'qh-edit-open', actions, then(edit));
      if (d.steps) {
        var at = d.steps.indexOf(ref.props.status), next = at >= 0 ? d.steps[at + 1] : null;
        if (next || at < 0) {  // the status unknown here: the question names it
          var label = next ? fill(W.next_status, { status: statusLabel(ref.layer, next) })
            : W.next_step;
          button(label, 'qh-edit-next', actions, then(nextStep));
        }
      }
      button(W.delete, 'qh-edit-remove', actions, then(remove));
    }

    // --- the toolbar -----------------------------------------------------------------------

    function setup(me) {
      map.options.pmIgnore = false;
      L.PM.reInitLayer(map);
      if (map.pm && lang !== 'en') {
        map.pm.setLang('vi', { tooltips: { firstVertex: W.first_vertex, continueLine: W.continue_line,
                                           finishPoly: W.finish_poly } }, 'en');
      }
      editGroup = L.featureGroup().addTo(map);
      guideGroup = L.layerGroup().addTo(map);
      box = L.DomUtil.create('div', 'qh-edit qh-panel leaflet-bar');
      box.id = 'qh-edit';
      var bar = node('div', 'qh-edit-bar', null, box);
      node('span', 'qh-edit-title', W.title, bar);
      var role = W['role_' + me.role] || me.role;
      node('span', 'qh-edit-user', fill(W.user, { name: me.name, role: role }), bar);
      if (decl(NEW_LAYER)) { button(W.new_project, 'qh-edit-new', box, drawNew); }
      hintBox = node('div', 'qh-edit-hint', null, box);
      messageBox = node('div', 'qh-edit-message', null, box);
      messageBox.setAttribute('role', 'status');
      hint('');
      say('');
      var Panel = L.Control.extend({ onAdd: function () { return box; } });
      new Panel({ position: 'topleft' }).addTo(map);
      // The open feature's form (or comparison, or question) lies over the map's right side,
      // as tall as the map, so that it never runs under the panels of the left corners.
      body = L.DomUtil.create('div', 'qh-edit qh-panel qh-edit-body', map.getContainer());
      body.id = 'qh-edit-form';
      [box, body].forEach(function (el) {
        L.DomEvent.disableClickPropagation(el);
        L.DomEvent.disableScrollPropagation(el);
      });

      map.on('pm:create', created);
      map.on('popupopen', function (e) { lastPopup = e.popup; hook(e.popup); });
      map.on('layeradd', function (e) { watchGrid(e.layer); });
      (qh.entries || []).forEach(function (entry) { if (entry.tiles) { watchGrid(entry.tiles); } });
      map.on('moveend', function () { if (cur && cur.snapping) { loadGuides(); } });
      api.draw = drawNew;
      api.edit = edit;
      api.close = close;
      state.user = me;
      state.status = 'ready';
    }

    if (!csrfToken()) { state.status = 'anonymous'; return api; }
    state.status = 'checking';
    var asked = { headers: { Accept: 'application/json' }, credentials: 'same-origin',
                  cache: 'no-store' };
    fetch(E.me, asked)
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (me) {
        if (me && (me.role === 'editor' || me.role === 'admin')) { setup(me); }
        else { state.status = me ? 'reader' : 'anonymous'; }
      })
      .catch(function () { state.status = 'anonymous'; });
    return api;
  }

  var qh = window.quyhoach;
  if (!qh || !qh.init) { return; }
  var init = qh.init;
  qh.init = function (map, groups, cfg) {
    var result = init.apply(this, arguments);
    if (cfg.edit) { window.quyhoach.edit = editor(window.quyhoach, map, cfg); }
    return result;
  };
}());
