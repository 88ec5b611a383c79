import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign
from customers.models import Customer, Tag
from customers.selectors import filter_choices, regions_in_use
from tests.factories import CustomerFactory, TagFactory

from .factories import csv_bytes, import_file, messages_of

HEADER = ["External ID", "Name", "Email", "Status", "Region", "Tags", "Acquired on", "Opt-out"]
ROWS = [
    ["C-1", "Acme", "info@acme.test", "active", "North", "vip; retail", "2026-01-15", "no"],
    ["C-2", "Globex", "", "Lead", "South", "", "", "yes"],
]


def _history_count():
    return Customer.history.count()


def test_creates_customers_owned_by_the_importing_rep(owner):
    report = import_file("customers", csv_bytes([HEADER, *ROWS]), user=owner)

    assert (report.created, report.updated, report.unchanged, report.error_rows) == (2, 0, 0, 0)
    acme = Customer.objects.get(external_id="C-1")
    assert acme.owner == owner
    assert (acme.name, acme.email, acme.status, acme.region) == (
        "Acme",
        "info@acme.test",
        "active",
        "North",
    )
    assert acme.acquired_on == dt.date(2026, 1, 15)
    assert sorted(acme.tags.values_list("name", flat=True)) == ["retail", "vip"]
    globex = Customer.objects.get(external_id="C-2")
    assert globex.status == Customer.Status.LEAD
    assert globex.marketing_opt_out
    assert globex.history.count() == 1  # created with history, like any other customer


def test_an_import_with_a_new_region_refreshes_the_region_filter(
    owner, manager, django_capture_on_commit_callbacks
):
    CustomerFactory(region="North")
    assert regions_in_use(manager) == ["North"]  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        import_file("customers", csv_bytes([HEADER, *ROWS]), user=owner)
    assert regions_in_use(manager) == ["North", "South"]


def test_an_import_with_new_tags_refreshes_the_tag_filter(
    owner, django_capture_on_commit_callbacks
):
    TagFactory(name="retail")
    assert filter_choices().tags == ["retail"]  # now cached
    with django_capture_on_commit_callbacks(execute=True):
        import_file("customers", csv_bytes([HEADER, *ROWS]), user=owner)
    assert filter_choices().tags == ["retail", "vip"]


def test_reimporting_the_same_file_changes_nothing(owner):
    data = csv_bytes([HEADER, *ROWS])
    import_file("customers", data, user=owner)
    history = _history_count()

    report = import_file("customers", data, user=owner)

    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    assert Customer.objects.count() == 2
    assert _history_count() == history


def test_updates_only_what_changed(owner):
    import_file("customers", csv_bytes([HEADER, *ROWS]), user=owner)
    changed = [
        ["C-1", "Acme", "sales@acme.test", "active", "North", "VIP;retail", "2026-01-15", "no"]
    ]

    report = import_file("customers", csv_bytes([HEADER, changed[0], ROWS[1]]), user=owner)

    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert report.preview[0]["values"][-1] == "Email"
    acme = Customer.objects.get(external_id="C-1")
    assert acme.email == "sales@acme.test"
    # Tags match case-insensitively, as on the customer form: no new "VIP" tag.
    assert Tag.objects.filter(name__iexact="vip").count() == 1
    assert acme.history.count() == 2


def test_blank_cells_keep_stored_values(owner):
    CustomerFactory(owner=owner, external_id="C-1", name="Acme", email="a@acme.test", region="East")

    report = import_file(
        "customers",
        csv_bytes([["external_id", "name", "email", "region"], ["C-1", "", "", ""]]),
        user=owner,
    )

    assert report.unchanged == 1
    acme = Customer.objects.get(external_id="C-1")
    assert (acme.name, acme.email, acme.region) == ("Acme", "a@acme.test", "East")


