"""What the Chinese-page checks share (tests/crm/test_chinese_pages.py on the server's HTML,
tests/journeys/test_chinese.py in a browser): the text a person reads on a page, the data the
test made (names, emails, numbers: not the product's words), and the English words left
once both are set aside.

An English word left is a message the product shows untranslated: a string not marked, or
marked but missing from locale/zh_Hans/LC_MESSAGES/django.po."""

import re
from html.parser import HTMLParser

from babel.numbers import list_currencies
from django.apps import apps

# Attributes a person reads (or hears): tooltips, placeholders, labels for screen readers,
# image text, confirm dialogs, and the words app.js/copy.js put on a button.
VISIBLE_ATTRIBUTES = {"placeholder", "title", "aria-label", "alt", "hx-confirm", "data-copied"}
# Elements whose content is not checked: no text on the page (script, style, a <template>'s
# content), or machine text a person types or reads as it is (a CSV column name, an HTTP
# header in <code>). ``.formula``: mathematical notation (the methodology's formulas); an
# element of another language on purpose (``lang="en"``): a language's own name in the
# switcher, the titles of the English papers the methodology cites.
SKIPPED_ELEMENTS = {"script", "style", "template", "code", "kbd", "samp"}
SKIPPED_CLASS = "formula"
# The same, for the browser (tests/journeys/test_chinese.py).
SKIPPED_SELECTOR = ", ".join(
    [*SKIPPED_ELEMENTS, f".{SKIPPED_CLASS}", '[lang]:not([lang^="zh"]):not(html)']
)
VOID_ELEMENTS = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
    "track", "wbr",
}  # fmt: skip

# Phrases and words that stay in Latin letters in the Chinese product, each for a reason.
ALLOWED_PHRASES = [
    "Value CRM",  # the brand: the .po keeps it as it is
    "P(alive)",  # a model's quantity, the methodology's notation (glossary: 存活概率 beside it)
    "BG/NBD",  # the names of the value models (proper names, as in the seeds' Chinese text)
    "Gamma-Gamma",
]
ALLOWED_WORDS = {
    # The acronyms Chinese CRM users read as they are (docs/glossary-zh.md, "Writing rules"),
    # and AOV, FM: the methodology's names for average order value and RFM's (F + M) / 2.
    "CRM", "CLV", "CAC", "NPS", "CSAT", "RFM", "AOV", "FM", "API", "CSV", "URL", "HTTP",
    "HTTPS", "ID", "SKU", "ISO", "UTC",
    # Standards, protocols and products named by their own names (glossary: webhook → Webhook):
    # the API page's REST, POST and HMAC-SHA256, an example ERP; the import page's encodings
    # (UTF-8 with or without BOM, Windows-1252 of Excel, ISO-8859-1 Latin-1, GB18030).
    "JSON", "Webhook", "REST", "POST", "HMAC", "SHA", "ERP", "UTF", "BOM", "Windows", "Excel",
    "Latin", "GB",
    # The methodology's sources: authors, their data set and the distributions they use.
    "Fader", "Hardie", "Lee", "CDNOW", "Gamma", "Beta", "Poisson",
    # Date patterns shown as hints in fields ("YYYY-MM-DD", the import's "YYYYMMDD").
    "YYYY", "MM", "DD", "YYYYMMDD",
    # Notation inside the methodology's sentences: p × x written px, the function min(); the
    # cohort table's columns M0, M1 … (M%(k)s in both languages), "Mk" in its notes.
    "px", "min", "Mk",
    # The order numbers' prefix (SO-0000001, orders/numbering.py), named in a help text.
    "SO",
    # Currency codes: ISO 4217, shown beside amounts and in currency pickers.
    *list_currencies(),
}  # fmt: skip
# Allowed on the import pages only: they name the values a CSV file holds (dataio/columns.py),
# codes typed as they are whatever the language ("company（企业）或 person（个人）").
CSV_VALUES = {
    "company", "person", "lead", "active", "churned", "yes", "no", "draft", "placed", "paid",
    "cancelled",
    "en", "zh", "hans",  # language codes: "en 或 zh-hans"
}  # fmt: skip
# A single letter is a tier (A, B, C), an RFM letter (R, F, M) or a variable in a sentence
# about a formula ("x 为复购次数"), as the seeds write them.
SINGLE_LETTER = re.compile(r"^[A-Za-z]$")

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
URL = re.compile(r"\b(?:https?|ftp)://\S+|(?<![\w/])/[\w./?=&%#-]+")
# A currency symbol written with a country's letters, as CLDR writes some in Chinese: US$, HK$.
CURRENCY_SYMBOL = re.compile(r"\b[A-Z]{1,3}\$")
WORD = re.compile(r"[A-Za-z][A-Za-z'’]*")

