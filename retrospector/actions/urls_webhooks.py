from django.urls import path

from . import webhook_views

urlpatterns = [
    path("webhooks/", webhook_views.webhook_list, name="webhook_list"),
    path("webhooks/<int:pk>/", webhook_views.webhook_detail, name="webhook_detail"),
    path("webhooks/<int:pk>/active", webhook_views.webhook_active, name="webhook_active"),
    path("webhooks/<int:pk>/ping", webhook_views.webhook_ping_view, name="webhook_ping"),
    path("webhooks/<int:pk>/delete", webhook_views.webhook_delete_view, name="webhook_delete"),
    path(
        "webhooks/<int:pk>/deliveries/<int:delivery_pk>/redeliver",
        webhook_views.webhook_redeliver_view,
        name="webhook_redeliver",
    ),
]
