"""Equity compliance: the workbook, the rules, the reports, and the submissions that carry them."""
