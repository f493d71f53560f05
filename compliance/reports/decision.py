"""The report's first page: the verdict per area in words, the required actions, status and contacts."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

from compliance.rules.recommendation_library import DEFAULT_EAC_REGIONS, EAC_KEY, STATE_NAMES
from compliance.rules.registry import RULE_NAMES

from . import formatting as fmt
from .context import ReportContext
from .repeats import distinct_findings

ACTIONS_MAX = 5  # a page a district reads at once; the action plan has the rest
ACTIONS_MIN = 3
ESTIMATE_LINES_MAX = 3  # estimates (one per band, or per school) under one required action on page 1
# What page 1 has room for below the verdicts and contacts, in lines of the actions' small print
# (about 120 characters each); an action takes two lines for its title and what it answers.
PAGE_ONE_LINES = 19
LINE_CHARS = 120

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
    if key == "resources" and not ctx.budget and not any(
            str(f.get("rule") or "").startswith("RES") for f in ev.get("findings") or []):
        return "not applicable (no Budget sheet)"
    return None


def _by_rule(findings: list[dict[str, Any]]) -> str:
    """'racially identifiable schools: 8; teacher equity: 2', in rule order."""
    counts = Counter(str(f.get("rule")) for f in findings)
    return "; ".join(f"{RULE_NAMES.get(code, code).lower()}: {n}" for code, n in sorted(counts.items()))


def _verdict(key: str, findings: list[dict[str, Any]], ctx: ReportContext, dismissed: int = 0) -> str:
    na = _not_applicable(key, ctx)
    if na is not None:
        return na
    text = _verdict_of(findings)
    if dismissed:
        text += f"; {dismissed} finding{'s' if dismissed != 1 else ''} dismissed on review"
    return text


def _verdict_of(findings: list[dict[str, Any]]) -> str:
    failing = [f for f in findings if f.get("severity") == "finding"]
    if failing:
        n = len(failing)
        return f"not met: {n} finding{'s' if n != 1 else ''} ({_by_rule(failing)})"
    if any((f.get("evidence") or {}).get("commendation") for f in findings):
        return "met, with a commendation: the change advances integration"
    warnings = [f for f in findings if f.get("severity") == "warning"]
    if warnings:
        n = len(warnings)
        return f"met, with {n} warning{'s' if n != 1 else ''} to explain ({_by_rule(warnings)})"
    return "met"


def verdicts(ctx: ReportContext) -> list[dict[str, str]]:
    """Each area met or not, with why. A finding the state dismissed on review decides nothing;
    the verdict says how many were."""
    findings = distinct_findings(ctx)
    out = []
    for key, heading, decides in VERDICT_AREAS:
        mine = [(i, f) for i, f in findings if decides(str(f.get("rule") or ""))]
        kept = [f for i, f in mine if not ctx.dismissed(i)]
        dismissed = sum(1 for i, f in mine if ctx.dismissed(i) and f.get("severity") == "finding")
        text = _verdict(key, kept, ctx, dismissed)
        status = text.split(":")[0].split(" (")[0].split(",")[0].split(";")[0]
        out.append({"key": key, "area": heading, "verdict": text, "status": status, "rest": text[len(status):]})
    return out


def corrective_actions(ctx: ReportContext) -> list[dict[str, str]]:
    """The corrective action plan the state set with its decision, each action in words: what,
    by when, where it stands and which finding it answers (its number in the findings)."""
    out = []
    for a in ctx.corrective_actions:
        finding = a.get("finding")
        out.append({"description": str(a.get("description") or ""), "due": fmt.when(a.get("due_on")),
                    "status": str(a.get("status") or ""),
                    "answers": f"finding {finding + 1}" if isinstance(finding, int) else ""})
    return out


def _lines(text: str) -> int:
    return max(1, -(-len(text) // LINE_CHARS))


def required_actions(ctx: ReportContext, plan: list[dict[str, Any]],
                     corrective: list[dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """The action plan's actions that answer findings (not only warnings), once per recommendation
    across bands, quantified ones and those answering most findings first, as many as page 1
    holds after the state's ``corrective`` actions (:func:`corrective_actions`)."""
    failing = {i + 1 for i, f in distinct_findings(ctx) if f.get("severity") == "finding" and not ctx.dismissed(i)}
    groups = []
    for action in plan:
        # The page names the Equity Assistance Center under contacts: not an action of its own.
        parts = [p for p in action["parts"] if action["key"][0] != EAC_KEY
                 and any(n in failing for a in p["answers"] for n in a["numbers"])]
        if not parts:
            continue
        groups.append({
            "title": action["title"], "anchor": action["anchor"], "number": action["number"],
            "findings": {n for p in parts for a in p["answers"] for n in a["numbers"] if n in failing},
            "rules": list(dict.fromkeys(a["code"] for p in parts for a in p["answers"])),
            "estimates": [p["headline"] for p in parts if p.get("headline")],
        })
    ranked = sorted(groups, key=lambda g: (not g["estimates"], -len(g["findings"]), g["title"]))
    for g in ranked:
        n = len(g["findings"])
        g["answers"] = f"answers {n:,} finding{'s' if n != 1 else ''} ({', '.join(sorted(g['rules']))})"
        g["more_estimates"] = max(0, len(g["estimates"]) - ESTIMATE_LINES_MAX)
        g["estimates"] = g["estimates"][:ESTIMATE_LINES_MAX]
    # The state's own corrective actions come first on the page; the recommendations fill what is left.
    if corrective is None:
        corrective = corrective_actions(ctx)
    used = sum(1 + _lines(a["description"]) for a in corrective)
    return _fitting(ranked, used, ACTIONS_MIN if not used else 0)


