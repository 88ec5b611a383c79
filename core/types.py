"""Type names for the service and selector signatures.

- ``User``: the project's user model (``settings.AUTH_USER_MODEL``, Django's own ``User``).
- ``AnyUser``: what ``request.user`` holds, that model or the anonymous user; selectors
  take it and scope what an anonymous user sees to nothing.
- ``Actor``: the acting user of a write service, a signed-in user or ``None`` for the
  system (``core.services``). Pages and the API are behind a login, so their
  ``request.user`` is a ``User`` by the time they call a service.

Annotations are evaluated when a module loads, so these are the real classes: import this
module, like any models, once the app registry is ready.
"""

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User

__all__ = ["Actor", "AnyUser", "User"]

AnyUser: TypeAlias = User | AnonymousUser
Actor: TypeAlias = User | None
