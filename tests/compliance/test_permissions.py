"""compliance.permissions: who may do what, and the services refusing with the same words."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from compliance import permissions, selectors, services
from compliance.models import Submission
from compliance.permissions import StateConflict
from compliance.states import SubmissionStatus as S
from districts.models import Role
from tests.conftest import make_user
from tests.factories import EvaluationFactory, ReportingCycleFactory, SubmissionFactory, user_factory

pytestmark = pytest.mark.django_db


def _submission(district, cycle, status, reviewer=None) -> Submission:
    sub = SubmissionFactory(district=district, cycle=cycle, status=status, reviewer=reviewer)
    EvaluationFactory(submission=sub)
    return sub


def _refusal_raised(call) -> tuple[type[Exception] | None, str | None]:
    try:
        call()
    except (PermissionDenied, ValidationError) as exc:
        text = " ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
        return type(exc), text
    return None, None


# --- Claim --------------------------------------------------------------------------------


@pytest.fixture
def named_reviewer(db):
    return user_factory(Role.STATE_REVIEWER, username="ada", first_name="Ada", last_name="Lovelace")


@pytest.mark.parametrize("status", [S.RECEIVED, S.QUEUED, S.VALIDATING, S.REJECTED, S.EVALUATED, S.FAILED])
def test_claiming_before_certification_says_not_certified_yet(district_a, cycle, reviewer, status):
    sub = _submission(district_a, cycle, status)
    assert permissions.claim_refusal(reviewer, sub) == "This submission is not certified yet."
    assert _refusal_raised(lambda: services.submission_claim(submission=sub, user=reviewer)) == (
        ValidationError, "This submission is not certified yet.")
    assert Submission.objects.get(pk=sub.pk).status == status


def test_claiming_what_you_hold_says_so(district_a, cycle, reviewer):
    sub = _submission(district_a, cycle, S.IN_REVIEW, reviewer=reviewer)
    assert _refusal_raised(lambda: services.submission_claim(submission=sub, user=reviewer)) == (
        ValidationError, "You already hold this submission.")


def test_claiming_what_another_holds_names_the_holder(district_a, cycle, reviewer, named_reviewer):
    sub = _submission(district_a, cycle, S.IN_REVIEW, reviewer=named_reviewer)
    assert _refusal_raised(lambda: services.submission_claim(submission=sub, user=reviewer)) == (
        ValidationError, "Another reviewer (Ada Lovelace) already holds this submission.")
    assert Submission.objects.get(pk=sub.pk).reviewer == named_reviewer


@pytest.mark.parametrize("status, label", [(S.RETURNED, "returned for revision"), (S.DECIDED, "decided"),
                                           (S.SUPERSEDED, "superseded by a newer version")])
def test_claiming_after_review_says_it_is_no_longer_waiting(district_a, cycle, reviewer, status, label):
    sub = _submission(district_a, cycle, status)
    assert permissions.claim_refusal(reviewer, sub) == f"This submission is no longer waiting for review ({label})."


@pytest.mark.parametrize("role", [Role.DISTRICT_SUBMITTER, Role.DISTRICT_CERTIFIER, Role.STATE_ADMIN])
def test_only_reviewers_claim(district_a, cycle, role):
    user = user_factory(role, [district_a] if role.startswith("district") else [])
    sub = _submission(district_a, cycle, S.CERTIFIED)
    assert not permissions.can_claim(user, sub)
    assert _refusal_raised(lambda: services.submission_claim(submission=sub, user=user)) == (
        PermissionDenied, "Only state reviewers may do this.")


def test_a_certified_submission_is_claimable_by_reviewers_and_supervisors(district_a, cycle, reviewer, supervisor):
    sub = _submission(district_a, cycle, S.CERTIFIED)
    assert permissions.can_claim(reviewer, sub) and permissions.can_claim(supervisor, sub)
    services.submission_claim(submission=sub, user=supervisor)
    assert Submission.objects.get(pk=sub.pk).reviewer == supervisor


# --- Certify ------------------------------------------------------------------------------


def _closed_cycle(rule_set):
    today = timezone.localdate()
    return ReportingCycleFactory(school_year="2024-25", rule_set=rule_set, opens_on=today - timedelta(days=400),
                                 due_on=today - timedelta(days=300), closes_on=today - timedelta(days=200))


def test_certify_refusals_name_each_reason(district_a, district_b, cycle, rule_set, certifier_a, submitter_a):
    evaluated = _submission(district_a, cycle, S.EVALUATED)
    rejected = _submission(district_a, cycle, S.REJECTED)
    other_certifier = make_user("certifier_b", Role.DISTRICT_CERTIFIER, [district_b])
    cases = [
        (certifier_a, evaluated, None),
        (submitter_a, evaluated, (PermissionDenied, "Only a certifier of this district may certify its submission.")),
        (other_certifier, evaluated, (PermissionDenied,
                                      "Only a certifier of this district may certify its submission.")),
        (certifier_a, rejected,
         (StateConflict, f"Version {rejected.version} cannot be certified: its status is "
                         "\u201cRejected: fix the workbook\u201d; only an evaluated version without blocking problems "
                         "can be certified.")),
        (certifier_a, _submission(district_a, _closed_cycle(rule_set), S.EVALUATED),
         (ValidationError, "The reporting cycle is closed; contact the state to certify late.")),
        (certifier_a, SubmissionFactory(district=district_a, cycle=cycle, status=S.EVALUATED),  # no evaluation row
         (ValidationError, "This version has no completed evaluation to certify; wait for its check to finish.")),
    ]
    for user, sub, expected in cases:
        assert permissions.can_certify(user, sub) is (expected is None), (user, sub.status)
        refusal = permissions.certify_refusal(user, sub)
        assert (refusal is None) if expected is None else (refusal == expected[1] and
                                                          refusal.forbidden is (expected[0] is PermissionDenied))
        raised = _refusal_raised(lambda sub=sub, user=user: services.submission_certify(submission=sub, user=user))
        assert raised == (expected or (None, None))
        assert Submission.objects.get(pk=sub.pk).status == (S.CERTIFIED if expected is None else sub.status)


# --- Working on a held submission ---------------------------------------------------------


def test_only_the_holder_or_a_supervisor_works_on_a_submission(district_a, cycle, reviewer, reviewer2, supervisor,
                                                                certifier_a):
    sub = _submission(district_a, cycle, S.IN_REVIEW, reviewer=reviewer)
    for check in (permissions.can_review, permissions.can_release, permissions.can_return, permissions.can_decide):
        assert check(reviewer, sub) and check(supervisor, sub)
        assert not check(reviewer2, sub) and not check(certifier_a, sub)
    assert permissions.review_refusal(reviewer2, sub) == (
        "Only the reviewer who claimed this submission (or a supervisor) may do this.")
    assert permissions.review_refusal(reviewer2, sub).forbidden
    assert permissions.review_refusal(certifier_a, sub) == "Only state reviewers may do this."
    certified = _submission(district_a, cycle, S.CERTIFIED)
    assert permissions.release_refusal(reviewer, certified) == "The submission is not in review."
    assert not permissions.release_refusal(reviewer, certified).forbidden
    with pytest.raises(PermissionDenied):
        services.submission_return(submission=sub, user=reviewer2, note="Fix it.")


# --- Seeing, commenting, uploading ----------------------------------------------------------


def test_object_checks_agree_with_the_selectors(district_a, district_b, cycle, submitter_a, certifier_a, user_b,
                                                reviewer, supervisor):
    admin = user_factory(Role.STATE_ADMIN)
    nobody = user_factory("")
    subs = [_submission(district_a, cycle, S.EVALUATED), _submission(district_b, cycle, S.CERTIFIED)]
    expected = {  # who sees district A's and district B's submission, worked out from the roles
        submitter_a: (True, False), certifier_a: (True, False), user_b: (False, True),
        reviewer: (True, True), supervisor: (True, True), admin: (True, True), nobody: (False, False),
    }
    for user, sees in expected.items():
        visible = set(selectors.submissions_visible_to(user=user).values_list("pk", flat=True))
        assert tuple(s.pk in visible for s in subs) == sees, user.username
        assert tuple(permissions.can_view_submission(user, s) for s in subs) == sees, user.username
        assert tuple(permissions.can_download(user, s) for s in subs) == sees
        assert tuple(permissions.can_comment(user, s) for s in subs) == sees


def test_comment_refused_outside_ones_districts(district_b, cycle, submitter_a):
    sub = _submission(district_b, cycle, S.EVALUATED)
    assert _refusal_raised(lambda: services.comment_create(submission=sub, user=submitter_a, body="Hi",
                                                           visibility="district")) == (
        PermissionDenied, "You may not comment on this submission.")


def test_can_submit_for_own_districts_only_while_active(district_a, district_b, submitter_a, certifier_a, reviewer):
    assert permissions.can_submit_for(submitter_a, district_a) and permissions.can_submit_for(certifier_a, district_a)
    assert not permissions.can_submit_for(submitter_a, district_b)
    assert not permissions.can_submit_for(reviewer, district_a)
    submitter_a.is_active = False
    assert not permissions.can_submit_for(submitter_a, district_a)


def test_refusal_is_the_message_and_enforce_picks_the_exception():
    assert permissions.enforce(None) is None
    with pytest.raises(PermissionDenied, match="^No.$"):
        permissions.enforce(permissions.Refusal("No.", forbidden=True))
    with pytest.raises(ValidationError) as caught:
        permissions.enforce(permissions.Refusal("Not now."))
    assert caught.value.messages == ["Not now."]


# --- Signing in and the account menu --------------------------------------------------------

# role -> (may enrol a second factor, must use one when REQUIRE_2FA_FOR_ADMINS=1, sees the statewide link)
MENU_FACTS = {
    Role.DISTRICT_SUBMITTER: (False, False, False),
    Role.DISTRICT_CERTIFIER: (False, False, False),
    Role.STATE_REVIEWER: (True, False, True),
    Role.STATE_SUPERVISOR: (True, False, True),
    Role.STATE_ADMIN: (True, True, True),
    "": (False, False, False),  # an account without a role sees nothing of the state's
}


@pytest.mark.parametrize("role", list(MENU_FACTS))
def test_second_factor_and_statewide_link_follow_the_predicates(client, settings, district_a, role):
    user = user_factory(role, [district_a] if role.startswith("district") else [])
    may, must, statewide = MENU_FACTS[role]
    settings.REQUIRE_2FA_FOR_ADMINS = False
    assert (permissions.can_enrol_second_factor(user), permissions.must_use_second_factor(user)) == (may, False)
    settings.REQUIRE_2FA_FOR_ADMINS = True
    assert permissions.must_use_second_factor(user) is must
    settings.REQUIRE_2FA_FOR_ADMINS = False
    client.force_login(user)
    page = client.get("/", follow=True).content.decode()  # state staff land on the review queue
    assert ('href="/statewide/"' in page) is statewide
    assert ("Two-step sign-in" in page) is may


def test_a_superuser_without_a_role_is_treated_as_a_state_administrator(client, settings):
    user = user_factory("", is_superuser=True, is_staff=True)
    settings.REQUIRE_2FA_FOR_ADMINS = True
    assert permissions.can_enrol_second_factor(user) and permissions.must_use_second_factor(user)
    assert permissions.can_view_statewide(user)


# --- One place for the rules ----------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
ROLE_FACT = re.compile(r"\.role\b|\bRole\.|is_state_staff|is_district_user|is_superuser|REVIEWER_ROLES|DISTRICT_ROLES"
                       r"|STATE_ROLES|role__")
STATUS_LIST = re.compile(r"[\[{(]\s*S\.[A-Z_]+\s*,\s*S\.[A-Z_]+")
# Everything that shows or refuses something to a user, besides the services: views, selectors,
# filters, forms, presenters and template tags of every app, the API, sign-in, and every template.
ASKS_PERMISSIONS = ("compliance/views*.py", "compliance/selectors*.py", "compliance/filters.py", "compliance/forms*.py",
                    "compliance/presenters.py", "compliance/templatetags/*.py", "planner/**/*.py", "api/**/*.py",
                    "accounts/**/*.py", "templates/**/*.html", "templates/**/*.txt")


def _sources(*patterns: str) -> list[Path]:
    return sorted({p for pattern in patterns for p in ROOT.glob(pattern)} - set(ROOT.glob("*/migrations/*.py")))


def test_no_view_selector_filter_api_or_template_states_a_role_fact():
    files = _sources(*ASKS_PERMISSIONS)
    folders = {p.relative_to(ROOT).parts[0] for p in files}
    assert {"compliance", "planner", "api", "accounts", "templates"} <= folders and len(files) >= 80
    assert {"templates/base.html", "compliance/views_statewide.py", "compliance/selectors_review.py",
            "api/auth.py", "accounts/policy.py", "planner/views.py"} <= {str(p.relative_to(ROOT)) for p in files}
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in files
                 for n, line in enumerate(p.read_text().splitlines(), 1) if ROLE_FACT.search(line)]
    assert offenders == []
    # The check can fail: the header's old statewide link, and the old second-factor policy.
    assert ROLE_FACT.search("{% if user.is_state_staff or user.is_superuser %}")
    assert ROLE_FACT.search("(user.role == Role.STATE_ADMIN or user.is_superuser)")


def test_no_module_but_the_state_machine_lists_statuses():
    files = [p for p in _sources("compliance/*.py", "compliance/services/*.py", "compliance/reports/*.py")
             if p.name != "states.py"]
    offenders = [f"{p.relative_to(ROOT)}:{n}" for p in files
                 for n, line in enumerate(p.read_text().splitlines(), 1) if STATUS_LIST.search(line)]
    assert offenders == []
    assert STATUS_LIST.search("PENDING = frozenset({S.RECEIVED, S.QUEUED, S.VALIDATING})")  # the check can fail
