"""`safehands events`: import reports from other incident systems, and write statistics."""

from __future__ import annotations

import click


@click.group()
def events() -> None:
    """Patient-safety events: import reports, write statistics."""
