"""The value engine's outputs: scores (read-only), company metrics of a period, full
recalculations (POST starts one, 202) and the model fits (read-only)."""

from datetime import date, timedelta

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.response import Response

from analytics.company import company_metrics
from customers.models import Customer
from customers.selectors import TIERS, can_see_all_customers
from metrics import explain, services
from metrics.models import MetricSettings, ModelFit, RecalcRun
from metrics.selectors_customer import (
    book_scores_visible_to,
    scores_visible_to,
    value_explanation,
)
from valuemodels.rfm import SEGMENTS

from .. import idempotency
from ..errors import Conflict
from ..pagination import KeysetPagination
from ..serializers.common import (
    ErrorSerializer,
    choice_list_query_field,
    id_list_query_field,
    id_query_field,
)
from ..serializers.metrics import (
    CompanyMetricsSerializer,
    MetricSettingsSerializer,
    ModelFitSerializer,
    RecalcRunSerializer,
    ScoreExplanationSerializer,
    ScoreSerializer,
)
from .base import ApiViewSet

# A company-metrics period longer than this is refused: it is a dashboard figure.
MAX_PERIOD = timedelta(days=3660)
# Periods fall in these years (the metrics look back a churn window before the start).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)


class ScoreQuery(serializers.Serializer):
    tier = serializers.ChoiceField(choices=TIERS, required=False)
    segment = serializers.ChoiceField(choices=[slug for slug, _label in SEGMENTS], required=False)
    score_min = serializers.FloatField(required=False, min_value=0, max_value=100)
    score_max = serializers.FloatField(required=False, min_value=0, max_value=100)
    churn_risk_min = serializers.FloatField(required=False, min_value=0, max_value=1)
    churn_risk_max = serializers.FloatField(required=False, min_value=0, max_value=1)
    owner = id_query_field(help_text="Owner's user id.")
    tier__in = choice_list_query_field(
        TIERS, help_text="Any of these value tiers, separated by commas."
    )
    segment__in = choice_list_query_field(
        [slug for slug, _label in SEGMENTS],
        help_text="Any of these RFM segments, separated by commas.",
    )
    owner__in = id_list_query_field(
        help_text="The customer's owner is any of these user ids, separated by commas."
    )


_SCORE_LOOKUPS = {
    "tier": "tier",
    "segment": "segment",
    "score_min": "value_score__gte",
    "score_max": "value_score__lte",
    "churn_risk_min": "churn_risk__gte",
    "churn_risk_max": "churn_risk__lte",
    "owner": "customer__owner_id",
    "tier__in": "tier__in",
    "segment__in": "segment__in",
    "owner__in": "customer__owner_id__in",
}

# The orderings an index led by the owner copy holds (metrics 0019).
_FIGURE_ORDERINGS = {"-value_score", "-churn_risk"}


