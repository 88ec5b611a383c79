from customers.models import Customer
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
        parser.add_argument(
            "--create-customers-as",
            choices=Customer.Kind.values,
            default=Customer.Kind.COMPANY,
            help="What the customers --create-customers creates are (default: company).",
        )

    def options_from(self, opts):
        return {
            "create_customers": opts["create_customers"],
            "new_customer_kind": opts["create_customers_as"],
        }
