"""A release's pages ask for its own scripts and styles, never a cached copy of the last one's."""
from __future__ import annotations

import hashlib
import re
from pathlib import Path

import web


def test_static_urls_carry_the_files_content_hash(client):
    page = client.get("/login").get_data(as_text=True)
    urls = dict(re.findall(r'/static/([\w./-]+)\?v=([0-9a-f]{12})', page))
    assert urls, "no versioned static URL on the login page"
    for name, version in urls.items():
        content = (Path(web.__file__).parent / "static" / name).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12], name
    assert client.get(f"/static/{next(iter(urls))}?v={next(iter(urls.values()))}").status_code == 200
