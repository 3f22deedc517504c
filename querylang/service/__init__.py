"""The campaign-communications endpoint: find, get and patch in memory, and over HTTP.

``CampaignCommunications`` answers ``/contacts/{contact_id}/campaign-communications`` as the
LionDesk API does (``endpoint``), over a ``MemoryStore`` (``store``), deciding by the rules of
``rules`` (access, the PATCH transition); ``http`` serves it over HTTP (``querylang serve``), with
the check routes (``check``) and the playground page (``playground/``).
"""

from .data import Contact, Team
from .endpoint import CampaignCommunications
from .errors import (
    BadRequest,
    DataError,
    Forbidden,
    GeneralError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    RequestHeaderFieldsTooLarge,
    ServiceError,
    Unavailable,
    Unimplemented,
    UnsupportedMediaType,
)
from .render import format_datetime, jsonable

__all__ = [
    "BadRequest",
    "CampaignCommunications",
    "Contact",
    "DataError",
    "Forbidden",
    "GeneralError",
    "MethodNotAllowed",
    "NotAuthenticated",
    "NotFound",
    "RequestHeaderFieldsTooLarge",
    "ServiceError",
    "Team",
    "Unavailable",
    "Unimplemented",
    "UnsupportedMediaType",
    "format_datetime",
    "jsonable",
]
