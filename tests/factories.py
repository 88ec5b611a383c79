import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from core.roles import ADMIN, SALES_MANAGER, SALES_REP, sync_roles
from customers.models import Activity, Contact, Customer, Tag

PASSWORD = "correct-horse-battery"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    first_name = factory.LazyAttribute(lambda u: u.username.capitalize())
    password = factory.django.Password(PASSWORD)

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        """``UserFactory(role=SALES_REP)`` puts the user in that role's group."""
        if create and extracted:
            # Transactional tests (browser, worker) flush the role groups when they end.
            if not Group.objects.filter(name=extracted).exists():
                sync_roles()
            self.groups.add(Group.objects.get(name=extracted))


PERSONAS = {
    "owner": {"username": "olivia", "role": SALES_REP},
    "teammate": {"username": "tom", "role": SALES_REP},
    "outsider": {"username": "nobody", "role": None},
    "manager": {"username": "maria", "role": SALES_MANAGER},
    "admin_user": {"username": "ada", "role": ADMIN, "is_staff": True},
}


def persona(name):
    """The user behind the fixture of that name (tests/conftest.py). Data built once for
    many tests (tests/shared.py) gets the same user the fixture will return."""
    return UserFactory(**PERSONAS[name])


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ["name"]

    name = factory.Sequence(lambda n: f"tag{n}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n:04d}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    status = Customer.Status.ACTIVE
    region = "North"
    owner = factory.SubFactory(UserFactory)
    created_at = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contact

    customer = factory.SubFactory(CustomerFactory)
    name = factory.Sequence(lambda n: f"Contact {n}")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Activity

    customer = factory.SubFactory(CustomerFactory)
    kind = Activity.Kind.NOTE
    subject = factory.Sequence(lambda n: f"Activity {n}")
    author = factory.SelfAttribute("customer.owner")
    occurred_at = dt.datetime(2026, 3, 1, 12, tzinfo=dt.UTC)


class TaskFactory(ActivityFactory):
    kind = Activity.Kind.TASK
    due_on = dt.date(2026, 3, 10)
    assignee = factory.SelfAttribute("customer.owner")
