"""The allocation against the database: inputs from rows, a stored run, `allocated` applications, the CLI."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from click.testing import CliRunner
from sqlmodel import select

from core.allocation import LotteryError, commitment_of, run_season_allocation
from core.allocation.models import AllocationRun, AllocationSeat, PropertyLedgerEntry
from core.allocation.inputs import load_inputs
from core.allocation.publication import family_seat
from core.allocation.store import commit_seed, reveal_seed, seat_of_application
from core.clock import SHANGHAI
from core.cli import main
from core.db import read_session, write_session
from core.models import Application, Event, School
from core.rulesets import ensure_season
from core.season.actions import ACTIONS
from core.season.boundaries import PHASE_ACTIONS
from core.season.models import BoundaryKind


def _facts(pupil_id: str, father_id: str, cert: str | None) -> dict:
    facts = {"pupil": {"id_number": pupil_id}, "guardians": [{"relation": "father", "id_number": father_id}]}
    if cert is None:
        facts["basis"] = {"kind": "lease", "id": "l1"}
    else:
        facts["basis"] = {"kind": "property", "id": "p1"}
        facts["properties"] = [{"id": "p1", "cert_number": cert, "address": {"text": "东湖区八一大道1号"}}]
    return facts


PUPILS = [
    # serial, tier, row, catchment, family (father's ID sequence), certificate, submitted on 1 June at
    ("S-a1", 1, "T1", "M-A", 11, "洪房-1", "10:00"),
    ("S-a2", 1, "T1", "M-A", 12, "洪房-2", "10:05"),
    ("S-a3", 4, "T4b", "M-A", 13, None, "10:10"),
    ("S-a4", 1, "T1", "M-A", 14, "洪房-1", "11:00"),  # a second family claims a1's property
    ("S-b1", "coordinated", None, None, 15, None, "10:20"),
]


@pytest.fixture
def city(engine, season, make_account, id_number, now):
    """Two middle schools 3 km apart and five approved, classified applications."""
    guardian = make_account("guardian-city")
    with write_session(engine) as session:
        session.add(School(season_id=season.id, code="M-A", name="豫章中学", stage="middle", district="东湖区",
                           capacity=2, x=0.0, y=0.0))
        session.add(School(season_id=season.id, code="M-B", name="南昌三中", stage="middle", district="东湖区",
                           capacity=3, x=3000.0, y=0.0))
        for index, (serial, tier, row, catchment, family, cert, at) in enumerate(PUPILS):
            session.add(Application(
                season_id=season.id, guardian_id=guardian.id, pupil_id_number=id_number(sequence=index * 2 + 1),
                district="东湖区", state="approved", serial=serial, ruleset_sha256=season.active_ruleset_sha256,
                frozen_facts=_facts(id_number(sequence=index * 2 + 1), id_number(sequence=family * 2 + 1), cert),
                classification={"eligible": True, "tier": tier, "row": row, "catchment": catchment, "reasons": []},
                tier=str(tier), submitted_at=now.replace(hour=int(at[:2]), minute=int(at[3:])),
            ))
    seed = "c3" * 32
    with write_session(engine) as session:
        season_row = session.get(type(season), season.id)
        season_row.lottery_commitment = commitment_of(seed)
        session.add(season_row)
    return season, seed


def _seats(engine) -> dict[str, tuple[str | None, str]]:
    with read_session(engine) as session:
        return {seat.serial: (seat.school_code, seat.how) for seat in session.exec(select(AllocationSeat))}


def test_season_allocation_stores_every_seat_and_preallocates_each_application(engine, city, now):
    season, seed = city
    reveal_seed(engine, season.year, seed)
    summary = run_season_allocation(engine, season.id, now)
    assert summary["pupils"] == 5 and summary["allocated"] == 5 and not summary["unchanged"]
    assert _seats(engine) == {
        "S-a1": ("M-A", "tier"),
        "S-a2": ("M-A", "tier"),
        "S-a3": ("M-B", "placed"),
        "S-a4": ("M-B", "coordinated"),
        "S-b1": ("M-B", "coordinated"),
    }
    with read_session(engine) as session:
        states = {a.serial: a.state for a in session.exec(select(Application))}
        events = session.exec(select(Event).where(Event.action == "allocate")).all()
        ledger = sorted((e.property_key, e.serial, e.year) for e in session.exec(select(PropertyLedgerEntry)))
    assert set(states.values()) == {"allocated"} and len(events) == 5
    assert ledger == [("洪房-1", "S-a1", 2021), ("洪房-2", "S-a2", 2021)]


def test_allocation_reads_sub_tiers_from_the_classification_row(engine, city):
    season, _ = city
    with read_session(engine) as session:
        inputs = load_inputs(session, season.year)
    assert {pupil.serial: pupil.tier for pupil in inputs.pupils}["S-a3"] == "4b"
    assert inputs.policy.tier_order == ("1", "2", "3", "4a", "4b", "5", "6", "7")


def test_residence_is_where_the_housing_source_located_the_basis_address(engine, city):
    """§6 places left-out pupils near the actual residence: the location the source gave for the
    basis address in the frozen facts (the stored explanation keeps the address as text only),
    else the catchment school's, which ranks schools but claims no distance."""
    season, _ = city
    with write_session(engine) as session:
        application = session.exec(select(Application).where(Application.serial == "S-a2")).one()
        facts = application.frozen_facts
        address = {"district": "东湖区", "text": "东湖区八一大道2号", "location": {"x": 2600.0, "y": -150.5}}
        application.frozen_facts = {**facts, "properties": [{**facts["properties"][0], "address": address}]}
        application.classification = {**application.classification, "trace": {"basis_address": address["text"]}}
    with read_session(engine) as session:
        pupils = {pupil.serial: pupil for pupil in load_inputs(session, season.year).pupils}
    assert (pupils["S-a2"].x, pupils["S-a2"].y, pupils["S-a2"].located) == (2600.0, -150.5, True)
    assert (pupils["S-a1"].x, pupils["S-a1"].y, pupils["S-a1"].located) == (0.0, 0.0, False)  # school M-A's


