"""The catchment index is built once per season and rebuilt as soon as an import changes it."""
from __future__ import annotations

import pytest
from sqlmodel import select

from core.assessment import catchments_of
from core.db import read_session, write_session
from core.imports import ImportFailed, import_catchments, import_schools
from core.models import CatchmentsVersion, School
from core.workflow import Actor

ADMIN = Actor("city-admin", "city_admin")
SCHOOLS = """code,name,stage,kind,district,coordinating_district,school_group,in_urban_area,capacity,x,y
dh-yuzhang,豫章中学,middle,public,东湖区,,,1,300,,
dh-sanzhong,南昌三中,middle,public,东湖区,,,1,450,,
"""
YUZHANG_HOLDS_BINJIANG = """school_id,school_name,district,street,from,to,parity,compound
dh-yuzhang,豫章中学,东湖区,,,,,滨江花园
"""
SANZHONG_HOLDS_BINJIANG = YUZHANG_HOLDS_BINJIANG.replace("dh-yuzhang,豫章中学", "dh-sanzhong,南昌三中")
BINJIANG = {"district": "东湖区", "compound": "滨江花园"}


def _import(engine, season, function, text, **options):
    with write_session(engine) as session:
        return function(session, session.merge(season), text, actor=ADMIN, **options)


def _version(engine, season) -> int:
    with read_session(engine) as session:
        return session.get(CatchmentsVersion, season.id).version


def _index(engine, season):
    with read_session(engine) as session:
        return catchments_of(session, season.id)


@pytest.fixture
def schools(engine, season):
    _import(engine, season, import_schools, SCHOOLS)
    _import(engine, season, import_catchments, YUZHANG_HOLDS_BINJIANG)


def test_catchment_index_is_built_once_while_nothing_changes(engine, season, schools):
    assert _index(engine, season) is _index(engine, season)


def test_catchment_reimport_is_seen_by_the_next_assessment(engine, season, schools):
    assert _index(engine, season).lookup(BINJIANG) == ["dh-yuzhang"]
    _import(engine, season, import_catchments, SANZHONG_HOLDS_BINJIANG, replace=True)
    assert _index(engine, season).lookup(BINJIANG) == ["dh-sanzhong"]


def test_school_renamed_in_place_is_seen_by_the_next_assessment(engine, season, schools):
    assert _index(engine, season).catchments["dh-yuzhang"]["school_name"] == "豫章中学"
    with write_session(engine) as session:
        session.exec(select(School).where(School.code == "dh-yuzhang")).one().name = "南昌市豫章中学"
    assert _index(engine, season).catchments["dh-yuzhang"]["school_name"] == "南昌市豫章中学"


def test_every_import_counts_once_and_a_refused_one_not_at_all(engine, season, schools):
    before = _version(engine, season)
    _import(engine, season, import_catchments, SANZHONG_HOLDS_BINJIANG, replace=True)
    assert _version(engine, season) == before + 1
    with pytest.raises(ImportFailed):
        _import(engine, season, import_catchments, YUZHANG_HOLDS_BINJIANG.replace("dh-yuzhang", "nowhere"),
                replace=True)
    assert _version(engine, season) == before + 1
    assert _index(engine, season).lookup(BINJIANG) == ["dh-sanzhong"]
