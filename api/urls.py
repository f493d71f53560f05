"""The NinjaAPI instance: /api/v1/ routes, the OpenAPI schema at /api/openapi.json, docs at /api/docs."""
from __future__ import annotations

import orjson
from ninja import NinjaAPI
from ninja.renderers import BaseRenderer

from .auth import TokenAuth
from .endpoints import directory, exports, submissions, tokens
from .errors import install_handlers


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request, data, *, response_status):
        return orjson.dumps(data, default=str)


api = NinjaAPI(
    title="Equity compliance checker API",
    version="1",
    description="For district systems and the state's data warehouse. Get a token with POST /api/v1/token, "
    "then send it as `Authorization: Bearer <token>`.",
    auth=TokenAuth(),
    renderer=ORJSONRenderer(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_handlers(api)
api.add_router("/v1/", tokens.router)
api.add_router("/v1/", directory.router)
api.add_router("/v1/", submissions.router)
api.add_router("/v1/", exports.router)
