"""Graph stores: the only place drivers and servers are made."""

from __future__ import annotations

from ..config import Settings
from ..errors import StoreError
from .base import GraphStore, WriteStatement, WriteSummary

__all__ = ["GraphStore", "WriteStatement", "WriteSummary", "open_store"]


def open_store(settings: Settings) -> GraphStore:
    """Open the configured store; the embedded server is started on demand."""
    if settings.is_embedded:
        from . import embedded
        from .falkordb import FalkorDBStore
        info = embedded.start(settings.home)
        return FalkorDBStore(info, settings.home, settings.graph_name)
    if settings.store.startswith(("bolt://", "bolt+s://", "bolt+ssc://", "neo4j://",
                                  "neo4j+s://", "neo4j+ssc://")):
        from .neo4j import Neo4jStore
        return Neo4jStore(settings.store, settings.neo4j_user, settings.neo4j_password,
                          settings.neo4j_database)
    raise StoreError(f"unknown store {settings.store!r}: use 'embedded' or a bolt:// or neo4j:// URI")
