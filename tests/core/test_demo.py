"""`xuewei demo` names sandbox families a visitor can sign up as: known to the sandbox, not yet registered."""
from __future__ import annotations

from core.db import write_session
from core.demo import DEMO_POPULATION, DEMO_SEED, signup_examples
from core.models import Application
from plugins.sandbox.city import generate_city


def test_the_demo_names_families_of_an_open_district_that_nobody_registered(engine, season, monkeypatch, now,
                                                                             make_account):
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    first = signup_examples()
    assert len(first) == 3 and len({pupil for *_, pupil in first}) == 3
    city = {family.facts["pupil"]["id_number"]: family for family in generate_city(DEMO_SEED, DEMO_POPULATION).families}
    for parent, parent_id, pupil, pupil_id in first:  # the sandbox's identity check knows each pair
        assert pupil_id in city and {"name": parent, "id_number": parent_id}.items() <= next(
            g for g in city[pupil_id].facts["guardians"] if g["id_number"] == parent_id).items()
    with write_session(engine) as session:  # the replay registered the first one meanwhile
        session.add(Application(season_id=season.id, guardian_id=make_account("replayed").id, pupil_id_number=first[0][3], district="东湖区",
                                state="draft", created_at=now, updated_at=now))
    assert first[0] not in signup_examples()
