from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from metrics.models import CustomerScore, MetricSettings, ModelFit, RecalcRun

from .rows import RowListSerializer


def _blank_or(choices, help_text):
    """A choice that may also be "" (not yet calculated)."""
    return serializers.ChoiceField(
        choices=[("", ""), *choices], read_only=True, help_text=help_text
    )


_MONEY = "In the base currency, as a decimal string; null when there is no data."
# Every field of a score, for the schema (docs: /work/shared/spec/value-models.md, the
# methodology page). Developer-facing, so plain English rather than translated.
SCORE_FIELD_HELP = {
    "customer": "The customer's id; a score's id is its customer's.",
    "as_of": "The day the score was calculated for (orders after it are not counted).",
    "model_version": "The version of the value models that computed it.",
    "computed_at": "When it was computed; `updated_since` on scores compares this.",
    "orders_count": "Purchases: non-cancelled orders on or before `as_of`.",
    "purchase_days": "Distinct days with a purchase (BG/NBD counts a day once).",
    "first_order_on": "The first purchase's date; null without orders.",
    "last_order_on": "The latest purchase's date; null without orders.",
    "revenue": f"Order totals less refunds. {_MONEY}",
    "cost_of_goods": f"Cost of the goods on its orders. {_MONEY}",
    "acquisition_cost": f"What acquiring the customer cost (its CAC). {_MONEY}",
    "other_costs": f"Service, marketing and other costs logged against it. {_MONEY}",
    "profit_contribution": "Revenue less cost of goods, acquisition cost and other costs: "
    f"the historical value. {_MONEY}",
    "aov": f"Average order value: revenue / orders. {_MONEY}",
    "frequency": "Orders a year over the observed span (first order to as_of, at least 30 "
    "days); null without orders.",
    "recency_days": "Days from the last order to as_of (RFM recency); null without orders.",
    "r_score": "RFM recency quintile, 1 to 5 (5: most recent); null without orders.",
    "f_score": "RFM frequency quintile, 1 to 5; null without orders.",
    "m_score": "RFM monetary quintile, 1 to 5; null without orders.",
    "segment": "RFM segment slug (champions, loyal, potential_loyalist, new, promising, "
    "need_attention, about_to_sleep, at_risk, cannot_lose, hibernating, lost); empty without "
    "orders.",
    "simple_clv": "Simple CLV: (AOV × orders a year) × expected lifetime − acquisition cost. "
    f"{_MONEY}",
    "retention_clv": "Retention CLV: annual margin × retention / (1 + discount rate − "
    f"retention). {_MONEY}",
    "predicted_clv": "Predicted CLV from BG/NBD and Gamma-Gamma over the horizon, "
    f"discounted; null when the models are not fitted. {_MONEY}",
    "clv_method": "Which CLV the value score used as future value: predictive or simple; "
    "empty without orders.",
    "p_alive": "Probability (0 to 1) the customer is still buying, from BG/NBD; null when "
    "it is not fitted.",
    "expected_purchases_90d": "Purchases BG/NBD expects in the next 90 days; null when it "
    "is not fitted.",
    "expected_order_value": f"Average order value Gamma-Gamma expects. {_MONEY}",
    "relationship_value": "Net present value of the relationship: (first purchase − "
    f"cost to attract) + discounted yearly net revenue. {_MONEY}",
    "continuing_value": f"Average value of its repeat purchases. {_MONEY}",
    "loss_value": "What losing the customer costs: (remaining discounted value + "
    f"replacement acquisition cost) × (1 + goodwill coefficient). {_MONEY}",
    "information_value": f"Value of what is known about the customer (secondary). {_MONEY}",
    "nps_category": "Latest NPS answer's category: promoter, passive or detractor; empty "
    "without one.",
    "avg_csat": "Average CSAT answer, 1 to 5; null without one.",
    "repeat_rate": "Share (0 to 1) of its purchases that were repeats; null without orders.",
    "tenure_days": "Days from the first order to as_of; null without orders.",
    "loyalty": "Loyalty, 0 to 100, from NPS, CSAT, repeat purchases and tenure; null without data.",
    "referrals_count": "Customers it referred (their `referred_by` is this customer).",
    "referral_revenue": f"Revenue of the customers it referred (its influence). {_MONEY}",
    "churn_risk": "0 to 1: 1 − P(alive) where BG/NBD is fitted, else the inactivity rule; "
    "1 for a churned customer; null without orders.",
    "pct_historical": "Percentile rank (0 to 100) of its profit contribution among scored "
    "customers; null without data.",
    "pct_future": "Percentile rank (0 to 100) of its future value (predicted, else simple "
    "CLV); null without data.",
    "pct_loyalty": "Percentile rank (0 to 100) of its loyalty; null without data.",
    "pct_influence": "Percentile rank (0 to 100) of its referral revenue; null without data.",
    "value_score": "Value score, 0 to 100: the weighted mean of the four percentiles "
    "(weights in metric-settings; components without data are left out and the others "
    "scale up). Null when not calculated.",
    "tier": "A (top 20% by value score), B (next 30%) or C; empty when not calculated.",
    "previous_churn_risk": "The churn risk the calculation before this one gave.",
    "previous_tier": "The tier before the latest change of tier; empty if none.",
}


