"""Identity numbers and an address shared by the plugin tests (imported by name: no package)."""
from __future__ import annotations

from core.idnumbers import resident_id_check_char


def person_id(birth: str, sequence: int, region: str = "360102") -> str:
    """A valid resident ID number (GB 11643 check character)."""
    first17 = f"{region}{birth}{sequence:03d}"
    return first17 + resident_id_check_char(first17)


PUPIL = person_id("20090715", 21)
FATHER = person_id("19800101", 15)
MOTHER = person_id("19820303", 22)

ADDRESS = {"city": "南昌市", "district": "东湖区", "street": "八一大道", "number": 101,
           "text": "南昌市东湖区八一大道101号"}
