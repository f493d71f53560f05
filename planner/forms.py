"""The planner's forms: one per lever, each turning a plain POST into a lever, and the plan's name."""
from __future__ import annotations

from django import forms

from compliance.rules.labels import group_noun
from compliance.rules.model import ASSIGNMENT_METHODS, GRADES, RACE_GROUPS
from compliance.rules.planner import CloseSchool, GradeCenter, Lever, Lottery, MoveStudents, OpenSchool

_GRADE_CHOICES = [(g, g) for g in GRADES]


def _school_choices(schools) -> list[tuple[str, str]]:
    return [(s.school_id, f"{s.school_name} ({s.school_id})") for s in schools]


class _LeverForm(forms.Form):
    kind = ""

    def __init__(self, *args, schools=(), **kwargs):
        kwargs.setdefault("auto_id", f"id_{self.kind}_%s")
        super().__init__(*args, **kwargs)
        choices = _school_choices(schools)
        for field in self.fields.values():
            if isinstance(field, (forms.ChoiceField, forms.MultipleChoiceField)) and getattr(field, "schools", False):
                field.choices = choices

    def lever(self) -> Lever:
        raise NotImplementedError


def _school_field(label: str, **kwargs) -> forms.ChoiceField:
    field = forms.ChoiceField(label=label, **kwargs)
    field.schools = True  # type: ignore[attr-defined]
    return field


class MoveForm(_LeverForm):
    kind = "move"
    from_id = _school_field("From school")
    to_id = _school_field("To school")
    total = forms.IntegerField(label="Students moved", min_value=0, required=False,
                               help_text="Blank: move only the economically disadvantaged students below.")
    ed = forms.IntegerField(label="Of them economically disadvantaged", min_value=0, required=False,
                            help_text="Blank: the sending school's share.")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for g in RACE_GROUPS:
            self.fields[f"group_{g}"] = forms.IntegerField(label=group_noun(g), min_value=0, required=False)

    def group_fields(self):
        return [self[f"group_{g}"] for g in RACE_GROUPS]

    def clean(self):
        data = super().clean() or {}
        if data.get("total") is None and data.get("ed") is None:
            raise forms.ValidationError("Give the number of students moved, or of economically disadvantaged students.")
        stated = {g: data.get(f"group_{g}") for g in RACE_GROUPS}
        if any(v is not None for v in stated.values()):
            data["composition"] = {g: v or 0 for g, v in stated.items()}
            total = data.get("total") if data.get("total") is not None else data.get("ed")
            if sum(data["composition"].values()) != total:
                raise forms.ValidationError("The students moved by group must add up to the number moved.")
        return data

    def lever(self) -> Lever:
        d = self.cleaned_data
        return MoveStudents(d["from_id"], d["to_id"], d.get("total"), d.get("ed"), d.get("composition"))


class CloseForm(_LeverForm):
    kind = "close"
    school_id = _school_field("School to close")
    receiving = forms.MultipleChoiceField(label="Schools its students go to", required=False,
                                          help_text="Equal numbers to each, with the closed school's mix.")
    receiving.schools = True  # type: ignore[attr-defined]

    def lever(self) -> Lever:
        return CloseSchool(self.cleaned_data["school_id"], tuple(self.cleaned_data["receiving"]))


class OpenForm(_LeverForm):
    kind = "open"
    school_id = forms.CharField(label="New school id", max_length=32)
    school_name = forms.CharField(label="New school name", max_length=200)
    grade_low = forms.ChoiceField(label="Lowest grade", choices=_GRADE_CHOICES)
    grade_high = forms.ChoiceField(label="Highest grade", choices=_GRADE_CHOICES, initial="5")
    assignment_method = forms.ChoiceField(label="Assignment method",
                                          choices=[(m, m.replace("_", " ")) for m in ASSIGNMENT_METHODS])

    def lever(self) -> Lever:
        d = self.cleaned_data
        return OpenSchool(d["school_id"].strip(), d["school_name"].strip(), d["grade_low"], d["grade_high"],
                          d["assignment_method"])


class GradeCenterForm(_LeverForm):
    kind = "grade_center"
    school_ids = forms.CharField(label="School ids, in order", help_text="For example: 0311, 0317")
    spans = forms.CharField(label="Grade span of each, in the same order", help_text="For example: K-2, 3-5")

    def clean(self):
        data = super().clean() or {}
        ids = [s.strip() for s in (data.get("school_ids") or "").split(",") if s.strip()]
        spans = []
        for part in (data.get("spans") or "").split(","):
            bits = [b.strip().upper() for b in part.split("-")]
            if len(bits) != 2 or not all(bits):
                raise forms.ValidationError(f"'{part.strip()}' is not a grade span like K-2.")
            spans.append((bits[0], bits[1]))
        if len(ids) != len(spans):
            raise forms.ValidationError("Give one grade span for each school.")
        data["ids"], data["span_list"] = tuple(ids), tuple(spans)
        return data

    def lever(self) -> Lever:
        return GradeCenter(self.cleaned_data["ids"], self.cleaned_data["span_list"])


class LotteryForm(_LeverForm):
    kind = "lottery"
    school_id = _school_field("Lottery school")
    seats = forms.IntegerField(label="Seats", min_value=1)
    target_ed_share = forms.FloatField(label="Target ED share (0 to 1)", min_value=0, max_value=1, initial=0.5)
    applicants_ed = forms.IntegerField(label="Applicants, economically disadvantaged pool", min_value=0)
    applicants_non_ed = forms.IntegerField(label="Applicants, other pool", min_value=0)

    def lever(self) -> Lever:
        d = self.cleaned_data
        return Lottery(d["school_id"], d["seats"], d["target_ed_share"], d["applicants_ed"], d["applicants_non_ed"])


LEVER_FORMS: dict[str, type[_LeverForm]] = {
    f.kind: f for f in (MoveForm, CloseForm, OpenForm, GradeCenterForm, LotteryForm)
}


class PlanNameForm(forms.Form):
    name = forms.CharField(label="Plan name", max_length=120)
