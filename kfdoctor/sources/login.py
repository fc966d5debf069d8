"""A real browser-like login through the job URL: oauth2-proxy -> Keycloak's form -> the callback.

``login_probe`` follows redirects with a ``requests.Session``, fills Keycloak's login form, comes
back through ``/oauth2/callback`` with the ``oauth2_proxy_kubeflow`` cookie and loads the
dashboard (and a model's ``/v1/models/<name>``). Its outcome is one recorded read: the steps, their
HTTP statuses, the hosts and paths visited and the error texts shown. Never recorded: the
password, cookie values, tokens, authorization codes or query strings (``state``, ``code``).
"""
from __future__ import annotations

import base64
import re
from html.parser import HTMLParser
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urljoin, urlsplit

from .tape import Tape

COOKIE_NAME = "oauth2_proxy_kubeflow"
GOTTY_BASIC = "Basic " + base64.b64encode(b"kfdoctor:gotty-probe").decode()   # not a secret
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_ERROR_IDS = ("input-error", "input-error-username", "input-error-password")
_ERROR_CLASSES = ("alert-error", "pf-m-danger", "kc-feedback-text", "pf-v5-c-alert__title",
                  "kc-alert-title", "alert-warning", "pf-m-warning")


def _scrub(url: str) -> str:
    """scheme://host/path of a URL: no query (state, code, session ids), no credentials."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


class _Page(HTMLParser):
    """Keycloak's login form (action and inputs), its error texts, and the page title/text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.form_action: str | None = None
        self.inputs: dict[str, str] = {}
        self.in_login_form = False
        self.other_forms: list[str] = []
        self.title = ""
        self.errors: list[str] = []
        self.text: list[str] = []
        self._stack: list[tuple[str, bool]] = []
        self._capture: list[str] = []
        self._in_title = False
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "style"):
            self._skip += 1
        if tag == "title":
            self._in_title = True
        if tag == "form":
            if a.get("id") == "kc-form-login" or ("password" in (a.get("action") or "")
                                                   and self.form_action is None):
                self.form_action, self.in_login_form = a.get("action"), True
            else:
                self.other_forms.append(a.get("action") or "")
        if tag == "input" and self.in_login_form and a.get("name"):
            self.inputs[a["name"]] = a.get("value", "")
        if tag in ("input", "br", "img", "meta", "link"):
            return
        is_error = a.get("id") in _ERROR_IDS or any(c in (a.get("class") or "").split()
                                                    for c in _ERROR_CLASSES)
        self._stack.append((tag, is_error))
        if is_error:
            self._capture.append("")

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1
        if tag == "title":
            self._in_title = False
        if tag == "form":
            self.in_login_form = False
        while self._stack:
            open_tag, is_error = self._stack.pop()
            if is_error:
                text = " ".join(self._capture.pop().split())
                if text and text not in self.errors:
                    self.errors.append(text)
            if open_tag == tag:
                break

    def handle_data(self, data):
        if self._skip:
            return
        if self._in_title:
            self.title += data
        if self._capture:
            self._capture = [c + data for c in self._capture]
        if data.strip():
            self.text.append(data.strip())


def _parse(html: str) -> _Page:
    page = _Page()
    try:
        page.feed(html)
    except Exception:  # noqa: BLE001 - a broken page is still a page
        pass
    return page


def _session(verify: bool | str):
    import requests
    from requests.cookies import RequestsCookieJar

    class LoopbackSecure(DefaultCookiePolicy):
        """Send Secure cookies to http://127.0.0.1 too, as browsers treat loopback as secure."""

        def return_ok_secure(self, cookie, request):
            host = urlsplit(request.get_full_url()).hostname
            return host in _LOOPBACK or super().return_ok_secure(cookie, request)

    class Browser(requests.Session):
        def prepare_request(self, request):
            prepared = super().prepare_request(request)
            jar = prepared._cookies
            if isinstance(jar, RequestsCookieJar):
                jar.set_policy(LoopbackSecure())
                prepared.headers.pop("Cookie", None)
                prepared.prepare_cookies(jar)
            return prepared

    session = Browser()
    session.cookies.set_policy(LoopbackSecure())
    session.verify = verify
    session.headers["User-Agent"] = "kfdoctor-login-probe"
    return session


class _Flow:
    def __init__(self, job_url: str, timeout: float, verify: bool | str):
        self.job_url = job_url.rstrip("/") + "/"
        self.timeout = timeout
        self.session = _session(verify)
        self.steps: list[dict] = []

    def record(self, step: str, response, **extra) -> dict:
        hops = [{"status": r.status_code, "url": _scrub(r.url)} for r in response.history]
        page = _parse(response.text) if "html" in response.headers.get("content-type", "") else None
        entry = {"step": step, "status": response.status_code, "url": _scrub(response.url),
                 "redirects": hops, **extra}
        body = response.text.strip()
        if page is not None:
            entry["title"] = " ".join(page.title.split())
            if page.errors:
                entry["errors"] = page.errors
            if response.status_code >= 400:
                words = [t for t in page.text if t.strip() != page.title.strip()]
                entry["message"] = " ".join(" ".join(words).split())[:300]
        elif body and response.status_code >= 400:
            entry["body"] = body[:300]
        self.steps.append(entry)
        return entry

    def get(self, step: str, url: str, headers: dict | None = None, **extra):
        response = self.session.get(url, timeout=self.timeout, headers=headers or {})
        return response, self.record(step, response, **extra)

    @property
    def cookie(self) -> bool:
        return any(c.name == COOKIE_NAME or c.name.startswith(COOKIE_NAME + "_")
                   for c in self.session.cookies)


