"""URLs of the district and state pages; names are used directly (no app namespace)."""
from django.urls import path

from . import views, views_downloads, views_plans, views_portal, views_queue, views_review, views_statewide

# No app namespace: settings.LOGIN_REDIRECT_URL names "home" directly.
urlpatterns = [
    path("", views.home, name="home"),
    path("districts/<int:district_pk>/upload/", views_portal.submission_upload, name="submission_upload"),
    path("districts/<int:pk>/template.xlsx", views.template_download, name="template_download"),
    path("submissions/<int:pk>/", views.submission_detail, name="submission_detail"),
    path("submissions/<int:pk>/status/", views.submission_status, name="submission_status"),
    path("submissions/<int:pk>/certify/", views.submission_certify, name="submission_certify"),
    path("submissions/<int:pk>/claim/", views.submission_claim, name="submission_claim"),
    path("submissions/<int:pk>/release/", views.submission_release, name="submission_release"),
    path("submissions/<int:pk>/return/", views_review.submission_return, name="submission_return"),
    path("submissions/<int:pk>/decide/", views_review.submission_decide, name="submission_decide"),
    path("submissions/<int:pk>/sign-off/", views_review.decision_sign_off, name="decision_sign_off"),
    path("submissions/<int:pk>/send-back/", views_review.decision_send_back, name="decision_send_back"),
    path("submissions/<int:pk>/withdraw-decision/", views_review.decision_withdraw, name="decision_withdraw"),
    path("submissions/<int:pk>/comments/", views_review.comment_create, name="comment_create"),
    path("submissions/<int:pk>/reports/<str:kind>.pdf", views.report_download, name="report_download"),
    path("submissions/<int:pk>/exports/<str:kind>.csv", views.export_download, name="export_download"),
    path("submissions/<int:pk>/workbook.xlsx", views_downloads.workbook_original, name="workbook_original"),
    path("submissions/<int:pk>/marked.xlsx", views_downloads.workbook_marked, name="workbook_marked"),
    path("submissions/<int:pk>/problems.<str:fmt>", views_portal.problems_download, name="problems_download"),
    path("submissions/<int:pk>/confirm-rule/", views_review.findings_confirm_rule, name="findings_confirm_rule"),
    path("findings/<int:pk>/review/", views.finding_review, name="finding_review"),
    path("findings/<int:pk>/severity/", views_review.finding_severity_form, name="finding_severity_form"),
    path("findings/<int:pk>/severity/change/", views_review.finding_severity, name="finding_severity"),
    path("session/keepalive/", views_portal.session_keepalive, name="session_keepalive"),
    *views_statewide.urlpatterns,
    *views_queue.urlpatterns,
    *views_plans.urlpatterns,
]
