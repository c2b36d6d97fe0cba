"""Linked data: RDF export (`export`), SHACL validation (`shacl`) and RDF import (`rdf_import`).

The vocabulary is `kg.vocab`; the published ontology, shapes and JSON-LD context are in `ontology/`.
"""

from __future__ import annotations

from .export import FORMATS, ExportReport, export_rdf, export_rows

__all__ = ["FORMATS", "ExportReport", "export_rdf", "export_rows"]