def _fitting(ranked: list[dict[str, Any]], used: int = 0, at_least: int = ACTIONS_MIN) -> list[dict[str, Any]]:
    """The first actions, as many as page 1 holds after ``used`` lines (at least ``at_least``, at most
    five): a page of its own."""
    out: list[dict[str, Any]] = []
    for g in ranked[:ACTIONS_MAX]:
        lines = 2 + -(-len(" ".join(g["estimates"])) // LINE_CHARS)
        if len(out) >= at_least and used + lines > PAGE_ONE_LINES:
            break
        out.append(g)
        used += lines
    return out


def status_lines(ctx: ReportContext) -> list[tuple[str, str]]:
    """Who certified and who decided, in words; a draft says it is not a determination."""
    lines = [("Status", ctx.status)]
    if ctx.certified:
        lines.append(("Certified by", f"{ctx.certified.get('by') or 'the district certifier'}, "
                                      f"{fmt.when(ctx.certified.get('at'))}"))
        if ctx.certified.get("unsigned_note"):  # an API call without a typed name, title or attestation
            lines.append(("Attestation", ctx.certified["unsigned_note"]))
    else:
        lines.append(("Certified by", "not yet certified by the district"))
    if ctx.decision:
        signed = ctx.decision.get("signed_off_by")
        lines.append(("Decided by", f"{ctx.decision.get('decided_by') or 'State staff'}, "
                                    f"{fmt.when(ctx.decision.get('decided_at'))}: {ctx.decision.get('outcome')}"
                                    + (f"; signed off by {signed}" if signed else "")))
    else:
        lines.append(("Decided by", "no decision yet"))
    if ctx.response_due:
        lines.append(ctx.response_due)
    return lines


def is_draft(ctx: ReportContext) -> bool:
    """Before certification the report is a draft: the state has determined nothing."""
    return not ctx.certified and not ctx.decision


def state_name(ctx: ReportContext) -> str:
    """'Mississippi' for "MS"; the code itself when unknown."""
    return STATE_NAMES.get(ctx.state, ctx.state)


def contacts(ctx: ReportContext) -> list[tuple[str, str]]:
    out = []
    # The caller names the center from the state's table; without one, the federal awards' own table.
    eac = ctx.assistance_center or DEFAULT_EAC_REGIONS.get(ctx.state)
    if eac:
        region = f"Region {eac['region']}, " if eac.get("region") else ""
        operator = f" (operated by {eac['operator']})" if eac.get("operator") else ""
        out.append(("Equity Assistance Center", f"{region}{eac.get('center')}{operator}"))
    else:
        out.append(("Equity Assistance Center", "the regional Equity Assistance Center serving the state "
                                                "(the state is not known to this report)"))
    agency = f"the {state_name(ctx)} state education agency" if ctx.state else "the state education agency"
    out.append(("State contact", ctx.state_contact or f"{agency}\u2019s equity compliance office"))
    return out


def decision_page(ctx: ReportContext, plan: list[dict[str, Any]]) -> dict[str, Any]:
    corrective = corrective_actions(ctx)
    return {"verdicts": verdicts(ctx), "corrective": corrective,
            "actions": required_actions(ctx, plan, corrective), "status": status_lines(ctx),
            "contacts": contacts(ctx), "draft": is_draft(ctx)}
