"""The app's date and number formats per language (``FORMAT_MODULE_PATH``), in place of
Django's own: a 24-hour clock, thousands grouped by three with a comma, and dates in two
forms. ``SHORT_DATE_FORMAT`` / ``SHORT_DATETIME_FORMAT``, for table cells, lists and other
compact places, is ISO 8601 in every language (2026-11-01, unambiguous and as wide in every
row). ``DATE_FORMAT`` / ``DATETIME_FORMAT``, for a date in a sentence or a fact, is the
language's own: ISO in English, 2026年11月1日 in Chinese. ``YEAR_MONTH_FORMAT`` labels
months in charts ("Nov 2026", "2026年11月").

Templates name these formats, never a pattern: ``|date:"SHORT_DATE_FORMAT"``,
``|date:"SHORT_DATETIME_FORMAT"``, ``|date`` (``DATE_FORMAT``); numbers go through
``intcomma``, ``floatformat:"2g"`` or the ``formatting`` library (``core/formatting.py``),
which also formats every amount with its currency symbol. Input formats are Django's for the
language (this module names none, so Django's apply)."""
