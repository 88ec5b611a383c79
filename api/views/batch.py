"""Customers in batches: create, change or upsert by external id, 1 to 1,000 a request,
all or nothing (api.bulk); a large batch becomes a job (api.jobs)."""

from django.conf import settings
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework.exceptions import ValidationError

from customers.models import Customer

from .. import bulk, idempotency
from ..jobs import BulkJob
from ..serializers.batch import BATCH_MODES, BulkQuery, CustomerBatchSerializer
from ..serializers.common import ErrorSerializer
from ..serializers.jobs import JobSerializer
from ..serializers.orders import BulkResultSerializer
from . import jobs
from .base import ApiViewSet

_EXAMPLE_ERROR = {
    "error": {
        "code": "validation_error",
        "message": "The request is invalid; see details.",
        "details": {
            "items": [
                {
                    "index": 2,
                    "errors": {"external_id": ["No customer of yours has this external id."]},
                }
            ]
        },
    }
}


class CustomerBatchViewSet(ApiViewSet):
    permission_model = Customer
    query_serializers = {"create": BulkQuery}

    @extend_schema(
        tags=["customers"],
        summary="Create, change or upsert customers in a batch, all or nothing",
        description=(
            "1 to 1,000 customers, each as for creating one (or, to update, changing one: "
            "the fields left out keep their value), matched by `external_id` to update or "
            "upsert. Every item is checked first; if any is invalid, nothing is written and "
            "the 400 lists each invalid item by index. Otherwise all are written in one "
            "transaction (201, their ids in request order). More than "
            "`API_BULK_ASYNC_ITEMS` (100) customers, `?async=true` or `Prefer: "
            "respond-async` make it a job: 202 with the job to poll at its `url`; "
            "`?async=false` answers at once whatever the size."
        ),
        request=CustomerBatchSerializer,
        responses={
            201: BulkResultSerializer,
            202: OpenApiResponse(JobSerializer, description="A job, to poll at its `url`."),
            400: ErrorSerializer,
        },
        examples=[OpenApiExample("Item 2 is unknown", value=_EXAMPLE_ERROR, status_codes=["400"])],
    )
    @idempotency.idempotent
    def create(self, request):
        mode, items = self._batch(request.data)

        def write_now():
            customers = bulk.customer_items_check(user=request.user, mode=mode, items=items)
            return bulk.customers_write(user=request.user, customers=customers)

        return jobs.job_or_now(
            self,
            kind=BulkJob.Kind.CUSTOMERS,
            payload={"mode": mode, "customers": items},
            items=items,
            write_now=write_now,
        )

    def _batch(self, data):
        data = data if isinstance(data, dict) else {}
        mode = data.get("mode", "create")
        if mode not in BATCH_MODES:
            raise ValidationError({"mode": [_("Choose create, update or upsert.")]})
        items = data.get("customers")
        if not isinstance(items, list) or not items:
            raise ValidationError({"customers": [_("Send a non-empty list of customers.")]})
        limit = settings.API_BULK_MAX_ITEMS
        if len(items) > limit:
            raise ValidationError(
                {"customers": [_("At most %(n)s customers per request.") % {"n": limit}]}
            )
        return mode, items
