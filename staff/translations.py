"""An activity's texts in other languages: the form per language. Thin handlers over portal.admin.translations."""

from __future__ import annotations

from litestar import Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect
from portal.staff import common

from portal.admin import activities as activities_admin
from portal.admin import translations as translations_admin
from portal.form_fields import FormErrors
from portal.i18n import LANGUAGE_NAMES


async def _form(request: Request, activity_id: int, language: str, values: dict, errors: dict,
                status_code: int = 200) -> Response:
    staff = await common.signed_in(request)
    activity = await activities_admin.editable_activity(staff, activity_id)
    return await common.page(request, "staff/activity_translation.html", status_code=status_code, activity=activity,
                             language=language, language_name=LANGUAGE_NAMES[language], values=values,
                             errors=errors)


@get("/staff/attivita/{activity_id:int}/traduzioni/{language:str}")
async def translation_page(request: Request, activity_id: FromPath[int], language: FromPath[str]) -> Response:
    staff = await common.signed_in(request)
    values = await translations_admin.translation(staff, activity_id, language)
    return await _form(request, activity_id, language, values, {})


@post("/staff/attivita/{activity_id:int}/traduzioni/{language:str}")
async def save_translation(request: Request, activity_id: FromPath[int], language: FromPath[str]) -> Response:
    staff = await common.signed_in(request)
    values = await common.form_values(request)
    try:
        await translations_admin.save_translation(staff, activity_id, language, values, common.now())
    except FormErrors as errors:
        return await _form(request, activity_id, language, common.plain(values), errors.by_field, errors.status_code)
    return Redirect(f"/staff/attivita/{activity_id}?esito=traduzione", status_code=303)


translations_router = common.router([translation_page, save_translation])
