"""The project's URLs: health, admin, sign-in and account pages, then the compliance app."""
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from api.urls import api
from config.health import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", include("accounts.urls")),
    path("api/", api.urls),  # /api/v1/..., /api/openapi.json, /api/docs
    path("planner/", include("planner.urls")),  # the what-if planner
    path("", include("compliance.urls")),
]
