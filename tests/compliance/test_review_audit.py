"""Users who acted are deactivated, never deleted, in the admin: the audit trail keeps naming them."""
from __future__ import annotations

import pytest

from compliance.models import AuditEvent
from districts.models import User
from tests.factories import SubmissionFactory


@pytest.mark.django_db
def test_the_admin_refuses_to_delete_a_user_who_acted_and_offers_deactivation(admin_client, reviewer, supervisor,
                                                                            district, cycle, submitter):
    submission = SubmissionFactory(district=district, cycle=cycle, uploaded_by=submitter)
    AuditEvent.objects.create(submission=submission, actor=reviewer, action="claimed")
    assert admin_client.get(f"/admin/districts/user/{reviewer.pk}/delete/").status_code == 403
    assert admin_client.get(f"/admin/districts/user/{supervisor.pk}/delete/").status_code == 200  # never acted
    changelist = admin_client.get("/admin/districts/user/").content.decode()
    assert "delete_selected" not in changelist and "Deactivate selected users" in changelist
    admin_client.post("/admin/districts/user/", {"action": "deactivate", "_selected_action": [reviewer.pk]})
    assert User.objects.get(pk=reviewer.pk).is_active is False
    assert AuditEvent.objects.get(action="claimed").actor_name == "reviewer (reviewer)"
