"""The hooks a plugin may implement: one per government data source, plus lifecycle hooks.

A plugin is any module or object with functions decorated by `hookimpl`::

    from core.hookspecs import hookimpl

    @hookimpl
    def fetch_leases(id_numbers):
        return {"leases": [...]}

Connector hooks (`fetch_*`) take the identity numbers they need as keyword arguments and
return a *fact fragment* — a partial facts document holding only the keys their source
knows, valid against `schemas/facts.schema.json` — or None when the plugin does not serve
that source. They are `firstresult`: the connector runtime (core.connectors) stops at the
first non-None answer, and wraps the call in a timeout, retries and a circuit breaker, so an
implementation simply raises on a transport error (or `InvalidResponse` when the source
answered something unusable). Lifecycle hooks are called after the fact, for every
plugin that implements them; what they return is ignored except where stated.

Connector hooks run on the runtime's pool threads, several at once (the sources of a family
together, and every web worker thread for its own guardians), so a plugin's client must be
thread-safe. A timed-out attempt is not stopped: it runs on while its retry starts after the
backoff, and its late answer is ignored, so the same call can be in flight more than once —
normal, and worth counting on for a billed or rate-limited service. A plugin's own client
timeout should be no longer than the policy's `timeout` (see `connector_policy`).

The full reference with examples is docs/plugins.md.
"""
from __future__ import annotations

from typing import Any, TypedDict

import pluggy

__all__ = ["PROJECT", "hookspec", "hookimpl", "IdentityVerdict", "Fragment", "InvalidResponse"]

PROJECT = "xuewei"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

Fragment = dict[str, Any]


class IdentityVerdict(TypedDict, total=False):
    """What an identity check concluded about a person (face recognition or another method)."""

    verified: bool  # required: the person is who they claim to be
    method: str  # e.g. "face", "sandbox"
    score: float  # similarity score in [0, 1], when the method has one
    reason: str  # why the check failed, in Chinese words a guardian can read ("姓名与身份证号码不符")
    field: str  # which sign-up field it concerns: "name", "id_number" or "face_image" (default)


class InvalidResponse(Exception):
    """Raised by a connector when its source answered something unusable (not JSON, not facts).

    The runtime records the call as `invalid` and does not retry it; any other exception is
    a transport failure (`failed`) and is retried.
    """


# --- identity -------------------------------------------------------------------------


@hookspec(firstresult=True)
def verify_identity(id_number: str, name: str, face_image: bytes | None) -> IdentityVerdict | None:
    """Check that a guardian logging in is the person behind `id_number` (§3.1 人脸识别).

    Called when a guardian registers or logs in. `face_image` is the live capture from the
    app (None when the app has not sent one yet). Returns an `IdentityVerdict` with a boolean
    `verified`; stops at the first non-None result. Face recognition is a vendor's plugin; the
    sandbox simulates it.

    Return ``{"verified": False, "reason": …}`` when the face is not this person's (refused,
    422 identity_rejected); **raise** when the service is down or does not answer (refused as
    unavailable, 503 source_unavailable — never answer False for an outage); return None
    when the capture is not yours to judge. Any other answer (``{"verified": "false"}``, a
    list) is logged as invalid and refused as unavailable, never taken as verified. The hook
    runs in the guardian's request with no timeout of xuewei's: enforce your own.

    Example return: ``{"verified": True, "method": "face", "score": 0.97}``
    """


# --- data sources (connectors) --------------------------------------------------------
#
# `id_numbers` maps a relation to the pupil ("pupil", "father", "mother", "grandfather",
# "grandmother", "maternal_grandfather", "maternal_grandmother") to that person's resident
# identity number; only the people the family has named are present. Each hook returns a
# partial facts document holding only its own keys, with relations filled in from
# `id_numbers`; an empty list (or null for `demolition`) means "asked, and there is none".
# They run on pool threads, may overlap and outlive their timeout: see the module docstring.


