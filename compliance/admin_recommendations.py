"""Recommendation entries in the admin: edited in plain fields, previewed as districts will read them, then saved.

The preview fills the placeholders with sample values (a school finding in a district of the
installation's state, with its Equity Assistance Center) and lists what changes against the
newest version. ``step`` works as on the rule-set pages: review, edit (back), confirm.
"""
from __future__ import annotations

from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from districts.models import District, User

from .admin_rule_sets import AdminPageMixin
from .models import EquityAssistanceRegion, RecommendationEntry
from .rules.recommendation_library import PLACEHOLDERS, fill_placeholders, sample_values
from .rules.recommendations import CONDITION_KEYS, DEFAULT_EAC_REGIONS, validate_entry_dict
from .rules.registry import RULES
from .services.audit import value_changes
from .services.recommendations import recommendation_content, recommendation_latest, recommendation_save

TEMPLATES = "admin/compliance/recommendationentry/"
EVERY_RULE = "*"


class RecommendationForm(forms.Form):
    """An entry in plain fields: rules as boxes, sources one per line; only the conditions stay JSON."""

    key = forms.SlugField(label="Key", max_length=60, help_text="Lower-case letters, digits and hyphens; fixed once "
                          "saved (each edit is a new version of the same key).")
    title = forms.CharField(label="Title", max_length=200, widget=forms.TextInput(attrs={"class": "vTextField"}))
    body = forms.CharField(
        label="Text", widget=forms.Textarea(attrs={"rows": 10, "class": "vLargeTextField"}),
        help_text="Separate paragraphs with a blank line. Placeholders, filled in for each district: "
                  + ", ".join("{" + p + "}" for p in PLACEHOLDERS) + ".")
    rule_codes = forms.MultipleChoiceField(
        label="Rules it answers", widget=forms.CheckboxSelectMultiple,
        choices=[(EVERY_RULE, "Every rule, commendations too (*)"),
                 *((code, f"{code} {spec.name}") for code, spec in RULES.items())])
    conditions = forms.JSONField(
        label="When it applies (JSON)", required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
        help_text="An object of conditions, all of which must hold; {} for always. Keys: "
                  + ", ".join(CONDITION_KEYS) + ".")
    sources = forms.CharField(label="Sources", required=False,
                              widget=forms.Textarea(attrs={"rows": 3, "class": "vLargeTextField"}),
                              help_text="One per line: a web address or a citation.")
    active = forms.BooleanField(label="In use (offered in reports)", required=False)
    reason = forms.CharField(label="Why this change (kept in the audit trail)", max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, fixed_key: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if fixed_key is not None:
            self.fields["key"].disabled = True
            self.fields["key"].initial = fixed_key

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        checked = {k: v for k, v in self.content().items() if k != "active"}  # not part of the library's entry
        for problem in validate_entry_dict({"key": data["key"], **checked}):
            name = problem.split(":", 1)[0].split(".", 1)[0]
            self.add_error(name if name in self.fields else None, problem)
        return data

    def content(self) -> dict[str, Any]:
        """The cleaned fields as the model stores them (without the key)."""
        data = self.cleaned_data
        sources = [line.strip() for line in (data.get("sources") or "").splitlines() if line.strip()]
        conditions = data.get("conditions")
        return {"title": data["title"], "body": data["body"].replace("\r\n", "\n"),
                "rule_codes": list(data["rule_codes"]), "conditions": {} if conditions is None else conditions,
                "sources": sources, "active": bool(data.get("active"))}


def initial_of(entry: RecommendationEntry) -> dict[str, Any]:
    return {"key": entry.key, "title": entry.title, "body": entry.body, "rule_codes": list(entry.rule_codes),
            "conditions": entry.conditions, "sources": "\n".join(entry.sources), "active": entry.active}


def sample_state() -> tuple[str | None, dict[str, str] | None]:
    """The state most districts of the directory are in, and its Equity Assistance Center (2 queries)."""
    top = District.objects.values("state").annotate(n=Count("pk")).order_by("-n", "state").first()
    state = top["state"] if top else None
    row = EquityAssistanceRegion.objects.filter(state=state).first() if state else None
    if row is not None:
        return state, {"region": row.region, "center": row.center, "operator": row.operator}
    return state, DEFAULT_EAC_REGIONS.get(state or "")


def preview_of(content: dict[str, Any]) -> dict[str, Any]:
    """The entry as a district reads it, with sample values, and the values used."""
    values = sample_values(*sample_state())
    body = fill_placeholders(content["body"], values)
    return {"title": fill_placeholders(content["title"], values),
            "paragraphs": [p.strip() for p in body.split("\n\n") if p.strip()],
            "sources": [{"text": s, "url": s.startswith(("https://", "http://"))} for s in content["sources"]],
            "rules": [f"{c} {RULES[c].name}" if c in RULES else "every rule" for c in content["rule_codes"]],
            "estimated": EVERY_RULE not in content["rule_codes"], "values": sorted(values.items())}


def _text(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(map(str, value)) or "(none)"
    return str(value)


def change_rows(changes: list[dict[str, Any]]) -> list[dict[str, str]]:
    names = {"body": "Text", "rule_codes": "Rules", "active": "In use"}
    return [{"rule": "", "parameter": names.get(c["field"], c["field"].replace("_", " ").capitalize()),
             "before": _text(c["before"]), "after": _text(c["after"])} for c in changes]


@admin.register(RecommendationEntry)
class RecommendationEntryAdmin(AdminPageMixin, admin.ModelAdmin):
    list_display = ("key", "version", "title", "active", "created_at")
    list_filter = ("active",)
    search_fields = ("key", "title", "body")

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        return self._edit(request, None, RecommendationForm(request.POST or None, initial={"active": True}))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        entry = self.get_object(request, unquote(object_id))  # None for an id that is no number, too
        if entry is None:
            raise Http404("No such recommendation.")
        if not self.has_change_permission(request, entry):
            raise PermissionDenied
        form = RecommendationForm(request.POST or None, initial=initial_of(entry), fixed_key=entry.key)
        return self._edit(request, entry, form)

    def _edit(self, request: HttpRequest, entry: RecommendationEntry | None, form: RecommendationForm) -> HttpResponse:
        latest = recommendation_latest(entry.key) if entry else None
        title = f"Edit {entry.key} (v{entry.version})" if entry else "New recommendation"
        step = request.POST.get("step")
        if request.method == "POST" and form.is_valid() and step != "edit":
            if entry is None and recommendation_latest(form.cleaned_data["key"]) is not None:
                form.add_error("key", "A recommendation with this key exists: edit its newest version.")
            elif step == "confirm":
                return self._save(request, form, entry, latest)
            else:
                return self._preview(request, form, title, entry, latest)
        return self.render_page(request, TEMPLATES + "edit.html", title, form=form, entry=entry, latest=latest)

    def _preview(self, request, form: RecommendationForm, title: str, entry: RecommendationEntry | None,
                 latest: RecommendationEntry | None) -> HttpResponse:
        content = form.content()
        changes = value_changes(recommendation_content(latest), content) if latest else []
        return self.render_page(request, TEMPLATES + "preview.html", title, form=form, entry=entry, latest=latest,
                                preview=preview_of(content), rows=change_rows(changes),
                                nothing=latest is not None and not changes,
                                expected=latest.version if latest else "")

    def _save(self, request, form: RecommendationForm, entry: RecommendationEntry | None,
              latest: RecommendationEntry | None) -> HttpResponse:
        posted = request.POST.get("expected", "")
        try:
            saved = recommendation_save(key=form.cleaned_data["key"], content=form.content(),
                                        user=cast(User, request.user), reason=form.cleaned_data["reason"],
                                        expected_version=int(posted) if posted.isdigit() else None)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return self._preview(request, form, f"Edit {form.cleaned_data['key']}", entry, latest)
        if saved is None:
            messages.info(request, "Nothing changed: the newest version already says this.")
        else:
            messages.success(request, f"Saved {saved.key} as version {saved.version}; reports use it from now on.")
        shown = saved or latest or entry
        return HttpResponseRedirect(reverse("admin:compliance_recommendationentry_change",
                                            args=[shown.pk if shown else ""]))