def _stored_seat(engine, city, now, serial: str) -> AllocationSeat:
    """Allocate the city and read back one pupil's stored seat."""
    season, seed = city
    reveal_seed(engine, season.year, seed)
    run_season_allocation(engine, season.id, now)
    with read_session(engine) as session:
        return session.exec(select(AllocationSeat).where(AllocationSeat.serial == serial)).one()


def test_a_placement_from_an_unlocated_residence_says_the_distance_is_unknown(engine, city, now):
    """S-b1's lease has no location: it stands at the district's centre, which is no distance."""
    seat = _stored_seat(engine, city, now, "S-b1")
    assert seat.how == "coordinated" and seat.distance_m is None
    assert "距离未知" in seat.why_zh and "公里" not in seat.why_zh and "distance unknown" in seat.why_en


def test_a_coordinated_pupils_reason_cites_what_the_classification_said(engine, city, now):
    """Not a general §6.2 (leases, co-owned property) for every pupil the authority places."""
    with write_session(engine) as session:
        application = session.exec(select(Application).where(Application.serial == "S-b1")).one()
        application.classification = {**application.classification, "reasons": [
            {"code": "no_catchment", "clause": "§6", "zh": "居住地址不在任何学区范围内，由教育部门统筹安排",
             "en": "the residence is in no catchment; placed by the authority"}]}
    seat = _stored_seat(engine, city, now, "S-b1")
    assert seat.why_zh.startswith("类别认定：居住地址不在任何学区范围内，由教育部门统筹安排（§6）；按实际居住地")
    assert "§6.2" not in seat.why_zh and "§6.2" not in seat.why_en
    assert seat.why_en.startswith("Classification: the residence is in no catchment; placed by the authority (§6)")


def _lock(engine, season, kind: str, owner: str, entries: list[dict]) -> None:
    from core.season.models import LockedList, LockedListVersion

    with write_session(engine) as session:
        locked = LockedList(season_id=season.id, kind=kind, owner=owner, current_version=1)
        session.add(locked)
        session.flush()
        session.add(LockedListVersion(list_id=locked.id, version=1, state="submitted", entries=entries,
                                      entries_sha256="x", created_by="test"))


