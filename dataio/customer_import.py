"""Customers from a CSV file, matched on external id.

A new external id creates a customer; a known one updates only the fields whose value
changed, so importing the same file twice leaves every row "unchanged". A blank cell
keeps the stored value (on a new customer: the default). Model validation is the
model's own ``full_clean``, without the checks that would cost a query per row
(uniqueness is checked per batch instead).
"""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from campaigns.models import Campaign
from customers.models import Customer, Tag
from customers.services import filter_choices_changed, regions_changed
from metrics import totals as score_totals
from metrics.services import (
    CUSTOMER_WRITE_MODELS,
    customers_mark_dirty,
    score_copies_follow,
)
from orders import summary
from orders.services import order_owners_follow

from . import cells
from .columns import CUSTOMER_FIELDS
from .engine import Importer, Row

# Checked per batch, or owned by the scope: full_clean would query once per row.
_UNCHECKED_FIELDS = ["owner", "acquired_by_campaign", "referred_by"]
# Import field -> model attribute, where they differ.
_ATTRIBUTES = {"owner": "owner_id", "acquisition_campaign": "acquired_by_campaign_id"}
_FIELDS_OF_ATTRIBUTES = {attribute: name for name, attribute in _ATTRIBUTES.items()}
# What the purchase summary keeps of a customer (orders.summary.counts_until, campaign).
CAMPAIGN_FIELDS = {"acquired_by_campaign", "acquired_by_campaign_id"}
SUMMARY_FIELDS = {"status", "churned_on", *CAMPAIGN_FIELDS}
_FIELDS_OF_ERRORS = {"acquired_by_campaign": "acquisition_campaign", "__all__": ""}
_LABELS = {f.name: f.label for f in CUSTOMER_FIELDS}


def _label(attribute):
    name = _FIELDS_OF_ATTRIBUTES.get(attribute, attribute)
    return str(_LABELS.get(name) or Customer._meta.get_field(name).verbose_name)


_BATCH = 500


def not_yours_message():
    return _(
        "This external id belongs to a customer you do not own; you can import only "
        "your own customers."
    )


