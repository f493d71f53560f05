"""The findings report as HTML and as a tagged, accessible PDF (PDF/UA-1).

    html = render_report_html(ctx)
    pdf = render_report_pdf(ctx)          # bytes
    pdf = html_to_pdf(html, ctx)          # when the HTML is already rendered

The PDF is tagged (structure tree, table headers, figure alt texts), declares its
language from ``<html lang="en">`` and its title from ``<title>`` (shown by viewers
instead of the file name), and carries the workbook hash and rule set as custom
metadata. Its file identifier comes from the submission, so the same submission and
rule set give the same /ID.
"""
from __future__ import annotations

import hashlib
import logging

import pydyf
from django.conf import settings
from django.template.loader import render_to_string

from .build import ReportView, build_view
from .context import ReportContext

# WeasyPrint logs every layout pass of every page at INFO: a 100-page report would
# flood the worker's log. Its real problems (missing alt text, bad CSS) stay on "weasyprint".
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


def _css_string(text: str) -> str:
    """A CSS string literal: escape what would end it, break the line or close the <style>."""
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ").replace("<", "\\3c ")
    return '"' + text + '"'


def _page_css(view: ReportView) -> str:
    ctx = view.ctx
    left = _css_string(f"{ctx.district_name} \u2014 equity compliance findings, {ctx.cycle}")
    foot = _css_string(f"Submission version {ctx.submission_version} \u00b7 {ctx.status} \u00b7 "
                       f"rule set {ctx.rule_set_name} {ctx.rule_set_version}")
    css = ("@page { @top-left { content: " + left + "; } "
           "@bottom-left { content: " + foot + "; } }")
    if view.first_page.get("draft"):
        # On every page, so no page of a draft can be passed around as the state's determination.
        draft = '"DRAFT \\2014  not a determination"'
        css += ("@page { @top-right { content: " + draft + "; color: #b00020; font-weight: bold; } } "
                "@page :first { @top-right { content: " + draft + "; color: #b00020; font-weight: bold; } }")
    return css


def load_renderers() -> None:
    """Load WeasyPrint and matplotlib now. Commands and the web load them with their first PDF;
    a worker loads them as it starts (config.celery), so that no report waits for them."""
    import matplotlib.figure  # noqa: F401
    import weasyprint  # noqa: F401


def render_report_html(ctx: ReportContext) -> str:
    view = build_view(ctx)
    return render_to_string("reports/report.html", {"v": view, "page_css": _page_css(view)})


def pdf_identifier(ctx: ReportContext) -> bytes:
    seed = f"{ctx.district_id}|{ctx.cycle}|{ctx.submission_version}|{ctx.workbook_sha256}|{ctx.rule_set_version}"
    return hashlib.sha256(seed.encode()).hexdigest()[:32].encode("ascii")


def _struct_kids(element, by_ref: dict) -> list:
    return [by_ref[k] for k in element.get("K", []) if isinstance(k, bytes) and k in by_ref]


def figures_hold_captions(_document, pdf) -> None:
    """A <figcaption> becomes the last kid of its figure's Figure element (PDF/UA: a Figure holds
    its Caption); WeasyPrint tags the <img> as the Figure and the caption as its sibling."""
    elements = {o.reference: o for o in pdf.objects
                if isinstance(o, pydyf.Dictionary) and o.get("Type") == "/StructElem"}
    for caption in [e for e in elements.values() if e.get("S") == "/Caption"]:
        parent = elements.get(caption.get("P"))
        if parent is None or parent.get("S") == "/Table":
            continue
        figures = [k for k in _struct_kids(parent, elements) if k.get("S") == "/Figure"]
        figures += [g for k in _struct_kids(parent, elements) if k.get("S") == "/NonStruct"
                    for g in _struct_kids(k, elements) if g.get("S") == "/Figure"]
        if len(figures) != 1:
            continue
        parent["K"] = pydyf.Array([k for k in parent["K"] if k != caption.reference])
        figures[0]["K"].append(caption.reference)
        caption["P"] = figures[0].reference


def html_to_pdf(html: str, ctx: ReportContext) -> bytes:
    from weasyprint import HTML  # heavy import: only where a PDF is made

    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(
        pdf_variant="pdf/ua-1",  # implies pdf_tags=True and PDF 1.7
        pdf_identifier=pdf_identifier(ctx),
        custom_metadata=True,  # the <meta> workbook hash and rule set reach the PDF's info dict
        finisher=figures_hold_captions,
    )


def render_report_pdf(ctx: ReportContext) -> bytes:
    return html_to_pdf(render_report_html(ctx), ctx)
