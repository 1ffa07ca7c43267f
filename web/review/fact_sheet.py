"""The facts a tier is judged on, as a reviewer reads them.

Reviewers check a family against the papers in front of them; the sources' raw JSON is no use
for that. Here every field of the facts vocabulary (schemas/facts.schema.json) gets its name,
enumerated values their words (web.i18n.TERMS), ID numbers are masked but for the last 4
characters, and, as the schema defines it, a key that is absent ("not fetched": the rules on it
are undetermined) reads differently from an empty list or null ("fetched, there is none").

Everything built here is plain text in the page language, for Jinja to escape; nothing is markup.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from core.applications import address_text
from core.connectors.sources import SOURCE_BY_NAME
from core.idnumbers import mask_id_number
from web.i18n import local_time, t, term

__all__ = ["Section", "Item", "Provenance", "fact_sheet", "fact_name", "provenance", "not_fetched", "nothing", "yes_no",
           "listed", "masked"]

Facts = Mapping[str, Any]
_ABSENT = object()  # a key the record does not have


def not_fetched() -> str:
    """What an absent key reads as: the source has not answered (or was never asked)."""
    return t("未获取", "not fetched")


def nothing() -> str:
    """What an empty list or null reads as: the source answered that there is none."""
    return t("无", "none")


def yes_no(value: Any) -> str:
    return t("是", "yes") if value else t("否", "no")


def listed(texts: Iterable[str]) -> str:
    """Several values on one line, separated as the page language separates them."""
    return t("、", ", ").join(texts)


def masked(number: Any) -> str:
    """An ID number with all but its last 4 characters hidden."""
    return mask_id_number(str(number), first=0, last=4)


# How one present value reads: (value, the whole facts document, for the few readings that look
# something up in it) -> text.
Shown = Callable[[Any, Facts], str]


def _of(words: Callable[[Any], str]) -> Shown:
    """A reading that needs the value only."""
    return lambda value, facts: words(value)


_TEXT, _YES_NO, _MASKED, _ADDRESS = _of(str), _of(yes_no), _of(masked), _of(address_text)


def _term(kind: str) -> Shown:
    return _of(lambda value: term(kind, value))


def _name_of(id_number: Any, facts: Facts) -> str:
    """The name the pupil record gives to an ID number (owners often come without one)."""
    people = [facts.get("pupil") or {}, *(facts.get("guardians") or [])]
    return next((p.get("name", "") for p in people if p.get("id_number") == id_number), "")


def _owner(owner: Mapping[str, Any], facts: Facts) -> str:
    """An owner as relation, name and masked ID: 父亲 李大伟 **************0015."""
    name = owner.get("name") or _name_of(owner.get("id_number"), facts)
    parts = (term("relation", owner.get("relation")), name, masked(owner.get("id_number", "")))
    return " ".join(part for part in parts if part)


def _owners(owners: list[dict[str, Any]], facts: Facts) -> str:
    return t("；", "; ").join(_owner(owner, facts) for owner in owners)


def _enrolment_uses(uses: list[dict[str, Any]], facts: Facts) -> str:
    """Earlier admissions on this property by year, saying whether it was this pupil: the
    three-year rule counts only other pupils' uses."""
    own = (facts.get("pupil") or {}).get("id_number")

    def one(use: dict[str, Any]) -> str:
        number = use.get("pupil_id_number")
        who = t("本人", "this pupil") if number == own else t("其他学生", "another pupil") + " " + masked(number)
        return t(f"{use.get('year')}年（{who}）", f"{use.get('year')} ({who})")

    return listed(one(use) for use in uses)


def _period(lease: dict[str, Any], facts: Facts) -> str:
    start, end = lease.get("start", "—"), lease.get("end", "—")
    return t(f"{start} 至 {end}", f"{start} to {end}")


def _months(value: Any, facts: Facts) -> str:
    return t(f"{value}个月", f"{value} months")


@dataclass(frozen=True)
class Field:
    """One line of an item: where it is in the record ("" is the record itself), its name, its words."""

    path: str
    zh: str
    en: str
    shown: Shown = _TEXT


@dataclass(frozen=True)
class Part:
    """One top-level fact (a key of the facts document) and how its records read."""

    key: str
    zh: str
    en: str
    fields: tuple[Field, ...]
    heading: Field | None = None  # the field whose value heads each record (a guardian's relation …)
    basis_kind: str | None = None  # its records can be named as the residence basis (basis.kind)