# The customer's status and owner are the customer's: their copies on the score serve the
# lists' indexes and are not part of a score.
_COPIES = ("customer_status", "customer_owner")


class ScoreSerializer(serializers.ModelSerializer):
    """A customer's value score with every component, input and the model used."""

    tier = _blank_or(CustomerScore.Tier.choices, SCORE_FIELD_HELP["tier"])
    clv_method = _blank_or(CustomerScore.ClvMethod.choices, SCORE_FIELD_HELP["clv_method"])

    class Meta:
        model = CustomerScore
        list_serializer_class = RowListSerializer
        exclude = list(_COPIES)
        read_only_fields = [f.name for f in CustomerScore._meta.fields if f.name not in _COPIES]
        extra_kwargs = {name: {"help_text": text} for name, text in SCORE_FIELD_HELP.items()}


class ScoreSummarySerializer(serializers.ModelSerializer):
    """A customer's value in brief, as a customer embeds it (``expand=score``); every
    component is at ``scores/{customer id}/``."""

    tier = _blank_or(CustomerScore.Tier.choices, SCORE_FIELD_HELP["tier"])

    class Meta:
        model = CustomerScore
        list_serializer_class = RowListSerializer
        fields = [
            "as_of",
            "computed_at",
            "value_score",
            "tier",
            "segment",
            "churn_risk",
            "predicted_clv",
            "revenue",
            "orders_count",
            "last_order_on",
        ]
        read_only_fields = fields
        extra_kwargs = {name: {"help_text": SCORE_FIELD_HELP[name]} for name in fields}


class ModelFitSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelFit
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "kind",
            "run",
            "as_of",
            "params",
            "log_likelihood",
            "customers",
            "converged",
            "message",
            "duration_ms",
            "created_at",
        ]
        read_only_fields = fields


class RecalcRunSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = RecalcRun
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "kind",
            "status",
            "trigger",
            "started_by",
            "as_of",
            "total",
            "processed",
            "percent",
            "step",
            "chunks_total",
            "chunks_done",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields


class MetricSettingsSerializer(serializers.ModelSerializer):
    """The value models' settings (one object). ``as_of_mode`` says the day every
    recalculation scores as of: ``live`` (today), ``last_order`` (the latest purchase) or
    ``fixed`` (``as_of_date``, required then, never in the future)."""

    class Meta:
        model = MetricSettings
        list_serializer_class = RowListSerializer
        fields = [f.name for f in MetricSettings._meta.concrete_fields if f.name != "id"]
        read_only_fields = ["updated_at", "updated_by"]


def _decimal(help_text="", places=None):
    return serializers.DecimalField(
        max_digits=None, decimal_places=places, allow_null=True, help_text=help_text
    )


def _money(help_text=""):
    return _decimal(help_text, places=2)


