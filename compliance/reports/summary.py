"""The report's summary, key measures, charts and data appendix, from the evaluation's measures."""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable
from typing import Any

from compliance.rules import ruleset
from compliance.rules.counts import severity_counts
from compliance.rules.labels import CODE_WORDS, group_short
from compliance.rules.model import RACE_GROUPS

from . import charts
from . import formatting as fmt
from .context import ReportContext
from .repeats import ONE_SCHOOL, distinct_findings, one_school_bands
from .sections import AREAS, SEVERITY_LABELS, SEVERITY_ORDER, area_of
from .suppression import suppress_ratio
from .view_schools import SchoolInfo, band_short, finding_label
from .view_schools import get as _get
from .view_schools import measure_block as _measure_block

# Above this many schools the data appendix gives band summaries, not every school (the
# per-school export has them all): a 2,000-row table is unreadable in print, and laying
# it out costs more than the rest of the report together (bench/report.py).
FULL_TABLE_MAX = 250
BANDS = ("elementary", "middle", "high")




MEASURE_ROWS: list[tuple[str, tuple[str, ...], str]] = [
    ("Multigroup dissimilarity D (race)", ("dissimilarity", "multigroup"), "index"),
    ("D, students of color vs white", ("dissimilarity", "students_of_color_white"), "index"),
    ("D, Black vs white", ("dissimilarity", "black_white"), "index"),
    ("D, Hispanic vs white", ("dissimilarity", "hispanic_white"), "index"),
    ("D, ED vs not ED", ("dissimilarity", "ed_not_ed"), "index"),
    ("Theil's H (race)", ("theil_h",), "index"),
    ("Isolation, students of color", ("isolation", "students_of_color"), "index"),
    ("Isolation, ED", ("isolation", "ed"), "index"),
    ("Normalized exposure, students of color", ("normalized_exposure", "students_of_color"), "index"),
    ("Normalized exposure, ED", ("normalized_exposure", "ed"), "index"),
    ("Spending per pupil, pupil-weighted mean", ("resources", "ppe_mean"), "money"),
    ("Coefficient of variation (CV)", ("resources", "cv"), "index"),
    ("McLoone index", ("resources", "mcloone"), "index"),
    ("Verstegen index", ("resources", "verstegen"), "index"),
    ("Federal range ratio", ("resources", "federal_range_ratio"), "index"),
    ("Progressivity", ("resources", "progressivity"), "index"),
    ("Inexperienced-teacher gap, poverty quartiles", ("resources", "inexperienced_gap_poverty"), "points"),
    ("Inexperienced-teacher gap, students-of-color quartiles", ("resources", "inexperienced_gap_students_of_color"),
     "points"),
]
KEY_MEASURES = {0, 1, 4, 11, 12, 14, 15, 16}
# What a measure means, in plain words, where the key numbers print it.
PLAIN_WORDS: dict[tuple[str, ...], str] = {
    ("dissimilarity", "multigroup"): "share of students who would have to change schools for every school to "
                                     "have the same racial mix (0 even, 1 fully separate)",
    ("dissimilarity", "students_of_color_white"): "the same for students of color and white students",
    ("dissimilarity", "ed_not_ed"): "the same for economically disadvantaged (ED) students and the others",
    ("resources", "cv"): "how far a pupil\u2019s school spending typically lies from the average, as a share of "
                         "the average (0.100 is 10%)",
    ("resources", "mcloone"): "what the lower-spending half of pupils gets, as a share of what the median "
                              "would give them (1.000 is the median for all)",
    ("resources", "federal_range_ratio"): "how much more the 95th-percentile pupil\u2019s school spends than the "
                                          "5th-percentile pupil\u2019s (0.250 is 25% more)",
    ("resources", "progressivity"): "dollars per pupil in the highest-poverty quarter of schools for every $1 in "
                                    "the lowest-poverty quarter",
    ("resources", "inexperienced_gap_poverty"): "share of first- and second-year teachers, highest- minus "
                                                "lowest-poverty quarter of schools",
}
_MEASURE_FORMATS: dict[str, Callable[[Any], str]] = {"index": fmt.index, "money": fmt.money, "points": fmt.points}


def _fmt_measure(kind: str, value: Any) -> str:
    return _MEASURE_FORMATS[kind](value)


