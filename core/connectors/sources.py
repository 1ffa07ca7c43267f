"""The government data sources: which hook serves each, and which facts it may return."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["Source", "SOURCES", "SOURCE_BY_NAME", "source_named"]


@dataclass(frozen=True)
class Source:
    """One data source: its name (used in outcomes, breakers and fact records) and its hook.

    `keys` are the top-level keys of a facts document that the source's fragment may hold, and
    `required` those an answer must hold when not all of them (a source that knows nothing says
    so with an empty list, not an empty answer, so "nothing" never passes for "fetched"); `people` names, for the
    two keys two sources share (the pupil and each guardian, merged field by field), the fields
    this source is the authority for: the hukou register cannot rename a pupil or add a special
    policy. `holder` names the field of each record that says whose it is (a lease's
    `tenant_relation`): one of the people asked about. `pupil_only` sources are asked with the
    pupil's id number only (the pupil record).
    """

    name: str
    hook: str
    keys: tuple[str, ...]
    label_zh: str
    label_en: str
    pupil_only: bool = False
    required: tuple[str, ...] | None = None
    people: Mapping[str, frozenset[str]] = field(default_factory=dict)
    holder: str | None = None


#: What the school record says of the pupil and the guardians, and what the hukou register says.
RECORD_FIELDS = {
    "pupil": frozenset({"id_number", "name", "birth_date", "primary_school", "e_record_photo", "special_policy",
                        "direct_promotion"}),
    "guardians": frozenset({"relation", "id_number", "name"}),
}
HUKOU_FIELDS = {"pupil": frozenset({"id_number", "hukou"}), "guardians": frozenset({"relation", "id_number", "hukou"})}

SOURCES: tuple[Source, ...] = (
    Source("pupil_record", "fetch_pupil_record", ("pupil", "guardians"), "学籍", "student record",
           pupil_only=True, people=RECORD_FIELDS),
    Source("hukou", "fetch_hukou", ("pupil", "guardians"), "户籍", "household registration",
           required=("guardians",), people=HUKOU_FIELDS),
    Source("properties", "fetch_properties", ("properties",), "不动产登记", "property certificates"),
    Source("leases", "fetch_leases", ("leases",), "租赁备案", "lease registration", holder="tenant_relation"),
    Source("residence_permits", "fetch_residence_permits", ("residence_permits",), "居住证",
           "residence permits", holder="holder"),
    Source("social_insurance", "fetch_social_insurance", ("social_insurance",), "社会保险",
           "social insurance", holder="holder"),
    Source("business", "fetch_business", ("business",), "工商税务登记",
           "business licence and tax registration", holder="holder"),
    Source("employment", "fetch_employment", ("employment",), "用工合同", "labour contract", holder="holder"),
    Source("demolition", "fetch_demolition", ("demolition",), "拆迁安置", "demolition records"),
)
SOURCE_BY_NAME = {source.name: source for source in SOURCES}


def source_named(name: str) -> Source:
    """The source called `name`, or a KeyError listing the known ones."""
    try:
        return SOURCE_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown data source {name!r}; known: {', '.join(SOURCE_BY_NAME)}") from None