def test_tags_are_replaced_by_the_files_tags(owner):
    customer = CustomerFactory(owner=owner, external_id="C-1")
    customer.tags.add(TagFactory(name="old"))

    report = import_file(
        "customers",
        csv_bytes([["external_id", "name", "tags"], ["C-1", "Acme", "new"]]),
        user=owner,
    )

    assert report.updated == 1
    assert list(customer.tags.values_list("name", flat=True)) == ["new"]


def test_rep_cannot_touch_another_reps_customer(owner, teammate):
    theirs = CustomerFactory(owner=teammate, external_id="T-1", name="Theirs", email="t@t.test")
    data = csv_bytes(
        [["external_id", "name", "email"], ["C-9", "Mine", ""], ["T-1", "Stolen", "x@x.test"]]
    )

    report = import_file("customers", data, user=owner)

    assert report.error_rows == 1
    [(row, column, message)] = messages_of(report)
    assert (row, column) == (3, "external_id")
    assert "you do not own" in message
    assert "Theirs" not in message
    assert "t@t.test" not in message
    theirs.refresh_from_db()
    assert (theirs.name, theirs.owner) == ("Theirs", teammate)
    assert not Customer.objects.filter(external_id="C-9").exists()  # all or nothing


def test_rep_cannot_map_an_owner_column(owner, teammate):
    data = csv_bytes([["external_id", "name", "owner"], ["C-1", "Acme", teammate.username]])
    with pytest.raises(ValidationError, match="Only managers can set owners"):
        import_file(
            "customers", data, user=owner, mapping={"external_id": 0, "name": 1, "owner": 2}
        )


def test_manager_assigns_owners_by_username(manager, owner):
    data = csv_bytes(
        [["external_id", "name", "owner"], ["C-1", "Acme", owner.username], ["C-2", "Globex", ""]]
    )

    report = import_file("customers", data, user=manager)

    assert report.created == 2
    assert Customer.objects.get(external_id="C-1").owner == owner
    assert Customer.objects.get(external_id="C-2").owner == manager


def test_manager_reassigns_an_existing_customer(manager, owner, teammate):
    CustomerFactory(owner=owner, external_id="C-1", name="Acme")
    data = csv_bytes([["external_id", "name", "owner"], ["C-1", "Acme", teammate.username]])

    report = import_file("customers", data, user=manager)

    assert report.updated == 1
    assert report.preview[0]["values"][-1] == "Owner username"
    assert Customer.objects.get(external_id="C-1").owner == teammate


def test_unknown_owner_is_a_row_error(manager):
    data = csv_bytes([["external_id", "name", "owner"], ["C-1", "Acme", "ghost"]])
    report = import_file("customers", data, user=manager)
    assert messages_of(report) == [(2, "owner", "There is no active user “ghost”.")]
    assert not Customer.objects.exists()


def test_acquisition_campaign_by_name(owner):
    campaign = Campaign.objects.create(name="Spring fair", starts_on=dt.date(2026, 3, 1))
    data = csv_bytes(
        [["external_id", "name", "campaign"], ["C-1", "Acme", "Spring fair"], ["C-2", "B", "Nope"]]
    )

    report = import_file("customers", data, user=owner)

    assert messages_of(report) == [(3, "campaign", "There is no campaign named “Nope”.")]
    report = import_file(
        "customers",
        csv_bytes([["external_id", "name", "campaign"], ["C-1", "Acme", "Spring fair"]]),
        user=owner,
    )
    assert report.created == 1
    assert Customer.objects.get().acquired_by_campaign == campaign


def test_duplicate_external_ids_in_the_file(owner):
    data = csv_bytes(
        [["external_id", "name"], ["C-1", "Acme"], ["C-2", "B"], ["C-1", "Acme again"]]
    )
    report = import_file("customers", data, user=owner)
    assert messages_of(report) == [
        (4, "external_id", "External id C-1 appears more than once (first on row 2).")
    ]
    assert not Customer.objects.exists()


