"""Admin for state administrators. Status changes still go through the services."""
from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from compliance.rules.recommendations import validate_entry_dict

from . import services
from .models import (
    AuditEvent,
    Certification,
    Comment,
    CorrectiveAction,
    DeadlineReminder,
    Decision,
    DecisionProposal,
    EquityAssistanceRegion,
    Evaluation,
    Finding,
    NotificationLog,
    Problem,
    RecommendationEntry,
    Report,
    ReportingCycle,
    RuleSet,
    Submission,
)
from .models_review import RequiredAction, SavedQueueView


@admin.register(RuleSet)
class RuleSetAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "frozen", "created_at")
    list_filter = ("frozen",)
    readonly_fields = ("frozen", "created_at", "created_by")
    actions = ["save_as_new_version"]

    def get_readonly_fields(self, request, obj=None):
        # A frozen version cannot be edited in place: use the action to make the next version.
        if obj is not None and obj.frozen:
            return (*self.readonly_fields, "name", "version", "params")
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Copy as a new editable version")
    def save_as_new_version(self, request, queryset):
        for rule_set in queryset:
            new = services.rule_set_new_version(rule_set=rule_set, user=request.user,
                                                notes=f"Copied from {rule_set.label}.")
            self.message_user(request, f"Created {new.label}; edit it, then point a cycle at it.")


@admin.register(ReportingCycle)
class ReportingCycleAdmin(admin.ModelAdmin):
    list_display = ("school_year", "opens_on", "due_on", "closes_on", "rule_set")


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuditInline(ReadOnlyInline):
    model = AuditEvent
    fields = ("created_at", "actor", "action", "from_status", "to_status", "note")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("district", "cycle", "version", "status", "uploaded_by", "uploaded_at", "reviewer")
    list_filter = ("status", "cycle", "district__state")
    search_fields = ("district__name", "district__state_id", "sha256")
    list_select_related = ("district", "cycle", "uploaded_by", "reviewer")
    readonly_fields = [f.name for f in Submission._meta.fields]
    inlines = [AuditInline]
    actions = ["requeue_failed"]

    def has_add_permission(self, request):
        return False  # uploads go through the district's page, which checks and queues them

    @admin.action(description="Queue failed submissions again")
    def requeue_failed(self, request, queryset):
        for submission in queryset:
            try:
                services.submission_queue(submission=submission, actor=request.user)
            except services.IllegalTransition as exc:
                self.message_user(request, str(exc), messages.WARNING)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("created_at", "submission", "actor", "action", "from_status", "to_status")
    list_filter = ("action", "to_status")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the audit trail is append-only


class ProblemInline(ReadOnlyInline):
    model = Problem
    fields = ("code", "severity", "sheet", "row", "column", "value", "message")


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("submission", "rule_set_label", "outcome", "started_at", "finished_at")
    list_filter = ("outcome",)
    readonly_fields = [f.name for f in Evaluation._meta.fields]
    inlines = [ProblemInline]


class RecordAdmin(admin.ModelAdmin):
    """What evaluation and review recorded: read-only here, so every change goes through a
    service that writes the audit trail."""

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Problem)
class ProblemAdmin(RecordAdmin):
    list_display = ("evaluation", "code", "severity", "sheet", "row", "column")
    list_filter = ("severity", "code")


@admin.register(Finding)
class FindingAdmin(RecordAdmin):
    list_display = ("evaluation", "rule", "severity", "scope", "school_id", "band", "review_status")
    list_filter = ("rule", "severity", "review_status")
    search_fields = ("school_id", "message")


@admin.register(Comment)
class CommentAdmin(RecordAdmin):
    list_display = ("submission", "author", "visibility", "created_at")


@admin.register(Decision)
class DecisionAdmin(RecordAdmin):
    list_display = ("submission", "outcome", "decided_by", "decided_at")


@admin.register(DecisionProposal)
class DecisionProposalAdmin(RecordAdmin):
    list_display = ("submission", "outcome", "proposed_by", "status", "answered_by")
    list_select_related = ("submission__district", "submission__cycle", "proposed_by", "answered_by")


@admin.register(CorrectiveAction)
class CorrectiveActionAdmin(RecordAdmin):
    list_display = ("submission", "description", "due_on", "status")
    list_select_related = ("submission__district", "submission__cycle")


@admin.register(RequiredAction)
class RequiredActionAdmin(RecordAdmin):
    list_display = ("submission", "position", "finding_label", "description", "created_by")
    list_select_related = ("submission__district", "submission__cycle", "created_by")


@admin.register(SavedQueueView)
class SavedQueueViewAdmin(RecordAdmin):
    list_display = ("user", "name", "query")
    list_select_related = ("user",)


@admin.register(Certification)
class CertificationAdmin(RecordAdmin):
    list_display = ("submission", "full_name", "title", "certified_at")
    list_select_related = ("submission__district", "submission__cycle")


@admin.register(NotificationLog)
class NotificationLogAdmin(RecordAdmin):
    list_display = ("sent_at", "district", "kind", "subject")
    list_filter = ("kind",)
    list_select_related = ("district",)


@admin.register(DeadlineReminder)
class DeadlineReminderAdmin(RecordAdmin):
    list_display = ("sent_at", "district", "cycle", "days_before")
    list_select_related = ("district", "cycle")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("submission", "kind", "sha256", "size", "created_at")
    readonly_fields = [f.name for f in Report._meta.fields]


class RecommendationEntryForm(forms.ModelForm):
    class Meta:
        model = RecommendationEntry
        fields = ("key", "title", "body", "rule_codes", "conditions", "sources", "active")

    def clean(self):
        super().clean()
        data = self.cleaned_data
        fields = ("key", "title", "body", "rule_codes", "conditions", "sources")
        errors = validate_entry_dict({k: data.get(k) for k in fields})
        if errors:
            raise ValidationError(errors)
        return data


@admin.register(RecommendationEntry)
class RecommendationEntryAdmin(admin.ModelAdmin):
    form = RecommendationEntryForm
    list_display = ("key", "version", "title", "active")
    list_filter = ("active",)
    search_fields = ("key", "title", "body")

    def save_model(self, request, obj, form, change):
        if change:
            # Content is versioned: an edit is saved as the next version and the old one kept,
            # so a report can always show the advice as it was given.
            latest = RecommendationEntry.objects.filter(key=obj.key).order_by("-version").first()
            obj.pk = None
            obj._state.adding = True
            obj.version = (latest.version if latest else 0) + 1
        super().save_model(request, obj, form, change)


@admin.register(EquityAssistanceRegion)
class EquityAssistanceRegionAdmin(admin.ModelAdmin):
    list_display = ("state", "region", "center", "operator")
    search_fields = ("state", "center")
