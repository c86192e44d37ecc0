"""`{% load charts %}{% vega_chart spec "falls-chart" caption %}`: a chart drawn in the browser.

The spec travels in the page as JSON (`json_script`, so it is escaped safely), and
`web/charts.js` draws it with the Vega bundle Safehands serves itself. The figure takes
keyboard focus so that a chart wider than a phone can be scrolled without a mouse.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html, json_script

register = template.Library()


@register.simple_tag
def vega_chart(spec: dict[str, Any], chart_id: str, caption: str = "") -> str:
    spec_id = f"{chart_id}-spec"
    caption_html = format_html('<figcaption class="muted">{}</figcaption>', caption) if caption \
        else ""
    return format_html(
        '<figure class="chart" tabindex="0"><div class="vega-chart" id="{}" '
        'data-vega-spec="{}" role="img" aria-label="{}"></div>{}{}</figure>',
        chart_id, spec_id, caption, json_script(spec, spec_id), caption_html,
    )
