"""Rule sets in the admin: a labelled field per parameter, a diff to confirm before saving, frozen sets copied."""
from __future__ import annotations

import copy

import pytest

from compliance.forms_rule_sets import RuleSetParamsForm
from compliance.models import AuditEvent, RuleSet
from compliance.rules.ruleset import DEFAULT_PARAMS, DEFAULT_RULE_SET_NAME, PARAM_SPECS
from compliance.services.rule_sets import params_digest, rule_set_edit
from tests.factories import RuleSetFactory

CHANGELIST = "/admin/compliance/ruleset/"


def page(pk: int) -> str:
    return f"{CHANGELIST}{pk}/change/"


def posted(rule_set: RuleSet, step: str, reason: str = "Board vote of May 2", **typed) -> dict:
    """The form as its fields come back: every value as shown (percent for shares), some retyped."""
    form = RuleSetParamsForm(params=rule_set.params)
    data = {name: form[name].value() for name in form.fields}
    data = {k: v for k, v in data.items() if v not in (False, None)}  # an unticked box is not sent
    data.update({"reason": reason, "notes": rule_set.notes, "step": step}, **typed)
    return data


@pytest.fixture
def draft(db) -> RuleSet:
    return RuleSetFactory(name="Mississippi draft", params=copy.deepcopy(DEFAULT_PARAMS))


def test_one_labelled_field_per_parameter_in_the_unit_it_is_read_in():
    form = RuleSetParamsForm(params=copy.deepcopy(DEFAULT_PARAMS))
    numeric = [n for n in form.fields if "__" in n and not n.endswith(("__enabled", "__severity"))]
    assert len(numeric) == sum(len(spec) for spec in PARAM_SPECS.values()) == 20
    assert sum(n.endswith("__enabled") for n in form.fields) == 13
    assert sum(n.endswith("__severity") for n in form.fields) == 10  # INT-04, plausibility, privacy: none
    expected = {  # label, value shown, help (allowed range), min and max attributes; worked out from ruleset.py
        "INT-01__band": ("Band (percentage points)", 15, "Allowed: 0 to 100 percentage points.", "0", "100"),
        "INT-02__threshold": ("Threshold (percent)", 90, "Allowed: 50 to 100 percent.", "50", "100"),
        "INT-04__finding_at": ("Finding at (index)", 0.6, "Allowed: 0 to 1.", "0", "1"),
        "INT-05__tolerance": ("Tolerance (index)", 0.005, "Allowed: 0 to 1.", "0", "1"),
        "RES-01__limit": ("Limit (percent of the comparison figure)", 110,
                          "Allowed: 100 to 300 percent of the comparison figure.", "100", "300"),
        "RES-02__min_enrollment": ("Schools exempt below (students)", 100, "Allowed: 0 to 100000 students.",
                                   "0", "100000"),
        "PLAUSIBILITY__max_ppe_over_median": ("Spending per pupil over the median, at most (times)", 3,
                                              "Allowed: 1 to 100 times.", "1", "100"),
        "PRIVACY__min_cell": ("Smallest count printed (students)", 10, "Allowed: 1 to 100 students.", "1", "100"),
    }
    for name, (label, value, help_text, lo, hi) in expected.items():
        field = form[name]
        attrs = field.field.widget.attrs
        assert (field.label, field.value(), field.help_text, str(attrs["min"]), str(attrs["max"])) == (
            label, value, help_text, lo, hi), name
    sections = form.sections(DEFAULT_PARAMS)
    assert [s.code for s in sections] == list(PARAM_SPECS)
    int01 = sections[0]
    assert int01.name == "Racially identifiable schools"
    assert int01.standard.startswith("a school's share of students of color within \u00b115 points")
    assert [f.name for f in int01.fields] == ["INT-01__enabled", "INT-01__severity", "INT-01__band",
                                              "INT-01__single_group_min_band_share"]


def test_typed_percent_is_stored_as_the_exact_fraction():
    form = RuleSetParamsForm(posted(RuleSet(params=copy.deepcopy(DEFAULT_PARAMS)), "review",
                                    **{"INT-06__tolerance": "0.5", "RES-01__limit": "115", "INT-01__band": "12.5"}),
                             params=DEFAULT_PARAMS)
    assert form.is_valid(), form.errors
    params = form.params()
    assert (params["INT-06"]["tolerance"], params["RES-01"]["limit"], params["INT-01"]["band"]) == (0.005, 1.15, 0.125)
    assert params["RES-02"]["min_enrollment"] == 100 and isinstance(params["RES-02"]["min_enrollment"], int)
    untouched = {code: section for code, section in params.items() if code not in ("INT-06", "RES-01", "INT-01")}
    assert untouched == {code: DEFAULT_PARAMS[code] for code in untouched}


