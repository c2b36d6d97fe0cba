"""Outputs for analysts: the HTML report (`kg report`), the Neo4j Browser kit (`kg browser-kit`)
and the generated reference docs (`kg docs`).

Everything here reads the graph only through the stored queries (`kg.queries`) and small
read-only look-ups of provenance; nothing writes to the store or reaches the network.
"""

from __future__ import annotations

from .html import build_report, write_report

__all__ = ["build_report", "write_report"]
