"""The site's icon: every page links it, and /favicon.ico answers too, so no visit logs a 404."""
from __future__ import annotations

import re


def test_every_page_links_an_icon_that_is_served(client):
    page = client.get("/login").get_data(as_text=True)
    icon = re.search(r'<link rel="icon" href="([^"]+)" type="image/svg\+xml">', page).group(1)
    answer = client.get(icon)
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"


def test_favicon_ico_answers_with_the_icon_instead_of_a_404(client):
    answer = client.get("/favicon.ico")
    assert answer.status_code == 200 and answer.mimetype == "image/svg+xml"
    assert answer.get_data(as_text=True).startswith("<svg")
