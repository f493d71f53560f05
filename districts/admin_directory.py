"""The directory imported from CSV in the admin: upload, see what would change, then apply.

The columns and the comparison are ``manage.py load_directory``'s (``districts.services``). The
preview carries the file's text to the confirm step in a hidden field, with the plan's
fingerprint: if the directory changed in between, the preview is shown again instead of applying.
"""
from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .models import User
from .services import DIRECTORY_COLUMNS, DirectoryPlan, directory_apply, directory_plan, directory_read_csv

# The text travels back in a form field, which Django caps (DATA_UPLOAD_MAX_MEMORY_SIZE, 2 MB).
MAX_BYTES = 1_500_000
SHOWN = 200  # rows per table of the preview; the rest are counted


class DirectoryUploadForm(forms.Form):
    file = forms.FileField(
        label="Directory file (CSV)",
        help_text=f"UTF-8 CSV with the columns {', '.join(DIRECTORY_COLUMNS)}; at most 1.5 MB (about 12,000 schools).",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        body = upload.read(MAX_BYTES + 1)
        if len(body) > MAX_BYTES:
            raise ValidationError("The file is larger than 1.5 MB: split it by district and import each part.")
        try:
            return body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ValidationError("The file is not UTF-8 text: save it as \u201cCSV UTF-8\u201d and try "
                                  "again.") from exc


def plan_of(text: str) -> DirectoryPlan:
    """The plan of a file's text; a missing column is the plan's one error."""
    try:
        rows = directory_read_csv(fileobj=io.StringIO(text, newline=""))
    except ValidationError as exc:
        return DirectoryPlan(errors=exc.messages)
    return directory_plan(rows=rows)


def _table(changes: list, changed: bool) -> dict[str, Any]:
    rows = [{"key": c.key, "name": c.name, "values": c.values, "fields": c.fields} for c in changes[:SHOWN]]
    return {"rows": rows, "more": max(0, len(changes) - SHOWN), "changed": changed}


# The type checker sees the ModelAdmin this mixin is used with; at run time it is a plain mixin.
_Base = admin.ModelAdmin if TYPE_CHECKING else object


class DirectoryImportMixin(_Base):  # type: ignore[misc,valid-type]
    """Adds /admin/districts/district/import/ to the districts' admin."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="districts_district_import"), *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("step") == "apply":
            return self._apply(request)
        form = DirectoryUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            return self._preview(request, form.cleaned_data["file"])
        return self._render(request, "admin/districts/district/import.html", form=form)

    def _preview(self, request: HttpRequest, text: str, stale: bool = False) -> TemplateResponse:
        plan = plan_of(text)
        return self._render(
            request, "admin/districts/district/import_preview.html", plan=plan, text=text, stale=stale,
            tables=[("Districts added", _table(plan.districts_added, False)),
                    ("Districts changed", _table(plan.districts_changed, True)),
                    ("Schools added", _table(plan.schools_added, False)),
                    ("Schools changed", _table(plan.schools_changed, True))])

    def _apply(self, request: HttpRequest) -> HttpResponse:
        text = request.POST.get("text", "")
        plan = plan_of(text)
        if plan.errors or plan.digest != request.POST.get("digest"):
            messages.warning(request, "The directory changed since the preview: check the changes again.")
            return self._preview(request, text, stale=True)
        result = directory_apply(plan=plan, user=cast(User, request.user), note="Imported in the admin.")
        messages.success(request, f"Directory imported: {result.districts_created} districts added, "
                                  f"{result.districts_updated} changed; {result.schools_created} schools added, "
                                  f"{result.schools_updated} changed.")
        return HttpResponseRedirect(reverse("admin:districts_district_changelist"))

    def _render(self, request: HttpRequest, template: str, **context: Any) -> TemplateResponse:
        base = {**self.admin_site.each_context(request), "opts": self.model._meta,
                "title": "Import the directory from CSV", "columns": DIRECTORY_COLUMNS}
        return TemplateResponse(request, template, {**base, **context})