def measures_table(ctx: ReportContext, only_key: bool) -> dict[str, Any]:
    """The measures for the district, each band and the proposed change.

    A band with one school has no column: every measure of how its schools differ is 0 by
    construction, so the table says once that they are not applicable there.
    """
    measures = ctx.evaluation.get("measures") or {}
    single = one_school_bands(measures)
    present = [b for b in ("elementary", "middle", "high") if (measures.get("bands") or {}).get(b)]
    bands = [b for b in present if b not in single]
    columns = ["District"] + [band_short(b) for b in bands]
    proposed = measures.get("proposed") or None
    proposed_district = proposed.get("district", proposed) if isinstance(proposed, dict) else None
    if proposed_district:
        columns.append("Proposed (district)")
    rows = []
    for i, (label, path, kind) in enumerate(MEASURE_ROWS):
        if only_key and i not in KEY_MEASURES:
            continue
        cells = [_fmt_measure(kind, _get(_measure_block(measures, None), *path))]
        cells += [_fmt_measure(kind, _get(_measure_block(measures, b), *path)) for b in bands]
        if proposed_district:
            cells.append(_fmt_measure(kind, _get(proposed_district, *path)))
        rows.append({"label": label, "plain": PLAIN_WORDS.get(path, "") if only_key else "", "cells": cells})
    note = "; ".join(f"{fmt.band_label(b)}: {ONE_SCHOOL}" for b in present if b in single)
    return {"columns": columns, "rows": rows, "note": note}


def _band_width(ctx: ReportContext) -> float:
    return float(ruleset.section(ctx.rule_params, "INT-01")["band"])


