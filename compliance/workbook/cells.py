"""Pure cell converters: a column of raw calamine values to typed values and the reasons some failed.

Each converter takes a column's raw values and returns ``(values, [(position, reason)], any
blank)``; the values hold :data:`BLANK` for a blank cell and ``None`` for a bad one. A clean
column takes a C-level fast path (``map``/``set``/numpy) and only a column with something off
falls back to per-cell Python. Coded values, numbers stored as text and money text are read as
docs/workbook.md (its opening section, and "Sheet `Budget`") says. No state: the reader decides
which problem each reason becomes.
"""
from __future__ import annotations

import datetime as _dt
import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from compliance.rules.model import GRADES

from . import schema
from .schema import normalize_name

BLANK = object()  # marks a blank cell during conversion (None marks "bad value")

# (values, [(position, reason)], whether any cell was blank)
Converted = tuple[list[Any], list[tuple[int, str]], bool]

# No school has a quadrillion dollars or teachers: such a value is a typo, and would overflow
# the spending measures.
TOO_LARGE = 1e15
_NUM_CLEAN = re.compile(r"\s")
_MONEY_CLEAN = re.compile(r"[\s$]|USD", re.IGNORECASE)
# A comma is read only as a thousands separator in its right places (1,234 or 12,345.5); any
# other comma (31,8 or 1,4 typed with a decimal comma) makes the text no number, never 318 or 14.
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d*,\d+$")
_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"  # one DNS label
EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@" + _LABEL + r"(?:\." + _LABEL + r")+$")


def conv_int(raw: Sequence[Any]) -> Converted:
    return conv_int_bounded(raw)[:3]


def conv_int_bounded(raw: Sequence[Any]) -> tuple[list[Any], list[tuple[int, str]], bool, tuple[int, int] | None]:
    """As conv_int, plus (min, max) of the column when every cell converted (from numpy,
    so that the range check need not walk the list again); else None."""
    if set(map(type, raw)) == {float}:
        # All numeric cells: check wholeness and convert in numpy, 3x faster than per-item Python.
        arr = np.fromiter(raw, dtype=np.float64, count=len(raw))
        with np.errstate(invalid="ignore"):
            ints = arr.astype(np.int64)
        if len(arr) and bool(np.isfinite(arr).all()) and bool((ints == arr).all()) and bool(np.abs(arr).max() < 2**53):
            return ints.tolist(), [], False, (int(ints.min()), int(ints.max()))
    out: list[Any] = []
    bad: list[tuple[int, str]] = []
    for k, v in enumerate(raw):
        x = number(v)
        if x is BLANK or x is None:
            out.append(x)
            if x is None:
                bad.append((k, f"{show(v)} is not a number{_comma_note(v)}."))
        elif not x.is_integer():
            out.append(None)
            bad.append((k, f"{show(v)} is not a whole number."))
        elif abs(x) >= 2**53:
            out.append(None)
            bad.append((k, f"{show(v)} is too large to be a count of students."))
        else:
            out.append(int(x))
    return out, bad, BLANK in out, None


def conv_float(raw: Sequence[Any], what: str = "number") -> Converted:
    # NaN and infinity can be stored in a cell (or come from 1e400); they are no amount.
    if set(map(type, raw)) == {float} and bool(
        (np.abs(np.fromiter(raw, dtype=np.float64, count=len(raw))) < TOO_LARGE).all()  # False for NaN too
    ):
        return list(raw), [], False
    money = what == "money"
    out: list[Any] = []
    bad: list[tuple[int, str]] = []
    for k, v in enumerate(raw):
        x = number(v, money=money)
        if x is BLANK or x is None:
            out.append(x)
            if x is None:
                what_not = "an amount of money" if money else "a number"
                bad.append((k, f"{show(v)} is not {what_not}{_comma_note(v, money)}."))
        elif abs(x) >= TOO_LARGE:
            out.append(None)
            bad.append((k, f"{show(v)} is too large to be real (at most {TOO_LARGE:,.0f})."))
        else:
            out.append(float(x))
    return out, bad, BLANK in out


def conv_money(raw: Sequence[Any]) -> Converted:
    return conv_float(raw, "money")


def _all_text(raw: Sequence[Any]) -> Converted:
    """The fast path of a column of text cells only: stripped, blank ones marked."""
    out: list[Any] = list(map(str.strip, raw))
    if "" in out:
        return [BLANK if v == "" else v for v in out], [], True
    return out, [], False


