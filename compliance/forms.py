"""Forms for the district and state pages. Validation of content stays in the services."""
from __future__ import annotations

from django import forms

from .models import DecisionOutcome, ReviewStatus

NOTE_MAX_LENGTH = 1000
FINDING_NOTE_LABEL = "Note (the district and the public report read it; required to dismiss)"


class UploadForm(forms.Form):
    # Before the file: a request cut short for an oversized file still carries the note.
    note = forms.CharField(
        label="Note about this version (optional)", required=False, max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="For example, what changed since the last version. It is kept in the submission's history, "
                  "which the state's reviewers see too.",
        error_messages={"max_length": "Keep the note to %(limit_value)d characters (it has %(show_value)d)."},
    )
    # The browser hint only; the upload service enforces size, type and the cycle.
    file = forms.FileField(
        label="Filled-in workbook (.xlsx)",
        error_messages={"required": "Choose the filled-in workbook (.xlsx) to upload.",
                        "empty": "The file is empty. Choose the filled-in workbook and upload it again."},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )


class CertifyForm(forms.Form):
    """The certifier types their own name and title and attests to the cycle's text (issue 11)."""

    full_name = forms.CharField(
        label="Your full name", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": "Type your full name to certify."},
    )
    title = forms.CharField(
        label="Your title", max_length=200, widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
        error_messages={"required": "Type your title (for example, Superintendent) to certify."},
    )
    confirm = forms.BooleanField(
        label="I attest to the statement above",
        error_messages={"required": "Tick the box to certify the data before submitting them."},
    )


class FindingReviewForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(ReviewStatus.CONFIRMED, "Confirm"), (ReviewStatus.DISMISSED, "Dismiss")],
        error_messages={"required": "Choose Confirm or Dismiss.", "invalid_choice": "Choose Confirm or Dismiss."},
    )
    note = forms.CharField(
        # The district reads it at once (its page's findings and "Finding reviews" history) and a dismissal's reason
        # goes into the report: the reviewer is told so where they write it.
        label=FINDING_NOTE_LABEL, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )




class DecideForm(forms.Form):
    outcome = forms.ChoiceField(label="Outcome", choices=DecisionOutcome.choices, widget=forms.RadioSelect,
                                error_messages={"required": "Choose an outcome."})
    note = forms.CharField(
        label="Reasons (appear in the public report)", widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the decision's reasons; they appear in the public report."},
    )


class ReleaseForm(forms.Form):
    note = forms.CharField(label="Note for state staff (optional; the district does not see it)", required=False,
                           widget=forms.TextInput())
