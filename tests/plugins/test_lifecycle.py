"""The typed facade over the lifecycle and identity hooks, and the example vendor through it."""
from __future__ import annotations

import plugins.sandbox
from core.hookspecs import hookimpl
from core.plugins import Hooks
from plugins.sandbox.city import generate_city


class Recorder:
    """Remembers every lifecycle call it receives (and takes only the arguments it needs)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict]] = []

    @hookimpl
    def application_state_changed(self, application_id, to_state):
        self.calls.append(("application_state_changed", {"application_id": application_id, "to_state": to_state}))

    @hookimpl
    def application_submitted(self, application_id, serial, ruleset_sha256):
        self.calls.append(("application_submitted", {"serial": serial, "ruleset_sha256": ruleset_sha256}))

    @hookimpl
    def seats_allocated(self, season_year, school_code, allocations):
        self.calls.append(("seats_allocated", {"school_code": school_code, "n": len(allocations)}))


class Broken:
    """A vendor whose lifecycle hooks raise."""

    @hookimpl(tryfirst=True)
    def application_state_changed(self, application_id):
        raise RuntimeError("webhook down")

    @hookimpl
    def notify_guardian(self, guardian_id):
        raise ConnectionError("SMS gateway down")


def test_application_state_changed_reaches_every_plugin_though_one_fails(xuewei_plugins, caplog):
    recorder = Recorder()
    hooks = Hooks(xuewei_plugins(recorder, Broken()))
    hooks.application_state_changed(application_id=7, transition="approve", from_state="submitted",
                                    to_state="approved", actor="reviewer:li")
    assert recorder.calls == [("application_state_changed", {"application_id": 7, "to_state": "approved"})]
    assert "Broken" in caplog.text and "webhook down" in caplog.text


def test_a_lifecycle_hook_calling_sys_exit_is_logged_and_the_others_are_told(xuewei_plugins, caplog):
    class Exiting:
        @hookimpl(tryfirst=True)
        def application_submitted(self, serial):
            raise SystemExit("archive client gave up")

    recorder = Recorder()
    Hooks(xuewei_plugins(recorder, Exiting())).application_submitted(application_id=7, serial="S1",
                                                                     ruleset_sha256="ab")
    assert recorder.calls == [("application_submitted", {"serial": "S1", "ruleset_sha256": "ab"})]
    assert "plugin Exiting failed in application_submitted" in caplog.text


def test_application_submitted_carries_serial_and_pinned_ruleset(xuewei_plugins):
    recorder = Recorder()
    Hooks(xuewei_plugins(recorder)).application_submitted(application_id=7, serial="2021-01-000123-K",
                                                          ruleset_sha256="ab" * 32)
    assert recorder.calls == [("application_submitted", {"serial": "2021-01-000123-K", "ruleset_sha256": "ab" * 32})]


def test_seats_allocated_once_per_school(xuewei_plugins):
    recorder = Recorder()
    allocations = [{"application_id": 1, "serial": "s1", "basis": "tier", "tier": "1", "lottery_number": None}]
    Hooks(xuewei_plugins(recorder)).seats_allocated(season_year=2021, school_code="d1-m01", allocations=allocations)
    assert recorder.calls == [("seats_allocated", {"school_code": "d1-m01", "n": 1})]


def test_notify_guardian_is_delivered_by_the_installed_vendor(example_vendor, xuewei_plugins):
    example_vendor.OUTBOX.clear()
    delivered = Hooks(xuewei_plugins(example_vendor, Broken())).notify_guardian(
        guardian_id=3, application_id=7, kind="returned", message={"zh": "请补充租赁备案证明", "en": "Upload the lease"})
    assert delivered is True
    assert example_vendor.OUTBOX == [{"guardian_id": 3, "application_id": 7, "kind": "returned",
                                      "text": "请补充租赁备案证明"}]


def test_notify_guardian_false_when_no_channel_delivers(xuewei_plugins):
    assert Hooks(xuewei_plugins(Broken())).notify_guardian(
        guardian_id=3, application_id=None, kind="approved", message={"zh": "审核通过", "en": "Approved"}) is False


def test_verify_identity_face_vendor_first_then_sandbox(example_vendor, xuewei_plugins):
    city = generate_city(3, 50)
    guardian = city.families[0].facts["guardians"][0]
    plugins.sandbox.activate(city)
    try:
        hooks = Hooks(xuewei_plugins(plugins.sandbox, example_vendor))
        number, name = guardian["id_number"], guardian["name"]
        face = hooks.verify_identity(id_number=number, name=name, face_image=b"EXAMPLE-FACE:" + number.encode())
        other_face = hooks.verify_identity(id_number=number, name=name, face_image=b"EXAMPLE-FACE:someone")
        no_face = hooks.verify_identity(id_number=number, name=name)
    finally:
        plugins.sandbox.activate(None)
    assert face["method"] == "face" and face["verified"] is True
    assert other_face["verified"] is False and "不一致" in other_face["reason"]
    assert no_face["method"] == "sandbox" and no_face["verified"] is True


def test_example_vendor_serves_residence_permits_for_its_people_only(example_vendor, xuewei_runtime, family):
    from plugin_test_data import person_id

    runtime = xuewei_runtime(example_vendor)
    known = runtime.fetch_facts(family["pupil"], family, sources=["residence_permits"])
    unknown = runtime.fetch_facts(person_id("20090101", 41), {"father": person_id("19790101", 41)},
                                  sources=["residence_permits"])
    assert known.facts["residence_permits"][0]["holder"] == "mother"
    # the entry-point name, as production registers it, not the module's
    assert known.facts["sources"]["residence_permits"]["connector"] == "example_vendor:residence_permits"
    assert unknown.unanswered == ("residence_permits",)
