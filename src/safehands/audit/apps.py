from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "safehands.audit"
    label = "audit"
    verbose_name = "Audit trail"
