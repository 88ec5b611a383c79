import os

from celery import Celery
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

app = Celery("crm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Run when a worker starts, as well as every RECOVERY_SWEEP_SECONDS by beat: work whose lease
# ran out while no worker was there (a crash, a restart) resumes at once.
RECOVERY_SWEEPS = ("metrics.tasks.resume_stalled_runs", "surveys.tasks.resume_sends")


@worker_ready.connect
def resume_interrupted_work(sender, **kwargs):
    queues = [queue.name for queue in sender.task_consumer.queues]
    for name in RECOVERY_SWEEPS:
        sender.app.send_task(name, queue=queues[0] if queues else None, ignore_result=True)
