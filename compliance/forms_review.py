"""Review forms: comments with an explicit audience and replies; the corrective action plan's lines."""
from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError

from .models import CommentVisibility


class ReviewCommentForm(forms.Form):
    body = forms.CharField(label="Comment", widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": "Write a comment first."})
    # No initial value: state staff choose every time, so an internal note is never sent by habit.
    visibility = forms.ChoiceField(
        label="Who may read it", choices=CommentVisibility.choices, widget=forms.RadioSelect,
        error_messages={"required": "Choose who the comment is for: state staff only, or the district."},
    )
    finding = forms.IntegerField(required=False, widget=forms.HiddenInput)
    in_reply_to = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, staff: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not staff:
            # A district user writes only to the state; their comments are always district-visible.
            del self.fields["visibility"]


def plan_parse(text: str) -> list[dict]:
    """A corrective action plan typed one action per line: ``YYYY-MM-DD what the district must do``."""
    actions = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        due, _, description = line.partition(" ")
        try:
            due_on = date.fromisoformat(due)
        except ValueError:
            raise ValidationError(
                f"Plan line {number}: start with the due date as YYYY-MM-DD, then the action.") from None
        actions.append({"description": description.strip(), "due_on": due_on})
    return actions
