"""Redaction of secrets before anything of a bundle is written.

A :class:`Redactor` replaces each secret with a marker ``[REDACTED:<kind>:<tag>]``. The tag is an
HMAC of the value under a random key that lives only in memory for one bundle: two equal secrets
get the same marker (so a check comparing them judges the same offline), yet nothing about a
value can be learned from it. Plugged into ``Tape(redact=...)`` it redacts every read as it is
recorded; :meth:`Redactor.data` and :meth:`Redactor.text` redact results, reports, logs and
events. Every value redacted is also remembered and scrubbed from all later text (a client
secret read from Keycloak that also shows in a pod's log).

What is redacted: Kubernetes Secret ``data``/``stringData`` (and the Secret's
last-applied-configuration), values under secret-like keys (``secret``, ``clientSecret``,
``password``, ``token``, ``apiKey``, ``client-key-data``, ``client-certificate-data``,
``credentials`` ...), environment variables with secret-like names, Authorization headers,
cookies (``oauth2_proxy_kubeflow``, Cookie / Set-Cookie), JWTs (the signature: header and claims
are kept, the token is unusable), secrets in URLs (``apikey=``, ``token=``, ``user:pass@``),
``key = value`` lines of configuration text, PEM private keys, and the secrets kfdoctor was given
(Keycloak admin, probe user, JARVICE API key).

:func:`inventory` lists the markers of a written file (``redactions.json``): where (file, read,
JSON path or line) and what kind, never the value.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import threading
from typing import Any, Iterable, Iterator

MARK_RE = re.compile(r"\[REDACTED:([a-z0-9-]+)(?::[0-9a-f]{8})?\]")
MIN_LEARNED = 6          # shorter values are not scrubbed from free text (too many false hits)
MIN_GIVEN = 4

# Keys (lower-case, without - and _) whose string values are secrets, and the kind recorded.
SECRET_KEYS = {
    "secret": "client-secret", "clientsecret": "client-secret", "cookiesecret": "cookie-secret",
    "password": "password", "passwd": "password", "bindcredential": "password",
    "token": "token", "accesstoken": "token", "refreshtoken": "token", "idtoken": "token",
    "registrationaccesstoken": "token", "bearertoken": "token",
    "apikey": "api-key", "xapikey": "api-key", "secretkey": "api-key", "secretaccesskey": "api-key",
    "clientkeydata": "kubeconfig-credential", "clientcertificatedata": "kubeconfig-credential",
    "privatekey": "private-key", "authorization": "authorization",
    "proxyauthorization": "authorization", "cookie": "cookie", "setcookie": "cookie",
}
SECRET_SUFFIXES = (("secret", "client-secret"), ("password", "password"), ("token", "token"),
                   ("apikey", "api-key"))
CREDENTIAL_FIELDS = ("value", "secretData", "credentialData", "challengeResponse", "hashedSaltedValue")
# secret-like names that hold no secret: references, types, durations ...
NOT_SECRET_NAME = re.compile(r"(name|names|ref|type|file|path|ttl|lifespan|timeout|expire|expires|"
                             r"expiry|length|url|uri|header|mode|policy|endpoint|audience|issuer)$")
COOKIE_ATTRIBUTES = {"path", "domain", "expires", "max-age", "samesite", "secure", "httponly"}
ENV_SECRET = re.compile(r"(?i)(secret|password|passwd|token|api_?key|credential|private_?key|cookie)")
HARMLESS = re.compile(r"(?i)^(true|false|yes|no|on|off|null|none|nil|\d+(\.\d+)?(ms|s|m|h|d)?|"
                      r"\$\(?\{?[\w.]+\}?\)?|\*+)$")

_TEXT_RULES: list[tuple[str, re.Pattern]] = [
    ("private-key", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)",
                               re.S)),
    ("authorization", re.compile(r"(?i)(?P<keep>\b(?:proxy-)?authorization\"?\s*[:=]\s*\"?"
                                 r"(?:(?:bearer|basic|token|negotiate|digest|apikey)\s+)?)"
                                 r"(?!(?:bearer|basic|token|negotiate|digest|apikey)\b)(?P<value>[^\s\",;\[\]]+)")),
    ("token", re.compile(r"(?i)(?P<keep>\bbearer\s+)(?P<value>[A-Za-z0-9._~+/=-]{8,})")),
    # header.claims.signature: keep the first two parts, the signature goes.
    ("jwt", re.compile(r"(?P<keep>\beyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.)(?P<value>[A-Za-z0-9_-]{8,})")),
    ("cookie", re.compile(r"(?P<keep>\boauth2_proxy_kubeflow[A-Za-z0-9_-]*=)(?P<value>[^;\s\"',\[\]]+)")),
    ("api-key", re.compile(r"(?i)(?P<keep>[?&;](?:apikey|api_key|api-key|access_token|id_token|"
                           r"refresh_token|token|password|passwd|client_secret|secret|code)=)"
                           r"(?P<value>[^&#\s\"'<>\[\]]+)")),
    ("password", re.compile(r"(?P<keep>\b[a-zA-Z][a-zA-Z0-9+.-]{0,20}://[^/\s:@\"']{1,256}:)(?P<value>[^@\s/\"']+)(?=@)")),
    ("kubeconfig-credential", re.compile(
        r"(?i)(?P<keep>\b(?:client-key-data|client-certificate-data|id-token|refresh-token)\"?\s*:\s*\"?)"
        r"(?P<value>[^\s\",\[\]]+)")),
    ("auto", re.compile(
        # the name's start stays as it is: matching from the keyword keeps this linear
        r"(?i)(?P<keep>(?:secret|password|passwd|token|apikey|api[_-]key|credentials?)[\w.-]{0,24}?"
        r"\"?\s*[:=]\s*\"?)(?P<value>[^\s\"',;&\[\]]+)")),
]


_COOKIE_HEADER = re.compile(r"(?i)(\b(?:set-)?cookie\"?\s*[:=]\s*\"?)([^\r\n\"]+)")
_MARK_SPLIT = re.compile(r"(\[REDACTED:[a-z0-9-]+(?::[0-9a-f]{8})?\])")


def _outside_markers(text: str, substitute) -> str:
    """Apply ``substitute`` to the parts of ``text`` that are not markers already."""
    if "[REDACTED:" not in text:
        return substitute(text)
    parts = _MARK_SPLIT.split(text)
    return "".join(part if index % 2 else substitute(part) for index, part in enumerate(parts))


class Redactor:
    """Redacts values and text; remembers what it redacted to scrub it everywhere after."""

    def __init__(self, given: Iterable[str] = ()):
        self._key = os.urandom(32)
        self._known: dict[str, str] = {}
        self._pattern: re.Pattern | None = None
        self._lock = threading.Lock()
        for value in given:
            self.learn(value, "known-secret", MIN_GIVEN)

    @classmethod
    def for_settings(cls, settings) -> "Redactor":
        """A redactor that also knows the run's own secrets (passwords, API key)."""
        return cls([settings.keycloak_password, settings.jarvice_apikey,
                    getattr(settings, "probe_password", "")])

    # -- markers and the values learned ---------------------------------------------------
    def mark(self, kind: str, value: Any) -> str:
        tag = hmac.new(self._key, str(value).encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:8]
        return f"[REDACTED:{kind}:{tag}]"

    def learn(self, value: Any, kind: str, minimum: int = MIN_LEARNED) -> None:
        """Remember ``value`` (and its base64 forms) to scrub it from any text later."""
        if not isinstance(value, str):
            return
        value = value.strip()
        if len(value) < minimum or MARK_RE.fullmatch(value):
            return
        forms = {value, base64.b64encode(value.encode()).decode()}
        with self._lock:
            for form in forms:
                if form not in self._known:
                    self._known[form] = kind
                    self._pattern = None

    def _learn_b64(self, value: Any, kind: str) -> None:
        self.learn(value, kind)
        if isinstance(value, str):
            try:
                decoded = base64.b64decode(value, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return
            self.learn(decoded, kind)

    def _known_pattern(self) -> re.Pattern | None:
        with self._lock:
            if self._pattern is None and self._known:
                alternatives = sorted(self._known, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(a) for a in alternatives))
            return self._pattern

    # -- text ------------------------------------------------------------------------------
    def text(self, text: str) -> str:
        """``text`` with every secret pattern and every known secret replaced by a marker."""
        if not isinstance(text, str) or len(text) < 4:
            return text
        text = _COOKIE_HEADER.sub(lambda m: m.group(1) + self._cookie(m.group(2)), text)
        for kind, rule in _TEXT_RULES:
            text = _outside_markers(text, lambda part, kind=kind, rule=rule: rule.sub(
                lambda m: self._sub(m, kind), part))
        pattern = self._known_pattern()
        if pattern is not None:
            text = _outside_markers(text, lambda part: pattern.sub(
                lambda m: self.mark(self._known.get(m.group(0), "known-secret"), m.group(0)), part))
        return text

    def _sub(self, match: re.Match, kind: str) -> str:
        groups = match.groupdict()
        value = groups.get("value", match.group(0)) if "value" in groups else match.group(0)
        if MARK_RE.match(value) or (kind in ("password", "auto") and HARMLESS.match(value)):
            return match.group(0)
        if kind == "auto":
            name = (groups.get("keep") or "").lower()
            if NOT_SECRET_NAME.search(name.rstrip(" \t\"':=")):
                return match.group(0)
            kind = next((k for word, k in (("secret", "secret"), ("passw", "password"),
                                           ("token", "token"), ("key", "api-key"))
                         if word in name), "credentials")
        self.learn(value, kind)
        return (groups.get("keep") or "") + self.mark(kind, value)

    # -- structured data -----------------------------------------------------------------------
    def __call__(self, source: str, op: str, value: Any) -> Any:
        """The Tape hook: the value to record for one read."""
        return self.data(value)

    def data(self, value: Any, key: str | None = None) -> Any:
        """A redacted copy of JSON-like ``value`` (dicts, lists, strings, numbers)."""
        if isinstance(value, dict):
            return self._dict(value)
        if isinstance(value, list):
            return [self.data(item, key) for item in value]
        if isinstance(value, tuple):
            return [self.data(item, key) for item in value]
        if isinstance(value, str):
            return self.text(value)
        return value

    def _dict(self, obj: dict) -> dict:
        out: dict = {}
        is_secret = obj.get("kind") == "Secret" and isinstance(obj.get("metadata"), dict)
        env_secret = isinstance(obj.get("name"), str) and isinstance(obj.get("value"), str) \
            and bool(ENV_SECRET.search(obj["name"]))
        for key, value in obj.items():
            norm = key.lower().replace("-", "").replace("_", "") if isinstance(key, str) else ""
            if is_secret and key in ("data", "stringData") and isinstance(value, dict):
                out[key] = {k: self._secret_value(v, key == "data") for k, v in value.items()}
            elif is_secret and key == "metadata":
                out[key] = self._secret_metadata(value)
            elif env_secret and key == "value":
                out[key] = self._redact_value(value, "password")
            elif norm == "credentials" and isinstance(value, list):
                out[key] = [self._credential(item) for item in value]
            elif norm in ("cookie", "setcookie") and isinstance(value, str):
                out[key] = self._cookie(value)
            elif norm in ("authorization", "proxyauthorization") and isinstance(value, str):
                scheme, _, secret = value.partition(" ")
                out[key] = f"{scheme} {self._redact_value(secret, 'authorization')}" if secret \
                    else self._redact_value(value, "authorization")
            elif (kind := self._secret_key(norm)) and isinstance(value, str) and value \
                    and not HARMLESS.match(value):
                out[key] = self._redact_value(value, kind)
            elif (kind := self._secret_key(norm)) and isinstance(value, list) \
                    and value and all(isinstance(v, str) for v in value):
                out[key] = [self._redact_value(v, kind) if v else v for v in value]
            else:
                out[key] = self.data(value, key)
        return out

    @staticmethod
    def _secret_key(norm: str) -> str | None:
        if norm in SECRET_KEYS:
            return SECRET_KEYS[norm]
        for suffix, kind in SECRET_SUFFIXES:
            if norm.endswith(suffix):
                return kind
        return None

    def _redact_value(self, value: str, kind: str) -> str:
        if MARK_RE.fullmatch(value):
            return value
        self.learn(value, kind)
        return self.mark(kind, value)

    def _secret_value(self, value: Any, encoded: bool) -> Any:
        if not isinstance(value, str) or value == "" or MARK_RE.fullmatch(value):
            return value
        (self._learn_b64 if encoded else self.learn)(value, "secret-data")
        return self.mark("secret-data", value)

    def _secret_metadata(self, meta: Any) -> Any:
        if not isinstance(meta, dict):
            return self.data(meta)
        meta = dict(meta)
        annotations = meta.get("annotations")
        if isinstance(annotations, dict) and \
                "kubectl.kubernetes.io/last-applied-configuration" in annotations:
            annotations = dict(annotations)
            value = annotations["kubectl.kubernetes.io/last-applied-configuration"]
            if not (isinstance(value, str) and MARK_RE.fullmatch(value)):
                annotations["kubectl.kubernetes.io/last-applied-configuration"] = \
                    self.mark("secret-data", value)
            meta["annotations"] = annotations
        return self.data(meta)

    def _credential(self, item: Any) -> Any:
        if not isinstance(item, dict):
            return self._redact_value(item, "credentials") if isinstance(item, str) else item
        return {k: (self._redact_value(v, "credentials") if k in CREDENTIAL_FIELDS and isinstance(v, str)
                    and v else self.data(v)) for k, v in item.items()}

    def _cookie(self, value: str) -> str:
        def one(match: re.Match) -> str:
            if match.group(1)[:-1].strip().lower() in COOKIE_ATTRIBUTES:
                return match.group(0)
            return match.group(1) + self._redact_value(match.group(2), "cookie")
        return re.sub(r"([^=;,\s]+=)([^;,\s]+)", one, value)

    # -- a final pass over what is about to be written ----------------------------------------
    def known_only(self, text: str) -> str:
        """``text`` with only the secrets learned so far replaced (for rendered pages)."""
        pattern = self._known_pattern()
        if pattern is None or not isinstance(text, str):
            return text
        return _outside_markers(text, lambda part: pattern.sub(
            lambda m: self.mark(self._known.get(m.group(0), "known-secret"), m.group(0)), part))

    @property
    def learned(self) -> int:
        return len(self._known)


def walk_markers(value: Any, path: str = "$") -> Iterator[tuple[str, str]]:
    """(JSON path, kind) of every marker inside ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk_markers(item, f"{path}.{key}" if re.fullmatch(r"[A-Za-z_][\w]*", str(key))
                                    else f"{path}[{_quote(key)}]")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from walk_markers(item, f"{path}[{index}]")
    elif isinstance(value, str):
        for match in MARK_RE.finditer(value):
            yield path, match.group(1)


def _quote(key: Any) -> str:
    return '"' + str(key).replace("\\", "\\\\").replace('"', '\\"') + '"'


def inventory_json(file: str, value: Any, read: str | None = None) -> list[dict]:
    entries = []
    for path, kind in walk_markers(value):
        entry = {"file": file, "path": path, "kind": kind}
        if read is not None:
            entry["read"] = read
        entries.append(entry)
    return entries


def inventory_text(file: str, text: str) -> list[dict]:
    entries = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in MARK_RE.finditer(line):
            entries.append({"file": file, "line": number, "kind": match.group(1)})
    return entries
