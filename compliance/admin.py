"""Admin for state administrators. Status changes still go through the services."""
from __future__ import annotations

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Q

# These register AuditEvent, RecommendationEntry and RuleSet with pages of their own.
from . import admin_audit, admin_recommendations, admin_rule_sets, services  # noqa: F401
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
    Report,
    ReportingCycle,
    Submission,
)
from .models_review import RequiredAction, SavedQueueView

# What a list row's submission (or evaluation) prints reads: joined in, not one query per row.
SUBMISSION_ROW = ("submission__district", "submission__cycle")
EVALUATION_ROW = ("evaluation__submission__district", "evaluation__submission__cycle")


@admin.register(ReportingCycle)
class ReportingCycleAdmin(admin.ModelAdmin):
    list_display = ("school_year", "opens_on", "due_on", "closes_on", "rule_set")
    list_select_related = ("rule_set",)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class AuditInline(ReadOnlyInline):
    model = AuditEvent
    # actor_name, not actor: the name as it was, and no query per row.
    fields = ("created_at", "actor_name", "action", "from_status", "to_status", "subject", "note")


class ReportFailedFilter(admin.SimpleListFilter):
    """Submissions whose report failed REPORT_MAX_ATTEMPTS times: the sweep stopped, an administrator acts."""

    title = "report"
    parameter_name = "report"

    def lookups(self, request, model_admin):
        return [("failed", "Could not be made")]

    def queryset(self, request, queryset):
        if self.value() == "failed":
            return queryset.filter(evaluations__report_attempts__gte=settings.REPORT_MAX_ATTEMPTS).distinct()
        return queryset


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("district", "cycle", "version", "status", "uploaded_by", "uploaded_at", "reviewer")
    list_filter = ("status", ReportFailedFilter, "cycle", "district__state")
    search_fields = ("district__name", "district__state_id", "sha256")
    list_select_related = ("district", "cycle", "uploaded_by", "reviewer")
    readonly_fields = [f.name for f in Submission._meta.fields]
    inlines = [AuditInline]
    actions = ["requeue_failed", "reports_again"]

    def has_add_permission(self, request):
        return False  # uploads go through the district's page, which checks and queues them

    @admin.action(description="Queue failed submissions again")
    def requeue_failed(self, request, queryset):
        for submission in queryset:
            try:
                services.submission_queue(submission=submission, actor=request.user)
            except services.IllegalTransition as exc:
                self.message_user(request, str(exc), messages.WARNING)

    @admin.action(description="Make the missing reports again")
    def reports_again(self, request, queryset):
        for submission in queryset:
            try:
                kinds = services.reports_retry(submission=submission, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.WARNING)
            else:
                self.message_user(request, f"{submission}: the {' and '.join(kinds)} report is being made again.")


class ProblemInline(ReadOnlyInline):
    model = Problem
    fields = ("code", "severity", "sheet", "row", "column", "value", "message")


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("submission", "rule_set_label", "outcome", "started_at", "finished_at", "report_attempts")
    list_select_related = SUBMISSION_ROW
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
    list_select_related = EVALUATION_ROW
    list_filter = ("severity", "code")


@admin.register(Finding)
class FindingAdmin(RecordAdmin):
    list_display = ("evaluation", "rule", "severity", "scope", "school_id", "band", "review_status")
    list_select_related = EVALUATION_ROW
    list_filter = ("rule", "severity", "review_status")
    search_fields = ("school_id", "message")


@admin.register(Comment)
class CommentAdmin(RecordAdmin):
    list_display = ("submission", "author", "visibility", "created_at")
    list_select_related = (*SUBMISSION_ROW, "author")


@admin.register(Decision)
class DecisionAdmin(RecordAdmin):
    list_display = ("submission", "outcome", "decided_by", "decided_at")
    list_select_related = (*SUBMISSION_ROW, "decided_by")


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
    list_display = ("submission", "full_name", "title", "certified_at", "via", "signed")
    list_select_related = ("submission__district", "submission__cycle")


class DeliveryFilter(admin.SimpleListFilter):
    """Sent, still being tried, or given up after NOTIFICATION_MAX_ATTEMPTS (an administrator acts)."""

    title = "delivery"
    parameter_name = "delivery"
    STATES = {"sent": Q(sent_at__isnull=False), "waiting": Q(sent_at__isnull=True, failed_at__isnull=True),
              "failed": Q(sent_at__isnull=True, failed_at__isnull=False)}

    def lookups(self, request, model_admin):
        return [("failed", "Failed"), ("waiting", "Not sent yet"), ("sent", "Sent")]

    def queryset(self, request, queryset):
        state = self.STATES.get(self.value() or "")
        return queryset.filter(state) if state is not None else queryset


@admin.register(NotificationLog)
class NotificationLogAdmin(RecordAdmin):
    list_display = ("created_at", "district", "kind", "delivery", "attempts", "sent_at", "recipients")
    list_filter = (DeliveryFilter, "kind")
    list_select_related = ("district",)
    search_fields = ("district__name", "recipients", "subject")
    actions = ["send_again"]

    @admin.display(description="delivery")
    def delivery(self, obj: NotificationLog) -> str:
        if obj.sent_at:
            return "Sent"
        return f"Failed: {obj.last_error}" if obj.failed_at else f"Not sent yet ({obj.attempts} attempts)"

    @admin.action(description="Send the failed e-mails again")
    def send_again(self, request, queryset):
        for notification in queryset.select_related("district", "submission"):
            try:
                services.notification_retry(notification=notification, actor=request.user)
            except ValidationError as exc:
                self.message_user(request, " ".join(exc.messages), messages.WARNING)
            else:
                self.message_user(request, f"{notification.kind} e-mail to {notification.recipients}: "
                                           "queued again, with a fresh set of attempts.")


@admin.register(DeadlineReminder)
class DeadlineReminderAdmin(RecordAdmin):
    list_display = ("sent_at", "district", "cycle", "days_before")
    list_select_related = ("district", "cycle")


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = ("submission", "kind", "sha256", "size", "created_at")
    list_select_related = SUBMISSION_ROW
    readonly_fields = [f.name for f in Report._meta.fields]


@admin.register(EquityAssistanceRegion)
class EquityAssistanceRegionAdmin(admin.ModelAdmin):
    list_display = ("state", "region", "center", "operator")
    search_fields = ("state", "center")
