"""URLs of the what-if planner (mounted under /planner/)."""
from django.urls import path

from . import views

urlpatterns = [
    path("", views.index, name="planner_index"),
    path("districts/<int:district_pk>/", views.district_page, name="planner_district"),
    path("districts/<int:district_pk>/levers/", views.draft_lever_add, name="planner_draft_lever_add"),
    path("districts/<int:district_pk>/levers/<int:index>/remove/", views.draft_lever_remove,
         name="planner_draft_lever_remove"),
    path("districts/<int:district_pk>/suggest/", views.draft_suggest, name="planner_draft_suggest"),
    path("districts/<int:district_pk>/save/", views.draft_save, name="planner_draft_save"),
    path("plans/<int:pk>/", views.plan_page, name="planner_plan"),
    path("plans/<int:pk>/levers/", views.plan_lever_add, name="planner_plan_lever_add"),
    path("plans/<int:pk>/levers/<int:index>/remove/", views.plan_lever_remove, name="planner_plan_lever_remove"),
    path("plans/<int:pk>/suggest/", views.plan_suggest, name="planner_plan_suggest"),
    path("plans/<int:pk>/share/", views.plan_share, name="planner_plan_share"),
    path("plans/<int:pk>/proposed.xlsx", views.plan_proposed_xlsx, name="planner_plan_proposed"),
    path("plans/<int:pk>/summary.pdf", views.plan_summary_pdf, name="planner_plan_summary"),
]
