"""``manage.py translations``: refresh the message files from the code, then compile them.

Extraction is ``makemessages`` (GNU gettext's xgettext and msgmerge: a translator's tool, not
needed to run the app). The compiled ``.mo`` files are committed beside their ``.po`` and
compiled here with polib, pure Python, so a fresh machine needs no system package to show
Chinese; ``tests/crm/test_translations.py`` fails when a ``.mo`` is stale or a message lacks
its translation.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

# Folders whose strings nobody reads in the product (tests, benchmarks, the virtualenv, run
# files); the default ignores (CVS, .*, *~, *.pyc) still apply.
IGNORE = [".venv/*", "var/*", "tests/*", "bench/*", "docs/*", "node_modules/*", "static/*"]
LOCALES = ["zh_Hans"]


def message_files() -> list[Path]:
    return [
        Path(path) / locale / "LC_MESSAGES" / "django.po"
        for path in settings.LOCALE_PATHS
        for locale in LOCALES
    ]


def extract(*, verbosity: int = 0, symlinks: bool = False) -> None:
    """Merge the code's messages (the tree under the current directory) into the ``.po``
    files of ``settings.LOCALE_PATHS[0]``; ``symlinks`` follows linked folders."""
    call_command(
        "makemessages",
        locale=LOCALES,
        ignore_patterns=IGNORE,
        no_obsolete=True,
        add_location="file",
        symlinks=symlinks,
        verbosity=verbosity,
    )


def compile_mo(po_path: Path) -> Path:
    mo_path = po_path.with_suffix(".mo")
    polib.pofile(str(po_path)).save_as_mofile(str(mo_path))
    return mo_path


class Command(BaseCommand):
    help = "Extract the translatable messages into locale/*.po and compile the .mo files."

    def add_arguments(self, parser):
        parser.add_argument(
            "--compile-only",
            action="store_true",
            help="Only compile the .po files (no GNU gettext needed).",
        )

    def handle(self, *args, compile_only, verbosity, **options):
        if not compile_only:
            extract(verbosity=verbosity)
        for po_path in message_files():
            po = polib.pofile(str(po_path))
            missing = len(po.untranslated_entries()) + len(po.fuzzy_entries())
            self.stdout.write(
                f"{compile_mo(po_path)}: {po.percent_translated()}% translated, {missing} to do"
            )