@hookspec(firstresult=True)
def fetch_pupil_record(pupil_id_number: str) -> Fragment | None:
    """The pupil's national student record (学籍) from the education bureau.

    Called first, when the guardian confirms the pupil's basic record (§3.1); the guardians it
    lists (with their identity numbers) are who the other sources are asked about. Returns
    ``{"pupil": …, "guardians": […]}``: the pupil as in facts.schema.json but without
    `hukou` (name, birth date, primary school with district and province; for a school
    outside Jiangxi the e-student-record photo, §3.2; special-policy and direct-promotion
    status when the locked lists hold them), and each guardian's relation, id number and name.
    Stops at the first non-None result.

    It is also asked alone before a draft is opened (core.facts.confirm_guardian): the record
    must name the account holder (by id number) among the pupil's guardians, or no draft is
    opened; while this source fails (or its breaker is open) nobody can open a draft, the
    guardian being told 503 source_unavailable.

    Example return: ``{"pupil": {"id_number": "360102200907150021", "name": "张小明",
    "birth_date": "2009-07-15", "primary_school": {"name": "南昌市育新学校", "district": "东湖区",
    "in_urban_area": true, "province": "江西省"}}, "guardians": [{"relation": "father",
    "id_number": "360102198001010016", "name": "张伟"}]}``
    """


@hookspec(firstresult=True)
def fetch_hukou(id_numbers: dict[str, str]) -> Fragment | None:
    """The household registration (户籍) of the pupil and guardians, from public security.

    Returns ``{"pupil": {"id_number", "hukou"}, "guardians": [{"relation", "id_number",
    "hukou"}]}`` where each `hukou` is facts.schema.json's (registered address, household
    head relative to the pupil, collective or not, since when); a person the register does
    not know is left out. Stops at the first non-None result.

    Example return: ``{"pupil": {"id_number": "360102200907150021", "hukou": {"address":
    {"city": "南昌市", "district": "东湖区", "street": "八一大道", "number": 101, "text":
    "南昌市东湖区八一大道101号"}, "head_relation": "father", "collective": false}},
    "guardians": [{"relation": "father", "id_number": "360102198001010016", "hukou": {…}}]}``
    """


@hookspec(firstresult=True)
def fetch_properties(id_numbers: dict[str, str]) -> Fragment | None:
    """Property certificates (房产证/不动产权证, 购房合同) held by these people, from housing.

    Returns ``{"properties": […]}``, each as facts.schema.json's `property`: certificate type
    and number, address, usage (住宅/公寓/商住楼), owners with their relation, co-ownership
    with non-direct relatives, issue date and earlier enrolment uses (§3.3, §6.1).
    Stops at the first non-None result.

    An address may carry its `location` ({"x", "y"} in metres, the plane schools are imported
    in) when the housing register geocodes it: placement by residence (§6) measures from it.

    Example return: ``{"properties": [{"id": "P1", "cert_type": "real_estate_certificate",
    "address": {…}, "usage": "residential", "owners": [{"relation": "father", "id_number": "…"}],
    "co_owned_with_non_direct_relatives": false, "issued_on": "2015-06-01",
    "enrolment_uses": []}]}``
    """


@hookspec(firstresult=True)
def fetch_leases(id_numbers: dict[str, str]) -> Fragment | None:
    """Lease contracts of these people and their registration (备案) with housing (§3.2).

    Returns ``{"leases": […]}``, each as facts.schema.json's `lease` (address, registered,
    registered on, start, end, tenant relation). Stops at the first non-None result.

    Example return: ``{"leases": [{"id": "L1", "address": {…}, "registered": true,
    "registered_on": "2019-08-01", "start": "2019-08-01", "end": "2022-07-31",
    "tenant_relation": "father"}]}``
    """


@hookspec(firstresult=True)
def fetch_residence_permits(id_numbers: dict[str, str]) -> Fragment | None:
    """Residence permits (居住证) of these people, from public security.

    Returns ``{"residence_permits": […]}`` (holder, address, issued on, valid until).
    Stops at the first non-None result.

    Example return: ``{"residence_permits": [{"holder": "mother", "address": {…},
    "issued_on": "2019-03-12"}]}``
    """


@hookspec(firstresult=True)
def fetch_social_insurance(id_numbers: dict[str, str]) -> Fragment | None:
    """Social pension insurance (社会养老保险, §1.2) of these people, from human resources.

    Returns ``{"social_insurance": […]}`` (holder, pension paid, months paid, city).
    Stops at the first non-None result.

    Example return: ``{"social_insurance": [{"holder": "father", "pension_paid": true,
    "months_paid": 26, "city": "南昌市"}]}``
    """


@hookspec(firstresult=True)
def fetch_business(id_numbers: dict[str, str]) -> Fragment | None:
    """Business licences (工商执照) and tax registration (税务登记) of these people (§1.2a).

    Returns ``{"business": […]}`` (holder, unified social credit code, tax registered, in the
    urban area, since). Stops at the first non-None result.

    Example return: ``{"business": [{"holder": "father", "licence_number":
    "91360102MA35L7XG2C", "tax_registered": true, "in_urban_area": true,
    "since": "2018-04-20"}]}``
    """


