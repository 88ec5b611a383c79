import datetime as dt
from pathlib import Path

from metrics.services import full_run_sync
from tests.metrics.test_dashboard import MARCH, URL, shop  # noqa: F401
from tests.metrics.purchases import buy
from tests.factories import CustomerFactory
import random


def test_render(client_for, manager, owner, shop):  # noqa: F811
    rng = random.Random(3)
    for i in range(80):
        c = CustomerFactory(owner=owner, name=f"R{i}", acquired_by_campaign=shop[0].acquired_by_campaign if i % 3 == 0 else None)
        first = dt.date(2025, 4, 1) + dt.timedelta(days=rng.randint(0, 350))
        buy(c, first, amount=str(rng.randint(50, 900)), cost="30.00")
        for _ in range(rng.randint(0, 6)):
            d = first + dt.timedelta(days=rng.randint(1, 300))
            if d <= dt.date(2026, 3, 31):
                buy(c, d, amount=str(rng.randint(50, 900)), cost="30.00")
    full_run_sync(as_of=dt.date(2026, 3, 31))
    css = Path("static/css/app.css").read_text()
    client = client_for(manager)
    html = client.get(URL, MARCH).content.decode()
    html = html.replace('<link rel="stylesheet" href="/static/css/app.css">', f"<style>{css}</style>")
    Path("/tmp/h8_dash.html").write_text(html)
    html = client.get("/metrics/cohorts/", {"as_of": "2026-03-31"}).content.decode()
    html = html.replace('<link rel="stylesheet" href="/static/css/app.css">', f"<style>{css}</style>")
    Path("/tmp/h8_cohorts.html").write_text(html)
