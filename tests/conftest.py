"""Shared fixtures: one embedded server per test session, one fresh graph per test.

Store tests use the `store` fixture, parametrised over every available backend: the embedded
FalkorDB always; Neo4j when NEO4J_URI is set or Docker can start a testcontainer, else skipped
with the reason and how to enable it.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Bytecode caches (gitignored __pycache__) are written even where PYTHONDONTWRITEBYTECODE is set:
# without them every xdist worker re-rewrites the asserts of every test module and every `kg`
# subprocess compiles the package again, seconds per run that nothing needs.
sys.dont_write_bytecode = False
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)

from kg.config import Settings  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session", autouse=True)
def private_kg_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """No test touches the user's KG_HOME: code that falls back to the environment (and any `kg`
    subprocess that inherits it) gets a throwaway home; a server started there is stopped."""
    from kg.store import embedded
    home = tmp_path_factory.mktemp("user_kg_home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KG_HOME", str(home))
        mp.delenv("KG_STORE", raising=False)
        yield home
    if embedded.status(home) is not None:
        embedded.stop(home)


_LINTER: Any = None


QUERIES = Path(__file__).resolve().parents[1] / "queries"
LINTER_FILES = {"tests/test_cypher_lint.py", "tests/test_browser_kit.py"}
"""The test files that use the Cypher linter: one xdist work unit, so one Node process serves
the session."""
LINTER_SCOPE = "cypher-lint"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """`-n auto` starts one worker more than there are cores (`--maxprocesses` still caps it).
    Tests spend part of their time waiting: on their embedded server, on `kg` subprocesses, on
    the loader tests' retry back-off, on the Cypher linter's Node process. A spare worker fills
    those waits; on the 2-core machine a clean clone's run went from 140 s to 107 s with three."""
    from kg.machine import usable_cores
    return usable_cores() + 1


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Each test file is one work unit (its module fixtures are built once), except the linter's
    files, which share one unit handed out first: it is the longest (linting the stored queries
    takes tens of seconds of Node CPU), so it starts while the other workers take the rest."""
    from collections import OrderedDict

    from xdist.scheduler import LoadFileScheduling

    class LinterFirst(OrderedDict):  # type: ignore[type-arg]
        def __setitem__(self, key: Any, value: Any) -> None:
            super().__setitem__(key, value)
            if key == LINTER_SCOPE:
                self.move_to_end(key, last=False)

    class Scheduler(LoadFileScheduling):
        def __init__(self, config: pytest.Config, log: Any = None) -> None:
            super().__init__(config, log)
            self.workqueue = LinterFirst()

        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return LINTER_SCOPE if path in LINTER_FILES else path

    return Scheduler(config, log)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Run in one process (`-n 0`), start the session's Cypher linter right after collection when a
    test will use it, and let it lint the stored queries in the background while the other tests
    run; under xdist the worker that gets the linter's files starts it at their first test."""
    global _LINTER
    from .cypher_linter import CypherLinter, missing_linter
    users = [item for item in items if "cypher_lint" in getattr(item, "fixturenames", ())]
    strays = sorted({item.nodeid.split("::", 1)[0] for item in users} - LINTER_FILES)
    if strays:
        raise pytest.UsageError(f"{', '.join(strays)} use the cypher_lint fixture: add them to "
                                f"LINTER_FILES in tests/conftest.py (one linter per session)")
    if (users and not os.environ.get("PYTEST_XDIST_WORKER") and not config.option.collectonly
            and missing_linter() is None):
        _LINTER = CypherLinter(_saved_lint_answers(config))
        _LINTER.warm_up(QUERIES)


LINT_CACHE = "chokepoint/cypher-lint"
"""Where the linter's answers are kept between sessions (pytest's cache, `.pytest_cache/`): under
a key of the linter script, the pinned package's version and the options, so a changed linter
starts afresh. `-p no:cacheprovider` (or a fresh clone, as in CI) lints everything."""


def _saved_lint_answers(config: pytest.Config) -> dict[str, Any]:
    from .cypher_linter import version_key
    cache = getattr(config, "cache", None)
    saved = cache.get(LINT_CACHE, {}) if cache is not None else {}
    return saved.get("answers", {}) if saved.get("version") == version_key() else {}


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _LINTER is not None:
        _LINTER.close()
        cache = getattr(session.config, "cache", None)
        if cache is not None:
            from .cypher_linter import version_key
            # merged with what is saved: another worker's session may have saved in the meantime
            answers = {**_saved_lint_answers(session.config), **_LINTER.answers}
            cache.set(LINT_CACHE, {"version": version_key(), "answers": answers})


