"""Small-cell suppression: counts 1-9, share ranges, complementary cells, and numbers in free text."""
from compliance.reports.suppression import (
    mask_counts,
    rule_description,
    school_display_row,
    scrub_text,
    suppress_count,
    suppress_school,
    suppress_share,
)
from compliance.rules.model import SchoolRow


def row(ed: int | None = None, **counts: int) -> SchoolRow:
    groups = dict(hispanic=0, american_indian=0, asian=0, black=0, pacific_islander=0, white=0, two_or_more=0)
    groups.update(counts)
    total = sum(groups.values())
    return SchoolRow("S1", "Test School", "K", "5", True, "attendance_zone", total, **groups,
                     econ_disadvantaged=total // 2 if ed is None else ed)


def test_suppress_count_hides_one_to_nine_and_shows_zero():
    assert [suppress_count(n) for n in (0, 1, 9, 10, 1234)] == ["0", "<10", "<10", "10", "1,234"]
    assert suppress_count(4, min_cell=5) == "<5"
    assert suppress_count(None) == "not applicable"


def test_suppress_share_bounds_depend_only_on_total():
    # 1..9 of 380: every such share is below 10/380 = 2.63%, printed as <3% whatever the count.
    assert {suppress_share(n, 380) for n in range(1, 10)} == {"<3%"}
    # complement 1..9 (e.g. 6 white of 300): students of color 291..299 -> ">96%".
    assert {suppress_share(300 - n, 300) for n in range(1, 10)} == {">96%"}
    assert suppress_share(0, 380) == "0%"
    assert suppress_share(380, 380) == "100%"
    assert suppress_share(50, 380, decimals=1) == "13.2%"
    assert suppress_share(3, 8) == "*"  # the school itself is below the threshold
    assert suppress_share(5, 0) == "not applicable"


def test_complementary_suppression_hides_a_second_cell_in_the_race_sum():
    mask = suppress_school(row(hispanic=20, asian=12, black=7, white=330, two_or_more=11))
    # black 7 alone would be derivable as total minus the others: the smallest nonzero (11) goes too.
    assert mask.hidden == {"black", "two_or_more"}
    assert mask.count("black") == "<10" and mask.share("black") == "<3%"
    assert mask.count("two_or_more") == "*" and mask.share("two_or_more") == "*"
    assert mask.share("students_of_color") == "13%"  # 50 of 380: neither small nor revealing


def test_hidden_cells_together_reach_the_threshold():
    # 3 + 4 = 7 would still be a small count: a third cell is hidden.
    mask = mask_counts({"enrollment_total": 100, "a": 3, "b": 4, "c": 40, "d": 53}, 10)
    assert mask.hidden == {"a", "b"}  # no relation among these custom cells: only primary
    mask = suppress_school(row(american_indian=3, pacific_islander=4, hispanic=40, white=53, asian=12))
    assert {"american_indian", "pacific_islander", "asian"} <= mask.hidden
    assert sum(mask.counts[c] for c in mask.hidden if c in ("american_indian", "pacific_islander", "asian")) >= 10


def test_small_white_count_top_codes_students_of_color():
    mask = suppress_school(row(hispanic=150, asian=5, black=130, white=6, two_or_more=9, ed=270))
    assert mask.share("white") == "<4%"
    assert mask.share("students_of_color") == ">96%"
    assert mask.count("students_of_color") == ">290"
    # the six non-white groups add up to students of color: no single one is derivable
    non_white = {"hispanic", "american_indian", "asian", "black", "pacific_islander", "two_or_more"}
    hidden_non_white = mask.hidden & non_white
    assert len(hidden_non_white) >= 2


def test_ed_and_not_ed_protect_each_other():
    mask = suppress_school(row(hispanic=200, white=200, ed=395))
    assert mask.share("ed") == ">97%"  # 5 not-ED students
    mask = suppress_school(row(hispanic=200, white=200, ed=4))
    assert mask.share("ed") == "<3%"


def test_share_range_never_exact_for_hidden_cells():
    mask = suppress_school(row(hispanic=20, asian=12, black=7, white=330, two_or_more=11))
    lo, hi = mask.share_range("black")
    assert (lo, hi) == (1 / 380, 9 / 380)
    assert mask.share_range("two_or_more") is None
    assert mask.share_range("white") == (330 / 380, 330 / 380)


def test_scrub_text_replaces_numbers_that_give_away_hidden_cells():
    mask = suppress_school(row(hispanic=20, asian=12, black=7, white=330, two_or_more=11))
    text = "Brook: 1.8% Black students (7 students), 2% overall; 330 white, 13.2% of color, 1,200 seats."
    assert scrub_text(text, mask) == (
        "Brook: <3% Black students (<10 students), <3% overall; 330 white, 13.2% of color, 1,200 seats."
    )
    assert scrub_text("7 students", None) == "7 students"


def test_school_display_row_is_export_ready():
    r = row(hispanic=20, asian=12, black=7, white=330, two_or_more=11)
    out = school_display_row(r)
    assert out["black"] == "<10" and out["black_share"] == "<3%"
    assert out["two_or_more"] == "*" and out["white"] == "330" and out["white_share"] == "86.8%"
    assert "7" not in {v for k, v in out.items() if k.startswith("black")}


def test_rule_description_names_the_threshold():
    text = " ".join(rule_description(5))
    assert "1 to 4 students" in text and "<5" in text


def test_scrub_text_hides_a_difference_that_gives_the_share_away():
    mask = suppress_school(row(hispanic=20, asian=12, black=7, white=330, two_or_more=11))
    # 7/380 = 1.84%; 20.9 - 1.84 = 19.1 points would reveal it
    text = "Black share against 20.9% in the band, a gap of 19.1 points; the band allows 15 points."
    assert scrub_text(text, mask) == ("Black share against 20.9% in the band, a gap of * points; "
                                      "the band allows 15 points.")
    assert scrub_text("7, 8 and 9", mask) == "<10, 8 and 9"


def test_complement_prefers_a_race_group_over_white():
    # black 7 needs a partner; white (12) is smaller than asian (15) but hiding white would
    # force students of color to be hidden too, so asian goes.
    mask = suppress_school(row(hispanic=300, asian=15, black=7, white=12))
    assert mask.hidden == {"black", "asian"}
    assert mask.share("students_of_color") == "96%"  # 322 of 334, printed exactly


def test_finding_for_export_suppresses_like_the_pdf():
    from compliance.reports.build import finding_for_export

    from .factories import evaluation, school_rows

    finding = evaluation()["findings"][1]  # Brook Elementary, Black students
    brook = next(r for r in school_rows() if r.school_id == "E2")
    out = finding_for_export(finding, suppress_school(brook), 10)
    assert out["message"] == "Brook Elementary: <3% Black students (<10 students) against 20.9% in elementary schools."
    assert out["evidence"] == "Group: Black; School share: <3%; Band share: 20.9%; Difference: *; Black count: <10"
    assert out["threshold"] == "Band: \u00b115.0 points"


def test_scrub_small_counts_in_free_text():
    from compliance.reports.suppression import scrub_small_counts

    text = ("largest moves: 124 white students from North to South; 6 students of two or more races "
            "from North to South; 1.9 more teacher FTE; 3 schools")
    assert scrub_small_counts(text) == (
        "largest moves: 124 white students from North to South; <10 students of two or more races "
        "from North to South; 1.9 more teacher FTE; 3 schools"
    )


def test_scrub_small_counts_in_the_singular_and_of_pupils_and_children():
    # A reviewer's or district's comment is typed freely: "1 student", "2 pupils", "3 children".
    from compliance.reports.suppression import scrub_small_counts

    text = ("only 1 American Indian student; its enrollment is 2 American Indian pupils and 3 children "
            "in grade 2; 1 child moves; 40 pupils stay; 1 school")
    assert scrub_small_counts(text) == (
        "only <10 American Indian student; its enrollment is <10 American Indian pupils and <10 children "
        "in grade 2; <10 child moves; 40 pupils stay; 1 school")


def _lottery_export(checks_of_row):
    """The INT-06 findings of one lottery row, as printed in an export (same formatter as the PDF)."""
    from compliance.reports.build import finding_for_export
    from compliance.rules.district_rules import lottery_findings
    from compliance.rules.model import LotteryRow
    from compliance.rules.ruleset import default_params

    params = default_params()["INT-06"]
    found = lottery_findings([LotteryRow("L", *checks_of_row)], params, {"L": "elementary"}, {"L": "Magnet"})
    return [finding_for_export(f.as_json(), None, 10) for f in found]


def _printed(evidence: str) -> dict[str, str]:
    return dict(part.split(": ", 1) for part in evidence.split("; "))


def _derivable_small(printed: dict[str, str]) -> list[str]:
    """Every count 1..9 a reader gets from the printed lottery cells by one subtraction."""
    def num(key):
        value = printed.get(key, "")
        return int(value) if value.isdigit() else None

    admitted_total = None
    if num("Seats") is not None and num("Empty seats") is not None:
        admitted_total = num("Seats") - num("Empty seats")
    relations = [("ED admitted", "ED applicants not admitted", "ED applicants"),
                 ("Others admitted", "Other applicants not admitted", "Other applicants")]
    small = []
    for a, b, whole in relations:
        known = {k: num(k) for k in (a, b, whole)}
        if known[whole] is not None:
            for part, other in ((a, b), (b, a)):
                if known[other] is not None and 0 < known[whole] - known[other] < 10:
                    small.append(part)
    if admitted_total is not None:
        for part, other in (("ED admitted", "Others admitted"), ("Others admitted", "ED admitted")):
            if num(other) is not None and 0 < admitted_total - num(other) < 10:
                small.append(part)
    small += [k for k, v in printed.items() if k != "Seats" and k != "Empty seats" and v.isdigit() and 0 < int(v) < 10]
    return small


def test_lottery_unadmitted_pool_is_never_derivable():
    # 52 ED applicants, 44 admitted (44%, 6 points off target): the 8 not admitted are
    # not in the evidence, but 52 - 44 would give them away; the applicants are hidden.
    (f,) = _lottery_export((100, 52, 200, 44, 56))
    printed = _printed(f["evidence"])
    assert printed["ED admitted"] == "44" and printed["ED applicants"] == "*"
    assert _derivable_small(printed) == []
    # Issue 13: 47 ED applicants, 40 admitted beside "Unadmitted ED <10" revealed the 7.
    found = _lottery_export((100, 47, 200, 40, 50))  # 10 seats empty while applicants wait
    assert [_printed(x["evidence"])["What was checked"] for x in found] == [
        "no empty seat while applicants wait", "an ED pool short of its reserved seats admits every applicant"]
    for x in found:
        printed = _printed(x["evidence"])
        assert printed["ED applicants not admitted"] == "<10" and printed["ED applicants"] == "*"
        assert _derivable_small(printed) == [], printed
        assert " 7 " not in f" {x['message']} " and "did not admit 7" not in x["message"]


def test_evidence_prints_in_the_registry_order_whatever_order_the_database_returns():
    """PostgreSQL's jsonb hands keys back in its own order; the declared order is the printed one."""
    from compliance.reports.evidence import in_declared_order

    declared = {"group": None, "school_share": None, "band_share": None}
    stored = {"band_share": 0.5, "extra": 1, "group": "black", "school_share": 0.1, "other": 2}
    assert [k for k, _ in in_declared_order(declared, stored)] == [
        "group", "school_share", "band_share", "extra", "other"]


def test_scrub_small_counts_of_applicants_and_admissions():
    """The lottery seat estimate's sentences: a small number of applicants or admissions is hidden too."""
    from compliance.reports.suppression import scrub_small_counts

    text = ("give economically disadvantaged applicants 45 of the 80 seats (5 more than admitted) and the other "
            "applicants 35 (0 more); 5 more other applicants would fill that pool's 40 reserved seats; "
            "18 fewer than admitted")
    assert scrub_small_counts(text) == (
        "give economically disadvantaged applicants 45 of the 80 seats (<10 more than admitted) and the other "
        "applicants 35 (0 more); <10 more other applicants would fill that pool's 40 reserved seats; "
        "18 fewer than admitted")


def test_scrub_text_leaves_the_schools_own_name_and_id_alone():
    # A cycle's public export printed "Elementary School <10 (01002)": the 2 of the name equals
    # the school's hidden count of Black students. The name and id are not counts.
    school = SchoolRow("01002", "Elementary School 2", "K", "5", True, "attendance_zone", 363, hispanic=20,
                       american_indian=0, asian=0, black=2, pacific_islander=0, white=330, two_or_more=11,
                       econ_disadvantaged=181)
    mask = suppress_school(school)
    assert mask.is_hidden("black")
    text = "Elementary School 2 (01002) is racially identifiable; it has 2 Black students."
    assert scrub_text(text, mask) == "Elementary School 2 (01002) is racially identifiable; it has <10 Black students."


def test_a_short_id_shelters_only_its_own_label_not_every_equal_number():
    # School id "7" with 7 Black students (hidden): only the label "Lincoln (7" is left alone.
    school = SchoolRow("7", "Lincoln", "K", "5", True, "attendance_zone", 368, hispanic=20, american_indian=0,
                       asian=0, black=7, pacific_islander=0, white=330, two_or_more=11, econ_disadvantaged=184)
    mask = suppress_school(school)
    text = "Lincoln (7) has 7 Black students, 1.9% of 368; school 7 again."
    assert scrub_text(text, mask) == "Lincoln (7) has <10 Black students, <3% of 368; school <10 again."


def test_scrub_small_counts_hides_both_sides_of_an_exchange_and_a_total_twice_a_small_side():
    from compliance.reports.suppression import scrub_small_counts

    text = ("8 students between Jefferson and Parks (4 students each way); 12 students between E and F (6 students "
            "each way); 30 students between C and D (15 students each way); 17 students between A and B "
            "(5 students to B, 12 students to A); 14 students between G and H (6 students to H, 8 students to G); "
            "40 students between K and L (15 students to L, 25 students to K)")
    # 12 = 2 x 6 and 17 - 12 = 5: a shown total or side would give the small side back.
    assert scrub_small_counts(text) == (
        "<10 students between Jefferson and Parks (<10 students each way); <20 students between E and F (<10 students "
        "each way); 30 students between C and D (15 students each way); 17 students between A and B "
        "(<10 students to B, * students to A); 14 students between G and H (<10 students to H, <10 students to G); "
        "40 students between K and L (15 students to L, 25 students to K)")


def test_a_plan_table_suppresses_each_school_by_its_own_numbers():
    """Each school after a plan, suppressed by its own counts (the finding's mask is another school's):
    a school of 15 with 9 students of color and 7 ED prints neither share exactly."""
    from compliance.reports.advice import _estimate
    from compliance.reports.evidence import EvidenceFormatter

    after = [{"school_id": "0001", "enrollment_before": 15, "enrollment": 15, "students_of_color": 9,
              "econ_disadvantaged": 7, "students_of_color_share": 0.6, "ed_share": 7 / 15},
             {"school_id": "0002", "enrollment_before": 400, "enrollment": 396, "students_of_color": 200,
              "econ_disadvantaged": 5, "students_of_color_share": 200 / 396, "ed_share": 5 / 396},
             {"school_id": "0003", "enrollment_before": 8, "enrollment": 8, "students_of_color": 4,
              "econ_disadvantaged": 4, "students_of_color_share": 0.5, "ed_share": 0.5}]
    est = EvidenceFormatter(mask=None, min_cell=10, rule="INT-01")
    table = _estimate({"students_moved": 4, "schools_after": after}, est)["tables"][0]
    assert [row[1:] for row in table["rows"]] == [
        ["15", "15", "<67%", "<67%"],  # ceil(100 x 10/15) = 67: 9 and 7 are both under 10
        ["400", "396", "50.5%", "<3%"],  # ceil(100 x 10/396) = 3
        ["<10", "<10", "*", "*"],
    ]
    screen = EvidenceFormatter(mask=None, min_cell=10, rule="INT-01", suppress=False)
    assert _estimate({"students_moved": 4, "schools_after": after}, screen)["tables"][0]["rows"][0][1:] == [
        "15", "15", "60.0%", "46.7%"]
