"""How every form of the project is drawn: one template, errors summed up at the top, fields marked."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Render ``{{ form }}`` with ``forms/form.html``, found through the project's TEMPLATES setting."""

    form_template_name = "forms/form.html"
