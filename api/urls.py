from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .views import batch, campaigns, customers, events, jobs, metrics, orders, surveys, webhooks
from .views.docs import SchemaView, SwaggerDocsView

app_name = "api"

router = SimpleRouter()
router.register("customers", customers.CustomerViewSet, basename="customer")
router.register("contacts", customers.ContactViewSet, basename="contact")
router.register("activities", customers.ActivityViewSet, basename="activity")
router.register("products", orders.ProductViewSet, basename="product")
router.register("orders", orders.OrderViewSet, basename="order")
router.register("customer-costs", orders.CustomerCostViewSet, basename="customercost")
router.register("campaigns", campaigns.CampaignViewSet, basename="campaign")
router.register(
    r"campaigns/(?P<campaign_pk>\d+)/spend-entries",
    campaigns.SpendEntryViewSet,
    basename="spendentry",
)
router.register("surveys", surveys.SurveyViewSet, basename="survey")
router.register("invitations", surveys.InvitationViewSet, basename="invitation")
router.register("responses", surveys.ResponseViewSet, basename="response")
router.register("scores", metrics.ScoreViewSet, basename="score")
router.register("company-metrics", metrics.CompanyMetricsViewSet, basename="company-metrics")
router.register("recalculations", metrics.RecalculationViewSet, basename="recalculation")
router.register("model-fits", metrics.ModelFitViewSet, basename="modelfit")
router.register("webhooks", webhooks.WebhookViewSet, basename="webhook")
router.register("jobs", jobs.JobViewSet, basename="job")
router.register("events", events.EventViewSet, basename="event")
router.register("deletions", events.DeletionViewSet, basename="deletion")

# One object, no id: the router's routes all have a list or an id.
metric_settings = metrics.MetricSettingsViewSet.as_view(
    {"get": "retrieve", "patch": "partial_update"}
)

urlpatterns = [
    path("v1/metric-settings/", metric_settings, name="metric-settings"),
    path(
        "v1/customers/batch/",
        batch.CustomerBatchViewSet.as_view({"post": "create"}),
        name="customer-batch",
    ),
    path("v1/", include(router.urls)),
    path("schema/", SchemaView.as_view(), name="schema"),
    path("docs/", SwaggerDocsView.as_view(url_name="api:schema"), name="docs"),
]
