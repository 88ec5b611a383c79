import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from customers import services
from customers.models import Activity, Customer
from customers.signals import customer_merging
from tests.factories import (
    ActivityFactory,
    ContactFactory,
    CustomerFactory,
    TagFactory,
    TaskFactory,
)


def test_rep_creating_a_customer_owns_it_even_when_naming_another_owner(owner, teammate):
    customer = services.customer_create(user=owner, name="Acme", owner=teammate)
    assert customer.owner == owner


def test_manager_can_create_for_another_owner(manager, owner):
    customer = services.customer_create(user=manager, name="Acme", owner=owner)
    assert customer.owner == owner


def test_rep_cannot_reassign(owner, teammate):
    customer = CustomerFactory(owner=owner)
    with pytest.raises(PermissionDenied):
        services.customer_update(user=owner, customer=customer, owner=teammate)
    customer.refresh_from_db()
    assert customer.owner == owner


def test_churned_customer_needs_a_date(owner):
    customer = CustomerFactory(owner=owner)
    with pytest.raises(ValidationError) as excinfo:
        services.customer_update(user=owner, customer=customer, status=Customer.Status.CHURNED)
    assert "churned_on" in excinfo.value.message_dict


def test_merge_moves_contacts_activities_referrals_and_tags(owner):
    survivor = CustomerFactory(owner=owner, phone="", external_id=None)
    duplicate = CustomerFactory(owner=owner, phone="+1 555", external_id="EXT-9")
    duplicate.tags.add(TagFactory(name="vip"))
    ContactFactory(customer=survivor, is_primary=True)
    moved_contact = ContactFactory(customer=duplicate, is_primary=True)
    ActivityFactory(customer=duplicate, subject="Call about renewal")
    referred = CustomerFactory(owner=owner, referred_by=duplicate)

    result = services.customer_merge(user=owner, survivor=survivor, duplicate=duplicate)

    assert not Customer.objects.filter(pk=duplicate.pk).exists()
    assert result.phone == "+1 555"
    assert result.external_id == "EXT-9"
    assert list(result.tags.values_list("name", flat=True)) == ["vip"]
    moved_contact.refresh_from_db()
    assert moved_contact.customer == survivor
    assert not moved_contact.is_primary
    assert survivor.activities.filter(subject="Call about renewal").exists()
    referred.refresh_from_db()
    assert referred.referred_by == survivor
    merge_note = survivor.activities.get(kind=Activity.Kind.SYSTEM)
    assert "EXT-9" not in merge_note.subject
    assert duplicate.name in merge_note.subject


def test_merge_is_all_or_nothing_when_a_receiver_fails(owner):
    survivor = CustomerFactory(owner=owner)
    duplicate = CustomerFactory(owner=owner)
    ContactFactory(customer=duplicate)

    def failing_receiver(**kwargs):
        raise RuntimeError("orders could not move")

    customer_merging.connect(failing_receiver)
    try:
        with pytest.raises(RuntimeError):
            services.customer_merge(user=owner, survivor=survivor, duplicate=duplicate)
    finally:
        customer_merging.disconnect(failing_receiver)
    assert Customer.objects.filter(pk=duplicate.pk).exists()
    assert duplicate.contacts.count() == 1
    assert not survivor.activities.exists()


def test_merge_into_itself_is_refused(owner):
    customer = CustomerFactory(owner=owner)
    with pytest.raises(ValidationError):
        services.customer_merge(user=owner, survivor=customer, duplicate=customer)


def test_task_needs_due_date_and_defaults_assignee_to_author(owner):
    customer = CustomerFactory(owner=owner)
    with pytest.raises(ValidationError):
        services.activity_create(user=owner, customer=customer, kind="task", subject="Call")
    task = services.activity_create(
        user=owner, customer=customer, kind="task", subject="Call", due_on=dt.date(2026, 5, 1)
    )
    assert task.assignee == owner


def test_task_reminders_are_sent_once_per_day(owner):
    customer = CustomerFactory(owner=owner)
    TaskFactory(customer=customer, subject="Send quote", due_on=dt.date(2026, 3, 10))
    TaskFactory(customer=customer, subject="Later", due_on=dt.date(2026, 4, 1))
    TaskFactory(customer=customer, subject="Done already", done=True)

    assert services.task_reminders_send(today=dt.date(2026, 3, 10)) == 1
    assert services.task_reminders_send(today=dt.date(2026, 3, 10)) == 0
    assert len(mail.outbox) == 1
    assert "Send quote" in mail.outbox[0].body
    assert "Later" not in mail.outbox[0].body
    assert mail.outbox[0].to == [owner.email]
