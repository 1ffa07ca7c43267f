"""`xuewei import`: the import page's imports for scripts, with the same checks and audit."""
from __future__ import annotations

from click.testing import CliRunner
from sqlmodel import select

from core.cli import main
from core.db import read_session
from core.models import Catchment, Event

SCHOOLS = """code,name,stage,kind,district,coordinating_district,school_group,in_urban_area,capacity,x,y
dh-yuzhang,豫章中学,middle,public,东湖区,,,1,300,,
dh-sanzhong,南昌三中,middle,public,东湖区,,,1,450,,
"""
CATCHMENTS = """school_id,school_name,district,street,from,to,parity,compound
dh-yuzhang,豫章中学,东湖区,,,,,滨江花园
dh-sanzhong,南昌三中,东湖区,八一大道,2,200,even,
"""


def _run(engine, tmp_path, kind, text, *options):
    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    return CliRunner().invoke(main, ["import", kind, str(path), "--season", "2021", *options],
                              env={"DATABASE_URL": engine.url.render_as_string(hide_password=False)})


def test_import_command_loads_schools_then_catchments_audited_as_the_command_line(engine, season, tmp_path):
    assert _run(engine, tmp_path, "schools", SCHOOLS).exit_code == 0
    result = _run(engine, tmp_path, "catchments", CATCHMENTS)
    assert result.exit_code == 0, result.output
    assert "2 schools' catchments created, 0 updated, 0 removed" in result.output
    with read_session(engine) as session:
        assert sorted(c.code for c in session.exec(select(Catchment))) == ["dh-sanzhong", "dh-yuzhang"]
        event = session.exec(select(Event).where(Event.action == "catchments_imported")).one()
    assert (event.actor, event.actor_role, event.data["file"]) == ("cli", "system", "catchments.csv")


def test_import_command_prints_every_problem_and_exits_1(engine, season, tmp_path):
    _run(engine, tmp_path, "schools", SCHOOLS)
    result = _run(engine, tmp_path, "catchments", CATCHMENTS + "dh-sanzhong,南昌三中,东胡区,,,,,\ndh-nowhere,,东湖区\n")
    assert result.exit_code == 1
    assert "line 4, district: '东胡区' is not a district of the season's ruleset" in result.output
    assert "line 5, school_id, school_name" not in result.output and "line 5, street, from" in result.output
    assert "2 problem(s); nothing was imported" in result.output
    with read_session(engine) as session:
        assert session.exec(select(Catchment)).all() == []


def test_import_command_removes_catchments_only_with_replace(engine, season, tmp_path):
    _run(engine, tmp_path, "schools", SCHOOLS)
    _run(engine, tmp_path, "catchments", CATCHMENTS)
    sanzhong_only = "".join(line + "\n" for line in CATCHMENTS.splitlines() if "dh-yuzhang" not in line)
    refused = _run(engine, tmp_path, "catchments", sanzhong_only)
    assert refused.exit_code == 1 and "dh-yuzhang 豫章中学" in refused.output
    replaced = _run(engine, tmp_path, "catchments", sanzhong_only, "--replace")
    assert replaced.exit_code == 0 and "1 removed" in replaced.output
