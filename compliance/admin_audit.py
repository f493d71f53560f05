"""The audit trail in the admin: a search by actor, action, district, submission, dates and text.

The list replaces the stock change list (which would read each row's submission, district and
cycle one query at a time); a page of results costs the same few queries for 10 events or a
million. An event's page shows the before/after of what it changed. Nothing here writes an
event except the record of an extract downloaded.
"""
from __future__ import annotations

import csv
import io
from typing import Any, cast
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django.utils import timezone

from districts.models import District, User

from .admin_rule_sets import AdminPageMixin
from .forms_rule_sets import change_rows
from .models import DOWNLOADED, AuditEvent
from .presenters import status_label
from .reports.spreadsheet_safety import safe_cell
from .selectors_audit import AuditQuery, audit_actions, audit_events_search
from .services.downloads import download_record

PER_PAGE = 50
# The most rows one extract holds: a search that matches more says so and asks for a narrower one.
EXTRACT_LIMIT = 100_000

# Words for the actions this module's own services write; others read as their name does.
ACTION_LABELS = {
    DOWNLOADED: "Downloaded a file",
    "rule_set_created": "Created a rule set", "rule_set_edited": "Edited a rule set",
    "rule_set_copied": "Copied a rule set as a new version",
    "recommendation_created": "Created a recommendation", "recommendation_edited": "Edited a recommendation",
    "directory_imported": "Imported the directory",
}


def action_label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action.startswith("status:"):
        return f"Status set to {status_label(action.removeprefix('status:'))}"
    return action.replace("_", " ").capitalize()


class AuditSearchForm(forms.Form):
    """The search's plain GET form."""

    actor = forms.CharField(label="Who (name or username)", required=False, max_length=150)
    action = forms.ChoiceField(label="Action", required=False)
    district = forms.ModelChoiceField(label="District", required=False, empty_label="Any district",
                                      queryset=District.objects.only("pk", "name", "state_id"))
    submission = forms.IntegerField(label="Submission number", required=False, min_value=1, max_value=2**31 - 1)
    start = forms.DateField(label="From (date)", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="To (date, inclusive)", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    text = forms.CharField(label="Text in what was acted on or the note", required=False, max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        action = cast(forms.ChoiceField, self.fields["action"])
        action.choices = [("", "Any action"), *((a, action_label(a)) for a in audit_actions())]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end and start > end:
            self.add_error("end", "The end date is before the start date.")
        return data

    def query(self) -> AuditQuery:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return AuditQuery(actor=data.get("actor") or "", action=data.get("action") or "",
                          district=data.get("district"), submission_id=data.get("submission"),
                          start=data.get("start"), end=data.get("end"), text=data.get("text") or "")


def submission_text(event: AuditEvent) -> str:
    s = event.submission
    return "" if s is None else f"{s.district.name} {s.cycle.school_year} v{s.version} (#{s.pk})"


def what_text(event: AuditEvent) -> str:
    """What the event did, in a line: the status move, the file, the edited object."""
    if event.from_status != event.to_status:
        before = status_label(event.from_status) if event.from_status else "new"
        moved = f"{before} \u2192 {status_label(event.to_status)}"
        return f"{moved}; {event.subject}" if event.subject else moved
    return event.subject


def event_change_rows(event: AuditEvent) -> list[dict[str, str]]:
    changes = event.changes if isinstance(event.changes, list) else []
    return change_rows(changes)


@admin.register(AuditEvent)
class AuditEventAdmin(AdminPageMixin, admin.ModelAdmin):
    """Read-only: no add, change or delete; the list is the search page."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail is append-only

    def get_urls(self):
        extract = self.admin_site.admin_view(self.extract_view)
        return [path("extract.csv", extract, name="compliance_auditevent_extract"), *super().get_urls()]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = AuditSearchForm(request.GET or None)
        events = audit_events_search(form.query())
        page = Paginator(events, PER_PAGE).get_page(request.GET.get("page"))
        params = {k: v for k, v in request.GET.items() if k != "page" and v}
        rows = [{"event": e, "action": action_label(e.action), "submission": submission_text(e),
                 "what": what_text(e), "changes": len(e.changes) if isinstance(e.changes, list) else 0}
                for e in page.object_list]
        return self.render_page(
            request, "admin/compliance/auditevent/search.html", "Audit trail", form=form, page=page, rows=rows,
            query=urlencode(params), searched=bool(params), extract_limit=EXTRACT_LIMIT)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        found = self.get_object(request, unquote(object_id))  # None for an id that is no number, too
        event = found and (AuditEvent.objects.select_related("submission__district", "submission__cycle", "district")
                           .get(pk=found.pk))
        if not event:
            raise Http404("No such audit event.")
        return self.render_page(request, "admin/compliance/auditevent/detail.html", f"Audit event #{event.pk}",
                                event=event, action=action_label(event.action), submission=submission_text(event),
                                what=what_text(event), rows=event_change_rows(event))

    def extract_view(self, request: HttpRequest) -> HttpResponse:
        """The search's events as CSV (text cells safe against formulas); the extract is itself recorded."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = AuditSearchForm(request.GET or None)
        events = list(audit_events_search(form.query())[:EXTRACT_LIMIT])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["time", "actor", "action", "submission", "district", "from_status", "to_status", "what",
                         "changes", "note"])
        for e in events:
            writer.writerow([safe_cell(v) for v in (
                timezone.localtime(e.created_at).isoformat(), e.actor_name or "System", e.action, submission_text(e),
                e.district.name if e.district else "", e.from_status, e.to_status, e.subject,
                "; ".join(f"{r['parameter']}: {r['before']} -> {r['after']}" for r in event_change_rows(e)), e.note)])
        name = f"audit-trail-{timezone.localdate():%Y-%m-%d}.csv"
        searched = urlencode({k: v for k, v in request.GET.items() if v})
        what = f"Audit trail extract of {len(events)} events (CSV)" + (f", search {searched}" if searched else "")
        download_record(user=cast(User, request.user), what=what, filename=name, via="admin")
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        return response
