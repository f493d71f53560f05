"""The state machine's named sets agree with its table of moves (compliance.states)."""
from __future__ import annotations

from compliance import states
from compliance.states import MOVES, TRANSITIONS, Mover
from compliance.states import SubmissionStatus as S

ALL = set(S)


def test_every_status_in_the_table_is_a_submission_status():
    assert set(TRANSITIONS) == ALL
    for (frm, to), mover in MOVES.items():
        assert frm in ALL and to in ALL
        assert mover in Mover.values


def test_the_table_is_the_documented_life_of_a_submission():
    # Worked out from the README's "Statuses" line plus the FAILED decision of issue 9.
    assert TRANSITIONS == {
        S.RECEIVED: {S.QUEUED},
        S.QUEUED: {S.VALIDATING},
        S.VALIDATING: {S.REJECTED, S.EVALUATED, S.FAILED},
        S.FAILED: {S.QUEUED, S.SUPERSEDED},
        S.REJECTED: {S.SUPERSEDED},
        S.EVALUATED: {S.CERTIFIED, S.SUPERSEDED},
        S.CERTIFIED: {S.IN_REVIEW},
        S.IN_REVIEW: {S.CERTIFIED, S.RETURNED, S.DECIDED, S.AWAITING_SIGN_OFF},
        # Issue 12: noncompliance is signed off (decided) or sent back to review by a supervisor.
        S.AWAITING_SIGN_OFF: {S.DECIDED, S.IN_REVIEW},
        S.RETURNED: {S.SUPERSEDED},
        S.DECIDED: set(),
        S.SUPERSEDED: set(),
    }


def test_every_replaceable_status_can_be_superseded_by_the_district():
    assert states.REPLACEABLE == {S.REJECTED, S.EVALUATED, S.RETURNED, S.FAILED}
    for status in states.REPLACEABLE:
        assert MOVES[(status, S.SUPERSEDED)] == Mover.DISTRICT
    # ... and nothing else can: superseding is exactly the replaceable states' move.
    assert {frm for (frm, to) in MOVES if to == S.SUPERSEDED} == states.REPLACEABLE


def test_locked_states_have_no_district_move():
    assert states.LOCKED == {S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.DECIDED}
    for (frm, _to), mover in MOVES.items():
        if frm in states.LOCKED:
            assert mover != Mover.DISTRICT, frm


def test_pending_states_move_only_forward_by_the_worker_or_the_upload():
    assert states.PENDING == {S.RECEIVED, S.QUEUED, S.VALIDATING}
    for status in states.PENDING:
        assert S.SUPERSEDED not in TRANSITIONS[status]  # an upload waits for the check instead
    assert MOVES[(S.QUEUED, S.VALIDATING)] == Mover.WORKER
    assert {MOVES[(S.VALIDATING, to)] for to in TRANSITIONS[S.VALIDATING]} == {Mover.WORKER}


def test_upload_rules_partition_the_statuses():
    # Every status either blocks an upload (pending, locked), is replaced by it, or is finished.
    groups = [states.PENDING, states.LOCKED, states.REPLACEABLE, {S.SUPERSEDED}]
    assert sum(len(g) for g in groups) == len(ALL)
    assert set().union(*groups) == ALL


def test_certifiable_claimable_and_reviewing_match_their_moves():
    assert states.CERTIFIABLE == {S.EVALUATED}
    assert all(MOVES[(s, S.CERTIFIED)] == Mover.DISTRICT for s in states.CERTIFIABLE)
    assert states.CLAIMABLE == {S.CERTIFIED}
    assert all(MOVES[(s, S.IN_REVIEW)] == Mover.STATE for s in states.CLAIMABLE)
    assert states.REVIEWING == {S.IN_REVIEW}
    for s in states.REVIEWING:
        assert TRANSITIONS[s] == {S.CERTIFIED, S.RETURNED, S.DECIDED, S.AWAITING_SIGN_OFF}
        assert {MOVES[(s, to)] for to in TRANSITIONS[s]} == {Mover.STATE}


def test_before_certification_is_everything_that_can_still_reach_certified_first():
    assert states.BEFORE_CERTIFICATION == {S.RECEIVED, S.QUEUED, S.VALIDATING, S.REJECTED, S.EVALUATED, S.FAILED}
    assert not states.BEFORE_CERTIFICATION & (states.LOCKED | {S.RETURNED, S.SUPERSEDED})


def test_state_listed_statuses_are_those_past_certification():
    assert states.STATE_LISTED == (S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.RETURNED, S.DECIDED)
    assert not set(states.STATE_LISTED) & states.BEFORE_CERTIFICATION


def test_accepted_history_excludes_every_status_without_an_accepted_evaluation():
    assert states.ACCEPTED_HISTORY == {S.EVALUATED, S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.DECIDED,
                                       S.SUPERSEDED, S.RETURNED}
    # Never evaluated (pending), or evaluated with blocking problems or a crash.
    assert not states.ACCEPTED_HISTORY & (states.PENDING | {S.REJECTED, S.FAILED})


def test_a_findings_report_is_shown_for_every_accepted_version_still_current():
    assert states.SHOWS_FINDINGS_REPORT == {S.EVALUATED, S.CERTIFIED, S.IN_REVIEW, S.AWAITING_SIGN_OFF, S.RETURNED,
                                            S.DECIDED}


def test_terminal_states_have_no_moves():
    assert states.TERMINAL == {S.DECIDED, S.SUPERSEDED}