# The fields whose values are data a user (or the test, or an import) wrote: their words are
# nobody's translation. Fields the product fills itself (errors, statuses) are not listed.
DATA_FIELDS = {
    "auth.User": ["username", "first_name", "last_name", "email"],
    "customers.Tag": ["name"],
    "customers.Customer": [
        "name", "email", "phone", "website", "industry", "region", "address", "churn_reason",
        "external_id",
    ],
    "customers.Contact": ["name", "role", "email", "phone"],
    "customers.Activity": ["subject", "body"],
    "orders.Product": ["sku", "name"],
    "orders.Order": ["number", "note"],
    "orders.CustomerCost": ["note"],
    "campaigns.Campaign": ["name"],
    "campaigns.SpendEntry": ["note"],
    "surveys.Survey": ["name", "question", "follow_up_question", "email_subject", "email_intro"],
    "surveys.Invitation": ["email", "token"],
    "surveys.Response": ["comment"],
    "dataio.ImportJob": ["original_name", "headers", "preview"],
    "api.ApiKey": ["name", "prefix"],
    "api.Webhook": ["url", "description", "events", "secret"],
}  # fmt: skip


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []
        self.skipped = []  # the open elements inside a skipped one, itself first

    def _skips(self, tag, attrs):
        lang = attrs.get("lang") or ""
        return (
            tag in SKIPPED_ELEMENTS
            or SKIPPED_CLASS in (attrs.get("class") or "").split()
            or (tag != "html" and lang and not lang.startswith("zh"))
        )

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if not self.skipped and self._skips(tag, attrs):
            self.skipped.append(tag)
        elif self.skipped:
            if tag not in VOID_ELEMENTS:
                self.skipped.append(tag)
        else:
            self._attributes(tag, attrs)

    def handle_startendtag(self, tag, attrs):
        if not self.skipped:
            self._attributes(tag, dict(attrs))

    def handle_endtag(self, tag):
        if tag in self.skipped:  # closes the latest such element and what it left open
            del self.skipped[len(self.skipped) - 1 - self.skipped[::-1].index(tag) :]

    def handle_data(self, data):
        if not self.skipped and data.strip():
            self.parts.append(data.strip())

    def _attributes(self, tag, attrs):
        for name in VISIBLE_ATTRIBUTES:
            if attrs.get(name):
                self.parts.append(attrs[name])
        # A submit or button input shows its value as its label.
        is_button = tag == "input" and attrs.get("type") in {"submit", "button", "reset"}
        if is_button and attrs.get("value"):
            self.parts.append(attrs["value"])


def visible_text(html):
    """The text of ``html`` a person reads, one line per text node or attribute: the text
    outside the skipped elements (``SKIPPED_ELEMENTS``, ``.formula``, another ``lang``), the
    attributes in ``VISIBLE_ATTRIBUTES`` and the labels of submit inputs."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def data_strings():
    """Every value of ``DATA_FIELDS`` in the database: what the test's objects (or the demo)
    are called and say; a text of several lines also line by line, as pages show it."""
    found = set()
    for label, fields in DATA_FIELDS.items():
        model = apps.get_model(label)
        for row in model.objects.values_list(*fields):
            for text in (text for value in row for text in _strings(value)):
                found.update(line.strip() for line in [text, *text.splitlines()] if line.strip())
    return found


def _data_pattern(data):
    """One regex for every data string, longest first, matched as whole words (user "tom" must
    not hide the end of "custom")."""
    alternatives = "|".join(re.escape(text) for text in sorted(data, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])") if alternatives else None


class EnglishFinder:
    """``find(text)``: the English words in ``text`` once the data strings, emails, URLs and
    the allowed words are set aside. Build it after the data is made."""

    def __init__(self, data=()):
        self.data = _data_pattern({text for text in data if WORD.search(text)})

    def find(self, text, allowed=frozenset()):
        for phrase in ALLOWED_PHRASES:
            text = text.replace(phrase, " ")
        if self.data:
            text = self.data.sub(" ", text)
        for pattern in (EMAIL, URL, CURRENCY_SYMBOL):
            text = pattern.sub(" ", text)
        words = []
        for word in WORD.findall(text):
            if word in ALLOWED_WORDS or word in allowed or SINGLE_LETTER.match(word):
                continue
            if word not in words:
                words.append(word)
        return words

    def english_lines(self, text, allowed=frozenset()):
        """The lines of ``text`` that hold English words, with the words: what a failure
        shows, so the message to translate can be found. ``allowed``: more words, for a page."""
        found = []
        for line in text.splitlines():
            words = self.find(line, allowed)
            if words:
                found.append((line.strip()[:160], words))
        return found


class Findings:
    """English lines found, each with the pages it was found on: ``add(page, text)`` checks
    a page's text; ``str()`` lists each line once (a line of base.html is on every page)."""

    def __init__(self, finder):
        self.finder = finder
        self.lines = {}  # line: (words, pages)
        self.problems = []  # other failures: a status, the <html lang>

    def add(self, page, text, allowed=frozenset()):
        for line, words in self.finder.english_lines(text, allowed):
            self.lines.setdefault(line, (words, []))[1].append(page)

    def pages(self):
        return {page for _words, pages in self.lines.values() for page in pages}

    def __bool__(self):
        return bool(self.lines or self.problems)

    def __str__(self):
        shown = []
        for line, (words, pages) in self.lines.items():
            where = ", ".join(pages[:4]) + (f" and {len(pages) - 4} more" if len(pages) > 4 else "")
            shown.append(f"“{line}” [{' '.join(words)}] on {where}")
        summary = f"{len(self.lines)} English lines on {len(self.pages())} pages:"
        return "\n".join([*self.problems, summary, *shown])
