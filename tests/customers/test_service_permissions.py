"""The customer services check the acting user themselves, whoever calls them (page, API,
import, task): the model permission, and that the customer is one the user can see.
``user=None`` is the system (see core.services)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from customers import services
from customers.models import Activity, Contact, Customer
from tests.factories import ContactFactory, CustomerFactory, TaskFactory

# service name -> call(user, customer, contact, task)
CALLS = {
    "customer_create": lambda user, c, contact, task: services.customer_create(
        user=user, name="New"
    ),
    "tags_get_or_create": lambda user, c, contact, task: services.tags_get_or_create(
        user=user, names=["vip"]
    ),
    "customer_update": lambda user, c, contact, task: services.customer_update(
        user=user, customer=c, name="Renamed"
    ),
    "customer_delete": lambda user, c, contact, task: services.customer_delete(
        user=user, customer=c
    ),
    "customer_merge": lambda user, c, contact, task: services.customer_merge(
        user=user, survivor=CustomerFactory(owner=c.owner), duplicate=c
    ),
    "contact_save (new)": lambda user, c, contact, task: services.contact_save(
        user=user, contact=Contact(customer=c, name="Ann")
    ),
    "contact_save (change)": lambda user, c, contact, task: services.contact_save(
        user=user, contact=contact
    ),
    "contact_delete": lambda user, c, contact, task: services.contact_delete(
        user=user, contact=contact
    ),
    "activity_create": lambda user, c, contact, task: services.activity_create(
        user=user, customer=c, kind=Activity.Kind.NOTE, subject="Hello"
    ),
    "task_set_done": lambda user, c, contact, task: services.task_set_done(
        user=user, task=task, done=True
    ),
}
# Services that write on one existing customer (the rest create or need no customer).
ON_A_CUSTOMER = [name for name in CALLS if name not in ("customer_create", "tags_get_or_create")]


@pytest.fixture
def book(owner):
    customer = CustomerFactory(owner=owner, name="Acme")
    return {
        "c": customer,
        "contact": ContactFactory(customer=customer),
        "task": TaskFactory(customer=customer),
    }


def unchanged(book):
    customer = Customer.objects.filter(pk=book["c"].pk).first()
    return (
        customer is not None
        and customer.name == "Acme"
        and Contact.objects.filter(pk=book["contact"].pk).exists()
        and not Activity.objects.get(pk=book["task"].pk).done
        and not Activity.objects.exclude(pk=book["task"].pk).exists()
    )


@pytest.mark.parametrize("service", CALLS)
def test_a_user_without_the_permission_is_refused(outsider, book, service):
    with pytest.raises(PermissionDenied):
        CALLS[service](outsider, **book)
    assert unchanged(book)


@pytest.mark.parametrize("service", ON_A_CUSTOMER)
def test_a_rep_is_refused_on_a_teammates_customer(teammate, book, service):
    with pytest.raises(PermissionDenied):
        CALLS[service](teammate, **book)
    assert unchanged(book)


@pytest.mark.parametrize("service", CALLS)
def test_the_owner_and_a_manager_may(request, book, service):
    for persona in ("owner", "manager"):
        fresh = {
            "c": CustomerFactory(owner=book["c"].owner),
        }
        fresh["contact"] = ContactFactory(customer=fresh["c"])
        fresh["task"] = TaskFactory(customer=fresh["c"])
        CALLS[service](request.getfixturevalue(persona), **fresh)


def test_a_rep_cannot_merge_a_teammates_customer_into_their_own(owner, teammate):
    mine, theirs = CustomerFactory(owner=owner), CustomerFactory(owner=teammate)
    with pytest.raises(PermissionDenied):
        services.customer_merge(user=owner, survivor=mine, duplicate=theirs)
    assert Customer.objects.filter(pk=theirs.pk).exists()


def test_the_system_may_write_the_crms_own_entries(book):
    """``user=None``: what a task, a command or the app's bookkeeping passes."""
    activity = services.activity_create(
        user=None, customer=book["c"], kind=Activity.Kind.SYSTEM, subject="Unsubscribed"
    )
    assert activity.author is None
    customer = services.customer_create(user=None, name="From a command")
    assert customer.owner is None


@pytest.mark.parametrize(
    "call",
    [
        lambda user, c: services.customer_create(
            user=user, name="X", created_at=dt.datetime.now(dt.UTC)
        ),
        lambda user, c: services.customer_update(user=user, customer=c, nmae="typo"),
        lambda user, c: services.customer_update(user=user, customer=c, pk=999),
        lambda user, c: services.activity_create(
            user=user, customer=c, subject="X", author=None, done=True
        ),
    ],
    ids=["create: computed field", "update: typo", "update: pk", "activity: author, done"],
)
def test_an_unknown_field_is_refused(manager, owner, call):
    customer = CustomerFactory(owner=owner, name="Acme")
    with pytest.raises(TypeError, match="unexpected field"):
        call(manager, customer)
    customer.refresh_from_db()
    assert customer.name == "Acme"
    assert customer.pk
