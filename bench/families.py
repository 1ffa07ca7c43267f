"""A small seeded generator of catchments and applicant families for the classify benchmark.

Families are drawn across every tier of the 2021 ruleset and its usual near misses, with
addresses taken from the generated catchments, so the benchmark exercises the real paths.
"""
from __future__ import annotations

import random
from typing import Any

__all__ = ["make_catchments", "make_families"]

DISTRICTS = ["东湖区", "西湖区", "青云谱区", "青山湖区", "红谷滩区", "经开区", "高新区"]
STREETS = ["八一大道", "阳明路", "北京路", "井冈山大道", "丰和大道", "洪都大道", "孺子路", "象山路"]
PARENT_IDS = {"father": "360102198001010015", "mother": "360102198203040026",
              "grandfather": "360102195205050013", "grandmother": "360102195406060024", "pupil": "360102200907150011"}


def make_catchments(schools_per_district: int = 6) -> list[dict[str, Any]]:
    """Catchments: per school, a numbered stretch of two streets (odd or even side) and a compound."""
    out = []
    for d, district in enumerate(DISTRICTS):
        for s in range(schools_per_district):
            street = STREETS[s % len(STREETS)]
            parity = "odd" if s % 2 else "even"
            lo = 1 + 200 * (s // len(STREETS))
            out.append({"school_id": f"s{d}{s:02d}", "school_name": f"{district}第{s + 1}中学", "district": district,
                        "rules": [{"district": district, "street": street, "numbers": {"from": lo, "to": lo + 199, "parity": parity}},
                                  {"district": district, "compound": f"{district}{s + 1}号小区"}]})
    return out


def _address(rng: random.Random, catchment: dict[str, Any]) -> dict[str, Any]:
    rule = rng.choice(catchment["rules"])
    if "compound" in rule:
        return {"city": "南昌市", "district": rule["district"], "compound": rule["compound"], "unit": f"{rng.randint(1, 30)}栋",
                "text": f"南昌市{rule['district']}{rule['compound']}"}
    n = rule["numbers"]
    number = rng.randrange(n["from"] + (n["parity"] == "even"), n["to"] + 1, 2 if n["parity"] != "all" else 1)
    return {"city": "南昌市", "district": rule["district"], "street": rule["street"], "number": number,
            "unit": f"{rng.randint(1, 30)}栋", "text": f"南昌市{rule['district']}{rule['street']}{number}号"}


RURAL = {"city": "南昌市", "district": "南昌县", "street": "莲塘大道", "number": 12, "text": "南昌县莲塘大道12号"}

PROFILES = [("t1", 40), ("t2", 5), ("t3", 15), ("t4a", 4), ("t4b", 5), ("t5", 9), ("t6", 8), ("t7", 8),
            ("contract", 2), ("young_lease", 2), ("no_insurance", 2)]


def _family(rng: random.Random, profile: str, catchments: list[dict[str, Any]]) -> dict[str, Any]:
    home_c, other_c = rng.sample(catchments, 2)
    home = _address(rng, home_c)
    hukou_addr = dict(home) if profile in ("t1", "t2", "t4a", "t5", "contract", "young_lease") else _address(rng, other_c)
    if profile in ("t7", "no_insurance"):
        hukou_addr = dict(RURAL)
    head = "grandfather" if profile == "t2" else rng.choice(["father", "mother"])
    owners = {"t2": ["grandfather"], "t4b": ["grandmother"]}.get(profile, ["father", "mother"])
    usage = "apartment" if profile in ("t4a", "t6") and rng.random() < 0.5 else "residential"
    renting = profile in ("t5", "t6", "t7", "young_lease", "no_insurance") and usage == "residential"
    properties, leases = [], []
    if renting:
        leases.append({"id": "L1", "address": home, "registered": True,
                       "registered_on": "2020-09-01" if profile == "young_lease" else "2019-03-01",
                       "start": "2019-03-01", "end": "2022-02-28"})
    else:
        properties.append({"id": "P1", "cert_type": "purchase_contract" if profile == "contract" else "real_estate_certificate",
                           "address": home, "usage": usage,
                           "owners": [{"relation": r, "id_number": PARENT_IDS[r]} for r in owners],
                           "co_owned_with_non_direct_relatives": False, "issued_on": "2014-06-01",
                           "enrolment_uses": [{"year": 2015, "pupil_id_number": PARENT_IDS["pupil"]}]})
    if profile == "t4a":
        hukou_addr = dict(home)
    hukou = {"address": hukou_addr, "head_relation": head, "collective": False, "since": "2012-03-01"}
    return {
        "pupil": {"id_number": PARENT_IDS["pupil"], "name": "学生", "hukou": hukou,
                  "primary_school": {"name": "小学", "district": home["district"], "group": None, "in_urban_area": True,
                                     "province": "江西省"},
                  "e_record_photo": None},
        "guardians": [{"relation": r, "id_number": PARENT_IDS[r], "name": r, "hukou": dict(hukou)} for r in ("father", "mother")],
        "properties": properties, "leases": leases,
        "residence_permits": [{"holder": "father", "address": home, "issued_on": "2019-05-01"}] if renting else [],
        "social_insurance": [] if profile == "no_insurance" else [{"holder": "father", "pension_paid": True}],
        "business": [], "employment": [{"holder": "father", "labour_contract": True}],
        "demolition": None,
        "basis": {"kind": "lease", "id": "L1"} if renting else {"kind": "property", "id": "P1"},
    }


def make_families(n: int, catchments: list[dict[str, Any]], seed: int = 2021) -> list[dict[str, Any]]:
    """`n` families drawn with a fixed seed, so every run classifies the same applicants."""
    rng = random.Random(seed)
    names = [p for p, _ in PROFILES]
    weights = [w for _, w in PROFILES]
    return [_family(rng, rng.choices(names, weights)[0], catchments) for _ in range(n)]
