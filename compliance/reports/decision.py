"""The report's first page: the verdict per area in words, the required actions, status and contacts."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from compliance.rules.recommendation_library import EAC_KEY
from compliance.rules.registry import RULE_NAMES

from . import formatting as fmt
from .advice import split_body
from .context import ReportContext
from .suppression import scrub_small_counts

ACTIONS_MAX = 5  # a page a district reads at once; the action plan has the rest

# (key, heading, which rules decide it): the areas a reader asks about, in the order asked.
VERDICT_AREAS: tuple[tuple[str, str, Callable[[str], bool]], ...] = (
    ("integration", "Integration", lambda r: r in ("INT-01", "INT-02", "INT-03", "INT-04")),
    ("proposed", "Proposed change", lambda r: r == "INT-05"),
    ("lottery", "Lottery admissions", lambda r: r == "INT-06"),
    ("resources", "Resource equity", lambda r: r.startswith("RES")),
)


def _not_applicable(key: str, ctx: ReportContext) -> str | None:
    """Why an area was not checked in this submission, or None when it was."""
    ev = ctx.evaluation
    if key == "proposed" and not (ev.get("measures") or {}).get("proposed"):
        return "not applicable (the district proposes no change)"
    if key == "lottery" and not ctx.lottery_rows and not any(
            f.get("rule") == "INT-06" for f in ev.get("findings") or []):
        return "not applicable (no admission lottery)"
    return None


def _verdict(key: str, findings: list[dict[str, Any]], ctx: ReportContext) -> str:
    na = _not_applicable(key, ctx)
    if na is not None:
        return na
    severities = [str(f.get("severity")) for f in findings]
    commended = any((f.get("evidence") or {}).get("commendation") for f in findings)
    n = severities.count("finding")
    if n:
        return f"not met: {n} finding{'s' if n != 1 else ''}"
    if commended:
        return "met, with a commendation"
    warnings = severities.count("warning")
    if warnings:
        return f"met, with {warnings} warning{'s' if warnings != 1 else ''}"
    return "met"


def verdicts(ctx: ReportContext) -> list[dict[str, str]]:
    findings = ctx.evaluation.get("findings") or []
    out = []
    for key, heading, decides in VERDICT_AREAS:
        mine = [f for f in findings if decides(str(f.get("rule") or ""))]
        text = _verdict(key, mine, ctx)
        out.append({"key": key, "area": heading, "verdict": text,
                    "status": text.split(":")[0].split(" (")[0].split(",")[0]})
    return out


def required_actions(ctx: ReportContext) -> list[dict[str, Any]]:
    """The recommendations of the findings (not warnings), each once, most findings answered first."""
    groups: dict[str, dict[str, Any]] = {}
    for i, f in enumerate(ctx.evaluation.get("findings") or []):
        if f.get("severity") != "finding":
            continue
        for rec in f.get("recommendations") or []:
            key = str(rec.get("key") or rec.get("title") or "")
            if key == EAC_KEY:
                continue  # the page names the center under contacts: not an action of its own
            g = groups.setdefault(key, {"title": str(rec.get("title") or ""), "rules": [], "findings": [],
                                        "estimate": ""})
            g["findings"].append(i + 1)
            if f.get("rule") not in g["rules"]:
                g["rules"].append(str(f.get("rule")))
            if not g["estimate"]:
                g["estimate"] = _headline(split_body(scrub_small_counts(str(rec.get("body") or ""), ctx.min_cell))[1])
    # Quantified remedies first: an action with a number says what "enough" is.
    ranked = sorted(groups.values(), key=lambda g: (not g["estimate"], -len(g["findings"]), g["title"]))
    for g in ranked:
        n = len(g["findings"])
        names = ", ".join(f"{r} ({RULE_NAMES.get(r, r).lower()})" for r in g["rules"])
        g["answers"] = f"answers {n} finding{'s' if n != 1 else ''} under {names}"
    return ranked[:ACTIONS_MAX]


def _headline(estimate: str) -> str:
    """The estimate's first clause: the quantity; the action plan has the details."""
    head = estimate.split("; ")[0].strip().rstrip(".")
    return f"Estimate: {head[0].upper()}{head[1:]}." if head else ""


def status_lines(ctx: ReportContext) -> list[tuple[str, str]]:
    """Who certified and who decided, in words; a draft says it is not a determination."""
    lines = [("Status", ctx.status)]
    if ctx.certified:
        lines.append(("Certified by", f"{ctx.certified.get('by') or 'the district certifier'}, "
                                      f"{fmt.when(ctx.certified.get('at'))}"))
    else:
        lines.append(("Certified by", "not yet certified by the district"))
    if ctx.decision:
        lines.append(("Decided by", f"{ctx.decision.get('decided_by') or 'State staff'}, "
                                    f"{fmt.when(ctx.decision.get('decided_at'))}: {ctx.decision.get('outcome')}"))
    else:
        lines.append(("Decided by", "no decision yet"))
    if ctx.response_due:
        lines.append(ctx.response_due)
    return lines


def is_draft(ctx: ReportContext) -> bool:
    """Before certification the report is a draft: the state has determined nothing."""
    return not ctx.certified and not ctx.decision


def contacts(ctx: ReportContext) -> list[tuple[str, str]]:
    out = []
    eac = ctx.assistance_center
    if eac:
        region = f"Region {eac['region']}, " if eac.get("region") else ""
        operator = f" (operated by {eac['operator']})" if eac.get("operator") else ""
        out.append(("Equity Assistance Center", f"{region}{eac.get('center')}{operator}"))
    else:
        out.append(("Equity Assistance Center", "the regional Equity Assistance Center serving the state "
                                                "(the state is not known to this report)"))
    out.append(("State contact", ctx.state_contact or (
        f"the {ctx.state} state education agency\u2019s equity compliance office" if ctx.state
        else "the state education agency\u2019s equity compliance office")))
    return out


def decision_page(ctx: ReportContext) -> dict[str, Any]:
    return {"verdicts": verdicts(ctx), "actions": required_actions(ctx), "status": status_lines(ctx),
            "contacts": contacts(ctx), "draft": is_draft(ctx)}
