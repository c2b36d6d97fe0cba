"""fetch → cache → build, end to end through the CLI, against a loopback ScienceBase."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from loaders.usgs_mcs import EDITIONS

from .loopback import Answer, loopback
from .test_loader_usgs_mcs import _item, _zip_bytes
from .test_loader_usgs_mcs2026 import RELEASE

ITEM = EDITIONS[2026][0]


def test_kg_fetch_then_build_uses_the_verified_cache(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "KG_HOME": str(home)}

    def kg(*args):
        return subprocess.run([sys.executable, "-m", "kg", *args], capture_output=True, text=True,
                              env=env, timeout=300)
    # the edition the snapshot bundles: a fetched copy revises it consistently (one world total a year)
    world_zip = _zip_bytes("MCS2026_Commodities_Data.csv", RELEASE.read_bytes())
    try:
        with loopback() as lb:
            lb.route(f"/catalog/item/{ITEM}?format=json", Answer(body=_item(lb.url, [
                {"name": "Commodities_Data.zip", "url": f"{lb.url}/catalog/file/get/{ITEM}?f=__disk__aa"}])))
            lb.route(f"/catalog/file/get/{ITEM}?f=__disk__aa", Answer(500, b"busy"), Answer(body=world_zip))
            r = kg("fetch", "usgs-mcs", "--edition", "2026", "--base-url", lb.url)
            assert r.returncode == 0, r.stderr
        cache = home / "raw" / "usgs-mcs"
        manifest = json.loads((cache / "manifest.json").read_text())
        assert any(f["file"] == "Commodities_Data.zip" for f in manifest["files"])
        r = kg("sources", "--format", "json")
        usgs = next(s for s in json.loads(r.stdout) if s["name"] == "usgs-mcs")
        assert usgs["cached"] != "no"
        # the build reads the bundled snapshot and the fetched file; offline ignores the cache
        r = kg("build", "--source", "iso3166", "--source", "usgs-mcs")
        assert r.returncode == 0, r.stderr
        latest = json.loads((home / "builds" / "latest.json").read_text())
        usgs_files = next(s for s in latest["sources"] if s["name"] == "usgs-mcs")["files"]
        assert {f["origin"] for f in usgs_files} == {"bundled", "fetched"}
        r = kg("build", "--offline", "--source", "iso3166", "--source", "usgs-mcs")
        latest = json.loads((home / "builds" / "latest.json").read_text())
        usgs_files = next(s for s in latest["sources"] if s["name"] == "usgs-mcs")["files"]
        assert {f["origin"] for f in usgs_files} == {"bundled"}
    finally:
        kg("store", "stop")