def test_locked_lists_seat_their_pupils_first(engine, city, id_number, now):
    season, seed = city
    _lock(engine, season, "province_staff", "M-B", [{"pupil_id_number": id_number(sequence=1), "school_id": "M-B"}])
    _lock(engine, season, "special_policy", "市特殊政策名单",
          [{"pupil_id_number": id_number(sequence=5), "category": "military"}])
    reveal_seed(engine, season.year, seed)
    run_season_allocation(engine, season.id, now)
    seats = _seats(engine)
    assert seats["S-a1"] == ("M-B", "special")  # the staff list names its school
    assert seats["S-a3"] == ("M-A", "special")  # a special-policy entry without a school: the catchment school
    # A's last seat is drawn between a2 and a4 (a1 no longer claims its property, so a4 keeps it).
    assert sorted([seats["S-a2"], seats["S-a4"]]) == [("M-A", "lottery"), ("M-B", "placed")]


def test_running_again_with_the_same_inputs_changes_nothing(engine, city, now):
    season, seed = city
    reveal_seed(engine, season.year, seed)
    first = run_season_allocation(engine, season.id, now)
    second = run_season_allocation(engine, season.id, now)
    assert second["unchanged"] and second["run"] == first["run"]
    assert second["export_sha256"] == first["export_sha256"] and second["allocated"] == 0
    with read_session(engine) as session:
        assert len(session.exec(select(AllocationRun)).all()) == 1


def test_property_used_by_another_family_last_season_is_no_basis(engine, city, now):
    season, seed = city
    with write_session(engine) as session:
        earlier = ensure_season(session, 2019, "2019")
        run = AllocationRun(season_id=earlier.id, ruleset_sha256="0" * 64, seed="", commitment="", export_sha256="e",
                            pupils=1, schools=1, run_by="test")
        session.add(run)
        session.flush()
        session.add(PropertyLedgerEntry(season_id=earlier.id, run_id=run.id, property_key="洪房-2", year=2019,
                                        serial="2019-old", family_key="another family"))
    reveal_seed(engine, season.year, seed)
    run_season_allocation(engine, season.id, now)
    assert _seats(engine)["S-a2"] == ("M-B", "coordinated")
    assert _seats(engine)["S-a3"] == ("M-A", "tier")


class _Recorder:
    """Stands in for the plugin facade and records what the allocation told plugins."""

    def __init__(self) -> None:
        self.schools: list[tuple[str, list[str]]] = []
        self.messages: list[tuple[int | None, str, dict[str, str]]] = []

    def seats_allocated(self, *, season_year: int, school_code: str, allocations: list[dict]) -> None:
        self.schools.append((school_code, [entry["serial"] for entry in allocations]))

    def notify_guardian(self, *, guardian_id: int, application_id: int | None, kind: str, message: dict) -> bool:
        self.messages.append((application_id, kind, message))
        return True


def _recording(monkeypatch) -> _Recorder:
    recorder = _Recorder()
    monkeypatch.setattr("core.allocation.store.hooks", lambda: recorder)
    monkeypatch.setattr("core.allocation.publication.hooks", lambda: recorder)
    return recorder


ALLOCATION_DAY = datetime(2021, 6, 25, 9, 0, tzinfo=SHANGHAI)  # the allocation phase: nothing published yet
PUBLICATION = datetime(2021, 6, 28, 0, 0, tzinfo=SHANGHAI)  # the ruleset's 学位预分配结果查询 opens


def test_schools_hear_at_allocation_but_families_only_when_publication_opens(engine, city, monkeypatch):
    """Staff check the run (lottery verify, exports) before publication: allocating, and running
    it again, tells no family; the publication boundary tells each family once."""
    season, seed = city
    recorder = _recording(monkeypatch)
    reveal_seed(engine, season.year, seed)
    run_season_allocation(engine, season.id, ALLOCATION_DAY)
    run_season_allocation(engine, season.id, ALLOCATION_DAY)  # unchanged: nobody is told twice
    assert recorder.schools == [("M-A", ["S-a1", "S-a2"]), ("M-B", ["S-a3", "S-a4", "S-b1"])]
    assert recorder.messages == []
    assert PHASE_ACTIONS[("publication", BoundaryKind.phase_start)] == ("publish_seats",)
    assert ACTIONS["publish_seats"](engine, season.id, PUBLICATION, lambda: None)["notified"] == 5
    assert len({application_id for application_id, _, _ in recorder.messages}) == len(recorder.messages) == 5
    assert all(kind == "allocated" and message["zh"] and message["en"] for _, kind, message in recorder.messages)


