"""The evaluation's reassignment estimates as JSON, each band's summary once.

Every INT-01/INT-03 finding of a band quotes the band's reassignment plan; written out whole
with every recommendation that carries it, the plan's method (a paragraph), the band's shares
and its largest changes between pairs of schools made a third of a large district's evaluation
JSON (36 of 118 MB for 10,000 schools and 20,000 findings). So a finding's reassignment estimate
keeps its own numbers (schools, enrollment, students moved, share of the band, the school after
the plan) and names the band (``"plan"``) whose plan in ``remedies.integration`` holds the rest
(docs/evaluate-cli.md). Each recommendation keeps its key, title, body and sources: the content
docs/recommendations.md gives a recommendation, read one finding at a time.

:func:`expand` puts each estimate back whole for the readers that take a finding's
recommendations as they come: the reports and exports, and the findings stored for the screens
and the API. An evaluation stored before estimates named their plan is left as it is.
"""
from __future__ import annotations

from typing import Any

_QUOTED = ("method", "band_share", "largest_changes")  # in the band's plan, which its findings' estimates name
_PLAN_ONLY = ("pairs", "schools_after", "outside_after_rounding")  # the whole plan, never part of a finding's estimate


def compact(findings: list[dict[str, Any]], remedies: dict[str, Any]) -> None:
    """Replace each reassignment estimate by its own part, in place on the findings' JSON (a new
    dict per shared estimate: the rule objects' estimates are left as they are)."""
    plans = remedies.get("integration") or {}
    if not plans:
        return
    slim: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
    for f in findings:
        for rec in f["recommendations"]:
            rec["estimate"] = _own_part(rec.get("estimate"), plans, slim)


def _own_part(est: Any, plans: dict[str, Any], done: dict[int, tuple[dict[str, Any], dict[str, Any]]]) -> Any:
    """A reassignment estimate without what its band's plan says for every finding; any other as it is."""
    if not isinstance(est, dict):
        return est
    if id(est) in done:  # findings share estimates: one slim copy each (the original kept alive)
        return done[id(est)][1]
    band = est.get("band")
    plan = plans.get(band) if isinstance(band, str) else None
    quotes = plan is not None and "students_moved" in est and est.get("method") == plan.get("method")
    out = {"plan": band, **{k: v for k, v in est.items() if k not in _QUOTED}} if quotes else est
    done[id(est)] = (est, out)
    return out


def expand(result: dict[str, Any]) -> dict[str, Any]:
    """The evaluation with each finding's estimates whole (a shallow copy; ``result`` itself when
    no band has a plan)."""
    plans = (result.get("remedies") or {}).get("integration") or {}
    if not plans:
        return result
    cache: dict[int, dict[str, Any]] = {}
    findings = [{**f, "recommendations": expand_recommendations(f.get("recommendations") or [], plans, cache)}
                for f in result.get("findings") or []]
    return {**result, "findings": findings}


def expand_recommendations(recs: list[dict[str, Any]], plans: dict[str, Any],
                           cache: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    """One finding's recommendations with each estimate whole (its band's plan summary with it);
    ``cache`` (one per evaluation) makes each shared estimate whole once."""
    return [{**rec, "estimate": _whole_estimate(rec.get("estimate"), plans, cache)} for rec in recs]


def _whole_estimate(est: Any, plans: dict[str, Any], cache: dict[int, dict[str, Any]]) -> Any:
    if not isinstance(est, dict) or not isinstance(est.get("plan"), str) or est["plan"] not in plans:
        return est
    if id(est) not in cache:
        summary = {k: v for k, v in plans[est["plan"]].items() if k not in _PLAN_ONLY}
        cache[id(est)] = {**summary, **{k: v for k, v in est.items() if k != "plan"}}
    return cache[id(est)]
