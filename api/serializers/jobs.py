"""A bulk request's job, as its page (``/api/v1/jobs/{id}/``) shows it."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from ..jobs import BulkJob
from .rows import RowListSerializer


class JobErrorSerializer(serializers.Serializer):
    index = serializers.IntegerField(
        allow_null=True, help_text="The item's position in the request, from 0 (null: the job)."
    )
    field = serializers.CharField(
        allow_null=True,
        help_text="The field, as a dotted path (`lines.0.product`); `non_field_errors` for "
        "the item as a whole.",
    )
    message = serializers.CharField(help_text="For people; in the request's language.")


class JobSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField(help_text="This job's address, to poll.")
    progress = serializers.SerializerMethodField(
        help_text="Items checked so far and in all; every item is checked before any is "
        "written, then all are written at once."
    )
    errors = JobErrorSerializer(
        many=True,
        help_text="When the job failed: every problem, one message a row. Nothing was written.",
    )
    ids = serializers.ListField(
        source="result_ids",
        child=serializers.IntegerField(),
        help_text="When the job succeeded: the ids of the objects, in request order.",
    )

    class Meta:
        model = BulkJob
        list_serializer_class = RowListSerializer
        fields = [
            "id",
            "url",
            "kind",
            "status",
            "progress",
            "errors",
            "ids",
            "created_at",
            "started_at",
            "finished_at",
        ]
        read_only_fields = fields

    def get_url(self, job) -> str:
        return reverse("api:job-detail", args=[job.pk], request=self.context.get("request"))

    @extend_schema_field(
        {
            "type": "object",
            "properties": {
                "processed": {"type": "integer"},
                "total": {"type": "integer"},
            },
            "required": ["processed", "total"],
        }
    )
    def get_progress(self, job):
        return {"processed": job.processed, "total": job.total}