NAME = Field("name", "姓名", "Name")
ID_NUMBER = Field("id_number", "身份证号", "ID number", _MASKED)
HUKOU_ADDRESS = Field("hukou.address", "户口地址", "Hukou address", _ADDRESS)
COLLECTIVE = Field("hukou.collective", "集体户口", "Collective hukou", _YES_NO)
ADDRESS = Field("address", "地址", "Address", _ADDRESS)
ISSUED_ON = Field("issued_on", "发证日期", "Issued on")
HOLDER = Field("holder", "持有人", "Holder", _term("relation"))
IN_URBAN_AREA = Field("in_urban_area", "在城区", "In the urban area", _YES_NO)
SINCE = Field("since", "起始日期", "Since")
RECORD_ID = Field("id", "编号", "Id")  # what basis.id names

PARTS = (
    Part("pupil", "学生", "Pupil", (
        NAME, ID_NUMBER, Field("birth_date", "出生日期", "Born"),
        Field("primary_school.name", "就读小学", "Primary school"),
        Field("primary_school.district", "小学所在区", "School's district"),
        Field("primary_school.province", "小学所在省", "School's province"),
        HUKOU_ADDRESS, Field("hukou.head_relation", "户主（与学生关系）", "Household head", _term("relation")),
        COLLECTIVE, Field("hukou.since", "落户日期", "Hukou since"))),
    Part("guardians", "监护人", "Guardians", (NAME, ID_NUMBER, HUKOU_ADDRESS, COLLECTIVE),
         heading=Field("relation", "关系", "Relation", _term("relation"))),
    Part("properties", "房产", "Properties", (
        Field("cert_type", "证件类型", "Certificate", _term("cert_type")),
        Field("cert_number", "证件号", "Certificate number"), ADDRESS,
        Field("usage", "房屋用途", "Usage", _term("usage")),
        Field("owners", "产权人", "Owners", _owners), ISSUED_ON,
        Field("co_owned_with_non_direct_relatives", "与非直系亲属共有", "Co-owned with non-direct relatives", _YES_NO),
        Field("enrolment_uses", "历年入学使用记录", "Earlier enrolment uses", _enrolment_uses)),
         heading=RECORD_ID, basis_kind="property"),
    Part("leases", "租赁", "Leases", (
        ADDRESS, Field("registered", "已备案", "Registered", _YES_NO),
        Field("registered_on", "备案日期", "Registered on"), Field("", "租期", "Term", _period),
        Field("tenant_relation", "承租人", "Tenant", _term("relation"))),
         heading=RECORD_ID, basis_kind="lease"),
    Part("residence_permits", "居住证", "Residence permits",
         (ADDRESS, ISSUED_ON, Field("valid_until", "有效期至", "Valid until")), heading=HOLDER),
    Part("social_insurance", "社会保险", "Social insurance", (
        Field("pension_paid", "已缴养老保险", "Pension insurance paid", _YES_NO),
        Field("months_paid", "缴费月数", "Months paid", _months), Field("city", "参保城市", "City")), heading=HOLDER),
    Part("business", "工商执照", "Business licences", (
        Field("licence_number", "统一社会信用代码", "Credit code"),
        Field("tax_registered", "已税务登记", "Tax registered", _YES_NO),
        IN_URBAN_AREA, SINCE), heading=HOLDER),
    Part("employment", "劳动合同", "Employment", (
        Field("labour_contract", "有劳动合同", "Labour contract", _YES_NO),
        Field("employer", "用工单位", "Employer"), IN_URBAN_AREA, SINCE), heading=HOLDER),
    Part("demolition", "拆迁", "Demolition", (
        Field("kind", "拆迁类型", "Kind", _term("demolition_kind")),
        Field("agreement_on", "协议日期", "Agreement on"),
        Field("original_address", "原住址", "Original address", _ADDRESS),
        Field("original_usage", "原房屋用途", "Original usage", _term("usage")),
        Field("original_owner", "原产权人", "Original owner", _term("relation")),
        Field("resettlement_address", "安置地址", "Resettlement address", _ADDRESS),
        Field("choice", "入学地址选择", "Chosen address", _term("demolition_choice"))), basis_kind="demolition"),
)


# Facts the sheet shows elsewhere than as a line of a record, and groups of fields a source
# brings together (the hukou register: the hukou of the pupil and of each guardian).
OTHER_NAMES = {
    "basis": ("居住依据", "Residence basis"),
    "basis.kind": ("居住依据类型", "Kind of residence basis"),
    "basis.id": ("居住依据编号", "Residence basis id"),
    "hukou": ("户口", "Hukou"),
}
_INDEX = re.compile(r"\[(\d+)\]")


