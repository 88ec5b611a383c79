from dataio.command import ImportCommand


class Command(ImportCommand):
    help = (
        "Import orders from a CSV file, one row per order (total) or per line (sku, "
        "quantity), matched on order number; all or nothing."
    )
    kind = "orders"

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument(
            "--create-customers",
            action="store_true",
            help="Create a customer for an unknown customer external id.",
        )

    def options_from(self, opts):
        return {"create_customers": opts["create_customers"]}
