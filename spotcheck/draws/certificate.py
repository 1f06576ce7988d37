"""The selected list of a draw for people, and the printable draw certificate (抽取证明).

Shared by the draw's pages and the plan's archive (入卷归档), which puts the same
certificate in its ZIP. The PDF is rendered once per draw and kept in Django's
default storage (``certificates/``): the public page serves the stored bytes.
"""

from __future__ import annotations

from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.template.loader import render_to_string
from django.utils import translation

from spotcheck.directory.models import Entity, Inspector
from spotcheck.draws.models import Commitment
from spotcheck.plans.models import Plan


def selected(c: Commitment) -> list[dict[str, Any]]:
    """Return the selected list for people: names of entities and inspectors beside their codes."""
    record = c.record_data()
    codes = [s["entity"] for s in record["selected"]]
    names = dict(Entity.objects.filter(uscc__in=codes).values_list("uscc", "name"))
    certs = {m for s in record["selected"] for m in s["team"]}
    people = {i.cert_no: i for i in Inspector.objects.filter(cert_no__in=certs).select_related("department")}
    return [{**s, "order": n, "name": names.get(s["entity"], ""),
             "members": [people.get(m) or m for m in s["team"]]}
            for n, s in enumerate(record["selected"], 1)]


def render_certificate(plan: Plan, c: Commitment) -> bytes:
    """Render the draw certificate of a drawn commitment as an A4 PDF with CJK fonts.

    An official document, stored once and served to everyone: always in Chinese,
    whatever the language of the visitor who asked for it first.
    """
    with translation.override("zh-hans"):
        html = render_to_string("draws/certificate.html", {
            "plan": plan, "c": c, "record": c.record_data(), "result": selected(c),
            "witnesses": c.witnesses.all(), "participants": plan.participants.select_related("department"),
        })
    from weasyprint import HTML

    return HTML(string=html).write_pdf()


def certificate_name(c: Commitment) -> str:
    """Return the certificate's name in the storage: the commitment's id and value.

    The value (random, public once committed) keeps a certificate from being served for
    another draw that reuses the id, as a database made again beside old files would.
    """
    return f"certificates/draw-{c.pk}-{c.commitment}.pdf"


def certificate_pdf(plan: Plan, c: Commitment) -> bytes:
    """Return the draw certificate of a drawn commitment: stored bytes, rendered on the first call only.

    Two first requests at once both render; the storage keeps the first file saved, and
    the other's copy (saved under another name) is deleted.
    """
    name = certificate_name(c)
    if default_storage.exists(name):
        with default_storage.open(name, "rb") as stored:
            return stored.read()
    pdf = render_certificate(plan, c)
    saved = default_storage.save(name, ContentFile(pdf))
    if saved != name:
        default_storage.delete(saved)
    return pdf