def fact_name(path: str) -> str | None:
    """A fact path as the decision trace writes it ("guardians[0].hukou.address") in words, by
    the sheet's own vocabulary: "监护人（第1项）· 户口地址"; None when the vocabulary has no word for it."""
    steps = path.split(".", 1)
    key, index = _INDEX.sub("", steps[0]), _INDEX.search(steps[0])
    rest = _INDEX.sub("", steps[1]) if len(steps) > 1 else ""
    part = next((p for p in PARTS if p.key == key), None)
    if part is None:
        words = OTHER_NAMES.get(_INDEX.sub("", path))
        return t(*words) if words else None
    named = [t(part.zh, part.en) + (t("（第{}项）", " #{}").format(int(index.group(1)) + 1) if index else "")]
    if rest:
        field = next((f for f in (*part.fields, part.heading) if f is not None and f.path == rest), None)
        words = (field.zh, field.en) if field is not None else OTHER_NAMES.get(rest)
        if words is None:
            return None
        named.append(t(*words))
    return " · ".join(named)


@dataclass(frozen=True)
class Item:
    """One record of a section: a guardian, a property …, as (name, value) lines."""

    heading: str
    rows: list[tuple[str, str]]
    basis: bool  # the record the family named as its residence basis


@dataclass(frozen=True)
class Provenance:
    """Where a fact came from: the source in words ("学籍"), the connector that answered for it
    ("sandbox") and when. A reviewer weighs a fact by its source; the connector is for whoever
    has to trace an answer back, so the page keeps it but mutes it."""

    source: str
    connector: str
    fetched_at: str


@dataclass(frozen=True)
class Section:
    """One top-level fact: `state` is "missing" (not fetched), "none" (fetched, none) or "shown"."""

    key: str
    title: str
    state: str
    source: Provenance | None  # which source brought it, through which connector, when
    items: list[Item]
    # Fields of it another source brought (the pupil's hukou, from the hukou register), as
    # (the fields in words, where they came from).
    field_sources: tuple[tuple[str, Provenance], ...] = ()

    @property
    def state_words(self) -> str:
        """The badge of a section without records: not fetched, or none."""
        return {"missing": not_fetched(), "none": nothing()}.get(self.state, "")


def fact_sheet(facts: Facts) -> list[Section]:
    """Every top-level fact of the vocabulary, in words, in the schema's order."""
    return [_section(part, facts) for part in PARTS]


def _section(part: Part, facts: Facts) -> Section:
    value, sources = facts.get(part.key, _ABSENT), facts.get("sources") or {}
    title, source = t(part.zh, part.en), provenance(sources.get(part.key))
    if value is _ABSENT:
        return Section(part.key, title, "missing", source, [])
    if not value:
        return Section(part.key, title, "none", source, [])
    records = value if isinstance(value, list) else [value]
    return Section(part.key, title, "shown", source, [_item(part, record, facts) for record in records],
                   _field_sources(part, sources))


def _field_sources(part: Part, sources: Mapping[str, Any]) -> tuple[tuple[str, Provenance], ...]:
    """The entries of facts["sources"] for fields of this part ("pupil.hukou"), in words."""
    found = []
    for path, brought in sources.items():
        key, _, field = path.partition(".")
        if key == part.key and field:
            found.append((t(*OTHER_NAMES.get(field, (field, field))), provenance(brought)))
    return tuple(found)


def _item(part: Part, record: Mapping[str, Any], facts: Facts) -> Item:
    basis = facts.get("basis") or {}
    return Item(heading=_value(record, part.heading, facts) if part.heading else "",
                rows=[(t(f.zh, f.en), _value(record, f, facts)) for f in part.fields],
                basis=part.basis_kind is not None and basis.get("kind") == part.basis_kind
                and record.get("id") == basis.get("id"))


def _value(record: Mapping[str, Any], field: Field, facts: Facts) -> str:
    value = record
    for key in field.path.split(".") if field.path else ():
        value = value.get(key, _ABSENT) if isinstance(value, Mapping) else _ABSENT
        if value is _ABSENT:
            return not_fetched()
    if value is None or value == []:
        return nothing()
    return field.shown(value, facts)


def provenance(source: Mapping[str, Any] | None) -> Provenance | None:
    """Where a fact came from (an entry of facts["sources"], whose `connector` the merge writes
    as "connector:source"), in words; None when that is not known."""
    if not source:
        return None
    connector, _, name = str(source.get("connector", "")).rpartition(":")
    known = SOURCE_BY_NAME.get(name)
    return Provenance(t(known.label_zh, known.label_en) if known else name, connector,
                      local_time(source.get("fetched_at"), "%Y-%m-%d %H:%M"))