def _failure(flow: _Flow, step: str, error: str, **extra) -> dict:
    return {"ok": False, "failed_step": step, "error": error, "steps": flow.steps,
            "cookie": flow.cookie, **extra}


def _error_text(entry: dict) -> str:
    parts = [*entry.get("errors", [])]
    if entry.get("body"):
        parts.append(entry["body"])
    if entry.get("message"):
        parts.append(entry["message"])
    if not parts and entry.get("title"):
        parts.append(entry["title"])
    return "; ".join(parts) or f"HTTP {entry['status']}"


def run_login(job_url: str, username: str, password: str, model: str | None = None,
              basic_header: bool = False, verify: bool | str = True,
              timeout: float = 15.0) -> dict[str, Any]:
    """The login, step by step (not recorded: ``login_probe`` records it)."""
    import requests

    flow = _Flow(job_url, timeout, verify)
    try:
        response, entry = flow.get("open the job URL", flow.job_url)
        if response.status_code == 403 and "RBAC: access denied" in response.text:
            return _failure(flow, entry["step"], "the gateway answered 403 RBAC: access denied "
                            "before any login")
        page = _parse(response.text)
        if page.form_action is None:
            start = next((a for a in page.other_forms if "/oauth2/start" in a or "sign_in" in a),
                         None)
            if start is not None:   # oauth2-proxy's sign-in page (skip_provider_button = false)
                response, entry = flow.get("oauth2-proxy sign-in button",
                                           urljoin(response.url, start))
                page = _parse(response.text)
        if page.form_action is None:
            if response.status_code == 200 and flow.cookie:
                pass   # already logged in (cannot happen with a fresh session)
            return _failure(flow, entry["step"], "no Keycloak login form reached: "
                            f"{_error_text(entry)} (HTTP {response.status_code} at "
                            f"{entry['url']})")
        keycloak_host = urlsplit(response.url).netloc
        form = dict(page.inputs)
        form.update({"username": username, "password": password})
        form.setdefault("credentialId", "")
        response = flow.session.post(urljoin(response.url, page.form_action), data=form,
                                     timeout=timeout)
        entry = flow.record("submit the Keycloak login form", response)
        if urlsplit(response.url).netloc == keycloak_host and "/oauth2/callback" not in \
                response.url:
            after = _parse(response.text)
            what = "login form shown again" if after.form_action else "Keycloak page shown"
            return _failure(flow, "Keycloak login", f"{what}: {_error_text(entry)}",
                            keycloak_errors=after.errors)
        callback = next((h for h in entry["redirects"] + [entry]
                         if h["url"].endswith("/oauth2/callback")), None)
        if response.status_code >= 400:
            step = "oauth2-proxy callback" if response.url and \
                _scrub(response.url).endswith("/oauth2/callback") else "dashboard"
            return _failure(flow, step, f"HTTP {response.status_code}: {_error_text(entry)}")
        if callback is None and not flow.cookie:
            return _failure(flow, "oauth2-proxy callback", "the login did not come back through "
                            "/oauth2/callback")
        if not flow.cookie:
            return _failure(flow, "oauth2-proxy callback", f"no {COOKIE_NAME} cookie was set")
        response, entry = flow.get("load the dashboard", flow.job_url)
        if response.status_code != 200:
            return _failure(flow, entry["step"], f"HTTP {response.status_code}: "
                            f"{_error_text(entry)}")
        if model:
            response, entry = flow.get("load the model", urljoin(flow.job_url, f"v1/models/{model}"),
                                       model=model)
            if response.status_code != 200:
                return _failure(flow, entry["step"], f"HTTP {response.status_code}: "
                                f"{_error_text(entry)}")
        if basic_header:
            response, entry = flow.get("load the dashboard with GoTTY's Basic header",
                                       flow.job_url, headers={"Authorization": GOTTY_BASIC})
            if response.status_code != 200:
                return _failure(flow, entry["step"], f"HTTP {response.status_code}: "
                                f"{_error_text(entry)}")
        return {"ok": True, "failed_step": None, "error": None, "steps": flow.steps,
                "cookie": True}
    except requests.RequestException as error:
        step = f"after {flow.steps[-1]['step']}" if flow.steps else "open the job URL"
        text = re.sub(r"\?[^\s'\")]*", "?...", " ".join(str(error).split()))[:200]
        if password:
            text = text.replace(password, "<password>")
        return _failure(flow, step, f"{type(error).__name__}: {text}")
    finally:
        flow.session.close()


def login_probe(tape: Tape, job_url: str, username: str, password: str,
                model: str | None = None, basic_header: bool = False,
                verify: bool | str = True) -> dict[str, Any]:
    """Log in as ``username`` through the job URL; recorded (steps and texts, never secrets)."""
    params = {"url": job_url, "user": username, "model": model, "basic_header": basic_header}
    return tape.read("login", "probe", params,
                     lambda: run_login(job_url, username, password, model, basic_header, verify))
