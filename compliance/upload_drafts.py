"""What an upload form keeps in the session: the note typed per district, and a refused upload's errors.

The note outlives a refused upload, a reload and an expired session (the anonymous session's
data survive signing in again), so nothing typed is lost; the errors are shown once, after the
redirect that follows the refused post.
"""
from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .forms import NOTE_MAX_LENGTH, UploadForm

DRAFTS = "upload_drafts"
REFUSAL = "upload_refusal"


def upload_form(request: HttpRequest, district_pk: int) -> UploadForm:
    """An unbound upload form for the district, with the note the user typed last."""
    draft = request.session.get(DRAFTS, {}).get(str(district_pk), {})
    return UploadForm(initial={"note": draft.get("note", "")}, auto_id=f"id_%s_{district_pk}")


def draft_keep(request: HttpRequest, district_pk: int, *, note: str, interrupted: bool = False) -> None:
    drafts = dict(request.session.get(DRAFTS, {}))
    # The form's own limit, so a session never holds more than a note.
    drafts[str(district_pk)] = {"note": note[:NOTE_MAX_LENGTH], "interrupted": interrupted}
    request.session[DRAFTS] = drafts


def draft_interrupted(request: HttpRequest, district_pk: int) -> bool:
    """Whether the last post for this district came after the session had ended (and was not uploaded)."""
    return bool(request.session.get(DRAFTS, {}).get(str(district_pk), {}).get("interrupted"))


def draft_clear(request: HttpRequest, district_pk: int) -> None:
    drafts = dict(request.session.get(DRAFTS, {}))
    if drafts.pop(str(district_pk), None) is not None:
        request.session[DRAFTS] = drafts


def refusal_keep(request: HttpRequest, district_pk: int, errors: dict[str, list[str]], filename: str) -> None:
    request.session[REFUSAL] = {"district": district_pk, "errors": errors, "filename": filename}


def refusal_pop(request: HttpRequest, district_pk: int) -> dict[str, Any] | None:
    """The refused upload's errors by field, once, if the refusal was for this district."""
    refusal = request.session.pop(REFUSAL, None)
    return refusal if refusal and refusal.get("district") == district_pk else None