def _number_text(v: float) -> str:
    # A numeric cell (12.0) reads as "12"; leading zeros of an id were lost in Excel already.
    return str(int(v)) if v.is_integer() else repr(v)


def _visible(v: str) -> str:
    """An id without invisible format characters (a zero-width space or joiner, a byte-order mark,
    a direction mark), which a paste from a web page or a PDF leaves in a cell: "0312\u200b" is
    school 0312, and the Budget row that names it must find it."""
    return "".join(ch for ch in v if unicodedata.category(ch) != "Cf").strip()


def _visible_ids(conv: Converted) -> Converted:
    out, bad, _ = conv
    if all(v.isascii() for v in out if type(v) is str):
        return conv
    out = [_visible(v) if type(v) is str else v for v in out]
    out = [BLANK if v == "" else v for v in out]
    return out, bad, BLANK in out


def conv_id(raw: Sequence[Any]) -> Converted:
    return _visible_ids(_conv_id(raw))


def _conv_id(raw: Sequence[Any]) -> Converted:
    if set(map(type, raw)) == {str}:
        return _all_text(raw)
    out: list[Any] = []
    bad: list[tuple[int, str]] = []
    for k, v in enumerate(raw):
        t = type(v)
        if t is str:
            out.append(v.strip() or BLANK)
        elif t is float:
            out.append(_number_text(v))
        elif t is int:
            out.append(str(v))
        else:
            out.append(None)
            bad.append((k, f"{show(v)} is not a valid id; ids are text."))
    return out, bad, BLANK in out


def too_long(vals: Sequence[Any], limit: int) -> list[int]:
    """Positions of the text values longer than ``limit`` characters."""
    if max(map(len, (v for v in vals if type(v) is str)), default=0) <= limit:
        return []
    return [k for k, v in enumerate(vals) if type(v) is str and len(v) > limit]


def excerpt(text: str, chars: int = 40) -> str:
    """The start of an over-long value, for a problem report (not the whole paste again)."""
    return text if len(text) <= chars else text[:chars] + "\u2026"


def too_long_text(col: schema.Column, text: str) -> str:
    return f"the text is {len(text):,} characters long; {col.name} takes at most {col.char_limit:,} characters."


def conv_text(raw: Sequence[Any]) -> Converted:
    if set(map(type, raw)) == {str}:
        return _all_text(raw)
    out: list[Any] = []
    for v in raw:
        t = type(v)
        if t is str:
            out.append(v.strip() or BLANK)
        elif t is float:
            out.append(_number_text(v))
        elif t is bool:
            out.append("TRUE" if v else "FALSE")
        elif isinstance(v, (_dt.date, _dt.time, _dt.timedelta)):
            out.append(v.isoformat() if hasattr(v, "isoformat") else str(v))
        else:
            out.append(str(v))
    return out, [], BLANK in out


def _code_of(v: Any, lookup: dict[Any, Any], label: str) -> Any:
    """The code a cell the exact lookup missed stands for: BLANK, the code, or None."""
    t = type(v)
    if t is str:
        key = normalize_name(v)
        if key == "":
            return BLANK
        hit = lookup.get(key)
        if hit is None and key.isdigit():
            hit = lookup.get(str(int(key)))
        return hit
    if t is float and v.is_integer():
        return lookup.get(str(int(v)))
    if t is bool and label == "Y/N":
        return lookup.get("y" if v else "n")
    return None


def _coded(lookup: dict[Any, Any], allowed: tuple[str, ...], label: str) -> Callable[[Sequence[Any]], Converted]:
    """A converter for a coded column: exact lookups first (C speed), normalizing only misses."""
    allowed_text = ", ".join(allowed)

    def conv(raw: Sequence[Any]) -> Converted:
        # Keys are all strings, so a float or bool cell misses here and is handled below.
        out = list(map(lookup.get, raw))
        if None not in out:
            return out, [], BLANK in out
        bad: list[tuple[int, str]] = []
        for k, v in enumerate(raw):
            if out[k] is not None:
                continue
            hit = out[k] = _code_of(v, lookup, label)
            if hit is None:
                bad.append((k, f"{show(v)} is not an allowed {label}; use one of {allowed_text}."))
        return out, bad, BLANK in out

    return conv


def _lookup(pairs: dict[str, Any]) -> dict[Any, Any]:
    """Exact spellings and their normalized keys -> canonical value."""
    d: dict[Any, Any] = {"": BLANK}
    for text, value in pairs.items():
        d[text] = value
        d[normalize_name(text)] = value
        d[text.upper()] = value
        d[text.lower()] = value
    return d


