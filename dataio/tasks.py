from celery import shared_task
from django.utils import translation

from . import services


@shared_task
def validate_import(job_id, version):
    with translation.override(services.job_language(job_id)):
        services.import_job_validate(job_id=job_id, version=version)


@shared_task(bind=True)
def commit_import(self, job_id):
    def progress(rows):
        # Eager runs (tests) have no result backend to report to and nobody polling.
        if not self.request.is_eager:
            self.update_state(state="PROGRESS", meta={"rows": rows})

    with translation.override(services.job_language(job_id)):
        services.import_job_commit(job_id=job_id, progress=progress)
