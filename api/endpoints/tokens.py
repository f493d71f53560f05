"""Tokens: exchange a password for a token; list and revoke your own."""
from django.http import Http404
from ninja import Router, Status
from ninja.pagination import paginate

from api import selectors, services
from api.auth import user_for_password
from api.schemas import ErrorOut, TokenIn, TokenInfoOut, TokenOut

from .common import ERRORS, Id, Pagination

router = Router(tags=["tokens"])


# 400: a body that is not JSON or too large to read (api.middleware); 401 wrong credentials; 403 a
# second factor needed; 422 a field missing or of the wrong type; 429 locked out (api.auth.user_for_password).
@router.post("/token", auth=None, response={201: TokenOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                            422: ErrorOut, 429: ErrorOut})
def token_create(request, body: TokenIn):
    """A new token for a username and password. Failures count towards the sign-in lockout."""
    user = user_for_password(request, username=body.username, password=body.password)
    token, raw = services.token_create(user=user)
    return Status(201, {"token": raw, "id": token.pk, "expires_at": token.expires_at})


def _info(token) -> dict:
    return {"id": token.pk, "prefix": token.prefix, "created_at": token.created_at, "expires_at": token.expires_at,
            "last_used_at": token.last_used_at, "revoked_at": token.revoked_at, "active": token.is_active}


@router.get("/tokens", response={200: list[TokenInfoOut], **ERRORS})
@paginate(Pagination)
def token_list(request):
    """Your tokens, newest first (never the tokens themselves)."""
    return [_info(t) for t in selectors.tokens_of(user=request.user)]


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS})
def token_revoke(request, token_id: Id):
    """Revoke one of your tokens (it stops working at once)."""
    tokens = selectors.tokens_of(user=request.user).filter(pk=token_id)
    if not tokens.exists():
        raise Http404("No such token.")
    services.token_revoke(tokens=tokens)
    return Status(204, None)
