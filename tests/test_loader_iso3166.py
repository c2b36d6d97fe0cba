"""ISO 3166 loader: pycountry codes, plus Wikidata ids from a datasets/country-codes fixture."""

from __future__ import annotations

import json
from pathlib import Path

import pycountry
import pytest

from kg.errors import DataError
from kg.sources import FetchError
from loaders import iso3166
from loaders._common import read_crosswalk

from tests.loopback import Answer, loopback

CODES = Path(__file__).parent / "fixtures" / "iso" / "country-codes.csv"


@pytest.fixture(scope="module")
def with_codes() -> dict:
    return {r.id: r for r in iso3166.parse([CODES])}


def test_every_iso_country_and_kosovo() -> None:
    recs = list(iso3166.parse([]))
    countries = [r for r in recs if r.type_name == "Country"]
    assert len(countries) == 250                                 # 249 in ISO 3166-1, plus XKX
    assert {r.id for r in countries} == {f"country:{c.alpha_3}" for c in pycountry.countries} | {"country:XKX"}
    assert {r.id for r in recs if r.type_name == "Source"} == {"source:iso-3166",
                                                              "source:usgs-country-crosswalk"}
    xk = next(r for r in countries if r.id == "country:XKX")
    assert (xk.iso2, xk.numeric, xk.name) == ("XK", None, "Kosovo")


def test_codes_and_names(with_codes: dict) -> None:
    afg = with_codes["country:AFG"]
    assert (afg.iso2, afg.iso3, afg.numeric, afg.wikidata) == ("AF", "AFG", "004", "Q889")  # "4" padded
    assert afg.source_ids == ("source:iso-3166", "source:datasets-country-codes",
                              "source:usgs-country-crosswalk")
    nam = with_codes["country:NAM"]
    assert nam.iso2 == "NA" and nam.wikidata is None           # the string NA, not a missing value
    assert with_codes["country:KOR"].name == "South Korea"      # CLDR display name
    assert with_codes["country:RUS"].name == "Russia"
    # not in the fixture: pycountry's own name, no Wikidata id
    fra = with_codes["country:FRA"]
    assert (fra.name, fra.wikidata, fra.source_ids) == ("France", None,
                                                        ("source:iso-3166", "source:usgs-country-crosswalk"))
    assert with_codes["country:ABW"].source_ids == ("source:iso-3166",)   # Aruba: no USGS name
    src = with_codes["source:datasets-country-codes"]
    assert src.license == "ODC-PDDL-1.0" and len(src.sha256) == 64


def test_every_crosswalk_code_has_a_country(with_codes: dict) -> None:
    for _, row in read_crosswalk("usgs_countries.csv"):
        if row["iso3"]:
            assert f"country:{row['iso3']}" in with_codes, row


def test_disagreeing_numeric_code_is_an_error(tmp_path: Path) -> None:
    lines = CODES.read_text(encoding="utf-8").splitlines()
    bad = tmp_path / "country-codes.csv"
    bad.write_text("\n".join([lines[0], lines[2].replace(",156,", ",157,", 1)]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        list(iso3166.parse([bad]))
    assert (err.value.line, err.value.field) == (2, "ISO3166-1-numeric")
    assert "157" in str(err.value)


def test_wrong_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "countries.csv"
    bad.write_text("name,code\nChina,CN\n")
    with pytest.raises(DataError) as err:
        list(iso3166.parse([bad]))
    assert (err.value.file, err.value.line, err.value.field) == (str(bad), 1, "ISO3166-1-Alpha-3")


def test_fetch(tmp_path: Path) -> None:
    with loopback() as lb:
        lb.route("/country-codes.csv", Answer(503, b"later"), Answer(body=CODES.read_bytes()))
        paths = iso3166.fetch(tmp_path, base_url=lb.url, backoff=0.01)
    assert [p.name for p in paths] == ["country-codes.csv"]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["files"][0]["file"] == "country-codes.csv"
    recs = {r.id: r for r in iso3166.parse(paths)}
    assert recs["country:CHN"].wikidata == "Q148"
    assert recs["source:datasets-country-codes"].retrieved == manifest["files"][0]["retrieved"][:10]


def test_fetch_failure_leaves_nothing(tmp_path: Path) -> None:
    with loopback() as lb:
        lb.route("/country-codes.csv", Answer(body=CODES.read_bytes(), truncate=50))
        with pytest.raises(FetchError):
            iso3166.fetch(tmp_path, base_url=lb.url, retries=1, backoff=0.01)
    assert list(tmp_path.iterdir()) == []
