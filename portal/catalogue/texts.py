"""An activity's title, summary and description in the reader's language, where staff wrote them;
otherwise the Italian text, marked as Italian so the page can say so (and set lang="it" on it).
Cards show the title alone, translated the same way for a whole list in one query."""

from __future__ import annotations

from dataclasses import dataclass

from portal import i18n
from portal.tables import ActivityTranslation


@dataclass(frozen=True)
class Text:
    value: str
    language: str  # the language the value is written in


@dataclass(frozen=True)
class ActivityTexts:
    title: Text
    summary: Text
    description: Text

    @property
    def some_in_italian(self) -> bool:
        """Shown to a reader of another language: some of these texts are the Italian ones."""
        return i18n.current_language() != i18n.DEFAULT_LANGUAGE and any(
            text.language == i18n.DEFAULT_LANGUAGE for text in (self.title, self.summary, self.description))


async def activity_texts(slug: str, title: str, summary: str, description: str) -> ActivityTexts:
    """The reader's language where a translation has the field, else the Italian text given."""
    language = i18n.current_language()
    translated: dict = {}
    if language != i18n.DEFAULT_LANGUAGE:
        translated = await ActivityTranslation.select(
            ActivityTranslation.title, ActivityTranslation.summary, ActivityTranslation.description,
        ).where((ActivityTranslation.language == language) & (ActivityTranslation.activity.slug == slug)
                ).first() or {}

    def pick(name: str, italian: str) -> Text:
        value = translated.get(name) or ""
        return Text(value, language) if value.strip() else Text(italian, i18n.DEFAULT_LANGUAGE)

    return ActivityTexts(pick("title", title), pick("summary", summary), pick("description", description))


async def translate_titles(rows: list[dict]) -> list[dict]:
    """Catalogue rows (with `id` and `title`) given the title staff wrote in the reader's language, where
    they did; `title_language` says which language each title is in."""
    language = i18n.current_language()
    for row in rows:
        row["title_language"] = i18n.DEFAULT_LANGUAGE
    if language == i18n.DEFAULT_LANGUAGE or not rows:
        return rows
    ids = [row["id"] for row in rows]
    translated = {found["activity"]: found["title"] for found in await ActivityTranslation.raw(
        f"SELECT activity, title FROM activity_translation WHERE language = {{}}"
        f" AND activity IN ({', '.join('{}' for _ in ids)})", language, *ids) if found["title"].strip()}
    for row in rows:
        if row["id"] in translated:
            row["title"], row["title_language"] = translated[row["id"]], language
    return rows
