"""Serving an uploaded document: bytes with the sniffed type, never rendered inline."""
from __future__ import annotations

from flask import Response

from core.documents import read_document
from web.context import documents_root, engine
from web.security import current_actor

__all__ = ["document_response"]


def document_response(document_id: int) -> Response:
    """The document as an attachment, sandboxed, for someone who may see its application."""
    item, data = read_document(engine(), document_id, actor=current_actor(), root=documents_root())
    response = Response(data, mimetype=item.media_type)
    response.headers["Content-Disposition"] = "attachment"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
