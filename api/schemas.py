"""The API's request and response shapes (pydantic, through django-ninja); the OpenAPI schema is made from these."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema

from compliance.models import ReviewStatus
from compliance.states import SubmissionStatus


class ErrorOut(Schema):
    detail: str
    code: str


class TokenIn(Schema):
    username: str
    password: str


class TokenOut(Schema):
    token: str
    id: int
    expires_at: datetime


class TokenInfoOut(Schema):
    id: int
    prefix: str
    created_at: datetime
    expires_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    active: bool


class CycleOut(Schema):
    id: int
    school_year: str
    opens_on: date
    due_on: date
    closes_on: date
    is_open: bool
    rule_set: str


class DistrictOut(Schema):
    id: int
    state_id: str
    nces_id: str
    name: str


class ReceiptOut(Schema):
    filename: str
    size: int
    sha256: str
    received_at: datetime
    uploaded_by: str


class CountsOut(Schema):
    """As on the web pages, the e-mails and the PDF: warnings are the data's and the rules' together."""

    errors: int
    warnings: int
    findings: int
    notes: int


class SubmissionOut(Schema):
    id: int
    district_id: int
    cycle_id: int
    school_year: str
    version: int
    status: SubmissionStatus  # the OpenAPI schema lists every code
    status_label: str
    status_changed_at: datetime
    receipt: ReceiptOut
    evaluation_outcome: str | None
    counts: CountsOut | None


class ProblemOut(Schema):
    id: int
    code: str
    severity: str
    sheet: str
    row: int | None
    column: str
    cell: str | None
    value: str
    message: str
    fix: str


class FindingOut(Schema):
    id: int
    rule: str
    severity: str
    scope: str
    school_id: str
    band: str
    message: str
    evidence: dict[str, Any]
    recommendations: list[Any]
    review_status: ReviewStatus
