"""Data flows one way (docs/architecture.md, "Layers"): enforced by import-linter contracts in pyproject.toml."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_hold():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    if not Path(exe).exists():
        pytest.fail("import-linter is a test dependency; install with pip install -e '.[test]'")
    r = subprocess.run([exe, "--config", str(ROOT / "pyproject.toml")], cwd=ROOT,
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "Contracts: " in r.stdout and " broken" in r.stdout
    assert re.search(r"Contracts: \d+ kept, 0 broken", r.stdout), r.stdout


def test_every_kg_module_is_under_the_loader_contract():
    """A new kg module must be listed in "only the CLI and API compose loaders" (or be CLI/API)."""
    import tomllib
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    contract = next(c for c in config["tool"]["importlinter"]["contracts"]
                    if c["name"] == "only the CLI and API compose loaders")
    modules = {p.stem for p in (ROOT / "kg").glob("*.py")} | {p.name for p in (ROOT / "kg").iterdir()
                                                             if (p / "__init__.py").exists()}
    composers = {"cli", "commands", "api", "__init__", "__main__"}
    assert {f"kg.{m}" for m in modules - composers} == set(contract["source_modules"])


@pytest.mark.parametrize("module", ["store/base.py", "build.py"])
def test_the_layering_contract_can_fail(tmp_path, module):
    """The check is real: a store module, or the build, importing a loader breaks it."""
    pkg = tmp_path / "kg"
    shutil.copytree(ROOT / "kg", pkg, ignore=shutil.ignore_patterns("__pycache__", "_data"))
    shutil.copytree(ROOT / "loaders", tmp_path / "loaders",
                    ignore=shutil.ignore_patterns("__pycache__", "snapshot"))
    (pkg / module).write_text((pkg / module).read_text() + "\nimport loaders  # noqa\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    r = subprocess.run([exe, "--config", str(tmp_path / "pyproject.toml")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300,
                       env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode != 0
    assert "only the CLI and API compose loaders BROKEN" in r.stdout, r.stdout


def test_comments_cite_the_repository_docs_not_outside_files():
    """Code cites docs/architecture.md, docs/loaders.md, … — not design notes outside the repo."""
    outside = re.compile(r"DESIGN §|\bsources\.md\b|cypher-portability\.md|reference/style\.md")
    for path in [*ROOT.glob("kg/**/*.py"), *ROOT.glob("loaders/**/*.py"), *ROOT.glob("tests/*.py"),
                 *ROOT.glob("tests/*.mjs")]:
        if path.name == "test_architecture.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            assert not outside.search(line), f"{path.relative_to(ROOT)}:{n}: {line.strip()}"


def test_tests_run_with_a_private_kg_home(private_kg_home, tmp_path_factory):
    """The autouse fixture points KG_HOME at a throwaway directory, never the user's."""
    from kg.config import Settings
    assert os.environ["KG_HOME"] == str(private_kg_home)
    assert private_kg_home.is_relative_to(tmp_path_factory.getbasetemp())
    assert Settings.from_env().home == private_kg_home


def test_nothing_reads_the_shared_reference_folder():
    for path in [*ROOT.glob("kg/**/*.py"), *ROOT.glob("loaders/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        if path.name == "test_architecture.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "/work/shared" not in text, path
