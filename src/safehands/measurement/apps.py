from django.apps import AppConfig


class MeasurementConfig(AppConfig):
    name = "safehands.measurement"
    label = "measurement"

    def ready(self) -> None:
        from safehands.measurement import services
        from safehands.orgs.signals import org_units_moved

        org_units_moved.connect(services.org_units_moved,
                                dispatch_uid="measurement.totals.rebuild")
