"""The built-in schema: the LionDesk contact-communication record (docs/semantics.md section 3)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .fields import Field, FieldType, Relation
from .model import Schema

__all__ = ["CONTACT_COMMUNICATIONS"]


def _fields(items: Iterable[tuple[str, FieldType, dict[str, Any]]]) -> tuple[Field, ...]:
    return tuple(Field(name, kind, **extra) for name, kind, extra in items)


CONTACT_COMMUNICATIONS = Schema(
    "contact-communications",
    _fields(
        [
            ("id", FieldType.INTEGER, {"required": True, "description": "The contact communication's id"}),
            ("contact_id", FieldType.INTEGER, {"required": True, "description": "The contact it belongs to"}),
            ("campaign_name", FieldType.TEXT, {"description": "The name of the campaign it is a part of"}),
            (
                "type",
                FieldType.ENUM,
                {
                    "values": ("Email Contact", "Call Contact", "Text Contact"),
                    "description": "The type of contact communication",
                },
            ),
            (
                "is_stopped_on_text_reply",
                FieldType.BOOLEAN,
                {"description": "Stop if the contact replies to the text; only relevant if type = Text Contact"},
            ),
            ("template_subject", FieldType.TEXT, {"description": "The subject of the template"}),
            ("template_name", FieldType.TEXT, {"description": "The name of the template used"}),
            ("template_folder_name", FieldType.TEXT, {"description": "The folder the template is stored in"}),
            (
                "is_active",
                FieldType.BOOLEAN,
                {"required": True, "writeable": True, "description": "True until dispatched or completed"},
            ),
            ("send_at", FieldType.DATETIME, {"description": "When it is scheduled to be dispatched"}),
            (
                "completed_at",
                FieldType.DATETIME,
                {"nullable": True, "description": "When it was dispatched; null if not"},
            ),
            ("send_from_user_id", FieldType.INTEGER, {"description": "The agent it is sent from"}),
            (
                "completing_user_id",
                FieldType.INTEGER,
                {"nullable": True, "description": "The user who marked it complete; null if not"},
            ),
        ]
    ),
    (
        Relation("send_from_user", "send_from_user_id", "users", "The user it is sent from"),
        Relation("completing_user", "completing_user_id", "users", "The user who completed it"),
    ),
)
"""The LionDesk contact-communication record (docs/semantics.md section 3); the default schema."""

