"""Curated firms of issue 16 points 6-8: stated identifiers are well formed and unique, the added
firms carry their cited assets, and China's rare-earth feedstock from Burma is on record.

Expected values were read by hand from the cited texts (Eramet's site page, Freeport's 2024
results, the CNBC and Diplomat reports), not from the loader's output.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import pytest

from kg.models import Node, Relationship
from loaders import curated


def lei_check_digits_ok(lei: str) -> bool:
    """ISO 17442 (ISO 7064 MOD 97-10): letters become 10..35, the number mod 97 must be 1."""
    if not re.fullmatch(r"[A-Z0-9]{18}[0-9]{2}", lei):
        return False
    return int("".join(str(int(ch, 36)) for ch in lei)) % 97 == 1


@pytest.fixture(scope="module")
def records() -> list:
    return list(curated.parse())


@pytest.fixture(scope="module")
def nodes(records) -> dict:
    return {r.id: r for r in records if isinstance(r, Node)}


@pytest.fixture(scope="module")
def rels(records) -> dict[str, list]:
    out: dict[str, list] = defaultdict(list)
    for r in records:
        if isinstance(r, Relationship):
            out[r.type_name].append(r)
    return out


def test_lei_check_digit_rule() -> None:
    # Glencore plc's LEI as printed in its JSE SENS notice; one changed character breaks it.
    assert lei_check_digits_ok("2138002658CPO9NBH955")
    assert not lei_check_digits_ok("2138002658CPO9NBH956")
    assert not lei_check_digits_ok("2138002658CPO9NBH95")       # 19 characters
    assert not lei_check_digits_ok("2138002658cpo9nbh955")      # lower case is not ISO 17442


def test_every_stated_identifier_is_well_formed_and_unique(nodes) -> None:
    leis = {n.id: n.lei for n in nodes.values() if n.type_name == "Firm" and n.lei}
    qids = {n.id: n.wikidata for n in nodes.values() if getattr(n, "wikidata", None)}
    assert leis, "at least Glencore's stated LEI is curated"
    assert [i for i, v in leis.items() if not lei_check_digits_ok(v)] == []
    assert [i for i, v in qids.items() if not re.fullmatch(r"Q[1-9][0-9]*", v)] == []
    for found in (leis, qids):
        shared = [v for v, k in Counter(found.values()).items() if k > 1]
        assert shared == []
    assert leis["firm:glencore"] == "2138002658CPO9NBH955"


def test_issue_16_firms_have_a_headquarters_and_cited_assets(nodes, rels) -> None:
    hq = {r.from_id: r.to_id for r in rels["HEADQUARTERED_IN"]}
    operated = defaultdict(set)
    for r in rels["OPERATES"]:
        operated[r.from_id].add(r.to_id)
    expected = {
        "firm:syrah-resources": ("country:AUS", {"facility:balama", "facility:vidalia"}),
        "firm:korea-zinc": ("country:KOR", {"facility:onsan-smelter"}),
        "firm:5n-plus": ("country:CAN", {"facility:5n-plus-st-george"}),
        "firm:dowa": ("country:JPN", {"facility:kosaka-smelting"}),
        "firm:proterial": ("country:JPN", {"facility:proterial-china-magnets"}),
        "firm:shin-etsu-chemical": ("country:JPN", {"facility:shin-etsu-haiphong"}),
        "firm:evac-magnetics": ("country:USA", {"facility:evac-sumter"}),
        "firm:arafura": ("country:AUS", {"facility:nolans"}),
        "firm:energy-fuels": ("country:USA", {"facility:white-mesa"}),
        "firm:usa-rare-earth": ("country:USA", {"facility:round-top", "facility:usar-stillwater"}),
        "firm:nornickel": ("country:RUS", {"facility:kola-mmc"}),
        "firm:bhp": ("country:AUS", {"facility:escondida"}),
        "firm:comilog": ("country:GAB", {"facility:moanda"}),
        "firm:tongwei": ("country:CHN", {"facility:tongwei-baotou"}),
        "firm:daqo-new-energy": ("country:CHN", {"facility:daqo-baotou"}),
        "firm:xinte-energy": ("country:CHN", {"facility:xinte-inner-mongolia"}),
    }
    for firm, (country, facilities) in expected.items():
        assert hq.get(firm) == country, firm
        assert facilities <= operated[firm], firm
    for firm in ("firm:umicore", "firm:tdk", "firm:vacuumschmelze", "firm:freeport-mcmoran",
                 "firm:eramet", "firm:gcl-technology"):
        assert firm in nodes and firm in hq, firm
    # The four largest polysilicon makers by 2024 output (Bernreuter), each with a PRODUCES row.
    poly = {r.from_id for r in rels["PRODUCES"] if r.to_id == "material:polysilicon" and r.year == 2024}
    assert {"firm:tongwei", "firm:gcl-technology", "firm:daqo-new-energy", "firm:xinte-energy"} <= poly


def test_weda_bay_chain_matches_the_stakes_eramet_states(rels) -> None:
    owns = {(r.from_id, r.to_id): r.share for r in rels["OWNS"]}
    strand = owns[("firm:strand-minerals", "facility:weda-bay-nickel")]
    # Eramet states its indirect interest as 38.7%; Tsingshan's is 51.3% (0.57 x 0.90).
    assert owns[("firm:eramet", "firm:strand-minerals")] * strand == pytest.approx(0.387)
    assert owns[("firm:tsingshan", "firm:strand-minerals")] * strand == pytest.approx(0.513)
    assert strand + owns[("firm:antam", "facility:weda-bay-nickel")] == pytest.approx(1.0)
    state = {r.from_id for r in rels["STATE_OWNED_BY"] if r.to_id == "country:IDN"}
    assert "firm:antam" in state
    ptfi = {k[0]: v for k, v in owns.items() if k[1] == "firm:pt-freeport-indonesia"}
    assert ptfi == {"firm:freeport-mcmoran": pytest.approx(0.488), "firm:mind-id": pytest.approx(0.512)}
    # A later stake sits beside the earlier one (Freeport in Cerro Verde: 53.56% in 2020, 55.1% in 2024).
    cerro = sorted((r.year, r.share) for r in rels["OWNS"]
                   if (r.from_id, r.to_id) == ("firm:freeport-mcmoran", "facility:cerro-verde"))
    assert cerro == [(2020, pytest.approx(0.5356)), (2024, pytest.approx(0.551))]
    us_stake = [r for r in rels["STATE_OWNED_BY"] if r.from_id == "firm:korea-zinc"]
    assert [(r.to_id, r.share) for r in us_stake] == [("country:USA", pytest.approx(0.10))]
    assert us_stake[0].basis.startswith("agreed")


def test_output_figures_converted_from_the_printed_units(rels) -> None:
    produces = {(r.from_id, r.to_id, r.year): r for r in rels["PRODUCES"]}
    fcx = produces[("firm:freeport-mcmoran", "material:copper", 2024)]
    assert fcx.quantity == pytest.approx(4.2e9 * 0.45359237 / 1000, rel=1e-6)    # 4.2 billion lb
    pd = produces[("firm:nornickel", "material:palladium", 2023)]
    assert pd.quantity == pytest.approx(2.69e6 * 31.1034768 / 1e6, rel=1e-4)     # 2.69 Moz
    assert produces[("facility:onsan-smelter", "material:antimony", 2024)].quantity == 3604


def test_burma_feeds_chinas_rare_earth_separation(rels) -> None:
    flows = {(r.year, r.month): r for r in rels["EXPORTS_TO"]
             if r.from_id == "country:MMR" and r.to_id == "country:CHN" and r.hs_code == "2846"}
    assert flows[(2023, 0)].quantity == 42000
    assert flows[(2024, 0)].quantity == 44000
    assert flows[(2025, 2)].quantity == 311                                     # Feb 2025, -89% y/y
    assert all(f.unit == "t" and f.source_ids for f in flows.values())
