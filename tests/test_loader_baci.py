"""CEPII BACI loader: the t,i,j,k,v,q format, filtering, zip members, errors, streaming memory."""

from __future__ import annotations

import os
import time
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from kg.errors import DataError
from loaders import baci

from .conftest import FIXTURES
from .loader_checks import assert_closed, by_type, with_manifest
from .loopback import Answer, loopback

TRADE = FIXTURES / "baci" / "BACI_HS22_Y2023_V202501.csv"


def _flows(records):
    return {(r.from_id, r.to_id, r.hs_code): r for r in records if r.type_name == "EXPORTS_TO"}


def test_default_filter_by_hand(tmp_path):
    records = assert_closed(baci.parse([with_manifest([TRADE], tmp_path / "raw")]))
    assert by_type(records) == {"EXPORTS_TO": 5, "IMPORTS": 4, "Source": 1}
    flows = _flows(records)
    li = flows[("country:CHN", "country:USA", "850760")]
    # v in thousands of USD -> 16 458 123 USD; q in tonnes
    assert (li.value_usd, li.quantity, li.unit, li.year, li.flow_basis) == (16458123.0, 12000.5, "t", 2023, "mirror")
    assert flows[("country:CHN", "country:USA", "284690")].value_usd == 112600.0
    taiwan = flows[("country:TWN", "country:USA", "850760")]            # 490 "Other Asia, nes"
    assert taiwan.quantity is None and taiwan.unit is None               # q = NA
    india = flows[("country:IND", "country:USA", "294110")]             # 699; padded fields
    assert (india.value_usd, india.quantity) == (25500.0, 3.2)
    assert flows[("country:CHN", "country:KOR", "280530")].quantity is None   # q empty
    # 720839 and 381110 are not tracked; 697 (Europe EFTA, nes) is not a country
    # Import totals: every kept flow of an importer, code and year, summed by hand (thousands ->
    # USD): USA 850760 = 16 458.123 + 500.0 (TWN) = 16 958.123 (697 is not a country).
    totals = {(r.from_id, r.to_id): r for r in records if r.type_name == "IMPORTS"}
    assert set(totals) == {("country:USA", "hs:850760"), ("country:USA", "hs:284690"),
                           ("country:USA", "hs:294110"), ("country:KOR", "hs:280530")}
    us_li = totals[("country:USA", "hs:850760")]
    assert (us_li.value_usd, us_li.year, us_li.flow_basis, us_li.hs_version) == (16958123.0, 2023, "mirror", "HS2022")
    assert totals[("country:KOR", "hs:280530")].value_usd == 800.0
    source = next(r for r in records if r.type_name == "Source")
    assert (source.id, source.release, source.retrieved) == ("source:cepii-baci-hs22-v202501", "V202501", "2026-01-15")
    assert "Etalab" in source.license


def test_prefix_filter_and_leading_zero():
    flows = _flows(baci.parse([TRADE], hs_codes=["01", "2846"]))
    # "10121" lost its leading zero in the file: read back as 010121 (chapter 01)
    assert set(flows) == {("country:FRA", "country:USA", "010121"), ("country:CHN", "country:USA", "284690")}


def test_years_filter():
    kept = [r for r in baci.parse([TRADE], hs_codes=["850760"], years=[2022]) if r.type_name == "EXPORTS_TO"]
    assert kept == []


def test_reads_the_release_zip(tmp_path):
    archive = tmp_path / "BACI_HS22_V202501.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(TRADE, TRADE.name)
        zf.writestr("country_codes_V202501.csv",
                    "country_code,country_name,country_iso2,country_iso3\n"
                    "156,China,CN,CHN\n901,Testland (future code),TL,TLS\n")
        zf.writestr("product_codes_HS22_V202501.csv", 'code,description\n850760,"Li-ion"\n')
        zf.writestr("Readme.txt", "BACI")
        zf.writestr("BACI_HS22_Y2022_V202501.csv", "t,i,j,k,v,q\n2022,901,842,850760,1.5,2\n")
    flows = _flows(assert_closed(baci.parse([archive], hs_codes=["850760"])))
    # a code the crosswalk does not know resolves through the release's own country file
    assert flows[("country:TLS", "country:USA", "850760")].value_usd == 1500.0
    assert len(flows) == 3


