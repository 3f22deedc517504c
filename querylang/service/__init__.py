"""The campaign-communications endpoint: find, get and patch in memory, and over HTTP.

``CampaignCommunications`` answers ``/contacts/{contact_id}/campaign-communications`` as the
LionDesk API does; ``querylang.service.http`` serves it over HTTP (``querylang serve``).
"""

from .endpoint import (
    BadRequest,
    CampaignCommunications,
    Contact,
    DataError,
    Forbidden,
    GeneralError,
    MethodNotAllowed,
    NotAuthenticated,
    NotFound,
    ServiceError,
    Team,
    format_datetime,
    jsonable,
)

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
    "ServiceError",
    "Team",
    "format_datetime",
    "jsonable",
]
