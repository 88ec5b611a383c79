"""``manage.py <command> --help`` works for every command of ours: argparse formats the
help with regular expressions, so a lazy translation there is a TypeError."""

import pytest
from django.core.management import get_commands, load_command_class

OUR_APPS = {
    "crm",
    "customers",
    "orders",
    "campaigns",
    "surveys",
    "metrics",
    "analytics",
    "dataio",
    "api",
}
OURS = sorted((app, name) for name, app in get_commands().items() if app in OUR_APPS)


def test_our_commands_are_found():
    assert ("metrics", "recalculate_metrics") in OURS


@pytest.mark.parametrize(("app", "name"), OURS, ids=[name for _app, name in OURS])
def test_help_formats(app, name):
    parser = load_command_class(app, name).create_parser("manage.py", name)

    text = parser.format_help()

    assert f"manage.py {name}" in text
