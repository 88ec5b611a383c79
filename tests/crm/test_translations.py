"""The Chinese message file stays complete: every message translated (none fuzzy), the same
placeholders and markup as its source, the committed .mo compiled from the .po, and nothing in
the code that the file lacks."""

import re
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import translation

from crm.management.commands.translations import extract, message_files

PLACEHOLDER = re.compile(r"%\(\w+\)[sdifr]|%[sdif]|\{\w*\}|%%")
# Markup, not text in angle brackets such as "<name>" (a placeholder a person reads).
TAG = re.compile(r"</?(?:a|abbr|b|br|code|em|i|kbd|li|ol|p|small|span|strong|sub|sup|ul)\b[^<>]*>")


def _po_files():
    return [
        pytest.param(path, id=str(path.relative_to(settings.BASE_DIR))) for path in message_files()
    ]


def _key(entry):
    return (entry.msgctxt or "", entry.msgid)


def _translations(entry):
    if entry.msgid_plural:
        return [entry.msgstr_plural[n] for n in sorted(entry.msgstr_plural)]
    return [entry.msgstr]


@pytest.fixture(params=_po_files())
def po(request):
    return polib.pofile(str(request.param))


def test_every_message_is_translated_and_none_is_fuzzy(po):
    untranslated = [entry.msgid for entry in po.untranslated_entries()]
    fuzzy = [entry.msgid for entry in po.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []
    assert po.metadata["Plural-Forms"] == "nplurals=1; plural=0;"


def test_translations_keep_the_placeholders_and_markup_of_their_source(po):
    wrong = []
    for entry in po.translated_entries():
        sources = [entry.msgid, entry.msgid_plural] if entry.msgid_plural else [entry.msgid]
        for pattern in (PLACEHOLDER, TAG):
            # One plural form in Chinese: it may follow the singular or the plural source.
            allowed = [sorted(pattern.findall(source)) for source in sources]
            for text in _translations(entry):
                if sorted(pattern.findall(text)) not in allowed:
                    wrong.append((entry.msgid, text))

    assert wrong == []


def test_the_committed_mo_is_compiled_from_the_po(po):
    mo = polib.mofile(str(Path(po.fpath).with_suffix(".mo")))
    compiled = {_key(entry): _translations(entry) for entry in mo if entry.msgid}
    source = {_key(entry): _translations(entry) for entry in po.translated_entries()}

    # Stale: run `manage.py translations --compile-only`.
    assert compiled == source


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="makemessages needs GNU gettext")
def test_makemessages_finds_no_message_the_file_lacks(po, tmp_path, monkeypatch):
    # makemessages writes into any ./locale it sees beside the code, whatever LOCALE_PATHS
    # says: it runs in a tree of links to the code without ./locale, so the committed file
    # is never touched and the copy is the one compared.
    tree = tmp_path / "tree"
    tree.mkdir()
    for item in Path(settings.BASE_DIR).iterdir():
        if item.name not in {"locale", "var", ".venv", ".git"}:
            (tree / item.name).symlink_to(item)
    locale = Path(po.fpath).parent.parent.name
    copy = tmp_path / "locale" / locale / "LC_MESSAGES" / "django.po"
    copy.parent.mkdir(parents=True)
    shutil.copy(po.fpath, copy)
    committed_text = Path(po.fpath).read_text()
    monkeypatch.chdir(tree)

    with override_settings(LOCALE_PATHS=[tmp_path / "locale"]):
        extract(symlinks=True)

    assert Path(po.fpath).read_text() == committed_text
    extracted = {_key(entry) for entry in polib.pofile(str(copy)) if not entry.obsolete}
    committed = {_key(entry) for entry in po if not entry.obsolete}
    assert extracted, "makemessages found no message at all"
    # New: run `manage.py translations` and translate what it adds.
    assert sorted(extracted - committed) == []
    assert sorted(committed - extracted) == []
    fuzzy = [entry.msgid for entry in polib.pofile(str(copy)) if "fuzzy" in entry.flags]
    assert fuzzy == []


def test_the_app_speaks_chinese_from_the_committed_files():
    with translation.override("zh-hans"):
        assert translation.gettext("Customers") == "客户"
        assert translation.gettext("Champions") == "重要价值客户"
