import datetime as dt
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.campaigns.factories import CampaignFactory


def test_scale(client_for, manager, owner):
    camps = [CampaignFactory(starts_on=dt.date(2025, 1, 1) + dt.timedelta(days=30 * i)) for i in range(10)]
    ids = [c.pk for c in camps]
    with connection.cursor() as cur:
        cur.execute(f"""
            INSERT INTO customers_customer (name, kind, email, phone, website, industry, region, address,
                owner_id, status, churn_reason, acquired_by_campaign_id, marketing_opt_out, created_at, updated_at)
            SELECT 'C' || g, 'company', '', '', '', '', '', '',
                CASE WHEN g % 5 = 0 THEN {owner.pk} ELSE {manager.pk} END, 'active', '',
                CASE WHEN g % 3 = 0 THEN (ARRAY{ids})[1 + g % 10] END, false, now(), now()
            FROM generate_series(1, 300000) g
        """)
        cur.execute("""
            INSERT INTO orders_order (customer_id, number, status, ordered_on, currency, exchange_rate,
                subtotal, discount_total, total, cost_total, refunded_total, total_base, cost_base,
                refunded_base, note, created_at, updated_at)
            SELECT c.id, 'N' || c.id || '-' || k, 'paid',
                LEAST(DATE '2023-06-01' + ((c.id * 7919 % 1000) + ((k * 104729 + c.id) % 400))::int, DATE '2026-03-31'),
                'USD', 1, 100, 0, 100, 50, 0, 100 + (c.id % 50), 50, 0, '', now(), now()
            FROM customers_customer c, generate_series(1, 10) k
            WHERE k <= 1 + c.id % 19
        """)
        cur.execute("SELECT count(*) FROM orders_order")
        print("orders", cur.fetchone())
        cur.execute("ANALYZE")
    for user in (manager, owner):
        client = client_for(user)
        for url, params in (("/", {"period": "custom", "start": "2026-03-01", "end": "2026-03-31"}), ("/metrics/cohorts/", {"as_of": "2026-03-31"})):
            with CaptureQueriesContext(connection) as ctx:
                t = time.monotonic()
                r = client.get(url, params)
                total = time.monotonic() - t
            assert r.status_code == 200
            print(user.username, url, f"{total:.2f}s", len(ctx), "sql", sum(float(q["time"]) for q in ctx.captured_queries))
            for q in sorted(ctx.captured_queries, key=lambda q: -float(q["time"]))[:5]:
                print("   ", q["time"], " ".join(q["sql"].split())[:110])
