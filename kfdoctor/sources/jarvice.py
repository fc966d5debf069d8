"""The JARVICE REST API source (requests): job status and info, recorded."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .errors import AuthFailed, SourceError, Unreachable
from .tape import Tape


@dataclass(frozen=True)
class JarviceOptions:
    url: str
    username: str
    apikey: str = field(default="", repr=False)
    timeout: float = 10.0


class JarviceSource:
    """Calls /jarvice/<endpoint> with username and apikey; the key never reaches a recording."""

    def __init__(self, tape: Tape, options: JarviceOptions):
        self.tape = tape
        self.options = options
        self.requests = 0

    def _call(self, endpoint: str, params: dict) -> Any:
        import requests

        self.requests += 1
        url = f"{self.options.url.rstrip('/')}/jarvice/{endpoint}"
        query = {"username": self.options.username, "apikey": self.options.apikey, **params}
        try:
            response = requests.get(url, params=query, timeout=self.options.timeout)
        except requests.RequestException as error:
            raise Unreachable(f"JARVICE API {self.options.url} unreachable: "
                              f"{type(error).__name__}") from None
        if response.status_code in (401, 403):
            raise AuthFailed(f"JARVICE API rejected user {self.options.username!r} and its API key")
        try:
            data = response.json()
        except ValueError:
            raise SourceError(f"JARVICE API /jarvice/{endpoint}: HTTP {response.status_code}, "
                              "not JSON") from None
        if isinstance(data, dict) and "error" in data and len(data) == 1:
            raise SourceError(f"JARVICE API /jarvice/{endpoint}: {data['error']}")
        return data

    def read(self, endpoint: str, **params: Any) -> Any:
        return self.tape.read("jarvice", endpoint, params, lambda: self._call(endpoint, params))

    def act(self, endpoint: str, **params: Any) -> Any:
        """A call that changes the job (signal, ...): never recorded, refused when replaying."""
        if self.tape.replaying:
            raise SourceError("cannot act on the JARVICE job while replaying a recording")
        return self._call(endpoint, params)
