"""Neutralizing text cells so no export of the product can smuggle a spreadsheet formula.

A value that Excel, LibreOffice or Google Sheets would read as a formula (it begins with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe, which
every spreadsheet shows as text. Numbers are never passed through here: they stay numbers.
"""
from __future__ import annotations

from typing import Any

FORMULA_STARTS: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """The text as a spreadsheet will show it literally; '-' alone or '-12' as text stay readable."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def safe_cell(value: Any) -> Any:
    """Text neutralized; numbers, booleans, dates and None unchanged."""
    return safe_text(value) if isinstance(value, str) else value
