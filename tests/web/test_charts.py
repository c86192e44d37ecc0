"""The chart library is served by Safehands itself, and chart specs render offline."""

from __future__ import annotations

from django.template import Context, Template

from safehands.core.charts import render_chart

SPEC = {
    "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
    "data": {"values": [{"month": "2025-01", "falls": 4}, {"month": "2025-02", "falls": 2}]},
    "mark": "line",
    "encoding": {"x": {"field": "month", "type": "ordinal"},
                 "y": {"field": "falls", "type": "quantitative"}},
}


def test_vega_bundle_is_served_without_sign_in_and_cached(client):
    response = client.get("/charts/vega.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert b"window.vegaEmbed=" in response.content
    assert "max-age" in response["Cache-Control"]


def test_chart_tag_embeds_the_spec_as_escaped_json():
    spec = {**SPEC, "title": "</script><b>x</b>"}
    html = Template('{% load charts %}{% vega_chart spec "c1" "Falls" %}').render(
        Context({"spec": spec}))
    assert 'data-vega-spec="c1-spec"' in html
    assert '<script id="c1-spec" type="application/json">' in html
    assert "</script><b>" not in html
    assert '<figcaption class="muted">Falls</figcaption>' in html


def test_specs_render_to_svg_png_and_pdf_offline():
    assert render_chart(SPEC, "svg").startswith(b"<svg")
    assert render_chart(SPEC, "png").startswith(b"\x89PNG")
    assert render_chart(SPEC, "pdf").startswith(b"%PDF")


def test_favicon_ico_leads_to_the_icon_every_page_links(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    icon = client.get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content)
    assert 'rel="icon"' in client.get("/login/").content.decode()
