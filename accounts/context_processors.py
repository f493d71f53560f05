"""Template context for the account menu: which of its links (statewide view, second factor) to offer."""
from __future__ import annotations

from compliance.permissions import can_enrol_second_factor, can_view_statewide


def account_menu(request) -> dict[str, bool]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"offer_second_factor": False, "offer_statewide": False}
    return {"offer_second_factor": can_enrol_second_factor(user), "offer_statewide": can_view_statewide(user)}
