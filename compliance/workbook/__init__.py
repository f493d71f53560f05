"""The submission workbook: template v1 schema, template writer and reader."""
from .guarded import read_workbook_guarded
from .package import Limits
from .reader import read_workbook

__all__ = ["Limits", "read_workbook", "read_workbook_guarded"]
