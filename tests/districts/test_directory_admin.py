"""The directory imported from CSV in the admin: a preview of what is added and changed, then applied as shown."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from compliance.models import AuditEvent
from districts.models import District, School
from tests.factories import DistrictFactory, SchoolFactory

URL = "/admin/districts/district/import/"
HEADER = "district_state_id,nces_lea_id,district_name,state,region,school_id,school_name,grade_low,grade_high\n"
CSV = HEADER + (
    "2611,2803300,Riverside County Schools,MS,South,0311,North Hills Elementary,K,5\n"  # unchanged
    "2611,2803300,Riverside County Schools,MS,South,0312,Carver Middle School,6,8\n"  # renamed, grades changed
    "2611,2803300,Riverside County Schools,MS,South,0400,New Lake Elementary,pk,5\n"  # added (grade in any case)
    "3001,2800001,Delta Heights,ms,Delta,0001,Delta Heights High,9,12\n"  # a district and its school added
)


@pytest.fixture
def directory(district_a):
    """District A (its region South) with North Hills (0311, K-5), Carver (0312, 6-7) and Old Mill (0399)."""
    SchoolFactory(district=district_a, school_id="0312", name="Carver Middle", grade_low="6", grade_high="7")
    SchoolFactory(district=district_a, school_id="0399", name="Old Mill Elementary", grade_low="K", grade_high="5")
    return district_a


def upload(client, text: str, name: str = "directory.csv"):
    return client.post(URL, {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


@pytest.mark.django_db
def test_the_preview_lists_added_changed_and_unchanged_and_writes_nothing(admin_client, directory):
    response = upload(admin_client, CSV)
    plan = response.context["plan"]
    assert plan.errors == []
    assert [c.name for c in plan.districts_added] == ["Delta Heights (3001)"]
    assert plan.districts_added[0].values == {"nces_id": "2800001", "name": "Delta Heights", "state": "MS",
                                              "region": "Delta"}
    assert (plan.districts_changed, plan.districts_unchanged) == ([], 1)
    assert [c.key for c in plan.schools_added] == ["2611/0400", "3001/0001"]
    assert plan.schools_added[0].values["grade_low"] == "PK"
    assert [(c.key, c.fields) for c in plan.schools_changed] == [
        ("2611/0312", [("name", "Carver Middle", "Carver Middle School"), ("highest grade", "7", "8")])]
    assert (plan.schools_unchanged, plan.schools_not_in_file) == (1, 1)  # North Hills; Old Mill stays
    page = response.content.decode()
    assert "Carver Middle School" in page and "Apply these changes" in page
    assert "1 school of these districts is in the directory but not in the file" in page
    assert District.objects.count() == 1 and School.objects.count() == 3
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_applying_makes_exactly_the_previewed_changes_and_records_them(admin_client, directory):
    preview = upload(admin_client, CSV)
    applied = admin_client.post(URL, {"step": "apply", "text": preview.context["text"],
                                      "digest": preview.context["plan"].digest})
    assert applied.status_code == 302 and applied["Location"] == "/admin/districts/district/"
    delta = District.objects.get(state_id="3001")
    assert (delta.name, delta.state, delta.nces_id, delta.region) == ("Delta Heights", "MS", "2800001", "Delta")
    schools = dict(School.objects.filter(district=directory).values_list("school_id", "name"))
    assert schools == {"0311": "North Hills Elementary", "0312": "Carver Middle School",
                       "0399": "Old Mill Elementary", "0400": "New Lake Elementary"}
    assert School.objects.get(district=directory, school_id="0312").grade_high == "8"
    assert School.objects.get(district=delta).school_id == "0001"
    event = AuditEvent.objects.get(action="directory_imported")
    assert event.subject == "Directory: 1 districts added, 0 changed; 2 schools added, 1 changed"
    assert event.actor.is_superuser and event.note == "Imported in the admin."
    assert event.changes == [
        {"field": "District 3001", "before": None, "after": "Delta Heights (3001)"},
        {"field": "School 2611/0400", "before": None, "after": "New Lake Elementary (2611/0400)"},
        {"field": "School 3001/0001", "before": None, "after": "Delta Heights High (3001/0001)"},
        {"field": "School 2611/0312 name", "before": "Carver Middle", "after": "Carver Middle School"},
        {"field": "School 2611/0312 highest grade", "before": "7", "after": "8"},
    ]
    again = upload(admin_client, CSV)  # the same file now changes nothing
    assert not again.context["plan"].has_changes and b"nothing to apply" in again.content


@pytest.mark.django_db
def test_a_directory_changed_since_the_preview_is_previewed_again_not_applied(admin_client, directory):
    preview = upload(admin_client, CSV)
    School.objects.filter(school_id="0312").update(name="Carver Academy")  # someone else, meanwhile
    again = admin_client.post(URL, {"step": "apply", "text": preview.context["text"],
                                    "digest": preview.context["plan"].digest})
    assert again.context["stale"] is True
    assert again.context["plan"].schools_changed[0].fields[0] == ("name", "Carver Academy", "Carver Middle School")
    assert School.objects.get(school_id="0312").name == "Carver Academy"
    assert not District.objects.filter(state_id="3001").exists()


@pytest.mark.django_db
def test_bad_lines_are_all_named_and_nothing_can_be_applied(admin_client, directory):
    bad = HEADER + (
        "2611,2803300,Riverside County Schools,MS,South,,No Id School,K,5\n"
        "3001,2800001,Delta Heights,Mississippi,Delta,0001,Delta High,9,12\n"
        "2611,2803300,Riverside County Schools,MS,South,0500,Twin,K,5\n"
        "2611,2803300,Riverside Schools,MS,South,0311,North Hills Elementary,K,5\n"
        "2611,2803300,Riverside County Schools,MS,South,0500,Twin again,K,5\n"
    )
    response = upload(admin_client, bad)
    assert response.context["plan"].errors == [
        "Line 2: school_id missing.",
        "Line 3: state: Use the two-letter postal code, e.g. MS. Ensure this value has at most 2 characters "
        "(it has 11).",
        "Line 5: district 2611 is described differently on line 4.",
        "Line 6: school 2611/0500 is listed twice (line 4).",
    ]
    assert b"Apply these changes" not in response.content
    forced = admin_client.post(URL, {"step": "apply", "text": bad, "digest": response.context["plan"].digest})
    assert forced.context["stale"] is True and District.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(("body", "error"), [
    (b"district_state_id,school_id\n1,2\n", "The CSV lacks the column(s): nces_lea_id, district_name, state, region, "
                                             "school_name, grade_low, grade_high."),
    ("\u00e9".encode("latin-1") + HEADER.encode(), None),
])
def test_a_file_of_the_wrong_shape_is_refused_with_what_to_do(admin_client, body, error):
    response = admin_client.post(URL, {"file": SimpleUploadedFile("d.csv", body, content_type="text/csv")})
    if error is None:
        assert response.context["form"].errors["file"] == [
            "The file is not UTF-8 text: save it as \u201cCSV UTF-8\u201d and try again."]
    else:
        assert response.context["plan"].errors == [error]


@pytest.mark.django_db
def test_the_command_line_shares_the_import_and_its_record(tmp_path, directory, capsys):
    from django.core.management import call_command

    path = tmp_path / "dir.csv"
    path.write_text(CSV)
    call_command("load_directory", str(path))
    assert capsys.readouterr().out.strip() == (
        "Districts: 1 added, 0 changed, 1 unchanged; schools: 2 added, 1 changed, 1 unchanged.")
    event = AuditEvent.objects.get(action="directory_imported")
    assert (event.actor, event.note) == (None, f"manage.py load_directory {path}")


@pytest.mark.django_db
def test_the_district_list_links_to_the_import(admin_client):
    DistrictFactory()
    assert f'href="{URL}"' in admin_client.get("/admin/districts/district/").content.decode()
