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


def _monthly_result():
    import pandas as pd

    from safehands.spc import qic

    months = pd.date_range("2025-01-01", periods=12, freq="MS")
    return qic(pd.DataFrame({"x": months, "y": [3, 4, 2, 5, 3, 4, 6, 2, 3, 4, 5, 3],
                             "n": [100] * 12}), x="x", y="y", n="n", chart="u")


def test_spc_charts_speak_norwegian_when_the_page_does():
    from django.utils import translation

    from safehands.core.charts import render_chart, spc_labels
    from safehands.spc.plot import vegalite_spec

    with translation.override("nb"):
        spec = vegalite_spec(_monthly_result(), **spc_labels("u"))
    assert spec["layer"][3]["encoding"]["y"]["title"] == "u-diagram"
    assert spec["config"]["locale"]["time"]["months"][11] == "desember"
    svg = render_chart(spec, "svg").decode()
    assert "u-diagram" in svg and "februar" in svg and "February" not in svg
    with translation.override("en"):
        english = vegalite_spec(_monthly_result(), **spc_labels("u"))
    assert english["layer"][3]["encoding"]["y"]["title"] == "u chart"
    assert "locale" not in english["config"]
    assert "February" in render_chart(english, "svg").decode()
