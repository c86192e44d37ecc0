"""Event endpoints. Each parses, asks the permission function, calls one service or query."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["events"])