@pytest.fixture(scope="session")
def cypher_lint(request: pytest.FixtureRequest) -> Any:
    """The session's one Neo4j Cypher front-end process (tests/cypher_linter.py). Without node or
    the pinned package the tests using it skip with the fix, except in CI (`CI` set): they fail."""
    from .cypher_linter import CypherLinter, missing_linter
    global _LINTER
    reason = missing_linter()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"the Cypher linter is required in CI: {reason}")
        pytest.skip(reason)
    if _LINTER is None:
        _LINTER = CypherLinter(_saved_lint_answers(request.config))
    return _LINTER


@pytest.fixture(scope="session")
def kg_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from kg.store import embedded
    home = tmp_path_factory.mktemp("kg_home")
    embedded.start(home)
    yield home
    embedded.stop(home)


@pytest.fixture
def kg(kg_home: Path) -> Any:
    """Run the `kg` CLI in a subprocess against the session's embedded server."""
    def run(*args: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "KG_HOME": str(kg_home), "KG_STORE": "embedded"}
        return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True,
                              env=env, timeout=300)
    return run


@pytest.fixture(scope="session")
def snapshot_build(kg_home: Path) -> Iterator[tuple[Any, Any]]:
    """The bundled snapshot built once per session into its own graph, and that build's report."""
    from kg.api import build
    from kg.store import embedded
    from kg.store.falkordb import FalkorDBStore
    store = FalkorDBStore(embedded.start(kg_home), kg_home, graph=f"snapshot_{uuid.uuid4().hex[:10]}")
    report = build(store, offline=True, home=kg_home)
    yield store, report
    try:
        store.graph.delete()
    finally:
        store.close()


@pytest.fixture(scope="session")
def snapshot_store(snapshot_build: tuple[Any, Any]) -> Any:
    """The session's bundled snapshot; for read-only tests (a second build changes nothing)."""
    return snapshot_build[0]


@pytest.fixture
def embedded_store(kg_home: Path) -> Iterator[Any]:
    from kg.store import embedded
    from kg.store.falkordb import FalkorDBStore
    info = embedded.start(kg_home)
    store = FalkorDBStore(info, kg_home, graph=f"t_{uuid.uuid4().hex[:12]}")
    yield store
    try:
        if store._exists():
            store.graph.delete()
    finally:
        store.close()


def docker_unavailable_reason() -> str | None:
    try:
        import docker
    except ImportError:
        return "docker SDK not installed"
    try:
        client = docker.from_env(timeout=3)
        client.ping()
        client.close()
        return None
    except Exception as exc:  # the SDK wraps the missing-socket error in DockerException
        return f"no Docker engine reachable ({type(exc).__name__}: {str(exc)[:100]})"


@pytest.fixture(scope="session")
def neo4j_settings() -> Iterator[Settings]:
    if os.environ.get("NEO4J_URI"):
        yield Settings.from_env(store=os.environ["NEO4J_URI"])
        return
    reason = docker_unavailable_reason()
    if reason:
        pytest.skip(f"Neo4j tests skipped: set NEO4J_URI (and NEO4J_USERNAME/NEO4J_PASSWORD) to a "
                    f"running Neo4j 5, or provide a Docker engine for testcontainers: {reason}")
    from testcontainers.neo4j import Neo4jContainer
    with Neo4jContainer("neo4j:5") as container:
        os.environ.setdefault("NEO4J_PASSWORD", container.password)
        settings = Settings(home=Path("."), store=container.get_connection_url(),
                            neo4j_user=container.username, neo4j_password=container.password)
        yield settings


@pytest.fixture
def neo4j_store(neo4j_settings: Settings) -> Iterator[Any]:
    from kg.store import open_store
    store = open_store(neo4j_settings)
    store.clear()
    yield store
    store.clear()
    store.close()


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Any:
    """Every available backend, each test on an empty graph."""
    return request.getfixturevalue(f"{request.param}_store")


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A data folder of its own for a test that starts and kills embedded servers; whatever server
    the test left running there is stopped."""
    from kg.store import embedded
    h = tmp_path / "home"
    yield h
    with contextlib.suppress(Exception):
        embedded.stop(h, force=True)
