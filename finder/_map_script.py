"""The map's own script, served once as a static file (:mod:`finder.map_layers`) and cached by browsers.

``FinderMap.draw(map, config)`` draws what the map HTML of each rerun only names:

* the base map from ``config.layers.base`` (the state filled, the borders between districts, district
  names up to zoom 9, town names by population, more as one zooms in), the neighbours' names from
  ``config.neighbours``, and the municipality borders from ``config.layers.municipalities`` once the map
  is zoomed to 10 or more (fetched then, not before);
* on the landing page, all offices from ``config.layers.offices``, clustered;
* the search's offices from ``config.results``: an exact position as a dot, an approximate one (a postcode
  or town point) as a dashed area of its precision's radius with a badge in the middle that lists every
  office there.

Names from the data are put on the page with ``textContent``; the marker, popup and tooltip HTML comes
from :mod:`finder._map_html`, where every value is escaped. Everything is fetched from the page's own
server. Layers that exist when the map is created (the groups below) are the ones streamlit-folium
listens to, so clicks on markers added later still reach it through their group.
"""

from __future__ import annotations

__all__ = ["MAP_SCRIPT"]

MAP_SCRIPT = r"""
(function () {
  "use strict";
  var FinderMap = (window.FinderMap = {});

  function fetchJson(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status + " for " + url); }
      return response.json();
    });
  }

  function labelMarker(latlng, className, text, pane) {
    var span = document.createElement("span");
    span.className = className;
    span.textContent = text; // data stays text
    return L.marker(latlng, {
      icon: L.divIcon({ className: "finder-label", html: span, iconSize: null }),
      interactive: false, keyboard: false, pane: pane
    });
  }

  function clusterIcon(cluster) {
    var n = cluster.getAllChildMarkers().reduce(function (sum, m) {
      return sum + (m.options.officeCount || 1);
    }, 0);
    return L.divIcon({ html: "<span>" + n + "</span>", className: "finder-cluster",
                       iconSize: L.point(34, 34) });
  }

  function officeMarker(loc) {
    var marker = L.marker([loc.lat, loc.lon], {
      icon: L.divIcon({ html: loc.icon, className: "finder-marker", iconSize: [loc.size, loc.size],
                        iconAnchor: [loc.size / 2, loc.size / 2] }),
      officeIds: loc.ids, officeCount: loc.n, zIndexOffset: loc.selected ? 1000 : 0
    });
    marker.bindPopup(loc.popup, { maxWidth: 300 });
    marker.bindTooltip(loc.tip);
    return marker;
  }

  function officeArea(loc) {
    var area = L.circle([loc.lat, loc.lon], {
      radius: loc.area, className: "finder-area", color: "#222", weight: 1.5, dashArray: "5 4",
      fillColor: loc.colour, fillOpacity: 0.2, officeIds: loc.ids, officeCount: loc.n
    });
    // A click anywhere in the area stands for the offices at its centre (streamlit-folium reports the
    // position; the page looks the offices up there). Registered before the popup's own handler.
    area.on("click", function (e) { e.latlng = area.getLatLng(); });
    area.bindPopup(loc.popup, { maxWidth: 300 });
    area.bindTooltip(loc.tip, { sticky: true });
    return area;
  }

  function openWhenStyled(marker) {
    marker.openPopup();
    // streamlit-folium links the stylesheets after running the map script, so the popup was laid out
    // without Leaflet's CSS; once it applies, lay the popup out again so that auto-pan shows all of it.
    var tries = 0;
    var timer = setInterval(function () {
      tries += 1;
      var map = marker._map;
      if (!map || getComputedStyle(map.getContainer()).overflow === "hidden" || tries > 50) {
        clearInterval(timer);
        if (marker.isPopupOpen()) { marker.getPopup().update(); }
      }
    }, 100);
  }

  FinderMap.draw = function (map, cfg) {
    var labelPane = map.createPane("finderLabels");
    labelPane.style.zIndex = 450;
    labelPane.style.pointerEvents = "none";
    var layers = cfg.layers || {};
    var places = [], districtLabels = [], municipalities = null, loadingMunicipalities = false;
    var placeGroup = L.layerGroup().addTo(map);
    var regionGroup = L.layerGroup().addTo(map);

    function update() {
      var zoom = map.getZoom(), bounds = map.getBounds().pad(0.25);
      placeGroup.clearLayers();
      places.forEach(function (p) {
        if (p[3] <= zoom && bounds.contains([p[1], p[2]])) {
          placeGroup.addLayer(
            labelMarker([p[1], p[2]], "finder-place-label finder-size-" + p[4], p[0], "finderLabels"));
        }
      });
      regionGroup.clearLayers();
      if (zoom <= 9) {
        districtLabels.forEach(function (d) {
          regionGroup.addLayer(labelMarker([d[1], d[2]], "finder-district-label", d[0], "finderLabels"));
        });
      }
      if (zoom <= 10) {
        (cfg.neighbours || []).forEach(function (n) {
          regionGroup.addLayer(labelMarker([n[1], n[2]], "finder-neighbour-label", n[0], "finderLabels"));
        });
      }
      if (zoom >= 10 && layers.municipalities) {
        if (municipalities) {
          if (!map.hasLayer(municipalities)) { municipalities.addTo(map); }
        } else if (!loadingMunicipalities) {
          loadingMunicipalities = true;
          fetchJson(layers.municipalities).then(function (lines) {
            municipalities = L.geoJSON(lines, { interactive: false, className: "finder-municipality-border",
              style: { color: "#6b7580", weight: 0.9, dashArray: "4 3", fill: false } });
            if (map.getZoom() >= 10) { municipalities.addTo(map); }
          }).catch(function () { loadingMunicipalities = false; });
        }
      } else if (municipalities && map.hasLayer(municipalities)) {
        map.removeLayer(municipalities);
      }
    }
    map.on("zoomend moveend", update);

    if (layers.base) {
      fetchJson(layers.base).then(function (base) {
        if (base.outline) {
          L.geoJSON(base.outline, { interactive: false, style: { color: "#2b3138", weight: 2.4,
            fillColor: "#fbfaf6", fillOpacity: cfg.tiles ? 0.12 : 0.92 } }).addTo(map).bringToBack();
        }
        if (base.district_borders) {
          L.geoJSON(base.district_borders, { interactive: false,
            style: { color: "#5a6570", weight: 1.3, fill: false } }).addTo(map);
        }
        places = base.places || [];
        districtLabels = base.district_labels || [];
        update();
      }).catch(function () { update(); });
    } else {
      update();
    }

    if (layers.offices) {
      var cluster = L.markerClusterGroup({
        iconCreateFunction: clusterIcon, showCoverageOnHover: false, maxClusterRadius: 40,
        spiderfyOnMaxZoom: true, disableClusteringAtZoom: 13
      }).addTo(map);
      fetchJson(layers.offices).then(function (locations) {
        cluster.addLayers(locations.map(officeMarker));
      });
    }

    var results = L.featureGroup().addTo(map);
    var selected = null;
    (cfg.results || []).forEach(function (loc) {
      if (loc.area) { results.addLayer(officeArea(loc)); }
      var marker = officeMarker(loc);
      results.addLayer(marker);
      if (loc.selected) { selected = marker; }
    });
    if (selected) {
      // After the view is fitted (the map HTML fits it right after this script).
      setTimeout(function () { openWhenStyled(selected); }, 0);
    }
  };
})();
"""
