"""The API's request and response shapes (pydantic, through django-ninja); the OpenAPI schema is made from these."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from ninja import Field, Schema

from compliance.models import CertificationVia, ReviewStatus
from compliance.services.portal import REPORT_STATES
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
    attestation: str = Field(description="What a certifier of this cycle attests to (the cycle's own words, else the "
                                         "standard attestation); an API certification carries it.")


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


class CertifyIn(Schema):
    """The certifier's signature, as the web form takes it: all three, or send no body at all."""

    signer_name: str = Field(description="Your full name, as you sign (the web form's \"Your full name\").")
    signer_title: str = Field(description="Your title, for example Superintendent.")
    attest: bool = Field(strict=True, description="true: you attest to the cycle's attestation (`attestation` "
                         "of GET /api/v1/cycles); false is refused, as an unticked box on the web form.")


class CertificationOut(Schema):
    """Who certified and how, as the pages, the e-mails and the PDF print it."""

    signer_name: str = Field(description="As typed; without a signature, the name of the token's account.")
    signer_title: str = Field(description="As typed; without a signature, the role of the token's account.")
    certified_at: datetime
    via: CertificationVia | None = Field(description="Where it was certified; null before this was recorded.")
    signed: bool | None = Field(description="Name and title typed and the attestation accepted (the web form, or "
                                            "certify's body); false: an API call without them; null: not recorded.")
    attestation: str = Field(description="The words attested to, or, without a signature, the attestation the API "
                                         "call carries.")


# The one tuple of compliance.services.portal, unpacked: a Literal at run time (pydantic and the OpenAPI enum read
# it); the type checker cannot read a Literal built from a variable, and takes it as Any.
ReportState = Literal[REPORT_STATES]  # type: ignore[valid-type]
REPORT_STATE_TEXT = (
    "`ready`: GET .../report.pdf answers it now. `pending`: not made yet and on its way (the workbook is being "
    "checked, or the PDF rendered, as for a few seconds after evaluation and after certification); report.pdf "
    "answers 409 `report_not_ready` with Retry-After. `failed`: it could not be made and waits for the state's "
    "administrators; report.pdf answers 409 `report_failed`. `none`: none now and none on its way (rejected, "
    "failed, superseded, or no decision yet); report.pdf answers 404."
)


class ReportsOut(Schema):
    """How each PDF report of the submission stands (``kind`` of GET .../report.pdf)."""

    evaluation: ReportState = Field(description="The findings report. " + REPORT_STATE_TEXT)
    decision: ReportState = Field(description="The decision report (once decided).")


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
    certification: CertificationOut | None = Field(description="Null until the district certifies.")
    report_ready: bool = Field(description="The findings report (GET .../report.pdf) can be downloaded now: "
                                           "`reports.evaluation` is `ready`.")
    reports: ReportsOut


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
