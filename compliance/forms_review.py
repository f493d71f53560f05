"""Review forms: comments, assignment, severity, returns and plans typed one action per line, saved views."""
from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from .models import CommentVisibility

# A comment the district may read is printed in full in the decision report, a public document (the report prints
# comments_visible_to(DISTRICT)): every form that writes one says so where it is written, as the decide form says
# of its reasons. An internal comment is never printed: its choice keeps its "state staff only".
IN_DECISION_REPORT = "it becomes part of the public decision report"
COMMENT_TO_DISTRICT_LABEL = f"{CommentVisibility.DISTRICT.label} ({IN_DECISION_REPORT})"
COMMENT_FROM_DISTRICT_LABEL = f"Comment (the state's reviewers read it; {IN_DECISION_REPORT})"
COMMENT_REPLY_LABEL = f"Your reply (the district and the state read it; {IN_DECISION_REPORT})"


class ReviewCommentForm(forms.Form):
    # The label of the reply form under each comment to the district (review_comments.html).
    reply_label = COMMENT_REPLY_LABEL

    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": "Write a comment first."})
    # No initial value: state staff choose every time, so an internal note is never sent by habit.
    visibility = forms.ChoiceField(
        label="Who may read it", widget=forms.RadioSelect,
        choices=[(CommentVisibility.INTERNAL, CommentVisibility.INTERNAL.label),
                 (CommentVisibility.DISTRICT, COMMENT_TO_DISTRICT_LABEL)],
        error_messages={"required": "Choose who the comment is for: state staff only, or the district."},
    )
    finding = forms.IntegerField(required=False, widget=forms.HiddenInput)
    in_reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            # A district user writes only to the state; their comments are always district-visible.
            del self.fields["visibility"]
            self.fields["body"].label = COMMENT_FROM_DISTRICT_LABEL


# ``INT-01 0311: what to do``: a line may start with the finding it is about (rule, then school, band or
# "district"); a rule alone names its only finding.
REFERENCE = re.compile(r"^(?P<rule>[A-Za-z]{2,5}-\d{1,3})(?:\s+(?P<key>[^:]+?))?\s*:\s*(?P<rest>.+)$")


def _about(text: str, references: dict | None, number: int) -> tuple[str, dict]:
    """The line's action and the finding it names, if it names one."""
    match = REFERENCE.match(text)
    if references is None or match is None:
        return text, {}
    rule, key = match["rule"].upper(), (match["key"] or "").strip()
    if key:
        entry = references["by_key"].get(f"{rule} {key}".upper())
        if entry is None:
            raise ValidationError(f"Line {number}: this version has no {rule} finding for \u201c{key}\u201d.")
    else:
        entries = references["by_rule"].get(rule, [])
        if len(entries) != 1:
            found = f"{len(entries)} {rule} findings" if entries else f"no {rule} finding"
            raise ValidationError(f"Line {number}: this version has {found}; name the school, band or "
                                  f"\u201cdistrict\u201d after the rule, e.g. {rule} 0311: ...")
        entry = entries[0]
    return match["rest"].strip(), {"finding": entry[0], "finding_label": entry[1]}


def _lines(text: str, parse_line) -> list[dict]:
    """Each non-blank line through ``parse_line(line, number)``; every line's refusal at once (a
    reviewer who typed ten lines fixes them in one go, not one per post)."""
    actions, errors = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            actions.append(parse_line(line, number))
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return actions


def action_lines(text: str, *, references: dict | None = None) -> list[dict]:
    """Required actions typed one per line, each maybe starting with the finding it is about."""
    def parse(line: str, number: int) -> dict:
        description, about = _about(line.strip().lstrip("-*\u2022").strip(), references, number)
        return {"description": description, **about}

    return [a for a in _lines(text, parse) if a["description"]]


def plan_parse(text: str, *, references: dict | None = None) -> list[dict]:
    """A corrective action plan typed one action per line: ``YYYY-MM-DD [RULE KEY:] what the district must do``."""
    def parse(line: str, number: int) -> dict:
        due, _, description = line.strip().partition(" ")
        try:
            due_on = date.fromisoformat(due)
        except ValueError:
            raise ValidationError(
                f"Plan line {number}: start with the due date as YYYY-MM-DD, then the action.") from None
        description, about = _about(description.strip(), references, number)
        return {"description": description, "due_on": due_on, **about}

    return _lines(text, parse)


class ReturnForm(forms.Form):
    actions = forms.CharField(
        label="Required actions, one per line", widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "Write at least one required action, one per line."},
    )


class ReviewerChoiceField(forms.ModelChoiceField):
    """A reviewer by name."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.username


class AssignForm(forms.Form):
    # The holder the page showed (blank: nobody), so a change in between is refused, never overridden.
    holder = forms.IntegerField(required=False, widget=forms.HiddenInput)
    assignee = ReviewerChoiceField(queryset=None, label="Reviewer", empty_label="Choose a reviewer",
                                   error_messages={"required": "Choose a reviewer to assign it to.",
                                                   "invalid_choice": "Choose an active state reviewer."})

    def __init__(self, *args, reviewers, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, ReviewerChoiceField)
        field.queryset = reviewers


class SubmissionsSeen(forms.Field):
    """The ticked rows, each ``<submission>:<holder the page showed>`` (blank: nobody) -> {pk: holder or None}.

    Which of them the user may see is the selector's business.
    """

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> dict[int, int | None]:
        values = value if isinstance(value, list | tuple) else [value] if value else []
        seen: dict[int, int | None] = {}
        for item in values:
            pk, _, holder = str(item).partition(":")
            if not pk.isdigit() or not (holder == "" or holder.isdigit()):
                raise ValidationError("Tick the submissions to assign from the list.")
            seen[int(pk)] = int(holder) if holder else None
        return seen


class BulkAssignForm(AssignForm):
    submissions = SubmissionsSeen(error_messages={"required": "Tick the submissions to assign first."})


class SeverityForm(forms.Form):
    severity = forms.ChoiceField(label="New severity", choices=[("finding", "Finding"), ("warning", "Warning")],
                                 error_messages={"required": "Choose Finding or Warning."})
    reason = forms.CharField(label="Reason (required; appears in the report)", widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "Say why the severity changes."})


class SavedViewForm(forms.Form):
    name = forms.CharField(label="Save these filters as", max_length=80,
                           error_messages={"required": "Name the view first."})
    query = forms.CharField(required=False, widget=forms.HiddenInput)


class PlanAnswerForm(forms.Form):
    plan = forms.FileField(label="Your plan for this action", error_messages={"required": "Choose the plan file."})
    evidence = forms.FileField(label="Evidence it is done or under way",
                               error_messages={"required": "Choose the evidence file."})


class PlanJudgeForm(forms.Form):
    verdict = forms.ChoiceField(choices=[("accept", "Accept"), ("ask_again", "Ask again")],
                                error_messages={"required": "Choose Accept or Ask again."})
    note = forms.CharField(label="What the district must add (required to ask again)", required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