class CustomerImporter(Importer):
    filled_models = CUSTOMER_WRITE_MODELS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seen = {}  # external id -> line of its first row
        self.user_ids = {}  # username -> id, or None when there is no such active user
        self.campaign_ids = {}  # campaign name -> id, or None
        self.tags = None  # lower-case name -> Tag, loaded when first needed
        self.report.preview_columns = [
            str(_LABELS["external_id"]),
            str(_LABELS["name"]),
            str(_LABELS["email"]),
            str(_LABELS["status"]),
            _("Changes"),
        ]

    # --- reading ------------------------------------------------------------------------

    def parse(self, line, row_cells):
        row = Row(line)
        for name, value in self.cells_of(row_cells).items():
            try:
                row.values[name] = self._value(name, value)
            except cells.CellError as exc:
                row.error(name, exc)
        return row

    def _value(self, name, value):
        if name in ("acquired_on", "churned_on"):
            return self.parse_date(value)
        if name == "kind":
            return cells.parse_choice(value, Customer.Kind.choices)
        if name == "status":
            return cells.parse_choice(value, Customer.Status.choices)
        if name == "marketing_opt_out":
            return cells.parse_bool(value)
        if name == "language":
            return cells.parse_language(value)
        if name == "tags":
            return cells.split_tags(value)
        return value

    # --- checking -----------------------------------------------------------------------

    def process(self, units, write):
        rows = [unit[0] for unit in units]
        ids = {row.values["external_id"] for row in rows if "external_id" in row.values}
        existing = {
            c.external_id: c
            for c in self.scope.customers().filter(external_id__in=ids).prefetch_related("tags")
        }
        hidden = set()
        if ids - existing.keys():
            hidden = set(
                Customer.objects.filter(external_id__in=ids - existing.keys()).values_list(
                    "external_id", flat=True
                )
            )
        self._load_references(rows)
        creates, updates = [], []
        for row in rows:
            planned = self._plan(row, existing, hidden)
            if planned is None:
                self.report.reject([row])
                continue
            action, customer, changed, tags = planned
            self.report.count(action)
            if self.report.wants_preview:
                self.report.add_preview(row.line, action, self._preview(customer, changed))
            if action == "created":
                creates.append((customer, tags))
            elif action == "updated":
                updates.append((customer, changed, tags))
        if self.writing(write):
            self._write(creates, updates)

    def _plan(self, row, existing, hidden):
        """(action, customer with the row applied, changed fields, tag names or None), or
        None when the row has errors (recorded on the row)."""
        external_id = row.values.get("external_id")
        problem = self._identity_problem(row, external_id, hidden)
        if problem:
            row.error("external_id", problem)
            return None
        # Errors so far do not stop the checks: the report lists every problem of a row.
        attributes = self._attributes(row)
        tags = row.values.get("tags")
        customer = existing.get(external_id)
        if customer is None:
            customer = self._new_customer(attributes)
            changed = list(attributes)
            action = "created"
        else:
            changed = self._apply(customer, attributes)
            if tags is not None and {t.lower() for t in tags} == {
                t.name.lower() for t in customer.tags.all()
            }:
                tags = None
            if tags is not None:
                changed.append("tags")
            action = "updated" if changed else "unchanged"
        for field_name, message in self._validation_errors(customer):
            row.error(field_name, message)
        if row.errors:
            return None
        return action, customer, changed, tags

    def _identity_problem(self, row, external_id, hidden):
        if not external_id:
            if self.options.without_external_id:
                return None
            return _(
                "The external id is empty. Fill it in, or choose “Create customers without "
                "external id” (they are then created on every import)."
            )
        first = self.seen.setdefault(external_id, row.line)
        if first != row.line:
            return _("External id %(id)s appears more than once (first on row %(row)s).") % {
                "id": external_id,
                "row": first,
            }
        if external_id in hidden:
            return not_yours_message()
        return None

    def _attributes(self, row):
        """{model attribute: value} from the row, with owner and campaign resolved."""
        attributes = {}
        for name, value in row.values.items():
            if name == "tags":
                for tag in value:
                    if len(tag) > Tag._meta.get_field("name").max_length:
                        row.error("tags", _("The tag “%(tag)s” is too long.") % {"tag": tag})
                continue
            if name == "owner":
                value = self.user_ids.get(value)
                if value is None:
                    row.error(
                        "owner",
                        _("There is no active user “%(name)s”.") % {"name": row.values[name]},
                    )
            elif name == "acquisition_campaign":
                value = self.campaign_ids.get(value)
                if value is None:
                    row.error(
                        name,
                        _("There is no campaign named “%(name)s”.") % {"name": row.values[name]},
                    )
            attributes[_ATTRIBUTES.get(name, name)] = value
        return attributes

    def _new_customer(self, attributes):
        customer = Customer(**attributes)
        if not self.scope.can_reassign or "owner_id" not in attributes:
            # A rep's import always makes the rep the owner.
            customer.owner = self.scope.user
        return customer

    def _apply(self, customer, attributes):
        changed = [name for name, value in attributes.items() if getattr(customer, name) != value]
        reopened = (
            "status" in changed
            and attributes["status"] != Customer.Status.CHURNED
            and "churned_on" not in attributes
        )
        if reopened:
            # A customer who is no longer churned keeps no churn date or reason.
            for name in ("churned_on", "churn_reason"):
                if getattr(customer, name):
                    setattr(customer, name, None if name == "churned_on" else "")
                    changed.append(name)
        for name in changed:
            if name in attributes:
                setattr(customer, name, attributes[name])
        return changed

    def _validation_errors(self, customer):
        try:
            customer.full_clean(
                exclude=_UNCHECKED_FIELDS, validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            return [
                (_FIELDS_OF_ERRORS.get(name, name), message)
                for name, messages in exc.message_dict.items()
                for message in messages
            ]
        return []

    def _preview(self, customer, changed):
        return [
            customer.external_id or "",
            customer.name,
            customer.email,
            customer.get_status_display(),
            ", ".join(_label(name) for name in changed) if customer.pk else "",
        ]

    def _load_references(self, rows):
        """Owners, campaigns and tags named in the batch: one query each, cached."""
        usernames = {r.values["owner"] for r in rows if "owner" in r.values} - self.user_ids.keys()
        if usernames:
            found = dict(
                get_user_model()
                .objects.filter(username__in=usernames, is_active=True)
                .values_list("username", "id")
            )
            self.user_ids.update({name: found.get(name) for name in usernames})
        names = {
            r.values["acquisition_campaign"] for r in rows if "acquisition_campaign" in r.values
        } - self.campaign_ids.keys()
        if names:
            found = dict(Campaign.objects.filter(name__in=names).values_list("name", "id"))
            self.campaign_ids.update({name: found.get(name) for name in names})
        if self.tags is None and any("tags" in r.values for r in rows):
            self.tags = {tag.name.lower(): tag for tag in Tag.objects.all()}

    # --- writing ------------------------------------------------------------------------

    def _write(self, creates, updates):
        user = self.scope.user
        tag_sets = []
        if creates:
            created = bulk_create_with_history(
                [customer for customer, _tags in creates],
                Customer,
                batch_size=_BATCH,
                default_user=user,
            )
            score_totals.customers_created(created)
            tag_sets += [
                (customer, tags) for customer, (_c, tags) in zip(created, creates, strict=True)
            ]
        if updates:
            now = timezone.now()
            fields = {"updated_at"}
            for customer, changed, _tags in updates:
                customer.updated_at = now
                fields.update(name for name in changed if name != "tags")
            # A new acquiring campaign takes the customer's CLV along in the score totals.
            moved = [c.pk for c, changed, _tags in updates if CAMPAIGN_FIELDS.intersection(changed)]
            with score_totals.campaigns_changing(moved):
                bulk_update_with_history(
                    [customer for customer, _changed, _tags in updates],
                    Customer,
                    sorted(fields),
                    batch_size=_BATCH,
                    default_user=user,
                )
            tag_sets += [(customer, tags) for customer, _changed, tags in updates]
        self._write_tags([(c, tags) for c, tags in tag_sets if tags is not None])
        # Bulk writes send no signals: the purchase summary follows a customer's churn and
        # acquiring campaign, and the value engine is told which customers changed.
        summary.refresh_customers(
            customer.pk
            for customer, changed, _tags in updates
            if SUMMARY_FIELDS.intersection(changed)
        )
        customers_mark_dirty(customer_ids=[customer.pk for customer, _tags in tag_sets])
        owners_changed = [
            customer.pk for customer, changed, _tags in updates if "owner_id" in changed
        ]
        score_copies_follow(
            [customer.pk for customer, changed, _tags in updates if "status" in changed]
            + owners_changed
        )
        order_owners_follow(owners_changed)
        regions_changed(customers=[customer for customer, _tags in tag_sets])

    def _write_tags(self, tag_sets):
        if not tag_sets:
            return
        names = {name.lower(): name for _c, tags in tag_sets for name in tags}
        missing = names.keys() - self.tags.keys()
        if missing:
            for tag in Tag.objects.bulk_create([Tag(name=names[key]) for key in sorted(missing)]):
                self.tags[tag.name.lower()] = tag
            filter_choices_changed()
        through = Customer.tags.through
        through.objects.filter(customer_id__in=[c.pk for c, _tags in tag_sets]).delete()
        through.objects.bulk_create(
            [
                through(customer_id=customer.pk, tag_id=self.tags[name.lower()].pk)
                for customer, tags in tag_sets
                for name in tags
            ],
            batch_size=_BATCH,
        )
