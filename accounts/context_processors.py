"""Template context for the account menu: whether to offer the second-factor page."""
from __future__ import annotations

from .policy import may_enrol_second_factor


def account_menu(request) -> dict[str, bool]:
    user = getattr(request, "user", None)
    return {"offer_second_factor": bool(user is not None and may_enrol_second_factor(user))}
