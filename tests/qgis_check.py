"""Open a QGIS project with PyQGIS (Debian's python3-qgis) and describe its layers as JSON.

Run by tests/test_qgis.py with the system Python: `python3 tests/qgis_check.py PROJECT.qgz`.
"""

import json
import sys

from qgis.core import QgsApplication, QgsProject

app = QgsApplication([], False)
app.initQgis()
project = QgsProject.instance()
read = project.read(sys.argv[1])
layers = []
for layer in project.mapLayers().values():
    renderer = layer.renderer()
    cats = []
    if renderer is not None and renderer.type() == "categorizedSymbol":
        cats = [{"value": c.value(), "label": c.label(), "color": c.symbol().color().name()}
                for c in renderer.categories()]
    node = project.layerTreeRoot().findLayer(layer.id())
    layers.append({
        "name": layer.name(), "valid": layer.isValid(), "provider": layer.providerType(),
        "source": layer.source(), "features": layer.featureCount() if layer.isValid() else None,
        "renderer": renderer.type() if renderer is not None else None,
        "attribute": renderer.classAttribute() if cats else None, "categories": cats,
        "labels": layer.labelsEnabled(), "visible": node.isVisible() if node else None,
        "fields": [f.name() for f in layer.fields()],
    })
print(json.dumps({"read": read, "crs": project.crs().authid(), "title": project.title(),
                  "layers": layers}))
app.exitQgis()
