"""The survey email: plain text and HTML, with the answer scale as links and an
unsubscribe link. Each email signs the invitation's token afresh (see tokens.py)."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from core.languages import language_codes
from customers.models import Customer

from . import tokens


def absolute_url(path):
    return settings.SITE_URL.rstrip("/") + path


def invitation_links(invitation):
    signed = tokens.sign(invitation.token)
    respond = absolute_url(reverse("surveys_public:respond", args=[signed]))
    return {
        "respond": respond,
        "scale": [(score, f"{respond}?score={score}") for score in invitation.survey.scale],
        "unsubscribe": absolute_url(reverse("surveys_public:unsubscribe", args=[signed])),
    }


def greeting_name(customer, email):
    """Whom the email greets by name: a person customer; for a company, its contact with the
    address the email goes to, else its primary contact, else nobody by name (never the
    company: "Hello Starlight Studios Inc.," reads as a form letter)."""
    if customer.kind == Customer.Kind.PERSON:
        return customer.name
    contacts = list(customer.contacts.all())  # prefetched by the senders
    addressed = [c for c in contacts if email and c.email.lower() == email.lower()]
    primary = [c for c in contacts if c.is_primary]
    chosen = (addressed or primary or [None])[0]
    return chosen.name if chosen else ""


def email_language(customer):
    """The language of the emails to ``customer``: theirs, else the site's default. Never
    the language of whoever happens to send (a worker, a manager's request)."""
    language = customer.language
    return language if language in language_codes() else settings.LANGUAGE_CODE


def invitation_message(invitation, *, reminder=False, connection=None):
    """The invitation (or reminder) email, subject and both bodies in the customer's
    language (``email_language``), which its Content-Language header names. The survey's
    own texts (question, subject, introduction) are what its author wrote."""
    language = email_language(invitation.customer)
    with translation.override(language):
        return _invitation_message(
            invitation, language=language, reminder=reminder, connection=connection
        )


def _invitation_message(invitation, *, language, reminder, connection):
    survey = invitation.survey
    links = invitation_links(invitation)
    context = {
        "survey": survey,
        "customer": invitation.customer,
        "greeting_name": greeting_name(invitation.customer, invitation.email),
        "links": links,
        "reminder": reminder,
        "low_label": _("Not at all likely") if survey.kind == "nps" else _("Very dissatisfied"),
        "high_label": _("Extremely likely") if survey.kind == "nps" else _("Very satisfied"),
    }
    subject = " ".join(survey.email_subject.split())
    if reminder:
        subject = _("Reminder: %(subject)s") % {"subject": subject}
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("surveys/email/invitation.txt", context),
        to=[invitation.email],
        connection=connection,
        headers={"List-Unsubscribe": f"<{links['unsubscribe']}>", "Content-Language": language},
    )
    message.attach_alternative(
        render_to_string("surveys/email/invitation.html", context), "text/html"
    )
    return message
