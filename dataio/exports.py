"""CSV exports of the customer and order lists, streamed row by row.

The querysets come from the list pages' own selectors with the same filters, so an
export holds exactly what the user sees in the list (a rep: only their own customers and
orders). Headers are the import field names by default, so an exported file imports back
as is for a program too; on request (``header(..., local=True)``) they are the columns'
labels in the user's language, which the import reads as well (``columns.guess_mapping``).
The rows are written by ``core.csv`` (formula-safe cells, a BOM, streamed), like every
other CSV of the CRM.

The customer export ends with the customer's current value (score, tier, RFM segment,
predicted CLV, churn risk), read through the ORM relation ``customer.score``, joined in the
rows' query: one query for the rows and one for their tags per chunk, none per row. These
columns are not import fields, so an import ignores them.
"""

from django.utils.translation import gettext_lazy

from customers.selectors import customer_list
from metrics.explain import percent, whole
from orders.selectors import order_list

from .columns import FIELDS

CHUNK_SIZE = 2000

CUSTOMER_HEADER = [
    "external_id",
    "name",
    "email",
    "phone",
    "kind",
    "status",
    "region",
    "industry",
    "website",
    "address",
    "tags",
    "owner",
    "acquired_on",
    "acquisition_campaign",
    "marketing_opt_out",
    "language",
    "churned_on",
    "created_at",
    "crm_id",
]
# Read only: the metrics of the customer's current score (empty before the first one).
CUSTOMER_VALUE_HEADER = [
    "value_score",
    "tier",
    "segment",
    "predicted_clv",
    "churn_risk_percent",
]
CUSTOMER_HEADER = [*CUSTOMER_HEADER, *CUSTOMER_VALUE_HEADER]
ORDER_HEADER = [
    "customer_external_id",
    "customer_name",
    "number",
    "ordered_on",
    "status",
    "currency",
    "subtotal",
    "discount_total",
    "total",
    "cost_total",
    "refunded_total",
    "exchange_rate",
    "total_base",
    "cost_base",
    "refunded_base",
]
ORDER_LINE_HEADER = [
    "customer_external_id",
    "number",
    "ordered_on",
    "status",
    "currency",
    "sku",
    "product",
    "quantity",
    "unit_price",
    "discount",
    "unit_cost",
]


# Labels of the columns that are not import fields; an import field's column is labelled
# as the import labels the field, so that a file with labelled columns maps itself back.
OTHER_LABELS = {
    "created_at": gettext_lazy("Created on"),
    "crm_id": gettext_lazy("CRM id"),
    "value_score": gettext_lazy("Value score"),
    "tier": gettext_lazy("Value tier"),
    "segment": gettext_lazy("RFM segment"),
    "predicted_clv": gettext_lazy("Predicted CLV"),
    "churn_risk_percent": gettext_lazy("Churn risk (%)"),
    "subtotal": gettext_lazy("Subtotal"),
    "discount_total": gettext_lazy("Discounts"),
    "cost_total": gettext_lazy("Cost of goods"),
    "refunded_total": gettext_lazy("Refunded"),
    "exchange_rate": gettext_lazy("Exchange rate"),
    "total_base": gettext_lazy("Total (base currency)"),
    "cost_base": gettext_lazy("Cost of goods (base currency)"),
    "refunded_base": gettext_lazy("Refunded (base currency)"),
    "product": gettext_lazy("Product"),
    "unit_cost": gettext_lazy("Unit cost"),
}


def header(names, *, kind, local=False):
    """The header line of an export of ``kind`` ("customers" or "orders") with the columns
    ``names``: the names themselves, or with ``local`` each column's label in the active
    language."""
    if not local:
        return list(names)
    labels = {field.name: field.label for field in FIELDS[kind]}
    return [str(labels.get(name) or OTHER_LABELS.get(name, name)) for name in names]


def customer_rows(*, user, filters):
    customers = (
        customer_list(user=user, **filters)
        .select_related("acquired_by_campaign", "score")
        .prefetch_related("tags")
    )
    for c in customers.iterator(chunk_size=CHUNK_SIZE):
        yield [*_customer_cells(c), *_value_cells(getattr(c, "score", None))]


def _value_cells(score):
    """The score as the pages show it: a whole score, a whole percentage of churn risk."""
    if score is None:
        return [""] * len(CUSTOMER_VALUE_HEADER)
    return [
        whole(score.value_score),
        score.tier,
        score.segment,
        score.predicted_clv,
        percent(score.churn_risk),
    ]


def _customer_cells(c):
    return [
        c.external_id,
        c.name,
        c.email,
        c.phone,
        c.kind,
        c.status,
        c.region,
        c.industry,
        c.website,
        c.address,
        "; ".join(tag.name for tag in c.tags.all()),
        c.owner.username if c.owner else "",
        c.acquired_on,
        c.acquired_by_campaign.name if c.acquired_by_campaign else "",
        c.marketing_opt_out,
        c.language,
        c.churned_on,
        c.created_at.date(),
        c.pk,
    ]


def order_rows(*, user, filters):
    for o in order_list(user=user, **filters).iterator(chunk_size=CHUNK_SIZE):
        yield [
            o.customer.external_id,
            o.customer.name,
            o.number,
            o.ordered_on,
            o.status,
            o.currency,
            o.subtotal,
            o.discount_total,
            o.total,
            o.cost_total,
            o.refunded_total,
            o.exchange_rate,
            o.total_base,
            o.cost_base,
            o.refunded_base,
        ]


def order_line_rows(*, user, filters):
    orders = order_list(user=user, **filters).prefetch_related("lines__product")
    for o in orders.iterator(chunk_size=CHUNK_SIZE):
        for line in o.lines.all():
            yield [
                o.customer.external_id,
                o.number,
                o.ordered_on,
                o.status,
                o.currency,
                line.product.sku,
                line.product.name,
                line.quantity,
                line.unit_price,
                line.discount,
                line.unit_cost,
            ]