def test_external_id_is_required_unless_chosen_otherwise(owner):
    data = csv_bytes([["external_id", "name"], ["", "Walk-in"], ["C-2", "B"]])

    report = import_file("customers", data, user=owner)
    assert [(row, column) for row, column, _m in messages_of(report)] == [(2, "external_id")]
    assert not Customer.objects.exists()

    report = import_file("customers", data, user=owner, without_external_id=True)
    assert report.created == 2
    assert Customer.objects.get(name="Walk-in").external_id is None


def test_model_validation_errors_name_the_column(owner):
    data = csv_bytes(
        [
            ["external_id", "name", "E-mail", "website", "status", "kind"],
            ["C-1", "Acme", "not-an-email", "ftp//x", "gone", "company"],
            ["C-2", "", "", "", "", "robot"],
        ]
    )

    report = import_file("customers", data, user=owner)

    errors = messages_of(report)
    assert (2, "E-mail", "Enter a valid email address.") in errors
    assert (2, "website", "Enter a valid URL.") in errors
    assert (2, "status", "“gone” is not one of: lead, active, churned.") in errors
    assert (3, "kind", "“robot” is not one of: company, person.") in errors
    assert report.error_rows == 2
    assert not Customer.objects.exists()


def test_a_new_customer_needs_a_name(owner):
    report = import_file("customers", csv_bytes([["external_id", "name"], ["C-1", ""]]), user=owner)
    assert messages_of(report) == [(2, "name", "This field cannot be blank.")]


def test_churned_status_needs_a_churn_date(owner):
    header = ["external_id", "name", "status", "churned_on"]
    report = import_file(
        "customers", csv_bytes([header, ["C-1", "Acme", "churned", ""]]), user=owner
    )
    assert messages_of(report) == [(2, "churned_on", "A churned customer needs a churn date.")]

    report = import_file(
        "customers", csv_bytes([header, ["C-1", "Acme", "churned", "2026-02-01"]]), user=owner
    )
    assert report.created == 1


def test_reactivating_a_churned_customer_clears_the_churn_date(owner):
    CustomerFactory(
        owner=owner,
        external_id="C-1",
        status=Customer.Status.CHURNED,
        churned_on=dt.date(2026, 1, 1),
        churn_reason="price",
    )
    data = csv_bytes([["external_id", "name", "status"], ["C-1", "", "active"]])
    report = import_file("customers", data, user=owner)
    assert report.updated == 1
    customer = Customer.objects.get(external_id="C-1")
    assert (customer.status, customer.churned_on, customer.churn_reason) == ("active", None, "")


def test_validation_counts_without_writing(owner):
    CustomerFactory(owner=owner, external_id="C-2", name="Old name")

    report = import_file("customers", csv_bytes([HEADER, *ROWS]), user=owner, write=False)

    assert (report.created, report.updated, report.unchanged) == (1, 1, 0)
    assert [row["action"] for row in report.preview] == ["created", "updated"]
    assert Customer.objects.count() == 1
    assert Customer.objects.get().name == "Old name"


def test_semicolon_separated_file_with_bom_and_formula_quotes(owner):
    data = csv_bytes(
        [["external_id", "name", "phone"], ["C-1", "'=Acme", "'+1 555"]], bom=True, delimiter=";"
    )

    report = import_file("customers", data, user=owner)

    assert report.created == 1
    customer = Customer.objects.get(external_id="C-1")
    assert (customer.name, customer.phone) == ("=Acme", "+1 555")


def test_rows_are_processed_in_batches_across_the_file(owner, monkeypatch):
    monkeypatch.setattr("dataio.engine.BATCH_ROWS", 2)
    rows = [["external_id", "name", "tags"]] + [[f"C-{n}", f"N{n}", f"t{n % 3}"] for n in range(7)]
    rows.append(["C-1", "dup", ""])

    report = import_file("customers", csv_bytes(rows), user=owner)
    assert messages_of(report) == [
        (9, "external_id", "External id C-1 appears more than once (first on row 3).")
    ]

    report = import_file("customers", csv_bytes(rows[:-1]), user=owner)
    assert report.created == 7
    assert Customer.objects.count() == 7
    assert Tag.objects.count() == 3