@pytest.mark.parametrize("line, field, message", [
    ("2023,156,842,850760,12x,1", "v", "not a number"),
    ("2023,999,842,850760,1,1", "i", "unknown country code '999'"),
    ("2023,156,842,850760,1", None, "expected 6 fields"),
    ("20x3,156,842,850760,1,1", "t", "not a year"),
])
def test_errors_name_file_line_field(tmp_path, line, field, message):
    path = tmp_path / "BACI_HS22_Y2023_V202501.csv"
    path.write_text("t,i,j,k,v,q\n2023,156,842,850760,1,1\n" + line + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        list(baci.parse([path], hs_codes=["850760"]))
    assert (err.value.file, err.value.line, err.value.field) == (str(path), 3, field)
    assert message in str(err.value)


def test_wrong_header(tmp_path):
    path = tmp_path / "trade.csv"
    path.write_text("year,exporter,importer,product,value,quantity\n", encoding="utf-8")
    with pytest.raises(DataError, match="not a BACI trade file"):
        list(baci.parse([path]))


# --------------------------------------------------------------------------- streaming

CODES = ("156", "842", "251", "699", "490", "410", "392")
PRODUCTS = tuple(f"{n:06d}" for n in range(100000, 100100))[:99] + ("850760",)   # 1 % is 850760


def write_synthetic(path: Path, rows: int, chunk: int = 200_000) -> None:
    """Row r: exporter CODES[r % 7], importer CODES[(r + 3) % 7], product PRODUCTS[r % 100]."""
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("t,i,j,k,v,q\n")
        for start in range(0, rows, chunk):
            out.write("".join(
                f"2023,{CODES[r % 7]},{CODES[(r + 3) % 7]},{PRODUCTS[r % 100]},{r % 1000}.5,"
                f"{'NA' if r % 50 == 0 else r % 97}\n" for r in range(start, min(rows, start + chunk))))


@pytest.mark.slow
def test_streams_half_a_million_rows_in_bounded_memory(tmp_path):
    """Reading the file whole would hold its 12+ MB of text alone; the stream stays under 8 MB."""
    rows = 500_000
    path = tmp_path / "BACI_HS22_Y2023_V202501.csv"
    write_synthetic(path, rows)
    assert path.stat().st_size > 12_000_000
    tracemalloc.start()
    try:
        started = time.perf_counter()
        count, value = 0, 0.0
        for rec in baci.parse([path], hs_codes=["850760"]):
            if rec.type_name == "EXPORTS_TO":
                count += 1
                value += rec.value_usd
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # by hand: rows r with r % 100 == 99 -> 20 000; value = sum((r % 1000) + 0.5) * 1000 over them
    expected = [r for r in range(99, rows, 100)]
    assert count == len(expected) == 5_000
    assert value == pytest.approx(sum((r % 1000 + 0.5) * 1000 for r in expected))
    assert peak < 8 * 1024 * 1024, f"peak traced memory {peak / 1e6:.1f} MB"
    print(f"\nBACI stream: {rows:,} rows in {seconds:.1f}s under tracemalloc, peak {peak / 1e6:.2f} MB")


# --------------------------------------------------------------------------- fetch

def test_fetch_zip_with_retries(tmp_path):
    archive = tmp_path / "src.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(TRADE, TRADE.name)
    body = archive.read_bytes()
    with loopback() as srv:
        srv.route("/baci/BACI_HS22_V202501.zip", Answer(503, b"busy"),
                  Answer(200, body, truncate=len(body) // 2), Answer(200, body))
        files = baci.fetch(tmp_path / "raw", base_url=f"{srv.url}/baci", backoff=0.01)
    assert [f.name for f in files] == ["BACI_HS22_V202501.zip"] and files[0].read_bytes() == body
    assert "V202501" in (tmp_path / "raw" / "manifest.json").read_text()
    assert by_type(baci.parse([tmp_path / "raw"]))["EXPORTS_TO"] == 5


@pytest.mark.network
@pytest.mark.skipif(os.environ.get("KG_TEST_NETWORK") != "1", reason="live internet test: set KG_TEST_NETWORK=1")
def test_live_baci_listing(tmp_path):
    from kg.sources import download
    got = download("https://www.cepii.fr/CEPII/en/bdd_modele/bdd_modele_item.asp?id=37", tmp_path / "page.html")
    assert got.size > 1000
