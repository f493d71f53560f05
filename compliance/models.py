"""Reporting cycles, rule sets, submissions and what evaluation and review record about them.

Submission status changes only through ``compliance.services.submission_transition``, which
refuses illegal moves and writes the ``AuditEvent``. The statuses and the moves between them are
declared in ``compliance.states``.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from compliance.rules.counts import SeverityCounts
from compliance.rules.ruleset import default_params, validate_params
from compliance.states import SubmissionStatus  # noqa: F401  (re-exported: callers name it from here)


class RuleSet(models.Model):
    """One version of a state rule set. Frozen once a cycle using it opens: edits make a new version."""

    name = models.CharField(max_length=100)
    version = models.PositiveIntegerField(default=1)
    params = models.JSONField(default=default_params)
    notes = models.TextField(blank=True)
    frozen = models.BooleanField(default=False, help_text="Set when a cycle using this version opens.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["name", "-version"]
        constraints = [models.UniqueConstraint(fields=["name", "version"], name="ruleset_name_version_unique")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.name} v{self.version}"

    def clean(self) -> None:
        errors = validate_params(self.params)
        if errors:
            raise ValidationError({"params": errors})
        if self.pk and self.frozen:
            stored = RuleSet.objects.filter(pk=self.pk).values_list("params", flat=True).first()
            if stored is not None and stored != self.params:
                raise ValidationError(
                    {"params": "This version is frozen because a reporting cycle uses it; save it as a new version."}
                )

    def save(self, *args, **kwargs) -> None:
        self.full_clean(exclude=["created_by"])
        super().save(*args, **kwargs)


class ReportingCycle(models.Model):
    school_year = models.CharField(max_length=7, unique=True, help_text="YYYY-YY, e.g. 2026-27")
    opens_on = models.DateField()
    due_on = models.DateField()
    closes_on = models.DateField()
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="cycles")
    # A review is due this many days after certification (the statewide page lists late ones).
    review_days = models.PositiveSmallIntegerField(
        default=30, help_text="Days after a district certifies by which the state's review is due."
    )
    # The state words the attestation per cycle; blank uses DEFAULT_ATTESTATION (issue 11).
    attestation = models.TextField(
        blank=True, help_text="What a district certifier attests to; blank: the standard attestation."
    )

    class Meta:
        ordering = ["-school_year"]

    def __str__(self) -> str:
        return self.school_year

    def clean(self) -> None:
        if not (self.opens_on <= self.due_on <= self.closes_on):
            raise ValidationError("Dates must run opens <= due <= closes.")

    @property
    def is_open(self) -> bool:
        today = timezone.localdate()
        return self.opens_on <= today <= self.closes_on

    def save(self, *args, **kwargs) -> None:
        self.full_clean()
        super().save(*args, **kwargs)
        if self.opens_on <= timezone.localdate():
            # A rule set in use by an open cycle may never change under the districts' feet.
            RuleSet.objects.filter(pk=self.rule_set_id, frozen=False).update(frozen=True)


def submission_upload_to(instance: Submission, filename: str) -> str:
    # The stored name never uses the uploader's file name: it is not trusted.
    where = f"submissions/{instance.district.state_id}/{instance.cycle.school_year}"
    return f"{where}/v{instance.version}-{instance.sha256[:16]}.xlsx"


class Submission(models.Model):
    district = models.ForeignKey("districts.District", on_delete=models.PROTECT, related_name="submissions")
    cycle = models.ForeignKey(ReportingCycle, on_delete=models.PROTECT, related_name="submissions")
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=submission_upload_to, max_length=300)
    original_filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="uploads")
    uploaded_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=20, choices=SubmissionStatus.choices, default=SubmissionStatus.RECEIVED)
    status_changed_at = models.DateTimeField(default=timezone.now)
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="claimed_submissions"
    )
    # The pipeline's bookkeeping (compliance.services.evaluation and .sweeper): the status says
    # what work is due; these say when its task was last sent and whether a live worker holds it.
    dispatched_at = models.DateTimeField(null=True, blank=True, help_text="When its evaluation task was last sent.")
    lease_expires_at = models.DateTimeField(
        null=True, blank=True, help_text="While checking: the worker renews this; past it, the worker is gone."
    )
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Evaluation attempts since it was queued.")
    # Not a column: set by compliance.services.portal.submission_counts (errors, warnings, findings, notes).
    counts: SeverityCounts | None

    class Meta:
        ordering = ["-uploaded_at"]
        constraints = [
            models.UniqueConstraint(fields=["district", "cycle", "version"], name="submission_version_unique")
        ]
        indexes = [models.Index(fields=["status", "status_changed_at"])]

    def __str__(self) -> str:
        return f"{self.district.name} {self.cycle.school_year} v{self.version}"

    @property
    def latest_evaluation(self) -> Evaluation | None:
        return self.evaluations.order_by("-started_at", "-pk").first()


# Actions of events that are not a submission's status change (those name their move, e.g. "certified").
DOWNLOADED = "downloaded"
RULE_SET_CREATED, RULE_SET_EDITED, RULE_SET_COPIED = "rule_set_created", "rule_set_edited", "rule_set_copied"
RECOMMENDATION_CREATED, RECOMMENDATION_EDITED = "recommendation_created", "recommendation_edited"
DIRECTORY_IMPORTED = "directory_imported"


class AuditTrailIsAppendOnly(ValueError):
    """An attempt to rewrite or remove an audit event."""


class AuditEventQuerySet(models.QuerySet):
    """Reads and appends only: a bulk UPDATE or DELETE of the trail is refused before it reaches the
    database (on PostgreSQL a trigger refuses it there too, migration 0012)."""

    def update(self, **kwargs):  # bulk_update() and update_or_create() come through here or save()
        raise AuditTrailIsAppendOnly("Audit events are append-only: they cannot be updated.")

    def delete(self):
        raise AuditTrailIsAppendOnly("Audit events are append-only: they cannot be deleted.")

    def _raw_delete(self, using):  # the deletion collector's fast path
        raise AuditTrailIsAppendOnly("Audit events are append-only: they cannot be deleted.")


class AuditEvent(models.Model):
    """One thing someone (or the system) did: appended once, never rewritten or deleted.

    A submission with events cannot be deleted, nor a user who acted (PROTECT): accounts are
    deactivated instead, and ``actor_name`` keeps the name as it was when they acted.
    """

    # Empty for what is about no one submission: a rule-set or recommendation edit, a statewide export.
    submission = models.ForeignKey(Submission, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="audit_events")
    # The submission's district (set on save), or the district a file was about: the audit search filters on it.
    district = models.ForeignKey("districts.District", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT)
    # The actor's name as it was when they acted: the trail still says who if the account is renamed.
    actor_name = models.CharField(max_length=300, blank=True)
    action = models.CharField(max_length=50)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    # What was acted on, in words, when it is not the submission's status: a file, a rule set, an entry.
    subject = models.CharField(max_length=300, blank=True)
    # Before and after of each edited value: [{"field": "INT-01.band", "before": 0.15, "after": 0.2}].
    changes = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "pk"]
        # The deletion collector and related managers use this one too, so they cannot go around it.
        base_manager_name = "objects"
        indexes = [models.Index(fields=["action", "created_at"], name="auditevent_action_time")]

    def save(self, *args, **kwargs):
        # Append-only: an event, once written, is never rewritten.
        if not self._state.adding:
            raise AuditTrailIsAppendOnly("Audit events are append-only.")
        if self.actor is not None and not self.actor_name:
            name = f"{self.actor.get_full_name() or self.actor.username} ({self.actor.username})"
            # A 301-character full name and a 150-character username exceed the column.
            self.actor_name = name[: AuditEvent._meta.get_field("actor_name").max_length]
        if self.submission is not None and self.district_id is None:
            self.district_id = self.submission.district_id
        self.subject = self.subject[: AuditEvent._meta.get_field("subject").max_length]
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditTrailIsAppendOnly("Audit events are append-only: they cannot be deleted.")

    def __str__(self) -> str:
        if self.from_status or self.to_status:
            return f"{self.action}: {self.from_status} -> {self.to_status}"
        return f"{self.action}: {self.subject}" if self.subject else self.action


class EvaluationOutcome(models.TextChoices):
    RUNNING = "running", "Running"
    ACCEPTED = "accepted", "Evaluated"
    REJECTED = "rejected", "Blocking data problems"
    ERROR = "error", "System error"


class Evaluation(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="evaluations")
    rule_set = models.ForeignKey(RuleSet, on_delete=models.PROTECT, related_name="evaluations")
    rule_set_label = models.CharField(max_length=120)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    timings = models.JSONField(default=dict, blank=True, help_text="Seconds per stage.")
    measures = models.JSONField(default=dict, blank=True)
    result = models.JSONField(default=dict, blank=True, help_text="The full evaluation JSON (evaluate-cli.md).")
    outcome = models.CharField(max_length=20, choices=EvaluationOutcome.choices, default=EvaluationOutcome.RUNNING)
    error = models.TextField(blank=True)
    reports_dispatched_at = models.DateTimeField(null=True, blank=True, help_text="When a report task was last sent.")
    # Renders begun since the last one that stored its report; at REPORT_MAX_ATTEMPTS the sweep
    # stops sending it and the admin's "Make the missing reports again" starts afresh.
    report_attempts = models.PositiveSmallIntegerField(default=0, help_text="Report renders begun and not finished.")
    report_error = models.TextField(blank=True, help_text="Why the last report render failed.")

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Evaluation of {self.submission} ({self.outcome})"


class Problem(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="problems")
    code = models.CharField(max_length=10)
    severity = models.CharField(max_length=10)
    sheet = models.CharField(max_length=50, blank=True)
    row = models.PositiveIntegerField(null=True, blank=True)
    column = models.CharField(max_length=60, blank=True)
    value = models.TextField(blank=True)
    message = models.TextField()
    fix = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.code} {self.sheet}!{self.row} {self.column}"


class ReviewStatus(models.TextChoices):
    OPEN = "open", "Not yet reviewed"
    CONFIRMED = "confirmed", "Confirmed"
    DISMISSED = "dismissed", "Dismissed"


class Finding(models.Model):
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="findings")
    rule = models.CharField(max_length=10)
    rule_version = models.CharField(max_length=10, default="1")
    severity = models.CharField(max_length=10)
    scope = models.CharField(max_length=10)
    school_id = models.CharField(max_length=32, blank=True)
    band = models.CharField(max_length=12, blank=True)
    message = models.TextField()
    evidence = models.JSONField(default=dict, blank=True)
    recommendations = models.JSONField(default=list, blank=True)
    # The evaluation's severity when a reviewer changed it (with a reason, issue 12); blank: unchanged.
    original_severity = models.CharField(max_length=10, blank=True)
    review_status = models.CharField(max_length=10, choices=ReviewStatus.choices, default=ReviewStatus.OPEN)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.rule} {self.school_id or self.band or 'district'}"


class CommentVisibility(models.TextChoices):
    INTERNAL = "internal", "Internal (state staff only)"
    DISTRICT = "district", "To the district"


class Comment(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="comments")
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="comments")
    # Fail closed: a comment written without a choice (admin, shell, an old row) stays with the state.
    visibility = models.CharField(max_length=10, choices=CommentVisibility.choices, default=CommentVisibility.INTERNAL)
    in_reply_to = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replies")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]


class DecisionOutcome(models.TextChoices):
    COMPLIANT = "compliant", "Compliant"
    COMPLIANT_WITH_FINDINGS = "compliant_with_findings", "Compliant with findings: corrective action plan"
    CORRECTIVE_ACTION = "corrective_action", "Noncompliant: corrective action required"


class Decision(models.Model):
    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="decision")
    outcome = models.CharField(max_length=32, choices=DecisionOutcome.choices)
    note = models.TextField()
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    decided_at = models.DateTimeField(default=timezone.now)


class ReportKind(models.TextChoices):
    EVALUATION = "evaluation", "Findings report"
    DECISION = "decision", "Decision report"


def report_upload_to(instance: Report, filename: str) -> str:
    s = instance.submission
    where = f"reports/{s.district.state_id}/{s.cycle.school_year}"
    return f"{where}/v{s.version}-{instance.kind}-{instance.sha256[:16]}.pdf"


class Report(models.Model):
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="reports")
    evaluation = models.ForeignKey(Evaluation, on_delete=models.CASCADE, related_name="reports")
    kind = models.CharField(max_length=12, choices=ReportKind.choices)
    file = models.FileField(upload_to=report_upload_to, max_length=300)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [models.UniqueConstraint(fields=["evaluation", "kind"], name="one_report_per_kind")]


class RecommendationEntry(models.Model):
    """Technical-assistance content, versioned: editing an entry saves a new version row."""

    key = models.SlugField(max_length=60)
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    body = models.TextField()
    rule_codes = models.JSONField(default=list, help_text='Rule codes it answers, e.g. ["INT-01", "INT-03"].')
    conditions = models.JSONField(default=dict, blank=True, help_text="When it applies (see the admin help).")
    sources = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["key", "-version"]
        verbose_name_plural = "recommendation entries"
        constraints = [models.UniqueConstraint(fields=["key", "version"], name="recommendation_key_version_unique")]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class EquityAssistanceRegion(models.Model):
    """Which regional Equity Assistance Center serves a state: data administrators can correct."""

    state = models.CharField(max_length=2, unique=True)
    region = models.CharField(max_length=8)
    center = models.CharField(max_length=200)
    operator = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["state"]

    def __str__(self) -> str:
        return f"{self.state}: Region {self.region}, {self.center}"


# --- District portal (issue 11): certification, notifications, deadline reminders ------------

DEFAULT_ATTESTATION = (
    "I certify that the data in this submission are accurate and complete to the best of my knowledge, "
    "that they were prepared from the district's official records, and that I am authorized to submit "
    "them for the district."
)


# How a certification made through the API is told apart, in every page, e-mail, PDF and the audit trail:
# "Certified through the API by ...", "Certified by: ..., through the API". Built only by Certification below.
THROUGH_API = "through the API"
# What an API call without a signature carries instead of a typed one (api/endpoints/submissions.py documents
# the attestation in the OpenAPI schema); every page, e-mail, PDF and the audit trail say it in these words.
API_ATTESTATION = "the attestation stated in the API documentation"
API_ATTESTATION_NOTE = f"the API call carries {API_ATTESTATION}"


class CertificationVia(models.TextChoices):
    WEB = "web", "Web page"
    API = "api", "API"


class Certification(models.Model):
    """Who certified a submission, how, and the words attested to.

    Signed: the certifier typed their full name and title and ticked the attestation, on the web
    form or in the API call's body. Unsigned (``signed`` False): an API call without a body, made
    with the token of ``certified_by``; ``full_name`` and ``title`` are then that account's name and
    role, and the call carries the attestation the API documentation states. Never shown as if typed.
    """

    submission = models.OneToOneField(Submission, on_delete=models.CASCADE, related_name="certification")
    certified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    full_name = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    attestation = models.TextField()
    certified_at = models.DateTimeField(default=timezone.now)
    # Blank and empty: certified before the channel and the signature were recorded (shown as signed, as then).
    via = models.CharField(max_length=3, choices=CertificationVia.choices, blank=True,
                           help_text="Where it was certified; blank: not recorded (certified before this was kept).")
    signed = models.BooleanField(
        null=True, blank=True,
        help_text="Name and title typed and the attestation ticked (web form, or the API call's body); "
                  "No: an API call without them, in the token's account's name; empty: not recorded.")

    def __str__(self) -> str:
        return f"{self.full_name}, {self.title}"

    @property
    def through_api(self) -> bool:
        return self.via == CertificationVia.API

    @property
    def signer(self) -> str:
        """"Pat Lee, Superintendent" as typed; "Carl Certifier (District certifier account)" when nothing was."""
        if self.signed is False:
            return f"{self.full_name} ({self.title} account)"
        return f"{self.full_name}, {self.title}"

    @property
    def headline_lead(self) -> str:
        """"Certified by" or "Certified through the API by": what comes before the signer (the pages put the
        signer in bold after it)."""
        return f"Certified {THROUGH_API} by" if self.through_api else "Certified by"

    @property
    def headline(self) -> str:
        """"Certified by Pat Lee, Superintendent", "Certified through the API by ...": the pages' and e-mails' words."""
        return f"{self.headline_lead} {self.signer}"

    @property
    def signer_via(self) -> str:
        """The signer, then the channel when it was the API: "Pat Lee, Superintendent, through the API"; what
        follows "Certified by" in the plain-text e-mail and the PDF."""
        return f"{self.signer}, {THROUGH_API}" if self.through_api else self.signer

    @property
    def attestation_source(self) -> str:
        """"The attestation stated in the API documentation": the heading of what an unsigned API call carries."""
        return API_ATTESTATION[:1].upper() + API_ATTESTATION[1:]

    @property
    def unsigned_note(self) -> str:
        """What an unsigned certification lacks and carries instead, as a sentence; "" for a signed one."""
        if self.signed is not False:
            return ""
        lacks = "No name, title or attestation was typed"
        return f"{lacks}; {API_ATTESTATION_NOTE}." if self.through_api else f"{lacks}."

    @property
    def audit_note(self) -> str:
        """The audit trail's note: who and how, then the attestation's words (what a signer attested to, or what
        the API documentation states for an API call without a signature)."""
        if self.signed is not False:
            return f"{self.headline}: {self.attestation}"
        return f"{self.headline}. {self.unsigned_note.removesuffix('.')}: {self.attestation}"


class NotificationLog(models.Model):
    """One e-mail about a district: the outbox row written with the event that causes it, then its delivery.

    Written in the event's own transaction (``sent_at`` empty), so a message is never lost when the
    broker is down; the task sends it by id after claiming it with a short lease, and the pipeline
    sweep sends again what is still unsent. ``failed_at``: given up after NOTIFICATION_MAX_ATTEMPTS.
    """

    district = models.ForeignKey("districts.District", on_delete=models.CASCADE, related_name="notifications")
    submission = models.ForeignKey(
        Submission, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20)
    subject = models.CharField(max_length=300, blank=True, help_text="Filled when it is sent.")
    recipients = models.TextField(help_text="Comma-separated addresses, chosen when the event happened.")
    # What the message is about besides the submission, and names as they were: {"action": 5, "by": "Sam Lee"}.
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    dispatched_at = models.DateTimeField(null=True, blank=True)  # last handed to the broker
    lease_expires_at = models.DateTimeField(null=True, blank=True)  # a send in progress, or a retry's backoff
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["dispatched_at"], name="notification_unsent",
                                condition=models.Q(sent_at__isnull=True, failed_at__isnull=True))]

    def __str__(self) -> str:
        return f"{self.kind}: {self.subject or self.district}"


class DeadlineReminder(models.Model):
    """A reminder sent: the unique constraint makes a second beat run send nothing."""

    district = models.ForeignKey("districts.District", on_delete=models.CASCADE, related_name="+")
    cycle = models.ForeignKey(ReportingCycle, on_delete=models.CASCADE, related_name="+")
    days_before = models.PositiveSmallIntegerField()
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "cycle", "days_before"], name="reminder_once_per_threshold")
        ]


from .models_review import *  # noqa: E402,F401,F403  # issue 12's review models, in their own module
