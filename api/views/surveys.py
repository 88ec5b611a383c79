"""Surveys (admins design them), and the invitations and answers, which are customer data:
read through surveys.selectors, scoped to the customers the user sees."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status

from surveys import selectors, services
from surveys.models import Invitation, Response, Survey

from .. import idempotency
from ..pagination import KeysetPagination, newest_first
from ..serializers.common import id_query_field
from ..serializers.surveys import InvitationSerializer, ResponseSerializer, SurveySerializer
from .base import ApiViewSet


class SurveyQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=Survey.Status.choices, required=False)


@extend_schema_view(
    list=extend_schema(summary="List surveys"),
    retrieve=extend_schema(summary="Get a survey"),
    create=extend_schema(summary="Create a draft survey (admins)"),
    partial_update=extend_schema(
        summary="Change a survey (admins)",
        description="Once sent, only the closing date and the reminder can change.",
    ),
)
@extend_schema(tags=["surveys"])
class SurveyViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = SurveySerializer
    permission_model = Survey
    http_method_names = ["get", "post", "patch", "head"]
    query_serializers = {"list": SurveyQuery}
    since_fields = {"created_since": "created_at"}

    def get_queryset(self):
        user = self.request.user
        if self.action == "list":
            return selectors.survey_list(user=user, **self.query())
        return selectors.surveys_visible_to(user)

    @idempotency.idempotent
    def create(self, request):
        survey = services.survey_create(user=request.user, **self.validated().validated_data)
        return self.respond(survey, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        survey = self.get_object()
        fields = self.validated(instance=survey, partial=True).validated_data
        return self.respond(services.survey_update(user=request.user, survey=survey, **fields))


class InvitationQuery(serializers.Serializer):
    survey = id_query_field()
    customer = id_query_field()
    state = serializers.ChoiceField(choices=Invitation.State.choices, required=False)


@extend_schema_view(
    list=extend_schema(summary="List survey invitations"),
    retrieve=extend_schema(summary="Get an invitation"),
)
@extend_schema(tags=["surveys"])
class InvitationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = InvitationSerializer
    permission_model = Invitation
    query_serializers = {"list": InvitationQuery}
    since_fields = {"created_since": "created_at"}
    # By keyset: a survey sent to a big audience makes as many invitations (the index
    # invitation_created_id serves the default).
    pagination_class = KeysetPagination
    keyset_orderings = newest_first("created_at")
    keyset_default = "-created_at"

    def get_queryset(self):
        qs = selectors.invitations_visible_to(self.request.user)
        if self.action == "list":
            filters = self.query()
            if "survey" in filters:
                qs = qs.filter(survey_id=filters["survey"])
            if "customer" in filters:
                qs = qs.filter(customer_id=filters["customer"])
            if "state" in filters:
                qs = qs.filter(state=filters["state"])
        return qs


class ResponseQuery(serializers.Serializer):
    survey = id_query_field()
    customer = id_query_field()
    score_min = serializers.IntegerField(required=False, min_value=0, max_value=10)
    score_max = serializers.IntegerField(required=False, min_value=0, max_value=10)
    answered_since = serializers.DateTimeField(
        required=False, help_text="First answered at or after."
    )


@extend_schema_view(
    list=extend_schema(summary="List survey answers"),
    retrieve=extend_schema(summary="Get an answer"),
)
@extend_schema(tags=["surveys"])
class ResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = ResponseSerializer
    permission_model = Response
    pagination_class = KeysetPagination
    keyset_orderings = {
        "-responded_at": ("-responded_at", "-id"),
        "-id": ("-id",),
        "id": ("id",),
        "updated_at": ("updated_at", "id"),
        "-updated_at": ("-updated_at", "-id"),
    }
    keyset_default = "-responded_at"
    query_serializers = {"list": ResponseQuery}
    # An answer's creation is responded_at (answered_since filters it).
    since_fields = {"updated_since": "updated_at"}
    since_ordering = "updated_at"

    def get_queryset(self):
        qs = selectors.responses_visible_to(self.request.user).select_related("invitation__survey")
        if self.action == "list":
            filters = self.query()
            lookups = {
                "survey": "invitation__survey_id",
                "customer": "invitation__customer_id",
                "score_min": "score__gte",
                "score_max": "score__lte",
                "answered_since": "responded_at__gte",
            }
            qs = qs.filter(**{lookups[name]: value for name, value in filters.items()})
        return qs
