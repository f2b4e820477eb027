"""The household file in the family's data download (GDPR access): its notes — except those marked as
protecting a third party, which are only counted — with their earlier versions, its referrals, and who
follows it at each hub. Staff names are reduced to first names, as the family sees them elsewhere."""

from __future__ import annotations

from portal.households.key_workers import first_name
from portal.households.vocabulary import DIRECTIONS, NOTE_CATEGORIES, PARTNER_KINDS, REFERRAL_REASONS, label
from portal.tables import HouseholdNote, HouseholdNoteEdit, KeyWorker, Referral


async def household_file(family_id: int) -> dict:
    notes = await HouseholdNote.select(
        HouseholdNote.id, HouseholdNote.category, HouseholdNote.contact_on, HouseholdNote.body,
        HouseholdNote.protects_third_party, HouseholdNote.created_at, HouseholdNote.updated_at,
        HouseholdNote.hub.name.as_alias("hub"),
    ).where(HouseholdNote.family == family_id).order_by(HouseholdNote.contact_on).order_by(HouseholdNote.id)
    shared = [note for note in notes if not note["protects_third_party"]]
    edits = await HouseholdNoteEdit.select(
        HouseholdNoteEdit.note, HouseholdNoteEdit.category, HouseholdNoteEdit.contact_on, HouseholdNoteEdit.body,
        HouseholdNoteEdit.edited_at,
    ).where(HouseholdNoteEdit.note.is_in([note["id"] for note in shared] or [0])).order_by(HouseholdNoteEdit.id)
    referrals = await Referral.select(
        Referral.direction, Referral.referred_on, Referral.reason, Referral.consent, Referral.consent_on,
        Referral.hub.name.as_alias("hub"), Referral.partner.name.as_alias("partner"),
        Referral.partner.kind.as_alias("partner_kind"), Referral.activity.title.as_alias("activity"),
    ).where(Referral.family == family_id).order_by(Referral.referred_on)
    workers = await KeyWorker.select(KeyWorker.hub.name.as_alias("hub"), KeyWorker.staff.name.as_alias("name")).where(
        KeyWorker.family == family_id)
    return {
        "notes": [{
            "hub": note["hub"], "category": label(NOTE_CATEGORIES, note["category"]), "contact_on": note["contact_on"],
            "text": note["body"], "written_at": note["created_at"], "updated_at": note["updated_at"],
            "earlier_versions": [{"category": label(NOTE_CATEGORIES, e["category"]), "contact_on": e["contact_on"],
                                  "text": e["body"], "replaced_at": e["edited_at"]}
                                 for e in edits if e["note"] == note["id"]],
        } for note in shared],
        "notes_withheld_to_protect_others": len(notes) - len(shared),
        "referrals": [{
            "hub": row["hub"], "direction": label(DIRECTIONS, row["direction"]), "date": row["referred_on"],
            "partner": row["partner"], "partner_kind": label(PARTNER_KINDS, row["partner_kind"]),
            "service": row["activity"] or "", "reason": label(REFERRAL_REASONS, row["reason"]),
            "consent": bool(row["consent"]), "consent_date": row["consent_on"],
        } for row in referrals],
        "followed_by": [{"hub": row["hub"], "key_worker": first_name(row["name"])} for row in workers],
    }
