import datetime as dt

from django.conf import settings
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.formatting import format_money

MONEY = {"max_digits": 14, "decimal_places": 2}
# Sums of many orders' amounts.
MONEY_SUM = {"max_digits": 16, "decimal_places": 2}
# 1 unit of a currency = rate units of the base currency; six places keep cents exact.
RATE = {"max_digits": 18, "decimal_places": 8}
currency_code = RegexValidator(r"^[A-Z]{3}$", _("Use a three-letter ISO 4217 code, e.g. EUR."))


def base_currency():
    return settings.CRM_BASE_CURRENCY


class Product(models.Model):
    sku = models.CharField(_("SKU"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    list_price = models.DecimalField(_("list price"), **MONEY, validators=[MinValueValidator(0)])
    unit_cost = models.DecimalField(_("unit cost"), **MONEY, validators=[MinValueValidator(0)])
    active = models.BooleanField(_("active"), default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name", "sku"]
        verbose_name = _("product")
        verbose_name_plural = _("products")
        constraints = [
            models.CheckConstraint(
                condition=Q(list_price__gte=0) & Q(unit_cost__gte=0),
                name="product_prices_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.sku})"


class ExchangeRate(models.Model):
    """What one unit of ``currency`` was worth in the base currency from ``valid_on`` on,
    until the next rate for that currency."""

    currency = models.CharField(_("currency"), max_length=3, validators=[currency_code])
    valid_on = models.DateField(_("valid from"))
    rate = models.DecimalField(_("rate"), **RATE, validators=[MinValueValidator(0)])

    class Meta:
        ordering = ["currency", "-valid_on"]
        verbose_name = _("exchange rate")
        verbose_name_plural = _("exchange rates")
        constraints = [
            models.UniqueConstraint(fields=["currency", "valid_on"], name="rate_one_per_day"),
            models.CheckConstraint(condition=Q(rate__gt=0), name="rate_positive"),
        ]

    def __str__(self):
        return f"1 {self.currency} = {self.rate} {base_currency()} from {self.valid_on}"


class OrderQuerySet(models.QuerySet):
    def purchases(self):
        """Orders that count as purchases in every total, metric and audience:
        placed or paid (``PURCHASE_STATUSES``). Drafts and cancelled orders never
        happened, and a fully refunded order was undone (spec 2.5); a partial refund
        stays a purchase whose revenue is netted through ``refunded_base``."""
        return self.filter(status__in=PURCHASE_STATUSES)


class Order(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PLACED = "placed", _("Placed")
        PAID = "paid", _("Paid")
        CANCELLED = "cancelled", _("Cancelled")
        REFUNDED = "refunded", _("Refunded")

    # Indexed by (customer, ordered_on) below, which serves every lookup by customer: an
    # index on the column alone only cost writes (migration 0002).
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="orders",
        verbose_name=_("customer"),
        db_index=False,
    )
    # A copy of the customer's owner, so that a rep's order list reads one index led by it
    # in the list's order instead of walking everyone's orders and probing each customer
    # (issue 14: 110-120 ms at 1M). The reads still filter on the customer's own owner
    # (orders.selectors.orders_visible_to), so a stale copy can only hide an order, never
    # show another rep's. Written with the order, read under the customer's row lock
    # (orders.services.customer_owners_locked), and following each change of owner
    # (orders.receivers.customer_owner_saved, orders.services.order_owners_follow). No
    # database constraint: Customer.owner already holds the user, and a check per insert would
    # only cost the bulk loads; SET_NULL follows a deleted user as the customer's owner does.
    customer_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        db_index=False,
        db_constraint=False,
        verbose_name=_("customer's owner"),
    )
    # Unique (a btree); the search's trigram index is in crm/migrations/0002. The
    # varchar_pattern_ops twin Django adds on PostgreSQL is dropped (migration 0002).
    number = models.CharField(_("number"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.PLACED)
    ordered_on = models.DateField(_("ordered on"), db_index=True)
    currency = models.CharField(
        _("currency"), max_length=3, validators=[currency_code], default=base_currency
    )
    # The rate used, frozen when the totals were computed, so history does not drift when
    # an admin later corrects a rate (recomputing totals picks up the correction).
    exchange_rate = models.DecimalField(_("exchange rate"), **RATE, default=1)
    subtotal = models.DecimalField(_("subtotal"), **MONEY, default=0, editable=False)
    discount_total = models.DecimalField(_("discounts"), **MONEY, default=0, editable=False)
    total = models.DecimalField(_("total"), **MONEY, default=0, editable=False)
    cost_total = models.DecimalField(_("cost of goods"), **MONEY, default=0, editable=False)
    refunded_total = models.DecimalField(_("refunded"), **MONEY, default=0)
    total_base = models.DecimalField(_("total (base)"), **MONEY, default=0, editable=False)
    cost_base = models.DecimalField(_("cost of goods (base)"), **MONEY, default=0, editable=False)
    refunded_base = models.DecimalField(_("refunded (base)"), **MONEY, default=0, editable=False)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # The owner copy is the customer's, not the order's: it has no history of its own.
    history = HistoricalRecords(excluded_fields=["updated_at", "customer_owner"])
    objects = OrderQuerySet.as_manager()

    class Meta:
        ordering = ["-ordered_on", "-id"]
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        indexes = [
            models.Index(fields=["customer", "ordered_on"], name="order_customer_date"),
            models.Index(fields=["-ordered_on", "-id"], name="order_date_id"),
            # The order list sorted by total (in the base currency), a keyset page at a time.
            models.Index(fields=["total_base", "id"], name="order_total_base_id"),
            # The API's incremental sync: ?updated_since= pages in (updated_at, id) order.
            models.Index(fields=["updated_at", "id"], name="order_updated_id"),
            # A rep's order list, each sort (orders.selectors.ORDER_LIST_SORTS) in one owner's
            # orders, and the API's other orderings (by id, by updated_at for a sync); read
            # backwards for a descending one (migration 0008).
            models.Index(fields=["customer_owner", "ordered_on", "id"], name="order_owner_date_id"),
            models.Index(fields=["customer_owner", "number", "id"], name="order_owner_number_id"),
            models.Index(
                fields=["customer_owner", "total_base", "id"], name="order_owner_total_id"
            ),
            models.Index(fields=["customer_owner", "id"], name="order_owner_id"),
            models.Index(
                fields=["customer_owner", "updated_at", "id"], name="order_owner_updated_id"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(total__gte=0), name="order_total_not_negative"),
            models.CheckConstraint(
                condition=Q(refunded_total__gte=0) & Q(refunded_total__lte=F("total")),
                name="order_refund_within_total",
            ),
            models.CheckConstraint(condition=Q(exchange_rate__gt=0), name="order_rate_positive"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("orders:detail", args=[self.pk])

    @property
    def net_base(self):
        return self.total_base - self.refunded_base


# What "a purchase" is, defined once: ``Order.objects.purchases()`` for the ORM, this tuple
# for the value engine's raw SQL. Both the scores and the survey audiences read it.
PURCHASE_STATUSES = (Order.Status.PLACED, Order.Status.PAID)


# A line's largest quantity, whatever made it (the pages, the API, an import): the
# column's, a PositiveIntegerField on every database; the totals' own digits are checked
# apart (orders.totals).
MAX_QUANTITY = 2_147_483_647


class OrderLine(models.Model):
    order = models.ForeignKey(
        Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order")
    )
    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1)])
    unit_price = models.DecimalField(_("unit price"), **MONEY, validators=[MinValueValidator(0)])
    unit_cost = models.DecimalField(_("unit cost"), **MONEY, editable=False, default=0)
    discount = models.DecimalField(
        _("discount"), **MONEY, default=0, validators=[MinValueValidator(0)]
    )

    class Meta:
        ordering = ["id"]
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="line_quantity_positive"),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0) & Q(unit_cost__gte=0) & Q(discount__gte=0),
                name="line_amounts_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.quantity} × {self.product}"


class CustomerCost(models.Model):
    """A cost logged against one customer beyond the goods they bought (service,
    marketing, other); part of profit contribution."""

    class Kind(models.TextChoices):
        SERVICE = "service", _("Service")
        MARKETING = "marketing", _("Marketing")
        OTHER = "other", _("Other")

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="costs",
        verbose_name=_("customer"),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind, default=Kind.SERVICE)
    incurred_on = models.DateField(_("date"))
    amount = models.DecimalField(_("amount"), **MONEY, validators=[MinValueValidator(0)])
    currency = models.CharField(
        _("currency"), max_length=3, validators=[currency_code], default=base_currency
    )
    amount_base = models.DecimalField(_("amount (base)"), **MONEY, default=0, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["-incurred_on", "-id"]
        verbose_name = _("customer cost")
        verbose_name_plural = _("customer costs")
        indexes = [
            models.Index(fields=["customer", "incurred_on"], name="cost_customer_date"),
            # The API's list in its default order, by keyset (issue 14).
            models.Index(fields=["incurred_on", "id"], name="cost_date_id"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="cost_amount_not_negative"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {format_money(self.amount, self.currency)}"


# No later purchase yet: far enough for every "next_day >= boundary" test.
NO_NEXT_DAY = dt.date(9999, 12, 31)


class CustomerDay(models.Model):
    """One row per customer and day with purchases: what the dashboard and the cohort page
    read instead of the orders (issue 14). Written only by ``orders.summary``, which
    recomputes a customer's rows from their orders in the transaction that changed them.

    Each row also knows the customer's neighbouring purchase days and first purchase month,
    so "was a customer on day B" (a purchase in the inactivity window before B) is a test
    on one row, the one whose ``day < B <= next_day``: counting customers needs no GROUP BY
    customer and no COUNT(DISTINCT)."""

    NO_NEXT_DAY = NO_NEXT_DAY
    # A churned customer without a churn date counts as churned at every date.
    CHURNED_ALWAYS = dt.date(1, 1, 1)

    # Rows go when their orders go (the order receivers), so the daily sums lose them too;
    # a cascade from the customer would delete them behind the sums' back.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    day = models.DateField()
    month = models.DateField()  # the first day of ``day``'s month
    first_month = models.DateField()  # the month of the customer's first purchase: their cohort
    purchases = models.PositiveIntegerField()
    revenue = models.DecimalField(**MONEY_SUM)  # total - refunds, base currency
    cost = models.DecimalField(**MONEY_SUM)  # cost of goods, base currency
    prev_day = models.DateField(null=True)  # the customer's previous purchase day; None: first
    next_day = models.DateField()  # their next purchase day, NO_NEXT_DAY for the last
    # The customer's last day as a customer if marked churned (their churn date; before
    # every date without one), else NO_NEXT_DAY: "not churned before B" is counts_until >= B.
    counts_until = models.DateField()
    # The customer's acquiring campaign (an id, 0: none), for cohorts and payback by campaign.
    campaign = models.IntegerField(default=0)
    # A copy of the customer's owner, so that a rep's dashboard and cohorts read one range
    # of an index led by it (``customer_day_owner``) instead of probing the rows of each
    # customer they own: those rows lie all over the table, and a first load read them
    # from disk for 1-1.8 s at 1M (issue 14). Written with the rows (``orders.summary``)
    # and following each change of owner as the orders' copy does (orders.receivers,
    # orders.services.order_owners_follow). Read alone, like the scores' copy for the
    # same page (metrics.selectors_customer.scores_owned_visible_to): a copy left stale by
    # a write that bypassed the services counts the customer for their former owner until
    # their orders or the summary are written again.
    customer_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        editable=False,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "day"], name="customer_day_unique"),
        ]
        indexes = [
            # One owner's rows by day, with every column their figures read: index-only.
            models.Index(
                fields=["customer_owner", "day"],
                name="customer_day_owner",
                include=[
                    "month",
                    "first_month",
                    "prev_day",
                    "next_day",
                    "counts_until",
                    "revenue",
                    "cost",
                    "campaign",
                    "customer",
                ],
                condition=Q(customer_owner__isnull=False),
            ),
            # Everyone's figures of a date range: index-only sums and counts.
            models.Index(
                fields=["day"],
                name="customer_day_day",
                include=["next_day", "counts_until", "revenue", "cost", "month"],
            ),
            # Customers churned in a period.
            models.Index(
                fields=["counts_until"],
                name="customer_day_churn",
                condition=Q(counts_until__lt=NO_NEXT_DAY),
            ),
            # First purchases: new customers of a period.
            models.Index(
                fields=["day"], name="customer_day_first", condition=Q(prev_day__isnull=True)
            ),
            # Cohorts: the rows of the customers who first bought in a range of months.
            models.Index(fields=["first_month", "month"], name="customer_day_cohort"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.day}"


class CustomerSpell(models.Model):
    """A stretch of days on which a customer counted as a customer: from the day after a
    purchase (``start`` excluded) to ``end`` (included), the day their inactivity window
    ran out or they were marked churned, whichever came first. Derived from ``CustomerDay``
    for the window in ``SummaryWindow``; written only by ``orders.summary``."""

    # Rows go when their orders go (the order receivers), so the daily sums lose them too;
    # a cascade from the customer would delete them behind the sums' back.
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    start = models.DateField()
    end = models.DateField()
    prev_end = models.DateField(null=True)  # the end of the customer's previous spell

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "start"], name="customer_spell_unique"),
        ]
        indexes = [
            models.Index(fields=["start"], name="customer_spell_start", include=["end", "prev_end"])
        ]

    def __str__(self):
        return f"{self.customer_id} {self.start}–{self.end}"


