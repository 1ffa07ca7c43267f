"""Documents guardians upload: type known from the content, stored once by sha256."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import select

from core.access import ensure_can_act, ensure_can_view
from core.applications import UNSUBMITTED, move_version
from core.audit import append_event
from core.db import read_session, write_session
from core.errors import InvalidInput, NotFound
from core.models import Application, Document, Event
from core.paths import instance_dir
from core.workflow import Actor

__all__ = [
    "DOCUMENT_KINDS", "UPLOAD_STATES", "removable_documents", "sniff_media_type", "clean_filename", "store_document",
    "remove_document", "documents_of", "read_document", "documents_dir",
]

# What a guardian may upload, as (code, zh, en).
DOCUMENT_KINDS = (
    ("property_certificate", "房产证或不动产权证", "property certificate"),
    ("lease_registration", "租赁备案证明", "lease registration"),
    ("residence_permit", "居住证", "residence permit"),
    ("hukou_booklet", "户口簿", "household register booklet"),
    ("social_insurance", "社保缴费证明", "social insurance record"),
    ("business_licence", "营业执照及完税证明", "business licence and tax record"),
    ("labour_contract", "劳动合同", "labour contract"),
    ("demolition_agreement", "拆迁安置协议", "demolition agreement"),
    ("e_record_photo", "电子学籍照片", "e-student-record photo"),
    ("other", "其他材料", "other"),
)
_KIND_CODES = {code for code, _, _ in DOCUMENT_KINDS}
UPLOAD_STATES = ("draft", "facts_pending", "returned")
_MAGIC = ((b"%PDF-", "application/pdf"), (b"\xff\xd8\xff", "image/jpeg"),
          (b"\x89PNG\r\n\x1a\n", "image/png"))
_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\:*?\"<>|]")


def sniff_media_type(data: bytes) -> str | None:
    """PDF, JPEG or PNG from the first bytes, or None; never the filename or declared type."""
    return next((media for magic, media in _MAGIC if data.startswith(magic)), None)


def clean_filename(name: str) -> str:
    """The last path component only, without control or separator characters (display only)."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = _UNSAFE_NAME.sub("_", base).strip(" .")
    return base[-200:] or "document"


def documents_dir(configured: str | None = None) -> Path:
    """Where blobs live: the configured folder, else `<instance>/documents`."""
    return Path(configured) if configured else instance_dir() / "documents"


def _blob_path(root: Path, sha256: str) -> Path:
    return root / sha256[:2] / sha256