@extend_schema_view(
    list=extend_schema(
        summary="List value scores",
        description="One row per scored customer you can see; the id is the customer's.",
    ),
    retrieve=extend_schema(
        summary="Get a customer's value score",
        description="Every component, input and the model used; the id is the customer's. "
        "404 for a customer not scored yet or one you may not see.",
    ),
)
@extend_schema(tags=["metrics"])
class ScoreViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ScoreSerializer
    # Scores are customer data: whoever sees a customer sees its score.
    action_permissions = {
        "list": ("customers.view_customer",),
        "retrieve": ("customers.view_customer",),
        "explanation": ("customers.view_customer",),
    }
    scope_resource = "scores"
    pagination_class = KeysetPagination
    keyset_orderings = {
        "-value_score": ("-value_score", "pk"),
        "-churn_risk": ("-churn_risk", "pk"),
        "customer": ("pk",),
        "computed_at": ("computed_at", "pk"),
        "-computed_at": ("-computed_at", "-pk"),
    }
    keyset_default = "-value_score"
    # Many customers share a figure (143,924 a churn risk of 1.0 at a million): a page after
    # one of them reads the rest of the tie apart (api.pagination._page_queries).
    keyset_ties_apart = True
    query_serializers = {"list": ScoreQuery}
    # A score changes when it is recalculated: computed_at is its updated_at.
    since_fields = {"updated_since": "computed_at"}
    since_ordering = "computed_at"

    def _book(self):
        """The one owner whose customers' scores the list holds: a rep's own, or the owner
        filter's (``owner``, or ``owner__in`` naming one); None for several owners'."""
        if not can_see_all_customers(self.request.user):
            return self.request.user.pk
        filters = self.query()
        owners = set(filters.get("owner__in", ()))
        if "owner" in filters:
            owners = owners & {filters["owner"]} if owners else {filters["owner"]}
        return owners.pop() if len(owners) == 1 else None

    def keyset_blanks_apart(self):
        """One owner's book by a score figure is walked along the index led by the owner
        copy and the figure, the valued rows then the blanks, instead of sorted whole for
        each page (21-60 requests a second for a rep at 1M, issue 14)."""
        return self._book() is not None

    def get_queryset(self):
        user = self.request.user
        if self.action != "list":
            return scores_visible_to(user)
        filters = self.query()
        book = self._book()
        if book is None:
            qs = scores_visible_to(user)
        else:
            # Every ordering reads a book through its owner copy (the same rows in each);
            # by id or date, which no owner index holds, the book is sorted.
            ordering = self.request.query_params.get("ordering", self.keyset_default)
            qs = book_scores_visible_to(user, book, walked=ordering in _FIGURE_ORDERINGS)
            # The selector checks the customers' owner: no join for it here.
            if filters.get("owner") == book:
                del filters["owner"]
            if set(filters.get("owner__in", ())) == {book}:
                del filters["owner__in"]
        return qs.filter(**{_SCORE_LOOKUPS[name]: value for name, value in filters.items()})

    @extend_schema(
        summary="Why a customer has its value score",
        description="What the customer's Value tab shows: the score in one sentence, and for "
        "each component its measure, percentile, weight, points and a one-line reason, with "
        "why the future value is the predicted or the simple CLV and which rule gave the "
        "churn risk. The sentences are in the request's language (`Accept-Language`).",
        responses={200: ScoreExplanationSerializer},
        examples=[
            OpenApiExample(
                "A scored customer",
                response_only=True,
                value={
                    "customer": 1,
                    "as_of": "2026-06-01",
                    "value_score": 87,
                    "headline": "87: profit contribution at percentile 94, predicted CLV at "
                    "percentile 81.",
                    "components": [
                        {
                            "key": "historical",
                            "label": "Historical value",
                            "measure": "profit contribution",
                            "value": "2000.00",
                            "is_money": True,
                            "percentile": 94,
                            "weight": "0.35",
                            "points": 38.7,
                            "reason": "$2,000.00 profit contribution (revenue $5,000.00 less "
                            "costs $3,000.00): percentile 94.",
                        }
                    ],
                    "future_value_reason": "Using predicted CLV: BG/NBD and Gamma-Gamma are "
                    "fitted (on 412 customers with repeat purchases).",
                    "future_value_detail": "",
                    "churn_rule": "1 − P(alive) from the BG/NBD model (P(alive) 62%).",
                },
            )
        ],
    )
    @action(detail=True, methods=["get"])
    def explanation(self, request, pk=None):
        score = self.get_object()
        churned = Customer.objects.filter(pk=score.pk, status=Customer.Status.CHURNED).exists()
        why = value_explanation(score, services.latest_stats(), churned=churned)
        weights = explain.weights_from(why.parameters)
        data = {
            "customer": score.pk,
            "as_of": score.as_of,
            "value_score": why.explained.score,
            "headline": why.explained.headline,
            "components": [
                {
                    "key": row.key,
                    "label": row.label,
                    "measure": row.measure,
                    "value": row.value,
                    "is_money": row.is_money,
                    "percentile": row.percentile,
                    "weight": weights[row.key],
                    "points": row.points,
                    "reason": row.reason,
                }
                for row in why.explained.components
            ],
            "future_value_reason": why.clv_reason,
            "future_value_detail": why.clv_detail,
            "churn_rule": why.churn_rule,
        }
        return Response(ScoreExplanationSerializer(data).data)


class PeriodQuery(serializers.Serializer):
    start = serializers.DateField(help_text="First day of the period.")
    end = serializers.DateField(help_text="The day after the last day (exclusive).")

    def validate(self, attrs):
        if not FIRST_DAY <= attrs["start"] < attrs["end"] <= LAST_DAY:
            raise serializers.ValidationError(
                {"end": [_("Give a start before the end, both from 1900 to 2999.")]}
            )
        if attrs["end"] - attrs["start"] > MAX_PERIOD:
            raise serializers.ValidationError({"end": [_("A period is at most ten years.")]})
        return attrs


