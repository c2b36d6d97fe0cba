"""The ontology as code: frozen pydantic records for every label and relationship type."""

from __future__ import annotations

from .base import QUALIFIERS, STAGES, UNITS, Record
from .edges import RELATIONSHIP_TYPES, Relationship
from .ids import ID_PREFIX, label_of, mint, slugify
from .nodes import NODE_TYPES, Node, Source
from .parse import parse_record, record_types

__all__ = ["ID_PREFIX", "NODE_TYPES", "QUALIFIERS", "RELATIONSHIP_TYPES", "STAGES", "UNITS",
           "Node", "Record", "Relationship", "Source", "label_of", "mint", "parse_record",
           "record_types", "slugify"]
