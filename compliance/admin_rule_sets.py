"""Rule sets in the admin: a labelled field per parameter, a confirm step showing the diff, frozen sets copied.

Every step is a plain form post: the edit form posts to itself with ``step=review`` and gets the
confirm page (the changes against the version as saved, and against the previous version);
``step=confirm`` saves through ``services.rule_set_edit`` and redirects (post/redirect/get);
``step=edit`` goes back to the form with what was typed.
"""
from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from districts.models import User

from .forms_rule_sets import RuleSetParamsForm, change_rows, value_text
from .models import RuleSet
from .rules import registry, ruleset
from .services.audit import value_changes
from .services.rule_sets import (
    params_digest,
    previous_version,
    rule_set_create,
    rule_set_edit,
    rule_set_new_version,
)

TEMPLATES = "admin/compliance/ruleset/"


class AdminPageMixin:
    """Renders a custom page inside the admin's frame (header, breadcrumbs, messages)."""

    admin_site: admin.AdminSite
    model: Any

    def render_page(self, request: HttpRequest, template: str, title: str, **context: Any) -> TemplateResponse:
        base = {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title}
        return TemplateResponse(request, template, {**base, **context})


def acting(request: HttpRequest) -> User:
    return cast(User, request.user)  # the admin's pages are for signed-in staff only


def parameter_rows(params: dict[str, Any]) -> list[dict[str, Any]]:
    """A rule set read-only: per section, its standard and each value in the form's units."""
    rows = []
    for code in ruleset.PARAM_SPECS:
        section = ruleset.section(params, code)
        values = [("Rule turned on", value_text(None, section.get("enabled")))]
        if registry.has_severity(code):
            values.append(("Severity", str(section.get("severity"))))
        values += [(p.label, value_text(p, section.get(p.key))) for p in registry.parameters(code)]
        rows.append({"code": code, "name": registry.section_name(code),
                     "standard": registry.threshold_text(code, params), "values": values})
    return rows


