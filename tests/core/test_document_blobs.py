"""Uploaded files are kept once by content, written whole: a double-clicked upload is two writers
of the same blob at the same moment, and neither may fail or leave half a file."""
from __future__ import annotations

import hashlib
import threading

from core.documents import store_document
from core.workflow import Actor

WRITERS = 8


def test_the_same_file_uploaded_at_the_same_moment_is_kept_once_and_whole(engine, draft_application, now, tmp_path):
    guardian, application = draft_application
    data = b"%PDF-1.7\n" + bytes(range(256)) * (3 * 4096)  # 3 MB: a phone photo's size, a long write
    root = tmp_path / "documents"
    start, failures = threading.Barrier(WRITERS), []

    def upload():
        start.wait()
        try:
            store_document(engine, application.id, actor=Actor(guardian.username, "guardian", guardian.id),
                           kind="hukou_booklet", filename="户口簿.pdf", data=data, now=now, max_bytes=8 << 20, root=root)
        except Exception as error:  # noqa: BLE001 (the test collects what failed)
            failures.append(error)

    writers = [threading.Thread(target=upload) for _ in range(WRITERS)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    digest = hashlib.sha256(data).hexdigest()
    assert failures == []
    assert [p.name for p in (root / digest[:2]).iterdir()] == [digest]  # no temporary file left behind
    assert (root / digest[:2] / digest).read_bytes() == data
