"""Login for the portal: a signed session cookie for the pages, HTTP Basic for API clients,
and protection of every state-changing request against cross-site forgery.

- The session cookie is ``HttpOnly``, ``SameSite=Strict``, signed with a per-process secret.
- A state-changing request must come from this origin (``Origin``, else ``Referer``, when present)
  and, when authenticated by the cookie, carry the session's CSRF token (``X-CSRF-Token`` header
  or ``csrf_token`` form field).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import HTTPException, Request

from ..origin import SAFE_METHODS, refuse_cross_site

SESSION_COOKIE = "iophost_portal"
LOGIN_COOKIE = "iophost_portal_login"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"

CredentialCheck = Callable[[str, str], bool]


def fixed_credentials(username: str, password: str) -> CredentialCheck:
    """A credential check against one username and password, in constant time."""

    def check(user: str, given: str) -> bool:
        user_ok = hmac.compare_digest(user.encode(), username.encode())
        password_ok = hmac.compare_digest(given.encode(), password.encode())
        return user_ok and password_ok

    return check


@dataclass
class Identity:
    user: str
    session: str = ""  # the session token when authenticated by cookie; "" for Basic auth


@dataclass
class PortalAuth:
    """Issues and checks session cookies and CSRF tokens."""

    check_credentials: CredentialCheck
    max_age_s: int = 12 * 3600
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    #: Sessions ended by Log out, until they would have expired anyway: ``token → expiry``.
    _revoked: dict[str, float] = field(default_factory=dict)

    def _sign(self, text: str) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()

    def issue_session(self, user: str) -> str:
        payload = f"{user}|{int(time.time()) + self.max_age_s}|{secrets.token_hex(8)}"
        encoded = base64.urlsafe_b64encode(payload.encode()).decode()
        return f"{encoded}.{self._sign(payload)}"

    def session_user(self, token: str | None) -> str | None:
        if not token or "." not in token:
            return None
        encoded, _, signature = token.rpartition(".")
        try:
            payload = base64.urlsafe_b64decode(encoded.encode()).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        if not hmac.compare_digest(signature, self._sign(payload)):
            return None
        user, expires, _nonce = (payload.split("|") + ["", "", ""])[:3]
        if not expires.isdigit() or int(expires) < time.time() or token in self._revoked:
            return None
        return user

    def revoke(self, token: str) -> None:
        """End a session now (Log out): its cookie is refused from here on, even if replayed."""
        now = time.time()
        for ended in [t for t, expiry in self._revoked.items() if expiry < now]:
            del self._revoked[ended]
        self._revoked[token] = now + self.max_age_s

    def csrf_token(self, session: str) -> str:
        return self._sign(f"csrf|{session}")

    def login_token(self, nonce: str) -> str:
        return self._sign(f"login|{nonce}")

    def basic_user(self, header: str | None) -> str | None:
        if not header or not header.lower().startswith("basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        return user if self.check_credentials(user, password) else None

    def identify(self, request: Request) -> Identity | None:
        """Who makes this request: a valid session cookie, else valid Basic credentials, else None."""
        token = request.cookies.get(SESSION_COOKIE)
        user = self.session_user(token)
        if user is not None:
            return Identity(user=user, session=token or "")
        user = self.basic_user(request.headers.get("authorization"))
        return Identity(user=user) if user is not None else None


def cross_site_refused(detail: str) -> HTTPException:
    return HTTPException(status_code=403, detail=detail)


async def submitted_csrf(request: Request) -> str:
    token = request.headers.get(CSRF_HEADER, "")
    if token:
        return token
    from .forms import form_fields

    return (await form_fields(request)).get(CSRF_FIELD, "")


async def check_state_change(auth: PortalAuth, request: Request, identity: Identity) -> None:
    """Refuse (403) a state-changing request from another site or without the session's CSRF token."""
    refuse_cross_site(request)
    if request.method in SAFE_METHODS:
        return
    if identity.session:
        token = await submitted_csrf(request)
        if not hmac.compare_digest(token, auth.csrf_token(identity.session)):
            raise cross_site_refused("missing or wrong CSRF token")