CONVERTERS: dict[str, Callable[[Sequence[Any]], Converted]] = {
    schema.ID: conv_id,
    schema.TEXT: conv_text,
    schema.EMAIL: conv_text,
    schema.YEAR: conv_text,
    schema.INT: conv_int,
    schema.NUMBER: conv_float,
    schema.MONEY: conv_money,
    schema.GRADE: _coded(_lookup({g: g for g in GRADES}), GRADES, "grade"),
    schema.YN: _coded(_lookup({"Y": True, "N": False, "Yes": True, "No": False}), ("Y", "N"), "Y/N"),
    schema.METHOD: _coded(_lookup({m: m for m in schema.CODES[schema.METHOD]}), schema.CODES[schema.METHOD],
                          "assignment method"),
}
# The problem code of a value a column's converter refused.
BAD_CODE: dict[str, str] = {
    schema.ID: "DATA-22",
    schema.TEXT: "DATA-22",
    schema.EMAIL: "DATA-35",
    schema.YEAR: "DATA-32",
    schema.INT: "DATA-22",
    schema.NUMBER: "DATA-22",
    schema.MONEY: "DATA-22",
    schema.GRADE: "DATA-24",
    schema.YN: "DATA-24",
    schema.METHOD: "DATA-24",
}


def number(v: Any, money: bool = False) -> Any:
    """float for a number or numeric text, BLANK for blank, None for anything else."""
    t = type(v)
    if t is float:
        return v if math.isfinite(v) else None
    if t is int:
        return float(v)
    if t is not str:
        return None  # bool, dates, times: not numbers
    s = v.strip()
    if not s:
        return BLANK
    neg = money and s.startswith("(") and s.endswith(")")  # accounting style (1,234.00)
    # A share typed as text with its percent sign ("50%"), as Excel shows a formatted 0.5.
    percent = not money and s.endswith("%")
    s = (_MONEY_CLEAN if money else _NUM_CLEAN).sub("", s.strip("()") if neg else s.rstrip("%"))
    if "," in s:
        if not _THOUSANDS.match(s):
            return None
        s = s.replace(",", "")
    try:
        x = float(s) / 100 if percent else float(s)
    except ValueError:
        return None
    if not math.isfinite(x):
        return None
    return -x if neg else x


def _comma_text(v: Any, money: bool = False) -> str | None:
    """The text of a cell that is no number only because of a comma that is no thousands separator
    (as number() cleans it), else None."""
    if type(v) is not str or "," not in v:
        return None
    s = v.strip()
    s = (_MONEY_CLEAN if money else _NUM_CLEAN).sub("", s.strip("()") if money else s.rstrip("%"))
    if "," not in s or _THOUSANDS.match(s):
        return None
    try:
        float(s.replace(",", ""))
    except ValueError:
        return None  # no number even without its commas ("a,b"): the plain reason says enough
    return s


def _comma_note(v: Any, money: bool = False) -> str:
    return "" if _comma_text(v, money) is None else ": a comma read as a decimal mark is not accepted"


def comma_fix(v: Any, kind: str) -> str | None:
    """The fix for a numeric column's text refused for its decimal comma (None for any other value)."""
    if kind not in (schema.INT, schema.NUMBER, schema.MONEY):
        return None
    s = _comma_text(v, kind == schema.MONEY)
    if s is None:
        return None
    example = s.replace(",", ".") if _DECIMAL_COMMA.match(s) else "31.8"
    return f"Type the number with a point for decimals ({example}), or as a plain number."


def valid_year(v: str) -> bool:
    """A school year written YYYY-YY whose second year follows the first (2026-27)."""
    m = _YEAR.match(v)
    if m is None:
        return False
    return (int(m.group(1)) + 1) % 100 == int(m.group(2))


def cell_text(v: Any) -> str:
    """A header or field-name cell as text (a numeric one without its ".0")."""
    if type(v) is float and v.is_integer():
        return str(int(v))
    return str(v).strip()


def show(v: Any) -> str:
    """A raw cell as a problem message quotes it."""
    if isinstance(v, str):
        return repr(v.strip()) if len(v) <= 60 else repr(v[:57] + "...")
    if isinstance(v, (_dt.date, _dt.time, _dt.timedelta)):
        return f"the date/time {v}"
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    return fmt(v)


def fmt(v: Any) -> str:
    """A converted number as a problem message writes it (a whole float without ".0")."""
    if isinstance(v, float) and abs(v) >= 1e21:
        return f"{v:.6g}"  # 1e+308, not its 309 digits (below 1e21 the digits are still readable)
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)
