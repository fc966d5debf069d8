"""HTTP probes of the job URL: status, a few headers and the start of the body, recorded."""
from __future__ import annotations

import re
from typing import Any

from .errors import Unreachable
from .tape import Tape

KEPT_HEADERS = ("content-type", "server", "location", "www-authenticate", "x-envoy-upstream-service-time")


def probe(tape: Tape, url: str, auth: str | None = None, cookies: dict | None = None,
          timeout: float = 10.0, label: str = "") -> dict[str, Any]:
    """GET ``url`` without following redirects. ``auth`` is a whole Authorization header value;
    only ``label`` (e.g. "basic") identifies it in a recording, never the value."""
    params = {"url": url, "auth": label or ("set" if auth else None)}

    def fetch() -> dict[str, Any]:
        import requests

        headers = {"Authorization": auth} if auth else {}
        try:
            response = requests.get(url, headers=headers, cookies=cookies or {}, timeout=timeout,
                                    allow_redirects=False)
        except requests.RequestException as error:
            raise Unreachable(f"{url} unreachable: {type(error).__name__}") from None
        return {"status": response.status_code,
                "headers": {k: _scrub(v) for k, v in response.headers.items()
                            if k.lower() in KEPT_HEADERS},
                "body": _scrub(response.text[:512])}
    return tape.read("http", "probe", params, fetch)


_OAUTH_PARAMS = re.compile(r"([?&;](?:amp;)?(?:state|code|code_challenge|session_state|nonce|"
                           r"access_token|id_token|token)=)[^&\s\"'<>]*", re.IGNORECASE)


def _scrub(text: str) -> str:
    """OAuth parameters (state, code, tokens) in a redirect URL or page, replaced by '...'."""
    return _OAUTH_PARAMS.sub(r"\1...", text)
