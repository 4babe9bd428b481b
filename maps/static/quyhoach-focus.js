/* A project named in the map's link (`project=CODE`, as the dashboard's "show on the map" links
 * write it) is outlined in a colour no layer uses, the map fits it and a tooltip names it, so
 * the planner sees at once which project was meant. */
(function () {
  'use strict';

  var FOCUS_COLOR = '#00e5ff';

  function highlight(qh, map, cfg, code) {
    var url = cfg.base + '/collections/projects/items?code=' + encodeURIComponent(code) + '&limit=1';
    qh.state.focus = { code: code, status: 'loading' };
    fetch(url, { headers: { Accept: 'application/geo+json' } })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (fc) {
        if (!fc.features || !fc.features.length) { qh.state.focus.status = 'missing'; return; }
        var f = fc.features[0];
        var halo = L.geoJSON(f, { interactive: false, style: function () {
          return { color: '#000000', weight: 9, opacity: 0.45, fill: false };
        } });
        var line = L.geoJSON(f, { interactive: false, style: function () {
          return { color: FOCUS_COLOR, weight: 5, opacity: 1, dashArray: '10 6', fillOpacity: 0.08,
                   fillColor: FOCUS_COLOR };
        } });
        var group = L.featureGroup([halo, line]).addTo(map);
        group.bindTooltip(String(f.properties.code || code) + ' — ' + String(f.properties.name || ''),
                          { permanent: true, direction: 'top', className: 'qh-focus-label' });
        map.fitBounds(group.getBounds(), { maxZoom: 18, padding: [40, 40], animate: false });
        group.openTooltip(group.getBounds().getCenter());
        qh.state.focus = { code: code, status: 'shown', layer: group };
      })
      .catch(function () { qh.state.focus.status = 'error'; });
  }

  var qh = window.quyhoach;
  if (!qh || !qh.init) { return; }
  var init = qh.init;
  qh.init = function (map, groups, cfg) {
    var result = init.apply(this, arguments);
    var code = new URL(window.location.href).searchParams.get('project');
    if (code && code.length <= 64) { highlight(window.quyhoach, map, cfg, code); }
    return result;
  };
}());
