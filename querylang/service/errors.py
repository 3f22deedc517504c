"""The service's errors, each mirroring a Feathers error and its HTTP status; ``DataError`` for bad data."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from ..errors import Diagnostic, split_shown

__all__ = [
    "BadRequest",
    "DataError",
    "Forbidden",
    "GeneralError",
    "MethodNotAllowed",
    "NotAuthenticated",
    "NotFound",
    "RequestHeaderFieldsTooLarge",
    "ServiceError",
    "Unavailable",
    "Unimplemented",
    "UnsupportedMediaType",
]


class ServiceError(Exception):
    """Base of the service's errors; each mirrors a Feathers error and its HTTP status.

    Not a ``QueryError``: a refused or missing record is not a problem with a query's text.
    A ``BadRequest`` caused by a query carries that query's diagnostics and text instead, and
    the ``QueryError`` as its ``__cause__``.

    Attributes:
        message: what went wrong, for people.
        diagnostics: the problems behind a ``BadRequest`` (errors and warnings); else empty.
        text: the query text the diagnostics' spans point into ("" for a body).
    """

    name: ClassVar[str] = "GeneralError"
    code: ClassVar[int] = 500
    class_name: ClassVar[str] = "general-error"

    def __init__(self, message: str, diagnostics: Iterable[Diagnostic] = (), text: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)
        self.text = text

    def to_dict(self) -> dict[str, object]:
        """The error as Feathers sends it: ``name``, ``message``, ``code``, ``className``, ``data``.

        ``data`` (the diagnostics as dicts) is present only when there are diagnostics, as
        Feathers leaves out an undefined ``data``. It holds the first ``MAX_SHOWN_DIAGNOSTICS``
        (20); the message then says how many more there are (``diagnostics`` keeps them all).
        """
        body: dict[str, object] = {
            "name": self.name,
            "message": self.message,
            "code": self.code,
            "className": self.class_name,
        }
        if self.diagnostics:
            first, more = split_shown(self.diagnostics)
            body["data"] = [d.to_dict() for d in first]
            if more:
                body["message"] = f"{self.message} (data: the first {len(first)} diagnostics, and {more} more)"
        return body


class BadRequest(ServiceError):
    """400: the query or the body is not valid; ``diagnostics`` says why, every problem at once."""

    name, code, class_name = "BadRequest", 400, "bad-request"

    @classmethod
    def from_diagnostics(cls, what: str, diagnostics: Iterable[Diagnostic], text: str = "") -> BadRequest:
        """A BadRequest whose message is the first error's headline (``invalid body: ...``)."""
        found = tuple(diagnostics)
        errors = [d for d in found if d.severity == "error"] or list(found)
        message = f"invalid {what}: {errors[0].headline}" if errors else f"invalid {what}"
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more)"
        return cls(message, found, text)


class NotAuthenticated(ServiceError):
    """401: the request names no acting user, or not in a form the service reads."""

    name, code, class_name = "NotAuthenticated", 401, "not-authenticated"


class Forbidden(ServiceError):
    """403: the acting user may not read or update this contact's communications."""

    name, code, class_name = "Forbidden", 403, "forbidden"


class NotFound(ServiceError):
    """404: no such contact, no such record for the route's contact, or no such path."""

    name, code, class_name = "NotFound", 404, "not-found"


class MethodNotAllowed(ServiceError):
    """405: the path exists but does not answer this HTTP method."""

    name, code, class_name = "MethodNotAllowed", 405, "method-not-allowed"


class UnsupportedMediaType(ServiceError):
    """415: a PATCH body that is not ``application/json`` in UTF-8."""

    name, code, class_name = "UnsupportedMediaType", 415, "unsupported-media-type"


class RequestHeaderFieldsTooLarge(ServiceError):
    """431: a query string longer than the server reads (``http.MAX_QUERY_STRING``)."""

    name, code, class_name = "RequestHeaderFieldsTooLarge", 431, "request-header-fields-too-large"


class Unimplemented(ServiceError):
    """501: the server lacks an optional package this route needs; the message names the extra."""

    name, code, class_name = "NotImplemented", 501, "not-implemented"


class Unavailable(ServiceError):
    """503: the service cannot answer now (its database does not answer)."""

    name, code, class_name = "Unavailable", 503, "unavailable"


class GeneralError(ServiceError):
    """500: something failed inside the service."""


class DataError(ValueError):
    """The service's data (records, users, contacts, teams) is not valid; the message says where."""