@pytest.mark.django_db
def test_an_edit_is_shown_as_a_diff_and_saved_only_when_confirmed(admin_client, draft):
    data = posted(draft, "review", **{"INT-01__band": "20", "RES-01__limit": "120", "RES-05__severity": "finding"})
    review = admin_client.post(page(draft.pk), data)
    assert review.templates[0].name == "admin/compliance/ruleset/confirm.html"
    rows = review.context["tables"][0]["rows"]
    assert rows == [
        {"rule": "INT-01 Racially identifiable schools", "parameter": "Band",
         "before": "15 percentage points", "after": "20 percentage points"},
        {"rule": "RES-01 Comparability of staff", "parameter": "Limit",
         "before": "110 percent of the comparison figure", "after": "120 percent of the comparison figure"},
        {"rule": "RES-05 Horizontal equity of spending", "parameter": "Severity", "before": "warning",
         "after": "finding"},
    ]
    draft.refresh_from_db()
    assert draft.params == DEFAULT_PARAMS and not AuditEvent.objects.exists()  # nothing saved yet

    saved = admin_client.post(page(draft.pk), {**data, "step": "confirm", "base": review.context["base"]})
    assert saved.status_code == 302 and saved["Location"] == page(draft.pk)
    draft.refresh_from_db()
    assert (draft.params["INT-01"]["band"], draft.params["RES-01"]["limit"], draft.params["RES-05"]["severity"]) == (
        0.2, 1.2, "finding")
    event = AuditEvent.objects.get()
    assert (event.action, event.subject, event.note, event.submission) == (
        "rule_set_edited", "Mississippi draft v1", "Board vote of May 2", None)
    assert event.changes == [{"field": "INT-01.band", "before": 0.15, "after": 0.2},
                             {"field": "RES-01.limit", "before": 1.1, "after": 1.2},
                             {"field": "RES-05.severity", "before": "warning", "after": "finding"}]


@pytest.mark.django_db
def test_out_of_range_and_inconsistent_values_are_refused_on_the_form(admin_client, draft):
    response = admin_client.post(page(draft.pk), posted(draft, "review", reason="",
                                                        **{"INT-01__band": "150", "INT-04__warning_at": "0.7"}))
    form = response.context["form"]
    assert response.templates[0].name == "admin/compliance/ruleset/edit.html"
    assert form.errors["INT-01__band"] == ["Ensure this value is less than or equal to 100."]
    assert form.errors["reason"] == ["This field is required."]
    fixed = posted(draft, "review", **{"INT-04__warning_at": "0.7"})
    form = admin_client.post(page(draft.pk), fixed).context["form"]
    assert form.non_field_errors() == ["INT-04: warning_at must not be above finding_at."]
    draft.refresh_from_db()
    assert draft.params == DEFAULT_PARAMS


@pytest.mark.django_db
def test_back_to_the_form_keeps_what_was_typed_and_nothing_typed_saves_nothing(admin_client, draft):
    back = admin_client.post(page(draft.pk), posted(draft, "edit", **{"INT-03__band": "18"}))
    assert back.templates[0].name == "admin/compliance/ruleset/edit.html"
    assert back.context["form"]["INT-03__band"].value() == "18"
    same = admin_client.post(page(draft.pk), posted(draft, "review"))
    assert same.context["nothing"] is True and b"Save these changes" not in same.content


@pytest.mark.django_db
def test_a_confirm_after_someone_else_saved_saves_nothing(admin_client, draft, supervisor):
    data = posted(draft, "review", **{"INT-01__band": "20"})
    base = admin_client.post(page(draft.pk), data).context["base"]
    other = copy.deepcopy(draft.params)
    other["INT-02"]["threshold"] = 0.85
    rule_set_edit(rule_set=draft, params=other, user=supervisor, reason="Meanwhile",
                  expected_digest=params_digest(draft.params))
    response = admin_client.post(page(draft.pk), {**data, "step": "confirm", "base": base})
    assert "Someone saved this rule set while you were editing it" in response.content.decode()
    draft.refresh_from_db()
    assert (draft.params["INT-01"]["band"], draft.params["INT-02"]["threshold"]) == (0.15, 0.85)
    # The confirm page shown again is against what is saved now: your band, and the other's threshold undone.
    assert [(r["parameter"], r["before"], r["after"]) for r in response.context["tables"][0]["rows"]] == [
        ("Band", "15 percentage points", "20 percentage points"), ("Threshold", "85 percent", "90 percent")]