@extend_schema(tags=["metrics"])
class CompanyMetricsViewSet(ApiViewSet):
    action_permissions = {"list": ("customers.view_customer",)}
    serializer_class = CompanyMetricsSerializer
    pagination_class = None
    query_serializers = {"list": PeriodQuery}

    @extend_schema(
        summary="Company metrics of a period",
        description="Revenue, retention, churn, NPS, CSAT, CAC … over [start, end), counting "
        "the customers you can see (spend and CAC for managers and admins only).",
    )
    def list(self, request):
        period = self.query()
        metrics = company_metrics(user=request.user, start=period["start"], end=period["end"])
        return self.respond(metrics)


@extend_schema_view(
    list=extend_schema(summary="List recalculation runs"),
    retrieve=extend_schema(summary="A recalculation run and its progress"),
)
@extend_schema(tags=["metrics"])
class RecalculationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = RecalcRunSerializer
    http_method_names = ["get", "post", "head"]
    # As on the metrics page: whoever sees the runs may start one.
    action_permissions = {
        "list": ("metrics.view_recalcrun",),
        "retrieve": ("metrics.view_recalcrun",),
        "create": ("metrics.view_recalcrun",),
    }
    since_fields = {"created_since": "created_at"}

    def get_queryset(self):
        return RecalcRun.objects.order_by("-created_at", "-id")

    @extend_schema(
        summary="Start a full recalculation",
        description="Queues a full run as of the day the score-as-of setting says (today "
        "unless changed, see metric-settings) and answers at once with the run; follow its "
        "progress at its URL. 409 when a run is already queued or running.",
        request=None,
        responses={202: RecalcRunSerializer, 409: ErrorSerializer},
        examples=[
            OpenApiExample(
                "Queued",
                status_codes=["202"],
                response_only=True,
                value={"id": 7, "status": "queued", "processed": 0, "percent": 0},
            )
        ],
    )
    @idempotency.idempotent
    def create(self, request):
        try:
            run = services.recalc_request(trigger=RecalcRun.Trigger.API, user=request.user)
        except services.RecalcAlreadyRunning as exc:
            details = {"run": exc.run.pk} if exc.run is not None else {}
            raise Conflict(str(exc), details=details) from exc
        # Its URL goes in Location (ApiViewSet.finalize_response), on a replay too.
        return self.respond(run, status_code=status.HTTP_202_ACCEPTED)


@extend_schema(tags=["metrics"])
class MetricSettingsViewSet(ApiViewSet):
    """The value model settings, one object at ``metric-settings/``: managers read them,
    admins change them (as on the Metrics page)."""

    serializer_class = MetricSettingsSerializer
    pagination_class = None
    action_permissions = {
        "retrieve": ("metrics.view_metricsettings",),
        "partial_update": ("metrics.change_metricsettings",),
    }

    @extend_schema(summary="Get the value model settings")
    def retrieve(self, request):
        return self.respond(MetricSettings.load())

    @extend_schema(
        summary="Change value model settings",
        description="Changes the fields given and queues a full recalculation, since every "
        "score depends on them (none when one is already running: the next run uses them). "
        "400 when the weights do not add up to 1, tiers A and B exceed 100%, or as_of_mode "
        "is fixed without an as_of_date or with one in the future.",
        responses={200: MetricSettingsSerializer, 400: ErrorSerializer},
    )
    def partial_update(self, request):
        serializer = self.validated(instance=MetricSettings.load(), partial=True)
        settings = services.metric_settings_update(user=request.user, **serializer.validated_data)
        return self.respond(settings)


class ModelFitQuery(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ModelFit.Kind.choices, required=False)
    run = id_query_field()


@extend_schema_view(
    list=extend_schema(summary="List model fits (BG/NBD, Gamma-Gamma)"),
    retrieve=extend_schema(summary="Get a model fit"),
)
@extend_schema(tags=["metrics"])
class ModelFitViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ModelFitSerializer
    permission_model = ModelFit
    query_serializers = {"list": ModelFitQuery}
    since_fields = {"created_since": "created_at"}

    def get_queryset(self):
        qs = ModelFit.objects.order_by("-created_at", "-id")
        if self.action == "list":
            filters = self.query()
            if "kind" in filters:
                qs = qs.filter(kind=filters["kind"])
            if "run" in filters:
                qs = qs.filter(run_id=filters["run"])
        return qs
