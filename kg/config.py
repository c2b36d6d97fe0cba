"""Settings from the environment and the CLI: where data lives and which store to use."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


def default_home() -> Path:
    """`$KG_HOME`, else `$XDG_DATA_HOME/chokepoint`, else `~/.local/share/chokepoint`."""
    if os.environ.get("KG_HOME"):
        return Path(os.environ["KG_HOME"]).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "chokepoint"


@dataclass(frozen=True)
class Settings:
    home: Path
    store: str = "embedded"                 # "embedded" or a bolt:// / neo4j:// URI
    neo4j_user: str = "neo4j"
    neo4j_password: str | None = None
    neo4j_database: str | None = None
    graph_name: str = "kg"

    @classmethod
    def from_env(cls, *, store: str | None = None, home: str | Path | None = None) -> Settings:
        env = os.environ
        chosen = store or env.get("KG_STORE") or "embedded"
        if chosen == "neo4j":
            chosen = env.get("NEO4J_URI", "bolt://localhost:7687")
        return cls(
            home=Path(home).expanduser() if home else default_home(),
            store=chosen,
            neo4j_user=env.get("NEO4J_USERNAME", env.get("NEO4J_USER", "neo4j")),
            neo4j_password=env.get("NEO4J_PASSWORD"),
            neo4j_database=env.get("NEO4J_DATABASE"),
        )

    @property
    def is_embedded(self) -> bool:
        return self.store == "embedded"
