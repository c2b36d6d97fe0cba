"""Data flows one way (DESIGN §2): enforced by import-linter contracts in pyproject.toml."""

from __future__ import annotations

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


def test_the_layering_contract_can_fail(tmp_path):
    """The check is real: a store module importing a loader breaks it."""
    pkg = tmp_path / "kg"
    shutil.copytree(ROOT / "kg", pkg, ignore=shutil.ignore_patterns("__pycache__", "_data"))
    shutil.copytree(ROOT / "loaders", tmp_path / "loaders",
                    ignore=shutil.ignore_patterns("__pycache__", "snapshot"))
    (pkg / "store" / "base.py").write_text((pkg / "store" / "base.py").read_text()
                                           + "\nimport loaders  # noqa\n")
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    exe = shutil.which("lint-imports") or str(Path(sys.executable).parent / "lint-imports")
    r = subprocess.run([exe, "--config", str(tmp_path / "pyproject.toml")], cwd=tmp_path,
                       capture_output=True, text=True, timeout=300,
                       env={"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert r.returncode != 0
    assert "broken" in r.stdout


def test_nothing_reads_the_shared_reference_folder():
    for path in [*ROOT.glob("kg/**/*.py"), *ROOT.glob("loaders/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        if path.name == "test_architecture.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "../shared" not in text and "/work/shared" not in text, path
