"""Email backends that misbehave on purpose, for the sending tests."""

import smtplib

from django.core import mail
from django.core.mail.backends import locmem


class WorkerDied(BaseException):
    """Raised like a SIGKILL would end a worker: nothing in the app catches it."""


class DyingBackend(locmem.EmailBackend):
    """Delivers ``die_after`` messages in total, then the worker "dies"."""

    die_after = None

    def send_messages(self, messages):
        if DyingBackend.die_after is not None and len(mail.outbox) >= DyingBackend.die_after:
            raise WorkerDied
        return super().send_messages(messages)


class RefusingBackend(locmem.EmailBackend):
    """The mail server refuses the addresses in ``refused``."""

    refused = set()

    def send_messages(self, messages):
        for message in messages:
            if set(message.to) & RefusingBackend.refused:
                raise smtplib.SMTPRecipientsRefused({message.to[0]: (550, b"No such user")})
        return super().send_messages(messages)
