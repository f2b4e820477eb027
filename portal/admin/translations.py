"""Activity texts in other languages: staff write a title, summary and description per language for an
activity of their scope; a family reading that language sees them (portal.catalogue.texts). Saving
empty fields removes the translation. Every change is in the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

from portal import audit, db, i18n
from portal.admin.activities import activity as activity_in_scope
from portal.admin.activities import editable_activity
from portal.db import NotFound
from portal.form_fields import Form
from portal.i18n import N_
from portal.identity.staff_access import Staff
from portal.tables import ActivityTranslation

LANGUAGES = tuple(language for language in i18n.LANGUAGES if language != i18n.DEFAULT_LANGUAGE)
FIELDS = {"title": (200, False), "summary": (400, False), "description": (10000, True)}


def _language(language: str) -> str:
    if language not in LANGUAGES:
        raise NotFound(language)
    return language


async def translations_of(staff: Staff, activity_id: int) -> dict[str, dict]:
    """The activity's translations by language (the activity in scope, else 404)."""
    await activity_in_scope(staff, activity_id)
    rows = await ActivityTranslation.select().where(ActivityTranslation.activity == activity_id)
    return {row["language"]: row for row in rows}


async def translation(staff: Staff, activity_id: int, language: str) -> dict:
    """The form's values: the saved translation, or empty fields."""
    found = (await translations_of(staff, activity_id)).get(_language(language))
    return {name: (found or {}).get(name, "") for name in FIELDS}


async def save_translation(staff: Staff, activity_id: int, language: str, values: Mapping[str, Any],
                           now: datetime) -> bool:
    """Save (or, with every field empty, remove) one language's texts. Returns whether one is kept."""
    await editable_activity(staff, activity_id)
    _language(language)
    form = Form(values)
    texts = {name: form.text(name, length, multiline=multiline) for name, (length, multiline) in FIELDS.items()}
    if (texts["summary"] or texts["description"]) and not texts["title"]:
        form.error("title", N_("Enter the title in this language too."))
    form.raise_if_any()
    where = (ActivityTranslation.activity == activity_id) & (ActivityTranslation.language == language)
    async with db.write_transaction():
        await ActivityTranslation.delete().where(where)
        if texts["title"]:
            await ActivityTranslation.insert(ActivityTranslation(
                activity=activity_id, language=language, updated_at=now, **texts))
        await db.bump_revision()
        action = "activity.translation.save" if texts["title"] else "activity.translation.remove"
        await audit.record(staff, action, "activity", activity_id, "", {"language": language}, now)
    return bool(texts["title"])
