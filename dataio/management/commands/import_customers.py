from dataio.command import ImportCommand


class Command(ImportCommand):
    help = "Import customers from a CSV file, matched on external id; all or nothing."
    kind = "customers"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--without-external-id",
            action="store_true",
            help="Create a customer for every row with an empty external id.",
        )

    def options_from(self, opts):
        return {"without_external_id": opts["without_external_id"]}