def report_charts(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> dict[str, list[charts.Chart]]:
    """Charts by where they go: "summary", "integration", "resources"."""
    measures = ctx.evaluation.get("measures") or {}
    int04 = ruleset.section(ctx.rule_params, "INT-04")
    out: dict[str, list[charts.Chart]] = {"summary": [], "integration": [], "resources": []}
    single = one_school_bands(measures)
    district = measures.get("district") or {}
    rows = [("District", _get(district, "dissimilarity", "multigroup"), _get(district, "dissimilarity", "ed_not_ed"),
             "")]
    for b in ("elementary", "middle", "high"):
        block = (measures.get("bands") or {}).get(b)
        if block:
            rows.append((band_short(b), _get(block, "dissimilarity", "multigroup"),
                         _get(block, "dissimilarity", "ed_not_ed"), ONE_SCHOOL if b in single else ""))
    if any(r[1] is not None or r[2] is not None for r in rows):
        out["summary"].append(charts.dissimilarity_chart(rows, float(int04["warning_at"]), float(int04["finding_at"])))
    width = _band_width(ctx)
    for b in ("elementary", "middle", "high"):
        masked = [(s, s.mask) for s in schools.values() if s.band == b and s.mask is not None]
        band_share = _band_share(ctx, schools, b, "students_of_color")
        if len(masked) < 2 or band_share is None:  # one school is its band's share: nothing to compare
            continue
        points, not_shown = [], 0
        for s, mask in masked:
            rng = mask.share_range("students_of_color")
            if rng is None:
                not_shown += 1
                continue
            points.append(charts.SharePoint(s.name, rng[0], rng[1], mask.share("students_of_color")))
        out["integration"].append(charts.composition_chart(b, band_share, width, points, not_shown))
    spend = []
    for s in schools.values():
        ppe = s.measures.get("ppe_state_local")
        if s.mask is None or not isinstance(ppe, (int, float)):
            continue
        rng = s.mask.share_range("econ_disadvantaged")
        if rng is None:
            continue
        spend.append(charts.SpendingPoint(s.name, charts.SharePoint(s.name, rng[0], rng[1], s.mask.share("ed")),
                                          float(ppe), s.mask.total, s.title_i))
    if spend:
        res = _get(measures.get("district") or {}, "resources") or {}
        out["resources"].append(charts.spending_chart(spend, res.get("ppe_mean"), res.get("progressivity")))
    return out


def _band_share(ctx: ReportContext, schools: dict[str, SchoolInfo], band: str, cell: str) -> float | None:
    """A band's pooled share, from raw counts (band-level shares are printed as computed)."""
    tot = num = 0
    for s in schools.values():
        if s.band == band and s.mask is not None:
            tot += s.mask.total
            num += s.mask.counts.get(cell, 0)
    return num / tot if tot else None


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _count_table(ctx: ReportContext, problems: dict[str, Any]) -> tuple[list[dict[str, Any]], list[int]]:
    """Findings per area and severity (data problems counted under Data), and the totals."""
    counts: dict[str, Counter] = {a: Counter() for a, _, _ in AREAS}
    for _, f in distinct_findings(ctx):
        counts[area_of(str(f.get("rule") or ""))][f.get("severity") or "finding"] += 1
    by_rules = sum(counts.values(), Counter())
    counts["data"]["error"] += problems["errors"]
    counts["data"]["warning"] += problems["warnings"]
    table = [{"area": name, "cells": [counts[a][s] for s in SEVERITY_ORDER], "total": sum(counts[a].values())}
             for a, name, _ in AREAS]
    # The totals come from the function the pages and e-mails use (issue 11): the four never disagree.
    totals = severity_counts({"error": problems["errors"], "warning": problems["warnings"]}, by_rules)
    return table, totals.in_report_order()


def _integration_sentences(ctx: ReportContext, schools: dict[str, SchoolInfo], district: dict[str, Any]) -> list[str]:
    int04 = ruleset.section(ctx.rule_params, "INT-04")
    w, fnd = float(int04["warning_at"]), float(int04["finding_at"])
    sentences = []
    soc_d = _get(district, "dissimilarity", "students_of_color_white")
    multi = _get(district, "dissimilarity", "multigroup")
    if soc_d is not None:
        how = {"low": "only slightly", "moderate": "moderately", "high": "highly"}[fmt.reading_of_d(soc_d, w, fnd)]
        sentences.append(
            f"Students of color and white students are spread {how} unevenly across the district\u2019s schools "
            f"(dissimilarity {fmt.index(soc_d)}): about {soc_d * 100:.0f}% of either group would have to change "
            "schools for every school to mirror the district."
        )
    if multi is not None:
        sentences.append(f"Across all seven race groups the multigroup dissimilarity is {fmt.index(multi)}, "
                         f"a {fmt.reading_of_d(multi, w, fnd)} level on the usual reading (moderate from {w:g}, "
                         f"high from {fnd:g}).")
    findings = ctx.evaluation.get("findings") or []
    flagged = {str(f.get("school_id")) for f in findings if f.get("rule") in ("INT-01", "INT-02", "INT-03")
               and f.get("school_id") and f.get("severity") in ("finding", "warning")}
    if schools:
        sentences.append(f"{len(flagged)} of {len(schools)} schools are racially or economically identifiable "
                         f"or intensely segregated under rules INT-01 to INT-03 "
                         f"(band \u00b1{_band_width(ctx) * 100:g} points).")
    return sentences


def _resource_sentences(ctx: ReportContext, res: dict[str, Any]) -> list[str]:
    sentences = []
    prog = res.get("progressivity")
    if prog is not None:
        need = float(ruleset.section(ctx.rule_params, "RES-03")["min_ratio"])
        verdict = "meets" if prog >= need else "falls short of"
        sentences.append(f"Schools in the highest-poverty quarter receive ${prog:.2f} in state and local money "
                         f"per pupil for every $1.00 in the lowest-poverty quarter "
                         f"(progressivity {fmt.index(prog, 2)}), which {verdict} the required {need:.2f}.")
    sentences += _spread_sentences(ctx, res)
    gap = res.get("inexperienced_gap_poverty")
    if gap is not None:
        sentences.append(f"The share of teachers in their first or second year is {fmt.points(abs(gap))} "
                         f"{'higher' if gap >= 0 else 'lower'} in the highest-poverty quarter of schools than in the "
                         "lowest-poverty quarter.")
    return sentences


def _spread_sentences(ctx: ReportContext, res: dict[str, Any]) -> list[str]:
    """How even spending is, each index with what it means in plain words."""
    cv, mcloone, ratio = res.get("cv"), res.get("mcloone"), res.get("federal_range_ratio")
    if cv is None and mcloone is None:
        return []
    p = ruleset.section(ctx.rule_params, "RES-05")
    out = [f"Spending per pupil averages {fmt.money(res.get('ppe_mean'))}."]
    if cv is not None:
        spread = (f"typically spends {cv * 100:.0f}% more or less than that average" if cv >= 0.005
                  else "spends about that average")
        out.append(f"A pupil\u2019s school {spread} (coefficient of variation {fmt.index(cv)}; the rule set allows up "
                   f"to {p['max_cv']:g}).")
    if mcloone is not None:
        out.append(f"The lower-spending half of pupils gets {mcloone * 100:.0f}% of what it would if every one of "
                   f"them were funded at the median (McLoone index {fmt.index(mcloone)}; at least "
                   f"{p['min_mcloone']:g} expected).")
    if ratio is not None:
        more = f"{ratio * 100:.0f}% more per pupil than" if ratio >= 0.005 else "about as much per pupil as"
        out.append(f"The school of the pupil at the 95th percentile of spending spends {more} that of the pupil at "
                   f"the 5th (federal range ratio {fmt.index(ratio)}; at most {p['max_range_ratio']:g}).")
    return [" ".join(out)]


def _proposal_sentences(ctx: ReportContext) -> list[str]:
    """The district's proposed change in one sentence: what it is and what INT-05 makes of it."""
    if not (ctx.evaluation.get("measures") or {}).get("proposed"):
        return []
    int05 = [f for _, f in distinct_findings(ctx) if f.get("rule") == "INT-05" and f.get("scope") == "district"]
    effects = []
    for f in int05:
        ev = f.get("evidence") or {}
        if ev.get("measure") == "multigroup":
            effects.append(f"multigroup dissimilarity from {fmt.index(ev.get('current'))} to "
                           f"{fmt.index(ev.get('proposed'))}")
        elif ev.get("measure") == "flagged_schools":
            effects.append(f"the identifiable or segregated schools from {ev.get('current')} to {ev.get('proposed')}")
    what = f" (\u201c{ctx.proposed_description_printed}\u201d)" if ctx.proposed_description_printed else ""
    moves = f": it takes {' and '.join(effects)}" if effects else ""
    if any(f.get("severity") == "finding" for _, f in distinct_findings(ctx) if f.get("rule") == "INT-05"):
        verdict = "INT-05 finds against it, as it would set integration back"
    elif int05 or effects:
        verdict = "INT-05 records a commendation"
    else:
        verdict = "it moves no measure INT-05 watches beyond the tolerance"
    return [f"The district proposes an assignment change{what}{moves}; {verdict} (see \u201cThe proposed "
            "change\u201d)."]


def _lottery_sentences(ctx: ReportContext, schools: dict[str, SchoolInfo]) -> list[str]:
    """The admission lotteries in one sentence: how many, and which fall short of INT-06 and how."""
    if not ctx.lottery_rows:
        return []
    short = defaultdict(list)
    for _, f in distinct_findings(ctx):
        if f.get("rule") == "INT-06" and f.get("severity") == "finding":
            check = str((f.get("evidence") or {}).get("check") or "")
            short[finding_label(f, schools)].append(CODE_WORDS.get(check, check.replace("_", " ")))
    n = ctx.lottery_rows
    head = f"The district runs {n} admission lotter{'ies' if n != 1 else 'y'} with two pools"
    if not short:
        return [f"{head}; every one meets INT-06."]
    which = "; ".join(f"{name} ({', '.join(checks)})" for name, checks in short.items())
    return [f"{head}; {len(short)} fall{'s' if len(short) == 1 else ''} short of INT-06: {which}."]


def summary(ctx: ReportContext, schools: dict[str, SchoolInfo], problems: dict[str, Any]) -> dict[str, Any]:
    table, totals = _count_table(ctx, problems)
    district = (ctx.evaluation.get("measures") or {}).get("district") or {}
    sentences = [
        f"This report checks the {ctx.cycle} submission of {ctx.district_name} (version {ctx.submission_version}) "
        f"against the rule set \u201c{ctx.rule_set_name}\u201d, version {ctx.rule_set_version}. It records "
        f"{_plural(totals[1], 'finding')} (noncompliance that needs a corrective action), "
        f"{_plural(totals[2], 'warning')} (concerns the district must explain) and {_plural(totals[3], 'note')}."
    ]
    dismissed = sum(1 for i, f in distinct_findings(ctx) if f.get("severity") == "finding" and ctx.dismissed(i))
    if dismissed:
        # The counts are the rules' (as on the pages and in the e-mails); page 1 decides without these.
        sentences.append(f"On review the state dismissed {dismissed} of the findings, giving its reason under "
                         f"each; the result by area on page 1 leaves {'them' if dismissed != 1 else 'it'} out.")
    if problems["errors"]:
        sentences.append(f"The workbook has {problems['errors']} blocking data error(s): the district must correct "
                         "them and resubmit before the results below can be relied on.")
    sentences += _integration_sentences(ctx, schools, district)
    sentences += _proposal_sentences(ctx) + _lottery_sentences(ctx, schools)
    sentences += _resource_sentences(ctx, district.get("resources") or {})
    return {"table": table, "totals": totals, "grand_total": sum(totals),
            "headers": [SEVERITY_LABELS[s] for s in SEVERITY_ORDER],
            "sentences": sentences, "key_measures": measures_table(ctx, only_key=True)}


_BAND_ORDER = {"elementary": 0, "middle": 1, "high": 2}
_BAND_ABBREVIATIONS = {"elementary": "Elem.", "middle": "Mid.", "high": "High"}


def _school_row(s: SchoolInfo, flagged_rules: dict[str, list[str]], min_cell: int) -> dict[str, Any]:
    """One school of the data appendix, every count and share through its mask, pupils per teacher
    through the worksheet's rule (with the worksheet's FTE it would give a small enrollment back)."""
    m, mask = s.measures, s.mask
    spt, enrollment = m.get("students_per_teacher"), mask.total if mask else m.get("enrollment_total")

    def share(cell: str) -> str:
        return mask.share(cell) if mask else fmt.NA

    return {
        "name": s.name, "id": s.school_id, "band": _BAND_ABBREVIATIONS.get(s.band or "", ""),
        "enrollment": mask.count("enrollment_total") if mask else fmt.number(m.get("enrollment_total")),
        "soc": share("students_of_color"), "ed": share("econ_disadvantaged"),
        "groups": [share(g) for g in RACE_GROUPS],
        "ppe": fmt.money(m.get("ppe_state_local")),
        "spt": suppress_ratio(spt, fmt.number(spt, 1), enrollment, min_cell),
        "rules": ", ".join(flagged_rules.get(s.school_id, [])),
    }


def _int01_cell(ctx: ReportContext, flagged: set[str]) -> str:
    """How many schools INT-01 flags: a count of schools, not of students, so never suppressed."""
    if not ruleset.section(ctx.rule_params, "INT-01")["enabled"]:
        return fmt.NA  # 0 would read as "none flagged" when the rule never looked
    return f"{len(flagged):,}"


def _band_rows(ctx: ReportContext, schools: dict[str, SchoolInfo], flagged_rules: dict[str, list[str]]
               ) -> list[dict[str, Any]]:
    """Each band's totals and pooled shares, from raw counts, and how many schools INT-01 flags in it.

    The flagged schools are read from the findings (``flagged_rules``: school -> its rules), not
    recomputed from the printed shares: a small school's share prints as a range ("<67%") that may
    overlap the band although the rule flagged it, and INT-01 also flags a school for a single race
    group while its students of color are inside.
    """
    measures = ctx.evaluation.get("measures") or {}
    int01: dict[str, set[str]] = defaultdict(set)
    for sid, school in schools.items():
        if "INT-01" in flagged_rules.get(sid, ()):
            int01[str(school.band)].add(sid)
    bands = []
    for b in BANDS:
        masks = [s.mask for s in schools.values() if s.band == b and s.mask is not None]
        if not masks:
            continue
        soc = _band_share(ctx, schools, b, "students_of_color")
        ed = _band_share(ctx, schools, b, "econ_disadvantaged")
        res = _get(_measure_block(measures, b), "resources") or {}
        bands.append({
            "band": fmt.band_label(b), "schools": f"{len(masks):,}",
            "enrollment": f"{sum(m.total for m in masks):,}",
            "soc": fmt.pct(soc), "ed": fmt.pct(ed), "int01_flagged": _int01_cell(ctx, int01[b]),
            "ppe": fmt.money(res.get("ppe_mean")),
            "p5": fmt.money(res.get("p5")), "p50": fmt.money(res.get("p50")), "p95": fmt.money(res.get("p95")),
        })
    return bands


def data_appendix(ctx: ReportContext, schools: dict[str, SchoolInfo], flagged_rules: dict[str, list[str]]
                  ) -> dict[str, Any]:
    full = len(schools) <= FULL_TABLE_MAX
    chosen = sorted(schools.values(), key=lambda s: (_BAND_ORDER.get(s.band or "", 3), s.name)) if full else []
    return {"rows": [_school_row(s, flagged_rules, ctx.min_cell) for s in chosen], "full": full, "total": len(schools),
            "total_text": f"{len(schools):,}", "bands": _band_rows(ctx, schools, flagged_rules),
            "group_headers": [group_short(g) for g in RACE_GROUPS],
            "all_measures": measures_table(ctx, only_key=False)}
