from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self):
        return self.name


class CustomerQuerySet(models.QuerySet):
    def owned_by(self, user):
        return self.filter(owner=user)

    def active(self):
        return self.filter(status=Customer.Status.ACTIVE)


class Customer(models.Model):
    class Kind(models.TextChoices):
        COMPANY = "company", _("Company")
        PERSON = "person", _("Person")

    class Status(models.TextChoices):
        LEAD = "lead", _("Lead")
        ACTIVE = "active", pgettext_lazy("customer status", "Active")
        CHURNED = "churned", _("Churned")

    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.COMPANY)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    website = models.URLField(_("website"), blank=True)
    industry = models.CharField(_("industry"), max_length=100, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True, db_index=True)
    address = models.TextField(_("address"), blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="customers", verbose_name=_("tags"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        # Indexed by customer_owner_region_status instead, which starts with it.
        db_index=False,
        related_name="owned_customers",
        verbose_name=_("owner"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.LEAD, db_index=True
    )
    churned_on = models.DateField(_("churned on"), null=True, blank=True)
    churn_reason = models.CharField(_("churn reason"), max_length=200, blank=True)
    acquired_on = models.DateField(_("acquired on"), null=True, blank=True)
    acquisition_cost_override = models.DecimalField(
        _("acquisition cost override"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("Leave empty to use the cost attributed by the acquiring campaign."),
    )
    acquired_by_campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # led by it: customer_campaign_name_id
        related_name="acquired_customers",
        verbose_name=_("acquiring campaign"),
    )
    referred_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="referrals",
        verbose_name=_("referred by"),
    )
    external_id = models.CharField(
        _("external id"),
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Identifier in another system; imports match customers on it."),
    )
    marketing_opt_out = models.BooleanField(_("marketing opt-out"), default=False)
    language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Survey emails and pages use it. Empty: the site's default language."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # True once the customer is known to have a value score row (set by each full run, and
    # never true without one: score rows go only with their customer). It narrows the
    # customers a score-sorted list must check for a missing row to those not known yet,
    # through a small partial index (issue 14). False is always safe, only slower; a row
    # inserted by any path (an import's COPY too) starts false.
    is_scored = models.BooleanField(default=False, db_default=False, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at", "is_scored"])
    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        permissions = [
            ("view_all_customers", _("Can see and edit every customer, not only their own")),
            ("reassign_customer", _("Can change a customer's owner")),
            ("merge_customer", _("Can merge duplicate customers")),
        ]
        indexes = [
            models.Index(fields=["name", "id"], name="customer_name_id"),
            models.Index(fields=["owner", "name", "id"], name="customer_owner_name_id"),
            # A rep's regions for the list's filter, read off the index on every list page
            # instead of from each of their customers' rows (8.8 → 1.4 ms at 1M, issue 14);
            # the status too, so a rep's status filter is read off it rather than off the
            # status index's 149,000 churned customers (count 10-16 → 0.7 ms, rows by score
            # 20 → 5 ms at 1M).
            models.Index(fields=["owner", "region", "status"], name="customer_owner_region_status"),
            # A campaign's customers by name, paged by keyset (campaigns.selectors), and
            # the campaign's own lookups (its counts, SET_NULL when it is deleted).
            models.Index(
                fields=["acquired_by_campaign", "name", "id"], name="customer_campaign_name_id"
            ),
            # The list's keyset pages by creation date, everyone's and a rep's (issue 14).
            models.Index(fields=["created_at", "id"], name="customer_created_id"),
            models.Index(fields=["owner", "created_at", "id"], name="customer_owner_created_id"),
            models.Index(fields=["email"], name="customer_email"),
            # The API's incremental sync: ?updated_since= pages in (updated_at, id) order.
            models.Index(fields=["updated_at", "id"], name="customer_updated_id"),
            # A rep's API list in its default order (newest first) and a rep's sync: walking
            # everyone's ids or changes kept one row in 200 (10,000 rows read for a page of
            # 50 at 1M, 5 ms of SQL).
            models.Index(fields=["owner", "id"], name="customer_owner_id"),
            models.Index(fields=["owner", "updated_at", "id"], name="customer_owner_updated_id"),
            # The customers a score-sorted list checks for a missing score row.
            models.Index(fields=["id"], condition=Q(is_scored=False), name="customer_not_scored"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(acquisition_cost_override__isnull=True)
                | Q(acquisition_cost_override__gte=0),
                name="customer_acquisition_cost_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("customers:detail", args=[self.pk])

    def clean(self):
        if self.status == self.Status.CHURNED and not self.churned_on:
            raise ValidationError({"churned_on": _("A churned customer needs a churn date.")})
        if self.status != self.Status.CHURNED and (self.churned_on or self.churn_reason):
            raise ValidationError(
                {"status": _("Only a churned customer has a churn date or reason.")}
            )
        if self.referred_by_id and self.referred_by_id == self.pk:
            raise ValidationError({"referred_by": _("A customer cannot refer itself.")})


class Contact(models.Model):
    # Its own index would repeat the start of contact_customer_primary_id.
    customer = models.ForeignKey(
        Customer,
        on_delete=models.CASCADE,
        related_name="contacts",
        verbose_name=_("customer"),
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=100, blank=True)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    is_primary = models.BooleanField(_("primary contact"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-is_primary", "name", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            # The API's contacts by keyset (api.views.customers.ContactViewSet): each
            # customer's together, the primary one first; and a customer's contacts.
            models.Index(
                fields=["customer", "-is_primary", "id"], name="contact_customer_primary_id"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["customer"],
                condition=Q(is_primary=True),
                name="contact_one_primary_per_customer",
            ),
        ]

    def __str__(self):
        return self.name


class ActivityQuerySet(models.QuerySet):
    def open_tasks(self):
        return self.filter(kind=Activity.Kind.TASK, done=False)


class Activity(models.Model):
    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        CALL = "call", _("Call")
        EMAIL = "email", pgettext_lazy("activity kind", "Email")
        MEETING = "meeting", _("Meeting")
        TASK = "task", _("Task")
        SYSTEM = "system", _("System event")

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="activities", verbose_name=_("customer")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.NOTE)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("details"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="authored_activities",
        verbose_name=_("author"),
    )
    occurred_at = models.DateTimeField(_("when"), default=timezone.now)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tasks",
        verbose_name=_("assignee"),
    )
    done = models.BooleanField(_("done"), default=False)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    reminded_on = models.DateField(_("reminder sent on"), null=True, blank=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [
            models.Index(fields=["customer", "-occurred_at"], name="activity_customer_time"),
            # The API's list in its default order, by keyset: without it every page sorted
            # the 160,000 activities of the million-customer demo (70 ms, issue 14).
            models.Index(fields=["occurred_at", "id"], name="activity_time_id"),
            # "My tasks" by keyset (customers.selectors.TASKS_ORDER), and the reminders.
            models.Index(
                fields=["assignee", "due_on", "id"],
                condition=Q(kind="task", done=False),
                name="activity_open_task_due_id",
            ),
        ]

    def __str__(self):
        return self.subject

    @property
    def is_task(self):
        return self.kind == self.Kind.TASK

    def is_overdue(self, today):
        return self.is_task and not self.done and self.due_on is not None and self.due_on < today

    def clean(self):
        if self.kind == self.Kind.TASK and not self.due_on:
            raise ValidationError({"due_on": _("A task needs a due date.")})
