"""The action plan: each recommendation once, its advice said once, a part per grade band it applies to
(the findings it answers there and the band's own estimate)."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any

from compliance.rules.recommendation_library import EAC_KEY
from compliance.rules.registry import rule_name

from .advice import PLAN_BLOCKS_MAX, advice_key, pdf_blocks
from .context import ReportContext
from .evidence import EvidenceFormatter
from .repeats import distinct_findings
from .view_schools import SchoolInfo, finding_label

NUMBERS_MAX = 8  # finding numbers listed under an action; more are counted (the rule's section lists them)
_ESTIMATE_PARTS = ("estimate", "estimates", "by_school", "estimate_text", "specifics")


def _answers_text(code: str, nums: list[int]) -> str:
    """'INT-01 racially identifiable schools: findings 1, 2, 3', or '...: 868 findings' when many."""
    name = f"{code} {rule_name(code).lower()}"
    if len(nums) > NUMBERS_MAX:
        return f"{name}: {len(nums):,} findings"
    return f"{name}: finding{'s' if len(nums) > 1 else ''} " + ", ".join(str(x) for x in nums)


def _band_parts(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> tuple[list[dict[str, Any]], int]:
    """One part per (recommendation, grade band), with the findings it answers there."""
    names = {s.school_id: s.name for s in schools.values()}
    items: list[tuple[str, Any, dict[str, Any]]] = []
    # advice key -> rule code -> the numbers of the findings that action answers.
    answers: defaultdict[tuple[str, str, str], defaultdict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for i, f in distinct_findings(ctx):
        label = finding_label(f, schools)
        for rec in f.get("recommendations") or []:
            items.append((label, f.get("band"), rec))
            answers[advice_key(rec, f.get("band"))][str(f.get("rule") or "UNKNOWN")].append(i + 1)
    # Specific actions first; asking the Equity Assistance Center for help comes last.
    items.sort(key=lambda item: advice_key(item[2], item[1])[0] == EAC_KEY)
    parts, omitted = pdf_blocks(items, EvidenceFormatter(None, ctx.min_cell, names=names), limit=PLAN_BLOCKS_MAX)
    keys = list(dict.fromkeys(advice_key(rec, band) for _, band, rec in items))
    for part, key in zip(parts, keys):
        part["key"] = key
        part["answers"] = [{"code": code, "anchor": "rule-" + code.lower(), "numbers": nums,
                            "text": _answers_text(code, nums)} for code, nums in sorted(answers[key].items())]
        if part["headline"] and part["band"] and not part["headline_more"]:
            part["headline"] = f"{part['band'].capitalize()} schools: {part['headline']}"
    return parts, omitted


def action_plan(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> tuple[list[dict[str, Any]], int]:
    """Every recommendation once, numbered, with a part per band; (actions, band parts left out)."""
    parts, omitted = _band_parts(ctx, schools)
    actions: dict[tuple[str, str], dict[str, Any]] = {}
    for part in parts:
        action = actions.setdefault(part["key"][:2], {"title": part["title"], "key": part["key"][:2], "parts": [],
                                                      "sources": part["sources"]})
        action["parts"].append(part)
    plan = list(actions.values())
    for n, action in enumerate(plan, start=1):
        action.update(number=n, anchor=f"action-{n}")
        shared = [p for p in action["parts"][0]["paragraphs"] if all(p in q["paragraphs"] for q in action["parts"])]
        action["paragraphs"] = shared
        for part in action["parts"]:
            part.update(number=n, anchor=f"action-{n}-{part['key'][2] or 'district'}",
                        paragraphs=[p for p in part["paragraphs"] if p not in shared])
    _refer_repeated_estimates(parts)
    _methods_once(parts)
    return plan, omitted


def _methods_once(parts: list[dict[str, Any]]) -> None:
    """An estimate's method is described the first time it is used; later, a reference to that action.

    The same program serves every band: one description of it, not one per band (the number of
    schools it names is the band's and is left out of the comparison).
    """
    first: dict[str, dict[str, Any]] = {}
    for part in parts:
        for e in [part.get("estimate"), *(x.get("estimate") for x in part.get("estimates") or [])]:
            if not e or not e.get("method"):
                continue
            shape = re.sub(r"\d[\d,]*", "#", e["method"])
            where = first.setdefault(shape, part)
            if where is not part:
                band = f", {where['band']} schools" if where["band"] else ""
                e["method"] = f"as under action {where['number']}{band}"


def _refer_repeated_sentences(part: dict[str, Any], said: dict[str, dict[str, Any]]) -> None:
    """A school's estimate sentence printed under an earlier action becomes a reference to it."""
    if part.get("estimate_text"):
        said.setdefault("Estimate: " + part["estimate_text"], part)
    for item in part.get("specifics") or []:
        first = said.setdefault(item["text"], part)
        if first is not part:
            band = f", {first['band']} schools" if first["band"] else ""
            item["text"] = f"Estimate: as under action {first['number']}{band}."


def _refer_repeated_estimates(parts: list[dict[str, Any]]) -> None:
    """An estimate already printed under an earlier action is referred to, not printed again.

    Two actions for the same band (new zones, or grade centers) often rest on the same
    reassignment estimate: the reader gets it once, and a link from the second.
    """
    seen: dict[str, dict[str, Any]] = {}
    said: dict[str, dict[str, Any]] = {}  # an estimate sentence -> the part that printed it
    for part in parts:
        _refer_repeated_sentences(part, said)
        values = [part.get(k) for k in _ESTIMATE_PARTS]
        if not any(values):
            continue
        first = seen.setdefault(json.dumps(values, sort_keys=True, default=str), part)
        if first is part:
            continue
        for k in _ESTIMATE_PARTS:
            part.pop(k, None)
        plain = str(first.get("headline_plain") or "").rstrip(".")
        part["same_estimate"] = {"number": first["number"], "anchor": first["anchor"],
                                 "headline": plain[:1].lower() + plain[1:]}