@admin.register(RuleSet)
class RuleSetAdmin(AdminPageMixin, admin.ModelAdmin):
    list_display = ("name", "version", "frozen", "created_at", "created_by")
    list_filter = ("frozen",)
    list_select_related = ("created_by",)
    actions = ["save_as_new_version"]

    def get_urls(self):
        copy = self.admin_site.admin_view(self.copy_view)
        return [path("<path:object_id>/copy/", copy, name="compliance_ruleset_copy"), *super().get_urls()]

    # --- Pages ---

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        defaults = ruleset.default_params()
        form = RuleSetParamsForm(request.POST or None, params=defaults, with_name=True)
        if request.method == "POST" and form.is_valid():
            if RuleSet.objects.filter(name=form.cleaned_data["name"]).exists():
                form.add_error("name", "A rule set of that name exists: copy its newest version to change it.")
            elif request.POST.get("step") == "confirm":
                new = rule_set_create(name=form.cleaned_data["name"], params=form.params(), user=acting(request),
                                      notes=form.cleaned_data["notes"], reason=form.cleaned_data["reason"])
                messages.success(request, f"Saved {new.label}. Point a reporting cycle at it to use it.")
                return HttpResponseRedirect(reverse("admin:compliance_ruleset_change", args=[new.pk]))
            elif request.POST.get("step") != "edit":
                changes = value_changes(defaults, form.params())
                return self._confirm(request, form, "New rule set", [("Against the built-in defaults", changes)],
                                     creating=True)
        return self._form(request, form, "New rule set", defaults, comparison=None)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        rule_set = self.get_object(request, unquote(object_id))
        if rule_set is None:
            raise Http404("No such rule set.")
        if not self.has_view_or_change_permission(request, rule_set):
            raise PermissionDenied
        previous = previous_version(rule_set)
        if rule_set.frozen or not self.has_change_permission(request, rule_set):
            return self.render_page(
                request, TEMPLATES + "frozen.html", rule_set.label, rule_set=rule_set,
                sections=parameter_rows(rule_set.params), comparison=self._comparison(previous, rule_set.params),
                can_copy=self.has_add_permission(request))
        return self._edit(request, rule_set, previous)

    def _edit(self, request: HttpRequest, rule_set: RuleSet, previous: RuleSet | None) -> HttpResponse:
        form = RuleSetParamsForm(request.POST or None, params=rule_set.params, initial={"notes": rule_set.notes})
        title = f"Edit {rule_set.label}"
        if request.method == "POST" and form.is_valid():
            step = request.POST.get("step")
            if step == "confirm":
                return self._save(request, form, rule_set, previous)
            if step != "edit":
                return self._review(request, form, rule_set, previous)
        return self._form(request, form, title, rule_set.params, comparison=self._comparison(previous, rule_set.params),
                          rule_set=rule_set)

    def _save(self, request, form, rule_set: RuleSet, previous: RuleSet | None) -> HttpResponse:
        try:
            changes = rule_set_edit(rule_set=rule_set, params=form.params(), user=acting(request),
                                    notes=form.cleaned_data["notes"], reason=form.cleaned_data["reason"],
                                    expected_digest=request.POST.get("base", ""))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            rule_set.refresh_from_db()
            if rule_set.frozen:
                return HttpResponseRedirect(reverse("admin:compliance_ruleset_change", args=[rule_set.pk]))
            return self._review(request, form, rule_set, previous)
        if changes:
            messages.success(request, f"Saved {len(changes)} change(s) to {rule_set.label}.")
        else:
            messages.info(request, f"Nothing changed: {rule_set.label} is as it was.")
        return HttpResponseRedirect(reverse("admin:compliance_ruleset_change", args=[rule_set.pk]))

    def copy_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if not self.has_add_permission(request):
            raise PermissionDenied
        rule_set = self.get_object(request, unquote(object_id))
        if rule_set is None:
            raise Http404("No such rule set.")
        new = rule_set_new_version(rule_set=rule_set, user=acting(request), notes=f"Copied from {rule_set.label}.")
        messages.success(request, f"Created {new.label}, a copy of {rule_set.label}: edit it, then point a cycle "
                                  "at it.")
        return HttpResponseRedirect(reverse("admin:compliance_ruleset_change", args=[new.pk]))

    @admin.action(description="Copy as a new editable version")
    def save_as_new_version(self, request, queryset):
        for rule_set in queryset:
            new = rule_set_new_version(rule_set=rule_set, user=acting(request), notes=f"Copied from {rule_set.label}.")
            self.message_user(request, f"Created {new.label}; edit it, then point a cycle at it.")

    # --- Parts ---

    def _form(self, request, form: RuleSetParamsForm, title: str, params: dict[str, Any], *,
              comparison: dict[str, Any] | None, rule_set: RuleSet | None = None) -> TemplateResponse:
        return self.render_page(request, TEMPLATES + "edit.html", title, form=form, rule_set=rule_set,
                                sections=form.sections(params), comparison=comparison,
                                standalone=[form[n] for n in ("name", "notes", "reason") if n in form.fields])

    def _confirm(self, request, form: RuleSetParamsForm, title: str, diffs: list[tuple[str, list[dict]]],
                 **context: Any) -> TemplateResponse:
        tables = [{"id": f"diff-{i}", "heading": heading, "rows": change_rows(changes)}
                  for i, (heading, changes) in enumerate(diffs, 1)]
        nothing = not diffs[0][1] and not context.get("creating")
        return self.render_page(request, TEMPLATES + "confirm.html", title, form=form, tables=tables,
                                nothing=nothing, **context)

    def _review(self, request, form: RuleSetParamsForm, rule_set: RuleSet, previous: RuleSet | None) -> HttpResponse:
        """The confirm page, against what is saved now (with ``base``, its fingerprint, for the save)."""
        return self._confirm(request, form, f"Edit {rule_set.label}",
                             self._diffs(rule_set, previous, form.params(), form.cleaned_data["notes"]),
                             base=params_digest(rule_set.params), rule_set=rule_set)

    @staticmethod
    def _diffs(rule_set: RuleSet, previous: RuleSet | None, params: dict[str, Any],
               notes: str) -> list[tuple[str, list[dict]]]:
        """Your changes against the version as saved; and, when that is no longer the previous version's
        copy, how the result will differ from the previous version."""
        mine = value_changes(rule_set.params, params)
        if notes != rule_set.notes:
            mine.append({"field": "notes", "before": rule_set.notes, "after": notes})
        diffs = [(f"Changes to {rule_set.label} as saved", mine)]
        if previous is not None:
            against = (f"{rule_set.label} after saving, against {previous.label} (the previous version)",
                       value_changes(previous.params, params))
            if previous.params == rule_set.params:
                diffs = [(f"Changes against {previous.label} (the previous version)", mine)]
            else:
                diffs.append(against)
        return diffs

    @staticmethod
    def _comparison(previous: RuleSet | None, params: dict[str, Any]) -> dict[str, Any] | None:
        if previous is None:
            return None
        return {"label": previous.label, "rows": change_rows(value_changes(previous.params, params))}

