"""District portal views: the session keep-alive behind the "stay signed in" button."""
from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_POST

from .views import login_required


@login_required
@require_POST
def session_keepalive(request: HttpRequest) -> JsonResponse:
    """Any request renews the session (SESSION_SAVE_EVERY_REQUEST); this one says for how long."""
    return JsonResponse({"expires_in": request.session.get_expiry_age()})
