from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from metrics.models import CustomerScore, MetricSettings, ModelFit, RecalcRun


def _blank_or(choices):
    """A choice that may also be "" (not yet calculated)."""
    return serializers.ChoiceField(choices=[("", ""), *choices], read_only=True)


class ScoreSerializer(serializers.ModelSerializer):
    tier = _blank_or(CustomerScore.Tier.choices)
    clv_method = _blank_or(CustomerScore.ClvMethod.choices)

    class Meta:
        model = CustomerScore
        fields = "__all__"
        read_only_fields = [f.name for f in CustomerScore._meta.fields]


class ScoreSummarySerializer(serializers.ModelSerializer):
    """A customer's value in brief, as a customer embeds it (``expand=score``); every
    component is at ``scores/{customer id}/``."""

    tier = _blank_or(CustomerScore.Tier.choices)

    class Meta:
        model = CustomerScore
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


class ModelFitSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelFit
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
