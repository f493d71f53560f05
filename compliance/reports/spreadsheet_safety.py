"""Neutralizing text cells so no export of the product can smuggle a spreadsheet formula.

A value that Excel, LibreOffice or Google Sheets would read as a formula gets a leading
apostrophe, which every spreadsheet shows as text: one that begins with ``=``, ``+``, ``-``,
``@`` (or their full-width forms), a tab, a carriage return or a line feed, also after leading
spaces or other whitespace (spreadsheets skip it when they parse a cell, so `` =1+1`` is a
formula too). Text that is exactly a number (``-12``, ``+3.5``) is a number, not a formula, and
stays as it is; numbers themselves are never passed through here: they stay numbers.
"""
from __future__ import annotations

import re
from typing import Any

# ASCII and full-width (U+FF1D, U+FF0B, U+FF0D, U+FF20) formula starts, and the control characters.
FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20", "\t", "\r", "\n")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def is_formula_like(value: str) -> bool:
    """Whether a spreadsheet could take the text for a formula (whitespace before it included)."""
    if _PLAIN_NUMBER.fullmatch(value):
        return False
    return value.startswith(FORMULA_STARTS) or value.lstrip().startswith(FORMULA_STARTS)


def safe_text(value: str) -> str:
    """The text as a spreadsheet will show it literally; '-' alone or '-2+3' as text stay readable."""
    return "'" + value if is_formula_like(value) else value


def safe_cell(value: Any) -> Any:
    """Text neutralized; numbers, booleans, dates and None unchanged."""
    return safe_text(value) if isinstance(value, str) else value