@extend_schema_serializer(many=False)  # one object, though served by a list route
class CompanyMetricsSerializer(serializers.Serializer):
    """metrics.company.CompanyMetrics; figures over the customers the user sees."""

    start = serializers.DateField()
    end = serializers.DateField(help_text="Exclusive: the period is [start, end).")
    new_customers = serializers.IntegerField()
    revenue = _money("Net of refunds, base currency.")
    profit = _money("Revenue - cost of goods.")
    spend = _money("Marketing spend; null unless the user sees every customer.")
    cac = _money("Customer acquisition cost; null as spend, or without new customers.")
    customers_at_start = serializers.IntegerField()
    customers_at_end = serializers.IntegerField()
    lost = serializers.IntegerField()
    retention = _decimal("Percent.")
    churn = _decimal("Percent.")
    nps = _decimal("-100 to 100.")
    nps_responses = serializers.IntegerField()
    nps_margin = _decimal()
    csat = _decimal("Percent satisfied.")
    csat_responses = serializers.IntegerField()
    csat_margin = _decimal()
    invitations = serializers.IntegerField(help_text="Survey invitations delivered.")
    answered = serializers.IntegerField()
    response_rate = _decimal("Percent.")
    average_clv = _money("Of the period's new customers.")
    clv_to_cac = _decimal()
    company_figures = serializers.BooleanField(help_text="Whether spend and CAC are shown.")


# The components of a value score (valuemodels.score), in the schema as ScoreComponentKeyEnum.
SCORE_COMPONENT_KEYS = ["historical", "future", "loyalty", "influence"]


class ScoreComponentSerializer(serializers.Serializer):
    """One of the four components of a value score, as the Value tab lists it."""

    key = serializers.ChoiceField(
        choices=SCORE_COMPONENT_KEYS,
        help_text="Which component: historical value (profit contribution), future value "
        "(predicted, else simple CLV), loyalty, influence (referred revenue).",
    )
    label = serializers.CharField(help_text="The component's name, in the request's language.")
    measure = serializers.CharField(
        help_text="What it measures (profit contribution, predicted CLV …), in the request's "
        "language."
    )
    value = serializers.DecimalField(
        max_digits=None,
        decimal_places=2,
        allow_null=True,
        help_text="The measure: money in the base currency, loyalty 0 to 100; null without data.",
    )
    is_money = serializers.BooleanField(help_text="Whether `value` is an amount of money.")
    percentile = serializers.IntegerField(
        allow_null=True,
        help_text="Its percentile rank among scored customers, 0 to 100, rounded; null "
        "without data (the component is then left out and the other weights scale up).",
    )
    weight = serializers.DecimalField(
        max_digits=None,
        decimal_places=None,
        help_text="Its weight in the score as set (0 to 1; the four add up to 1).",
    )
    points = serializers.FloatField(
        help_text="Score points it contributes: its scaled weight × its percentile (one "
        "decimal). The points of the four add up to the value score."
    )
    reason = serializers.CharField(
        help_text="One sentence saying why, with the figures, in the request's language."
    )


class ScoreExplanationSerializer(serializers.Serializer):
    """Why a customer has its value score: what the customer's Value tab shows."""

    customer = serializers.IntegerField(help_text="The customer's id.")
    as_of = serializers.DateField(help_text="The day the score was calculated for.")
    value_score = serializers.IntegerField(
        allow_null=True, help_text="The value score rounded as shown (0 to 100); null if none."
    )
    headline = serializers.CharField(
        help_text="The score in one sentence (“87: profit contribution at percentile 94, …”), "
        "in the request's language; empty without a score."
    )
    components = ScoreComponentSerializer(
        many=True, help_text="The four components, largest contribution first."
    )
    future_value_reason = serializers.CharField(
        help_text="Why the future value is the predicted or the simple CLV."
    )
    future_value_detail = serializers.CharField(
        help_text="The model fit's own message when it was not fitted; often empty."
    )
    churn_rule = serializers.CharField(help_text="Which rule gave the churn risk.")
