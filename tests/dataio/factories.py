import codecs
import csv
import io

from django.core.files.uploadedfile import SimpleUploadedFile

from dataio import parsing, services
from dataio.columns import guess_mapping
from dataio.engine import Scope


def csv_bytes(rows, *, bom=False, delimiter=","):
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    data = buffer.getvalue().encode("utf-8")
    return codecs.BOM_UTF8 + data if bom else data


def import_file(kind, data, *, user, write=True, mapping=None, **options):
    """Run an import over ``data`` (bytes) the way the pages and commands do, with the
    guessed mapping unless one is given; returns the report, also when rows failed."""
    stream = io.BytesIO(data)
    headers, delimiter = parsing.read_header(stream, encoding=options.get("encoding", "utf-8"))
    stream.seek(0)
    if mapping is None:
        mapping = guess_mapping(kind, headers, can_reassign=Scope(user).can_reassign)
    arguments = {
        "kind": kind,
        "stream": stream,
        "headers": headers,
        "mapping": mapping,
        "options": {"delimiter": delimiter, **options},
        "user": user,
    }
    if not write:
        return services.import_validate(**arguments)
    try:
        return services.import_commit(**arguments)
    except services.ImportFailed as failed:
        return failed.report


def messages_of(report):
    return [(error.row, error.column, error.message) for error in report.errors]


def upload_job(*, user, kind, data, name="upload.csv"):
    """A job created by the upload service, as the upload page does."""
    return services.import_job_create(
        user=user, kind=kind, upload=SimpleUploadedFile(name, data, content_type="text/csv")
    )