def _write_blob(path: Path, data: bytes) -> None:
    """Write a blob under a temporary name of its own, then rename it into place (atomic: a
    reader never sees half a file). The name is unique per writer: two threads, or two hosts on
    a shared folder, storing the same content at once (a double-clicked upload) each write their
    own file, and whichever renames last leaves the same bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def store_document(engine: Engine, application_id: int, *, actor: Actor, kind: str, filename: str,
                   data: bytes, now: datetime, max_bytes: int, root: Path) -> Document:
    """Check and keep one upload; the same content is stored once whoever uploads it. The
    application's version moves on (`core.applications.move_version`): a confirmation page
    drawn before it no longer submits."""
    with read_session(engine) as session:  # whose application it is comes first: refusals leak nothing
        application = session.get(Application, application_id)
        if application is None:
            raise NotFound("申请不存在", f"application {application_id} does not exist")
        ensure_can_act(actor, application)
    if application.state not in UPLOAD_STATES:
        raise _not_now()
    if kind not in _KIND_CODES:
        raise InvalidInput("请选择材料类别", "choose what the document is", field="kind")
    if not data:
        raise InvalidInput("请选择要上传的文件", "choose a file to upload", field="file")
    if len(data) > max_bytes:
        raise InvalidInput(f"文件不能超过{max_bytes // (1024 * 1024)}MB",
                           f"files may be at most {max_bytes // (1024 * 1024)} MB", field="file")
    media_type = sniff_media_type(data)
    if media_type is None:
        raise InvalidInput("只能上传PDF、JPEG或PNG文件", "only PDF, JPEG or PNG files are accepted", field="file")
    digest = hashlib.sha256(data).hexdigest()
    path = _blob_path(root, digest)
    if not path.exists():
        _write_blob(path, data)
    with write_session(engine) as session:
        if not move_version(session, application_id, states=UPLOAD_STATES):  # submitted meanwhile (another tab)
            raise _not_now()
        document = Document(application_id=application_id, kind=kind, filename=clean_filename(filename),
                            media_type=media_type, size=len(data), sha256=digest, uploaded_at=now)
        session.add(document)
        session.flush()
        append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="application",
                     subject_id=application_id, action="document_uploaded", at=now,
                     data={"document": document.id, "kind": kind, "sha256": digest})
        return document


def _not_now() -> InvalidInput:
    return InvalidInput("当前状态不能上传材料", "documents cannot be added in this state", field="file")


def removable_documents(state: str, documents: Iterable[Document], events: Iterable[Event]) -> set[int]:
    """The ids of the documents a family may still take back: all of them before submission (no
    reviewer has seen them), and while returned for materials those uploaded since the return
    and not yet judged. `events` are the application's audit events, oldest first."""
    if state in UNSUBMITTED:
        return {d.id for d in documents}
    if state != "returned":
        return set()
    since_return: set[int] = set()
    for event in events:
        if event.action == "return_for_materials":
            since_return.clear()
        elif event.action == "document_uploaded" and isinstance(event.data, dict):
            since_return.add(event.data.get("document"))
    return {d.id for d in documents if d.id in since_return and d.review_state == "pending"}


def remove_document(engine: Engine, application_id: int, document_id: int, *, actor: Actor, now: datetime) -> Document:
    """Take back a document uploaded by mistake (see `removable_documents`). The file itself stays
    (stored once by content, it may be another upload's too); the audit trail records which
    document was removed."""
    with write_session(engine) as session:
        application = session.get(Application, application_id)
        document = session.get(Document, document_id)
        if application is None or document is None or document.application_id != application_id:
            raise NotFound("材料不存在", f"document {document_id} of application {application_id} does not exist")
        ensure_can_act(actor, application)
        events = session.exec(select(Event).where(Event.subject_type == "application",
                                                  Event.subject_id == str(application_id)).order_by(Event.seq))
        if document_id not in removable_documents(application.state, [document], events):
            raise InvalidInput("该材料已提交审核，不能删除", "this document has gone to the reviewers; it cannot be removed",
                               field="file")
        session.delete(document)
        move_version(session, application_id, states=UPLOAD_STATES)  # removable: in one of them, checked above
        append_event(session, actor=actor.name, actor_role=str(actor.role), subject_type="application",
                     subject_id=application_id, action="document_removed", at=now,
                     data={"document": document.id, "kind": document.kind, "sha256": document.sha256})
        return document


def documents_of(engine: Engine, application_id: int) -> list[Document]:
    """An application's uploads, oldest first (callers have checked access)."""
    with read_session(engine) as session:
        return list(session.exec(select(Document).where(Document.application_id == application_id)
                                 .order_by(Document.uploaded_at, Document.id)))


def read_document(engine: Engine, document_id: int, *, actor: Actor, root: Path) -> tuple[Document, bytes]:
    """A document and its bytes, for someone who may see its application."""
    with read_session(engine) as session:
        document = session.get(Document, document_id)
        application = session.get(Application, document.application_id) if document else None
        missing = NotFound("材料不存在", f"document {document_id} does not exist")
        if document is None or application is None:
            raise missing
        try:
            ensure_can_view(actor, application)
        except NotFound:  # someone else's: the same answer as no such document, about the document
            raise missing from None
    return document, _blob_path(root, document.sha256).read_bytes()