def test_a_run_after_publication_tells_families_at_once(engine, city, monkeypatch):
    season, seed = city
    recorder = _recording(monkeypatch)
    reveal_seed(engine, season.year, seed)
    run_season_allocation(engine, season.id, PUBLICATION)
    assert len(recorder.messages) == 5


def test_family_reads_that_the_seat_is_being_prepared_until_publication(engine, city):
    season, seed = city
    reveal_seed(engine, season.year, seed)
    run_season_allocation(engine, season.id, ALLOCATION_DAY)
    with read_session(engine) as session:
        application = session.exec(select(Application).where(Application.serial == "S-a4")).one()
        season_row = session.get(type(season), season.id)
        seat = seat_of_application(session, application.id)
        before = family_seat(session, season_row, seat, ALLOCATION_DAY)
        after = family_seat(session, season_row, seat, PUBLICATION)
    assert before == {"published": False, "publishes_at": PUBLICATION.isoformat(),
                      "publishes_at_text": {"zh": "6月28日 00:00", "en": "28 June 00:00"}}
    assert after["published"] is True and after["school"] == {"code": "M-B", "name": "南昌三中"}


def test_guardian_sees_the_school_and_why(engine, city, now):
    season, seed = city
    reveal_seed(engine, season.year, seed)
    run_season_allocation(engine, season.id, now)
    with read_session(engine) as session:
        application = session.exec(select(Application).where(Application.serial == "S-a4")).one()
        seat = seat_of_application(session, application.id)
    assert seat["school"] == {"code": "M-B", "name": "南昌三中"}
    assert "§6.1" in seat["why"]["zh"] and "§6.1" in seat["why"]["en"]


def test_a_draft_has_no_seat_and_no_run_is_looked_up_for_it(engine, city, draft_application, now,
                                                              statements_run):
    """Seats go to serial numbers: the page of a draft, drawn after each step, does not ask."""
    season, seed = city
    reveal_seed(engine, season.year, seed)
    run_season_allocation(engine, season.id, now)
    _, draft = draft_application
    with read_session(engine) as session, statements_run() as seen:
        assert seat_of_application(session, draft.id) is None
    assert not any("allocation" in statement.lower() for statement in seen)


def test_allocation_waits_for_the_revealed_seed(engine, city, now):
    season, _ = city
    with pytest.raises(LotteryError):
        run_season_allocation(engine, season.id, now)


def test_reveal_refuses_a_seed_other_than_the_committed_one(engine, city):
    season, _ = city
    with pytest.raises(LotteryError):
        reveal_seed(engine, season.year, "d4" * 32)


def test_commit_refuses_a_second_commitment(engine, city):
    season, _ = city
    with pytest.raises(LotteryError):
        commit_seed(engine, season.year)


def test_cli_allocates_prints_the_table_and_the_export_verifies(engine, city, db_url, tmp_path, monkeypatch):
    season, seed = city
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("XUEWEI_NOW", "2021-07-01T09:00:00+08:00")
    runner = CliRunner()
    result = runner.invoke(main, ["allocate", "--season", "2021", "--seed", seed, "--out", str(tmp_path)])
    assert result.exit_code == 0, result.output
    table = result.output.splitlines()
    assert table[0].split()[:5] == ["school", "cap", "direct", "special", "applicants"]
    assert table[1].split()[:5] == ["M-A", "2", "0", "0", "1:2"]
    verified = runner.invoke(main, ["lottery", "verify", "--inputs", str(tmp_path / "allocation.json")])
    assert verified.exit_code == 0, verified.output
    export = json.loads((tmp_path / "allocation.json").read_text(encoding="utf-8"))
    rows = {row["serial"]: row for row in export["pupils"]}
    rows["S-a1"]["how"], rows["S-a3"]["how"] = rows["S-a3"]["how"], rows["S-a1"]["how"]
    (tmp_path / "tampered.json").write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    tampered = runner.invoke(main, ["lottery", "verify", "--inputs", str(tmp_path / "tampered.json")])
    assert tampered.exit_code == 1 and "S-a1" in tampered.output


def test_lottery_verify_refuses_a_file_that_is_no_export(tmp_path):
    (tmp_path / "other.json").write_text('{"schools": []}', encoding="utf-8")
    result = CliRunner().invoke(main, ["lottery", "verify", "--inputs", str(tmp_path / "other.json")])
    assert result.exit_code == 1 and "not an allocation export" in result.output
