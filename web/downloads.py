"""Serving an uploaded document: bytes with the sniffed type, never rendered inline."""
from __future__ import annotations

import unicodedata
from urllib.parse import quote

from flask import Response

from core.documents import read_document
from web.context import documents_root, engine
from web.security import current_actor

__all__ = ["attachment", "document_response"]


def attachment(filename: str) -> str:
    """Content-Disposition for a download named `filename`: an ASCII fallback for old clients and
    the name itself encoded as RFC 5987 says (a header must be Latin-1; names are often Chinese),
    as werkzeug's send_file writes it."""
    fallback = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode("ascii")
    fallback = fallback.replace("\\", "_").replace('"', "_")
    if not fallback or fallback.startswith("."):  # nothing before the extension was ASCII
        fallback = "document" + fallback
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def document_response(document_id: int) -> Response:
    """The document as an attachment under its uploaded name (cleaned when stored), sandboxed,
    for someone who may see its application."""
    item, data = read_document(engine(), document_id, actor=current_actor(), root=documents_root())
    response = Response(data, mimetype=item.media_type)
    response.headers["Content-Disposition"] = attachment(item.filename)
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
