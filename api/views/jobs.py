"""The jobs of asynchronous bulk requests: one to poll until it has succeeded or failed,
and the list of one's own."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.response import Response

from .. import bulk
from ..errors import ItemErrors
from ..jobs import BulkJob, jobs_visible_to
from ..serializers.jobs import JobSerializer
from .base import ApiViewSet


@extend_schema_view(
    list=extend_schema(summary="List your bulk jobs", description="Newest first."),
    retrieve=extend_schema(
        summary="Get a bulk job",
        description=(
            "Poll it (every second or two) until `status` is `succeeded` (with `ids`) or "
            "`failed` (with `errors`; nothing was written). Only its creator (and staff) "
            "can see a job; others get a 404."
        ),
    ),
)
@extend_schema(tags=["jobs"])
class JobViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ApiViewSet):
    serializer_class = JobSerializer
    permission_model = BulkJob
    http_method_names = ["get", "head"]
    # Whoever may make a bulk request may read its job; the queryset keeps it theirs.
    action_permissions = {"list": (), "retrieve": ()}

    def get_queryset(self):
        return jobs_visible_to(self.request.user).order_by("-created_at", "-id")

    def retrieve(self, request, pk=None):
        job = self.get_object()
        # A job nobody works on any more (its message or worker lost) is sent again.
        bulk.job_resend_if_stalled(job=job)
        return self.respond(job)


def job_or_now(view, *, kind, payload, items, write_now):
    """A bulk request's answer: 202 with a job when it asks for one (``?async=``, ``Prefer:
    respond-async``) or is large, else ``write_now()``'s ids in a 201, its invalid items a
    400 listing each by index."""
    prefer = view.request.headers.get("Prefer", "")
    if bulk.wants_async(asked=view.query().get("async"), prefer=prefer, items=len(items)):
        job = bulk.job_create(user=view.request.user, kind=kind, payload=payload, total=len(items))
        return accepted(view, job)
    try:
        ids = write_now()
    except bulk.BulkInvalid as exc:
        raise ItemErrors(exc.items) from None
    return Response({"ids": ids}, status=status.HTTP_201_CREATED)


def accepted(view, job):
    """The 202 of a request that became ``job``, pointing at it."""
    data = JobSerializer(job, context=view.get_serializer_context()).data
    return Response(data, status=status.HTTP_202_ACCEPTED, headers={"Location": data["url"]})
