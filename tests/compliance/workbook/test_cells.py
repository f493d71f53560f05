"""The pure cell converters, on their own: raw calamine values in, typed values and reasons out.

Expected values are worked out by hand from docs/workbook.md (numbers stored as text read as
numbers, money text like ``$1,234.50``, coded values matched case- and space-insensitively).
"""
from __future__ import annotations

import math

from compliance.workbook import schema
from compliance.workbook.cells import (
    BLANK,
    CONVERTERS,
    cell_text,
    comma_fix,
    conv_float,
    conv_id,
    conv_int,
    conv_int_bounded,
    conv_money,
    number,
    valid_year,
)


def test_whole_numbers_take_the_numpy_path_with_their_range() -> None:
    assert conv_int_bounded([3.0, 1.0, 2.0]) == ([3, 1, 2], [], False, (1, 3))


def test_whole_numbers_with_text_blanks_and_bad_values() -> None:
    vals, bad, blanks = conv_int(["12", " 7 ", "", 2.5, "x", 1e16, True])
    assert vals == [12, 7, BLANK, None, None, None, None]
    assert bad == [
        (3, "2.5 is not a whole number."),
        (4, "'x' is not a number."),
        (5, "10000000000000000 is too large to be a count of students."),
        (6, "TRUE is not a number."),
    ]
    assert blanks is True


def test_money_text_in_the_forms_districts_type() -> None:
    vals, bad, blanks = conv_money(["$1,234.50", "(1,234)", "USD 5", "", 3.0])
    assert vals == [1234.5, -1234.0, 5.0, BLANK, 3.0]
    assert bad == [] and blanks is True


def test_shares_typed_with_a_percent_sign_and_numbers_that_are_no_amount() -> None:
    vals, bad, _ = conv_float(["40 %", "50%", "1e400", math.nan, 1e15])
    assert vals[:2] == [0.4, 0.5] and vals[2:] == [None, None, None]
    assert bad == [
        (2, "'1e400' is not a number."),
        (3, "nan is not a number."),
        (4, "1000000000000000 is too large to be real (at most 1,000,000,000,000,000)."),
    ]


def test_ids_are_text_and_numeric_id_cells_lose_their_point_zero() -> None:
    vals, bad, blanks = conv_id(["0101", 12.0, 3, 1.5, True, " "])
    assert vals == ["0101", "12", "3", "1.5", None, BLANK]
    assert bad == [(4, "TRUE is not a valid id; ids are text.")]
    assert blanks is True


def test_grades_match_loosely_and_name_the_allowed_codes() -> None:
    vals, bad, blanks = CONVERTERS[schema.GRADE](["k", " PK ", 5.0, "05", "13", ""])
    assert vals == ["K", "PK", "5", "5", None, BLANK]
    assert bad == [(4, "'13' is not an allowed grade; use one of PK, K, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12.")]
    assert blanks is True


def test_yes_no_accepts_excel_booleans_but_not_numbers() -> None:
    vals, bad, _ = CONVERTERS[schema.YN]([True, "yes", "N", 1.0])
    assert vals == [True, True, False, None]
    assert bad == [(3, "1 is not an allowed Y/N; use one of Y, N.")]


def test_number_outside_money_has_no_accounting_parentheses() -> None:
    assert number("(5)") is None
    assert number("(5)", money=True) == -5.0
    assert number("  ") is BLANK


def test_school_year_and_header_text() -> None:
    assert valid_year("2026-27") and valid_year("1999-00")
    assert not valid_year("2026-28") and not valid_year("2026-2027")
    assert cell_text(12.0) == "12" and cell_text(" grade_low ") == "grade_low"


def test_a_comma_is_only_a_thousands_separator() -> None:
    assert [number(v) for v in ("1,234", "12,345.5", "-1,234,567", " 2,000 ")] == [1234.0, 12345.5, -1234567.0, 2000.0]
    assert number("$1,234,567.25", money=True) == 1234567.25
    # A decimal comma, or a comma out of its thousands place, is no number (not 318, 14, 106 or 12345).
    assert [number(v) for v in ("31,8", "1,4", "1,06", "1,2345", "1.234,5", "12,34,567")] == [None] * 6
    vals, bad, _ = conv_float(["31,8", "1,234", "a,b"])
    assert vals == [None, 1234.0, None]
    assert bad == [(0, "'31,8' is not a number: a comma read as a decimal mark is not accepted."),
                   (2, "'a,b' is not a number.")]
    _, bad, _ = conv_int(["1,06"])
    assert bad == [(0, "'1,06' is not a number: a comma read as a decimal mark is not accepted.")]
    _, bad, _ = conv_money(["$1,5"])
    assert bad == [(0, "'$1,5' is not an amount of money: a comma read as a decimal mark is not accepted.")]
    assert comma_fix("31,8", schema.NUMBER) == "Type the number with a point for decimals (31.8), or as a plain number."
    assert comma_fix("$1,5", schema.MONEY) == "Type the number with a point for decimals (1.5), or as a plain number."
    assert comma_fix("1,234", schema.INT) is None and comma_fix("a,b", schema.INT) is None
    assert comma_fix("1,5", schema.GRADE) is None
