"""Writes of customer data. Each function is one transaction and takes keyword arguments;
callers have already checked that ``user`` may touch the customer (via the selectors)."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Activity, Customer, Tag
from .signals import customer_merging

# Fields a merge copies from the duplicate when the survivor has them empty.
_MERGE_FILL_FIELDS = [
    "email",
    "phone",
    "website",
    "industry",
    "region",
    "address",
    "acquired_on",
    "acquisition_cost_override",
    "referred_by",
]


def merge_fill_fields(*, survivor, duplicate):
    """The fields a merge copies from ``duplicate`` because ``survivor`` has them empty."""
    fields = [
        field
        for field in _MERGE_FILL_FIELDS
        if getattr(survivor, field) in ("", None) and getattr(duplicate, field) not in ("", None)
    ]
    if duplicate.referred_by_id == survivor.pk:
        # The survivor referred the duplicate; copying that would make it refer itself.
        fields.remove("referred_by")
    return fields


def _check_owner_change(*, user, customer, owner):
    if owner != customer.owner and not user.has_perm("customers.reassign_customer"):
        raise PermissionDenied(_("Only managers can reassign a customer to another owner."))


@transaction.atomic
def customer_create(*, user, tags=(), **fields):
    """Create a customer. A rep who cannot reassign always owns what they create."""
    if not user.has_perm("customers.reassign_customer"):
        fields["owner"] = user
    fields.setdefault("owner", user)
    customer = Customer(**fields)
    customer.full_clean()
    customer.save()
    customer.tags.set(tags)
    return customer


@transaction.atomic
def tags_get_or_create(*, names):
    """The tags with these names, matched case-insensitively; missing ones are created."""
    tags = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        tags.append(tag or Tag.objects.create(name=name))
    return tags


@transaction.atomic
def customer_update(*, user, customer, tags=None, **fields):
    if "owner" in fields:
        _check_owner_change(user=user, customer=customer, owner=fields["owner"])
    for name, value in fields.items():
        setattr(customer, name, value)
    customer.full_clean()
    customer.save()
    if tags is not None:
        customer.tags.set(tags)
    return customer


@transaction.atomic
def customer_delete(*, user, customer):
    customer.delete()


@transaction.atomic
def customer_merge(*, user, survivor, duplicate):
    """Fold ``duplicate`` into ``survivor`` and delete it, all or nothing.

    Contacts, activities and referrals move here; other apps move their rows in a
    ``customer_merging`` receiver. An activity on the survivor records the merge.
    """
    if survivor.pk == duplicate.pk:
        raise ValidationError(_("A customer cannot be merged into itself."))
    # Lock both rows so a concurrent edit or second merge waits instead of interleaving.
    rows = Customer.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    locked = {c.pk: c for c in rows}
    if len(locked) != 2:
        raise ValidationError(_("One of the customers no longer exists."))
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]

    for field in merge_fill_fields(survivor=survivor, duplicate=duplicate):
        setattr(survivor, field, getattr(duplicate, field))
    if survivor.referred_by_id == duplicate.pk:
        survivor.referred_by = None
    survivor.marketing_opt_out = survivor.marketing_opt_out or duplicate.marketing_opt_out
    external_id = duplicate.external_id

    if survivor.contacts.filter(is_primary=True).exists():
        duplicate.contacts.filter(is_primary=True).update(is_primary=False)
    duplicate.contacts.update(customer=survivor)
    duplicate.activities.update(customer=survivor)
    Customer.objects.filter(referred_by=duplicate).exclude(pk=survivor.pk).update(
        referred_by=survivor
    )
    survivor.tags.add(*duplicate.tags.all())
    customer_merging.send(sender=Customer, survivor=survivor, duplicate=duplicate, user=user)

    duplicate_label = f"{duplicate.name} (#{duplicate.pk})"
    duplicate.delete()
    if not survivor.external_id and external_id:
        survivor.external_id = external_id
    survivor.save()
    Activity.objects.create(
        customer=survivor,
        kind=Activity.Kind.SYSTEM,
        author=user,
        subject=_("Merged %(duplicate)s into this customer") % {"duplicate": duplicate_label},
    )
    return survivor


@transaction.atomic
def contact_save(*, contact):
    """Create or update a contact; making it primary demotes the previous primary."""
    # Demote first: full_clean checks the one-primary constraint against the database.
    if contact.is_primary:
        contact.customer.contacts.exclude(pk=contact.pk).filter(is_primary=True).update(
            is_primary=False
        )
    contact.full_clean()
    contact.save()
    return contact


@transaction.atomic
def contact_delete(*, contact):
    contact.delete()


@transaction.atomic
def activity_create(*, user, customer, **fields):
    activity = Activity(customer=customer, author=user, **fields)
    if activity.kind == Activity.Kind.TASK and activity.assignee is None:
        activity.assignee = user
    activity.full_clean()
    activity.save()
    return activity


@transaction.atomic
def task_set_done(*, task, done, now=None):
    task.done = done
    task.done_at = (now or timezone.now()) if done else None
    task.save(update_fields=["done", "done_at"])
    return task


def task_reminders_send(*, today):
    """Email each assignee their open tasks due on or before ``today``, once a day.

    Each task is claimed with a conditional UPDATE before the email goes out, so a
    retried or duplicated run sends nothing twice. Returns the number of emails sent.
    """
    due = (
        Activity.objects.open_tasks()
        .filter(due_on__lte=today, assignee__isnull=False)
        .exclude(assignee__email="")
        .filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
        .select_related("assignee", "customer")
        .order_by("assignee_id", "due_on", "id")
    )
    by_assignee = {}
    for task in due:
        by_assignee.setdefault(task.assignee, []).append(task)
    sent = 0
    for assignee, tasks in by_assignee.items():
        with transaction.atomic():
            claimed = Activity.objects.filter(
                Q(reminded_on__isnull=True) | Q(reminded_on__lt=today),
                pk__in=[t.pk for t in tasks],
            ).update(reminded_on=today)
            if not claimed:
                continue
            context = {"user": assignee, "tasks": tasks, "today": today}
            send_mail(
                subject=_("Your CRM tasks due by %(date)s") % {"date": today.isoformat()},
                message=render_to_string("customers/email/task_reminder.txt", context),
                from_email=None,
                recipient_list=[assignee.email],
            )
        sent += 1
    return sent
