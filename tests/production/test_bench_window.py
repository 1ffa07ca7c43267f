"""`python -m bench.load --window W1`: the rush at the opening of one §2.2 window, when only the
families of its districts may register (the staggering the policy uses against congestion)."""
from __future__ import annotations

from sqlmodel import select

from bench.load import population_for, prepare_guardians, window_districts
from core.db import make_engine, read_session
from core.models import Application
from plugins.sandbox.city import generate_city


def test_a_windows_rush_has_guardians_of_its_districts_only_and_the_sandbox_knows_them(db_url):
    districts = window_districts("W1")
    assert districts == {"东湖区", "经开区"}
    population = population_for(12, 8, districts)
    assert population > 12 and population_for(12, 8, None) == 12
    prepared = prepare_guardians(db_url, "k" * 32, count=12, seed=8, districts=districts, population=population)
    engine = make_engine(db_url)
    with read_session(engine) as session:
        drafts = session.exec(select(Application)).all()
    engine.dispose()
    assert len(prepared) == len(drafts) == 12 and {a.district for a in drafts} <= districts
    known = {family.pupil_id for family in generate_city(8, population).families}  # what the server's sandbox has
    assert {a.pupil_id_number for a in drafts} <= known
