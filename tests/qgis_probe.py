"""Open a GeoPackage in QGIS as a user would and report what QGIS made of it, as JSON.

Run by ``tests/test_qgis.py`` with the system Python that has PyQGIS (``python3-qgis``), not
the project's virtual environment::

    QT_QPA_PLATFORM=offscreen /usr/bin/python3 tests/qgis_probe.py out.gpkg png_folder

For each of the layers ``oa``, ``lsoa`` and ``ward`` it loads the layer (so QGIS applies the
default style from ``layer_styles``), records the renderer and its classes, lists the styles
stored in the file, then applies every style of the layer in turn and, for each, counts the
legend classes each feature is drawn with and renders the layer to ``<layer>-<n>.png``; when
some features have no value in the style's field it also renders those features alone to
``<layer>-<n>-null.png``. Every QgsMessageLog message is recorded. The JSON goes to stdout.
"""

from __future__ import annotations

import json
import os
import sys

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsMapRendererParallelJob,
    QgsMapSettings,
    QgsRenderContext,
    QgsVectorLayer,
)
from qgis.PyQt.QtCore import NULL, QSize
from qgis.PyQt.QtGui import QColor
from qgis.PyQt.QtXml import QDomDocument

LAYERS = ("oa", "lsoa", "ward")
SIZE = 480
#: Background of the renders: a colour no style uses, so drawn pixels can be told from it.
BACKGROUND = (255, 250, 240)


def classes(renderer) -> list[dict]:
    """Legend classes of a categorized, graduated or rule-based renderer."""
    kind = renderer.type()
    if kind == "categorizedSymbol":
        return [{"label": c.label(), "value": c.value()} for c in renderer.categories()]
    if kind == "graduatedSymbol":
        return [
            {"label": r.label(), "lower": r.lowerValue(), "upper": r.upperValue()}
            for r in renderer.ranges()
        ]
    if kind == "RuleRenderer":
        return [
            {"label": r.label(), "filter": r.filterExpression(), "else": r.isElse()}
            for r in renderer.rootRule().children()
        ]
    return []


def map_settings(layer) -> QgsMapSettings:
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(layer.crs())
    settings.setOutputSize(QSize(SIZE, SIZE))
    settings.setExtent(layer.extent())
    settings.setBackgroundColor(QColor(*BACKGROUND))
    return settings


def render(layer, path: str) -> None:
    job = QgsMapRendererParallelJob(map_settings(layer))
    job.start()
    job.waitForFinished()
    job.renderedImage().save(path)


def drawn_classes(layer) -> tuple[dict[int, list[str]], list[int]]:
    """The legend classes each feature is drawn with (by feature id), and the ids of features
    lacking a value.

    Read from the renderer's legend keys, which follow QGIS's drawing rules (a rule-based
    renderer's ELSE rule only where no other rule matches).
    """
    context = QgsRenderContext.fromMapSettings(map_settings(layer))
    renderer = layer.renderer().clone()
    labels = {item.ruleKey(): item.label() for item in renderer.legendSymbolItems()}
    renderer.startRender(context, layer.fields())
    fields = sorted(renderer.usedAttributes(context))
    drawn, missing = {}, []
    for feature in layer.getFeatures():
        context.expressionContext().setFeature(feature)
        keys = renderer.legendKeysForFeature(feature, context)
        drawn[feature.id()] = sorted(labels[k] for k in keys if k in labels)
        if any(feature[f] is None or feature[f] == NULL for f in fields):
            missing.append(feature.id())
    renderer.stopRender(context)
    return drawn, missing


def apply_style(layer, qml: str) -> str:
    doc = QDomDocument()
    doc.setContent(qml)
    ok, error = layer.importNamedStyle(doc)
    return "" if ok else error


def probe_layer(path: str, name: str, folder: str) -> dict:
    layer = QgsVectorLayer(f"{path}|layername={name}", name, "ogr")
    report = {"valid": layer.isValid(), "features": layer.featureCount()}
    if not layer.isValid():
        return report
    report["renderer"] = layer.renderer().type()
    report["classes"] = classes(layer.renderer())
    related, ids, names, _descriptions, error = layer.listStylesInDatabase()
    report["styles"] = {"related": related, "ids": ids, "names": names, "error": error}
    report["renders"] = []
    for i, style_id in enumerate(ids[:related]):
        qml, error = layer.getStyleFromDatabase(style_id)
        entry = {"id": style_id, "name": names[i], "error": error or apply_style(layer, qml)}
        entry["renderer"] = layer.renderer().type()
        entry["classes"] = classes(layer.renderer())
        entry["drawn"], missing = drawn_classes(layer)
        entry["missing"] = missing
        entry["png"] = os.path.join(folder, f"{name}-{i}.png")
        render(layer, entry["png"])
        if missing:
            fids = ",".join(str(f) for f in missing)
            layer.setSubsetString(f"fid IN ({fids})")
            entry["null_png"] = os.path.join(folder, f"{name}-{i}-null.png")
            render(layer, entry["null_png"])
            layer.setSubsetString("")
        report["renders"].append(entry)
    return report


def main(path: str, folder: str, layers: tuple[str, ...] = LAYERS) -> dict:
    app = QgsApplication([], False)
    app.initQgis()
    messages: list[list] = []
    QgsApplication.messageLog().messageReceived.connect(
        lambda text, tag, level: messages.append([tag, int(level), text])
    )
    out = {"qgis": Qgis.QGIS_VERSION, "background": BACKGROUND, "layers": {}}
    for name in layers:
        out["layers"][name] = probe_layer(path, name, folder)
    app.processEvents()
    out["messages"] = messages
    out["warning_level"] = int(Qgis.MessageLevel.Warning)
    return out


if __name__ == "__main__":
    names = tuple(sys.argv[3].split(",")) if len(sys.argv) > 3 else LAYERS
    print(json.dumps(main(sys.argv[1], sys.argv[2], names), default=str))
