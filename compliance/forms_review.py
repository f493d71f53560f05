"""Review forms: comments with an explicit audience, an optional finding, and replies."""
from __future__ import annotations

from django import forms

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