class DayFlow(models.Model):
    """Everyone's purchases and spells per day (sums of ``CustomerDay`` and
    ``CustomerSpell``), so a manager's figures add up a few hundred rows whatever the
    number of customers: customers at a date B are the spells started before B minus those
    ended before B. Kept by ``orders.summary`` with the rows it sums.

    A day's sums are spread over up to ``SHARDS`` rows (``shard``), added up by every
    reader: each order of the day adds to the day's sums, and with one row per day
    concurrent order writes queued on today's row until each commit (issue 14)."""

    SHARDS = 16

    day = models.DateField()
    shard = models.PositiveSmallIntegerField(default=0, db_default=0)
    revenue = models.DecimalField(**MONEY_SUM, default=0)
    cost = models.DecimalField(**MONEY_SUM, default=0)
    starts = models.IntegerField(default=0)
    ends = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "shard"], name="dayflow_day_shard")]

    def __str__(self):
        return str(self.day)


class CohortDay(models.Model):
    """Per acquiring campaign (0: none), first-purchase month and day: how many customers
    made their first purchase of that day's month on it (``buyers``), and their revenue and
    cost of goods that day. Sums of ``CustomerDay`` kept by ``orders.summary``, so
    everyone's cohorts and payback add up a few thousand rows. Spread over ``shard``s like
    ``DayFlow`` (all of a day's first purchases on one campaign add to the same sums), so a
    shard's row may count fewer than none: only the total over shards is a count."""

    campaign = models.IntegerField()
    first_month = models.DateField()
    day = models.DateField()
    shard = models.PositiveSmallIntegerField(default=0, db_default=0)
    buyers = models.IntegerField(default=0)
    revenue = models.DecimalField(**MONEY_SUM, default=0)
    cost = models.DecimalField(**MONEY_SUM, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["first_month", "day", "campaign", "shard"], name="cohort_day_shard"
            ),
        ]
        indexes = [models.Index(fields=["campaign", "day"], name="cohort_day_campaign")]

    def __str__(self):
        return f"{self.campaign} {self.first_month} {self.day}"


class SummaryWindow(models.Model):
    """The inactivity window (days) the spells were derived with: one row. The company
    figures use the spells only when it is the metrics settings' window."""

    days = models.PositiveIntegerField()

    def __str__(self):
        return str(self.days)
