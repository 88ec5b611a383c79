import os

# Before anything imports numpy: numpy asks Linux for 2 MB pages for its large arrays, and on
# virtual machines those page faults can be slow. Measured on our 2-core VM: the same numpy
# step of a full recalculation took 8.7 s with them and 2.0 s without (docs/benchmarks.md).
# Set NUMPY_MADVISE_HUGEPAGE=1 to give numpy its default back.
os.environ.setdefault("NUMPY_MADVISE_HUGEPAGE", "0")

from .celery import app as celery_app

__all__ = ("celery_app",)