@pytest.mark.django_db
def test_a_frozen_set_is_read_only_and_copied_as_the_next_version(admin_client, cycle):
    frozen = RuleSet.objects.get(pk=cycle.rule_set_id)  # the open cycle froze it
    assert frozen.frozen
    shown = admin_client.get(page(frozen.pk)).content.decode()
    assert "This version is frozen" in shown and "2026-27" in shown and "Copy as a new editable version" in shown
    assert "15 percentage points" in shown and 'name="INT-01__band"' not in shown
    admin_client.post(page(frozen.pk), posted(frozen, "confirm", **{"INT-01__band": "20"}))
    frozen.refresh_from_db()
    assert frozen.params["INT-01"]["band"] == 0.15
    copied = admin_client.post(f"{CHANGELIST}{frozen.pk}/copy/")
    new = RuleSet.objects.get(name=DEFAULT_RULE_SET_NAME, version=2)
    assert copied["Location"] == page(new.pk) and not new.frozen and new.params == frozen.params
    event = AuditEvent.objects.get(action="rule_set_copied")
    assert (event.subject, event.note, event.changes) == (
        "State default v2", "Copied from State default v1.", [])
    assert admin_client.get(f"{CHANGELIST}{frozen.pk}/copy/").status_code == 405


@pytest.mark.django_db
def test_the_diff_is_against_the_previous_version_too(admin_client, cycle):
    v1 = RuleSet.objects.get(pk=cycle.rule_set_id)
    admin_client.post(f"{CHANGELIST}{v1.pk}/copy/")
    v2 = RuleSet.objects.get(name=v1.name, version=2)
    first = admin_client.post(page(v2.pk), posted(v2, "review", **{"INT-01__band": "20"}))
    assert [t["heading"] for t in first.context["tables"]] == [
        "Changes against State default v1 (the previous version)"]
    admin_client.post(page(v2.pk), {**posted(v2, "confirm", **{"INT-01__band": "20"}),
                                    "base": first.context["base"]})
    v2.refresh_from_db()
    second = admin_client.post(page(v2.pk), posted(v2, "review", **{"INT-01__band": "18"}))
    tables = second.context["tables"]
    assert [t["heading"] for t in tables] == [
        "Changes to State default v2 as saved",
        "State default v2 after saving, against State default v1 (the previous version)"]
    assert [(r["before"], r["after"]) for r in tables[0]["rows"]] == [("20 percentage points", "18 percentage points")]
    assert [(r["before"], r["after"]) for r in tables[1]["rows"]] == [("15 percentage points", "18 percentage points")]
    form_page = admin_client.get(page(v2.pk))
    assert form_page.context["comparison"]["rows"][0]["after"] == "20 percentage points"


@pytest.mark.django_db
def test_a_new_rule_set_starts_from_the_defaults_and_lists_its_differences(admin_client):
    defaults = RuleSet(params=copy.deepcopy(DEFAULT_PARAMS))
    data = posted(defaults, "review", reason="For 2027", name="Mississippi 2027", **{"INT-02__threshold": "85"})
    review = admin_client.post(f"{CHANGELIST}add/", data)
    assert review.context["tables"][0]["heading"] == "Against the built-in defaults"
    assert [(r["parameter"], r["before"], r["after"]) for r in review.context["tables"][0]["rows"]] == [
        ("Threshold", "90 percent", "85 percent")]
    created = admin_client.post(f"{CHANGELIST}add/", {**data, "step": "confirm"})
    new = RuleSet.objects.get(name="Mississippi 2027")
    assert created["Location"] == page(new.pk)
    assert (new.version, new.params["INT-02"]["threshold"], new.frozen) == (1, 0.85, False)
    assert AuditEvent.objects.get(action="rule_set_created").changes == [
        {"field": "INT-02.threshold", "before": 0.9, "after": 0.85}]
    again = admin_client.post(f"{CHANGELIST}add/", {**data, "step": "confirm"})
    assert again.context["form"].errors["name"] == ["A rule set of that name exists: copy its newest version to "
                                                    "change it."]
