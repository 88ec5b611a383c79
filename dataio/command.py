"""What the import_customers and import_orders management commands share: they run the
same services as the pages, synchronously, straight from a path (no copy is stored)."""

import argparse

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from . import cells, parsing, services
from .columns import date_format_problem, detect, detect_date_format, fields_for
from .engine import Scope

PROGRESS_EVERY = 10_000


class ImportCommand(BaseCommand):
    kind = None

    def add_arguments(self, parser):
        parser.add_argument("file", help="CSV file; the first line names the columns.")
        parser.add_argument(
            "--user",
            help="Import as this user: a rep imports only their own customers and owns what "
            "is created. Without it the import sees every customer.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Check every row and write nothing."
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="COLUMN=FIELD",
            help="Read FIELD from the column named COLUMN (repeatable); COLUMN= ignores the "
            "column. Columns named like fields are matched without it.",
        )
        parser.add_argument(
            "--encoding", default="utf-8", choices=[code for code, _label in parsing.ENCODINGS]
        )
        parser.add_argument(
            "--delimiter",
            default="",
            help="Default: detected from the file; ' ' for columns aligned with spaces.",
        )
        parser.add_argument(
            "--header",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="Whether the first line names the columns (default: detected; without one, "
            "columns are named 'column 1', 'column 2'… for --map).",
        )
        parser.add_argument(
            "--date-format",
            default="",
            choices=[code for code, _label in cells.DATE_FORMATS],
            help="Default: detected from the first rows; asked for when the days are all "
            "up to 12 (DD/MM or MM/DD).",
        )

    def handle(self, *args, **opts):
        user = self._user(opts["user"])
        options = {"encoding": opts["encoding"], **self.options_from(opts)}
        try:
            with open(opts["file"], "rb") as stream:
                shape = parsing.inspect(
                    stream,
                    encoding=opts["encoding"],
                    delimiter=opts["delimiter"],
                    has_header=opts["header"],
                )
                headers = shape.headers
                mapping, detected = detect(self.kind, shape, can_reassign=Scope(user).can_reassign)
                mapping = self._mapping(headers, mapping, opts["map"])
                # The dates of the columns mapped in the end, which --map may have changed.
                date_format, fitting = detect_date_format(self.kind, mapping, shape.rows)
                options.update(detected, date_format=opts["date_format"] or date_format)
                if date_format_problem(self.kind, mapping, options):
                    labels = " and ".join(str(cells.date_format_label(code)) for code in fitting)
                    choices = " or ".join(f"--date-format {code}" for code in fitting)
                    raise CommandError(f"The dates fit {labels}: say which with {choices}.")
                stream.seek(0)
                self.total = parsing.estimate_rows(stream) + (0 if shape.has_header else 1)
                stream.seek(0)
                report = self._run(stream, headers, mapping, options, user, opts["dry_run"])
        except OSError as exc:
            raise CommandError(exc) from exc
        except parsing.FileError as exc:
            raise CommandError(self._located(exc.line, "", exc.message)) from exc
        except ValidationError as exc:
            raise CommandError("\n".join(exc.messages)) from exc
        except PermissionDenied as exc:
            raise CommandError(f"{user} may not import {self.kind}.") from exc
        self._summary(report, opts["dry_run"])
        if report.has_errors:
            raise CommandError(f"{report.error_rows} rows with errors; nothing was written.")

    def options_from(self, opts):
        return {}

    def _user(self, username):
        if not username:
            return None
        try:
            return get_user_model().objects.get(username=username, is_active=True)
        except get_user_model().DoesNotExist:
            raise CommandError(f"There is no active user {username!r}.") from None

    def _mapping(self, headers, mapping, overrides):
        fields = {f.name for f in fields_for(self.kind)}
        # A file without a header line has blank names: its columns are "column 1", ...
        names = [header or f"column {i + 1}" for i, header in enumerate(headers)]
        lowered = [name.lower() for name in names]
        for override in overrides:
            column, sep, field = override.partition("=")
            if not sep or column.strip().lower() not in lowered:
                raise CommandError(
                    f"--map {override}: expected COLUMN=FIELD with one of the file's columns: "
                    + ", ".join(names)
                )
            index = lowered.index(column.strip().lower())
            field = field.strip()
            if field and field not in fields:
                raise CommandError(f"--map {override}: fields are " + ", ".join(sorted(fields)))
            mapping = {name: i for name, i in mapping.items() if i != index}
            if field:
                mapping[field] = index
        return mapping

    def _run(self, stream, headers, mapping, options, user, dry_run):
        arguments = {
            "kind": self.kind,
            "stream": stream,
            "headers": headers,
            "mapping": mapping,
            "options": options,
            "user": user,
            "progress": self._progress,
            "on_error": self._print_error,
        }
        if dry_run:
            return services.import_validate(**arguments)
        try:
            return services.import_commit(**arguments)
        except services.ImportFailed as failed:
            return failed.report

    def _progress(self, rows):
        if self.stdout.isatty():
            self.stdout.write(f"\r{rows:,} of about {self.total:,} rows", ending="")
        elif rows % PROGRESS_EVERY < 1000 or rows >= self.total:
            self.stdout.write(f"{rows:,} of about {self.total:,} rows")

    def _located(self, row, column, message):
        where = f"row {row}" if row else "file"
        if column:
            where += f", column {column!r}"
        return f"{where}: {message}"

    def _print_error(self, error):
        self.stderr.write(self._located(error.row, error.column, error.message))

    def _summary(self, report, dry_run):
        if self.stdout.isatty():
            self.stdout.write("")
        verb = "would be" if dry_run or report.has_errors else "were"
        lines = [
            f"{report.rows:,} rows read.",
            f"{report.created:,} {verb} created, {report.updated:,} {verb} updated, "
            f"{report.unchanged:,} unchanged.",
        ]
        if report.new_customers:
            lines.append(f"{report.new_customers:,} customers {verb} created from the file.")
        self.stdout.write("\n".join(lines))
