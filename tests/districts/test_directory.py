"""Loading the state's district and school directory from CSV: ids kept as text, idempotent, bad lines named."""
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from districts.models import District, School
from districts.services import directory_import_csv

CSV = """district_state_id,nces_lea_id,district_name,state,region,school_id,school_name,grade_low,grade_high
2521,2801020,Magnolia Grove,ms,Central,0101,Eastside K-1 Center,k,1
2521,2801020,Magnolia Grove,MS,Central,0102,Magnolia 2-3 Center,2,3
2611,0803360,Riverside County,MS,South,007,Carver Elementary,PK,5
"""


@pytest.mark.django_db
def test_directory_import_keeps_ids_as_text_and_is_idempotent(tmp_path):
    path = tmp_path / "dir.csv"
    path.write_text(CSV)
    call_command("load_directory", str(path))
    call_command("load_directory", str(path))
    assert District.objects.count() == 2
    riverside = District.objects.get(state_id="2611")
    assert riverside.nces_id == "0803360" and riverside.state == "MS"
    assert list(School.objects.filter(district__state_id="2521").values_list("school_id", "grade_low")) == [
        ("0101", "K"), ("0102", "2")]
    assert School.objects.get(school_id="007").name == "Carver Elementary"


@pytest.mark.django_db
def test_directory_import_names_the_bad_line_and_saves_nothing():
    bad = CSV + "2611,0803360,Riverside County,MS,South,,No Id School,K,5\n"
    with pytest.raises(ValidationError, match="Line 5: school_id missing"):
        directory_import_csv(fileobj=io.StringIO(bad))
    assert District.objects.count() == 0
