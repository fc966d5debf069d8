"""Errors of sources and of user input."""
from __future__ import annotations


class ConfigError(Exception):
    """Bad input from the user (options, files, credentials): one line on stderr, exit 2."""


class SourceError(Exception):
    """A read that failed; the checks that need it turn into errors naming this cause."""


class Unreachable(SourceError):
    """The server did not answer (refused, timed out, DNS)."""


class AuthFailed(SourceError):
    """The server rejected the credentials."""


class NotFound(SourceError):
    """The object or the API does not exist."""


class Forbidden(SourceError):
    """RBAC denied a read; carries the permission and the kubectl command that grants it."""

    def __init__(self, message: str, permission: str = "", grant: str = ""):
        super().__init__(message)
        self.permission = permission
        self.grant = grant


class Conflict(SourceError):
    """The object changed since it was read (409 Conflict, or a before-state that no longer holds)."""


class NotRecorded(SourceError):
    """Replaying a recording that does not hold this read."""
