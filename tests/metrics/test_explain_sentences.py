"""The value pages' explanations are whole sentences, one message per shape: a translation
gets the sentence with its numbers as placeholders, never fragments glued together in
English order, and no English ordinal ("94th") reaches it.

The Chinese here is made up for the test (``chinese`` below), so the checks hold whether or
not the message file is translated and compiled yet."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import trans_real

from metrics import explain
from metrics.models import CustomerScore
from metrics.templatetags.metrics_admin import fit_message
from valuemodels import bgnbd, gamma_gamma, rfm

HEADLINE = (
    "%(score)s: %(measure1)s at percentile %(percentile1)s, "
    "%(measure2)s at percentile %(percentile2)s, "
    "%(measure3)s at percentile %(percentile3)s, "
    "%(measure4)s at percentile %(percentile4)s."
)
CHINESE = {
    HEADLINE: (
        "%(score)s：%(measure1)s位于第 %(percentile1)s 百分位，%(measure2)s第 %(percentile2)s，"
        "%(measure3)s第 %(percentile3)s，%(measure4)s第 %(percentile4)s。"
    ),
    "profit contribution": "利润贡献",
    "predicted CLV": "预测 CLV",
    "loyalty score": "忠诚度得分",
    "referred revenue": "推荐收入",
    "Converged.": "已收敛。",
}
CHINESE_PLURALS = {
    "Too little data: %(n)s repeat customer, the model needs at least %(minimum)s.": (
        "数据不足：%(n)s 位复购客户，模型至少需要 %(minimum)s 位。"
    ),
}
ORDINAL = re.compile(r"\d+(st|nd|rd|th)\b")


@pytest.fixture
def chinese(monkeypatch):
    catalog = trans_real.translation("zh-hans")
    real, real_plural = catalog.gettext, catalog.ngettext
    monkeypatch.setattr(catalog, "gettext", lambda message: CHINESE.get(message) or real(message))

    def ngettext(singular, plural, n):
        return CHINESE_PLURALS.get(singular) or real_plural(singular, plural, n)

    monkeypatch.setattr(catalog, "ngettext", ngettext)


def _score(**fields):
    values = {
        "value_score": 86.6,
        "pct_historical": 94.2,
        "pct_future": 81.0,
        "pct_loyalty": 88.0,
        "pct_influence": 45.0,
        "revenue": Decimal("5000.00"),
        "profit_contribution": Decimal("2000.00"),
        "predicted_clv": Decimal("12345.60"),
        "clv_method": CustomerScore.ClvMethod.PREDICTIVE,
        "loyalty": 93.75,
        "referral_revenue": Decimal("800.00"),
        "referrals_count": 1,
        "tier": "A",
        "churn_risk": 0.42,
        "previous_churn_risk": 0.17,
        "recency_days": 1,
        "segment": rfm.AT_RISK,
    }
    return CustomerScore(as_of=dt.date(2026, 6, 1), **{**values, **fields})


def test_the_headline_is_one_sentence_with_plain_percentiles():
    explanation = explain.score_explanation(_score())

    assert explanation.headline == (
        "87: profit contribution at percentile 94, predicted CLV at percentile 81, "
        "loyalty score at percentile 88, referred revenue at percentile 45."
    )
    assert not ORDINAL.search(explanation.headline)
    for row in explanation.components:
        assert f"percentile {row.percentile}." in row.reason
        assert not ORDINAL.search(row.reason)


def test_the_headline_leaves_out_components_without_data():
    explanation = explain.score_explanation(_score(pct_loyalty=None, pct_influence=None))

    assert explanation.headline == (
        "87: profit contribution at percentile 94, predicted CLV at percentile 81."
    )


def test_a_translation_gets_the_whole_headline(chinese):
    with translation.override("zh-hans"):
        headline = explain.score_explanation(_score()).headline

    assert headline == (
        "87：利润贡献位于第 94 百分位，预测 CLV第 81，忠诚度得分第 88，推荐收入第 45。"
    )


def test_call_next_reasons_are_whole_sentences_with_plurals():
    assert explain.call_reason(_score()) == (
        "Tier A, churn risk up from 17% to 42%, last order 1 day ago, At risk segment"
    )
    assert explain.call_reason(_score(previous_churn_risk=0.5, recency_days=30)) == (
        "Tier A, churn risk 42%, last order 30 days ago, At risk segment"
    )
    assert explain.call_reason(_score(recency_days=None, segment="")) == (
        "Tier A, churn risk up from 17% to 42%"
    )
    # A rise too small to show is no rise: never "up from 1% to 1%".
    assert explain.call_reason(
        _score(previous_churn_risk=0.012, churn_risk=0.014, recency_days=None, segment="")
    ) == ("Tier A, churn risk 1%")


def test_fit_messages_are_shown_in_the_active_language(chinese):
    too_little = bgnbd.fit([0, 1], [0, 5], [10, 10], min_repeat_customers=50).message
    two = bgnbd.fit([0, 1, 2], [0, 5, 6], [10, 10, 10], min_repeat_customers=50).message
    spend = gamma_gamma.fit([1, 2], [10.0, 12.0], min_repeat_customers=50).message

    # English as valuemodels writes it, with the plural right for one.
    assert too_little == "Too little data: 1 repeat customers, the model needs at least 50."
    assert fit_message(too_little) == (
        "Too little data: 1 repeat customer, the model needs at least 50."
    )
    assert fit_message(two) == two
    assert fit_message(spend) == spend
    assert fit_message("Did not converge after 1 iterations: ABNORMAL") == (
        "Did not converge after 1 iteration: ABNORMAL"
    )
    assert fit_message("Something else.") == "Something else."
    with translation.override("zh-hans"):
        assert fit_message("Converged.") == "已收敛。"
        assert fit_message(too_little) == "数据不足：1 位复购客户，模型至少需要 50 位。"
