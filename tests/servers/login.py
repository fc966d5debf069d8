"""A browser-like login through the job URL, for tests: redirects, Keycloak's form, the callback."""
from __future__ import annotations

from dataclasses import dataclass
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import requests

from .oauth2_proxy import COOKIE_NAME


class LoopbackSecurePolicy(DefaultCookiePolicy):
    """Send ``Secure`` cookies to http://127.0.0.1 and localhost, as browsers do (a secure context).

    Keycloak marks its login-session cookies Secure even on plain http."""

    def return_ok_secure(self, cookie, request):
        host = urlsplit(request.get_full_url()).hostname
        return host in ("127.0.0.1", "localhost", "::1") or super().return_ok_secure(cookie, request)


class BrowserSession(requests.Session):
    """A Session whose requests carry Secure cookies to loopback (requests merges cookies into a
    fresh jar per request, so the policy is set on that jar)."""

    def __init__(self):
        super().__init__()
        self.cookies.set_policy(LoopbackSecurePolicy())

    def prepare_request(self, request):
        prepared = super().prepare_request(request)
        prepared._cookies.set_policy(LoopbackSecurePolicy())
        prepared.headers.pop("Cookie", None)
        prepared.prepare_cookies(prepared._cookies)
        return prepared


class _LoginForm(HTMLParser):
    """The action of Keycloak's ``kc-form-login`` form, if the page has one."""

    def __init__(self):
        super().__init__()
        self.action = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and attrs.get("id") == "kc-form-login":
            self.action = attrs.get("action")


@dataclass
class LoginResult:
    """The last response of the dance, and the session holding its cookies."""
    response: requests.Response
    session: requests.Session

    @property
    def cookie(self) -> str | None:
        return self.session.cookies.get(COOKIE_NAME)

    @property
    def ok(self) -> bool:
        return self.response.status_code == 200 and self.cookie is not None


def browser_login(job_url: str, username: str, password: str, path: str = "/",
                  session: requests.Session | None = None, timeout: float = 15) -> LoginResult:
    """GET ``job_url + path``, follow redirects to Keycloak, submit the login form, follow back."""
    session = session or BrowserSession()
    page = session.get(urljoin(job_url, path), timeout=timeout)
    form = _LoginForm()
    form.feed(page.text)
    if form.action is None:
        return LoginResult(page, session)
    response = session.post(urljoin(page.url, form.action), timeout=timeout,
                            data={"username": username, "password": password, "credentialId": ""})
    return LoginResult(response, session)