@hookspec(firstresult=True)
def fetch_employment(id_numbers: dict[str, str]) -> Fragment | None:
    """Labour contracts (用工合同, §1.2b) of these people, from human resources.

    Returns ``{"employment": […]}`` (holder, labour contract, employer, in the urban area,
    since). Stops at the first non-None result.

    Example return: ``{"employment": [{"holder": "mother", "labour_contract": true,
    "employer": "南昌某科技有限公司", "in_urban_area": true, "since": "2017-09-01"}]}``
    """


@hookspec(firstresult=True)
def fetch_demolition(id_numbers: dict[str, str]) -> Fragment | None:
    """A demolition (拆迁) agreement of the family's household (§3.4).

    Returns ``{"demolition": {…}}`` (kind, agreement date, original and resettlement
    addresses, the family's choice) or ``{"demolition": null}`` when there is none.
    Stops at the first non-None result.

    Example return: ``{"demolition": {"kind": "metro", "agreement_on": "2019-10-08",
    "original_address": {…}, "resettlement_address": {…}, "choice": "original"}}``
    """


@hookspec(firstresult=True)
def connector_policy(source: str) -> dict[str, float] | None:
    """How the connector runtime should call a source this plugin serves.

    Called once per source and process, the first time the runtime calls it. Returns None to
    keep the runtime's defaults, or a dict with any of: ``timeout`` (seconds per attempt, a
    number > 0; default 10), ``retries`` (attempts after the first, a whole number ≥ 0;
    default 2), ``backoff`` (seconds to wait after the first failed attempt, doubled after each
    further one, ≥ 0; default 0.25), ``backoff_max`` (the longest wait, ≥ 0; default 4),
    ``failure_threshold`` (failed calls in a row that open the circuit breaker, a whole
    number ≥ 1; default 5) and ``reset_after`` (seconds the breaker stays open, > 0;
    default 30). Booleans are not numbers. An answer that is not such a dict is logged by
    plugin and source, and the source keeps every default. Stops at the first non-None result.

    Example return: ``{"timeout": 3.0, "retries": 1}``
    """


# --- lifecycle ------------------------------------------------------------------------


@hookspec
def application_state_changed(application_id: int, transition: str, from_state: str,
                              to_state: str, actor: str) -> None:
    """An application moved from one workflow state to another.

    Called by the workflow engine after the transaction committed, for every transition
    (including system ones such as `wait_for_facts`). Return value ignored.

    Example: ``application_state_changed(application_id=7, transition="approve",
    from_state="submitted", to_state="approved", actor="reviewer:li")``
    """


@hookspec
def application_submitted(application_id: int, serial: str, ruleset_sha256: str) -> None:
    """A guardian confirmed a submission: its facts are frozen and its serial issued (§4.2).

    Called once per application, after commit. Return value ignored.

    Example: ``application_submitted(application_id=7, serial="2021-01-000123-K",
    ruleset_sha256="9f2c…")``
    """


@hookspec
def seats_allocated(season_year: int, school_code: str, allocations: list[dict[str, Any]]) -> None:
    """Seats of one middle school were pre-allocated (学位预分配, §8.1).

    Called by the allocation step once per school after the results are stored;
    `allocations` holds one ``{"application_id", "serial", "basis", "tier", "lottery_number"}``
    per pupil admitted there. Return value ignored.

    Example: ``seats_allocated(season_year=2021, school_code="M-DH-01",
    allocations=[{"application_id": 7, "serial": "…", "basis": "tier", "tier": "1",
    "lottery_number": None}])``
    """


@hookspec
def notify_guardian(guardian_id: int, application_id: int | None, kind: str,
                    message: dict[str, str]) -> bool | None:
    """Send a guardian a message (SMS, WeChat, app push …) about their application.

    `kind` names the event (e.g. "returned", "approved", "allocated"); `message` holds the
    text as ``{"zh": …, "en": …}``. Every implementation is called; each returns True when
    it delivered the message, False when it tried and failed, None when it does not serve
    this guardian.

    Example: ``notify_guardian(guardian_id=3, application_id=7, kind="returned",
    message={"zh": "请补充租赁备案证明", "en": "Please upload the lease registration"})``
    """
