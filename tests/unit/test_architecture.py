"""Imports flow one way (docs/architecture.md): the base imports no domain package; a domain package
imports the base and only the packages listed for it below; the three web areas never import each
other; only the app factory and the template set-up know the web areas.

A new package or top-level module must be added here and to docs/architecture.md, with what it may import."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# The shared base: it imports only itself (and third-party libraries).
BASE = {"settings", "db", "tables", "taxonomy", "i18n", "links", "form_fields", "shared", "piccolo_conf"}
# What assembles and runs the product: it may import the base and every domain package.
ENTRY_POINTS = {"app", "cli", "web"}
# Domain packages and the other domain packages each may import (besides the base). Keep in step with
# the table in docs/architecture.md.
DOMAIN = {
    "mail": set(),
    "audit": set(),
    "observability": set(),
    "identity": {"audit", "mail", "observability"},
    "booking": {"audit", "mail", "observability"},
    "catalogue": {"booking"},
    "feeds": {"booking", "catalogue", "identity"},
    "households": {"audit", "booking", "catalogue", "identity", "mail"},
    "families": {"booking", "feeds", "households", "identity"},
    "admin": {"audit", "booking", "catalogue", "identity"},
    "operations": {"admin", "audit", "booking", "catalogue", "families", "households", "identity", "mail"},
    "solidarity": {"audit", "identity", "mail", "operations"},
    "demo": {"booking", "catalogue"},
    "maintenance": {"audit", "booking", "families", "mail"},
    "flyers": {"catalogue", "feeds"},
    "opendata": {"catalogue"},
}
# The web areas, installed as portal.public, portal.staff and portal.calendars.
WEB_AREAS = {"public", "staff", "calendars"}
KNOWS_WEB_AREAS = {"portal.app", "portal.web"}
MAX_TOP_LEVEL_MODULES = 12


def product_modules() -> Iterator[tuple[str, Path]]:
    """(dotted name, path) of every product module; migrations aside."""
    for folder, prefix in [("portal", "portal")] + [(area, f"portal.{area}") for area in sorted(WEB_AREAS)]:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if "piccolo_migrations" in parts:
                continue
            yield ".".join((prefix, *parts[:-1], *(() if parts[-1] == "__init__" else parts[-1:]))), path


def imported_names(module: str, path: Path) -> Iterator[tuple[int, str]]:
    """Every module name an import statement names, anywhere in the file (functions included)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            yield node.lineno, base
            for alias in node.names:  # `from portal import audit` names the package portal.audit
                yield node.lineno, f"{base}.{alias.name}"


def part(name: str) -> tuple[str, str] | None:
    """The layer and part a portal module belongs to: ("base", "db"), ("domain", "booking"), ..."""
    pieces = name.split(".")
    if pieces[0] != "portal":
        return None
    if len(pieces) == 1:
        return "base", "__init__"  # the package's own docstring
    top = pieces[1]
    for layer, names in (("area", WEB_AREAS), ("domain", DOMAIN), ("base", BASE), ("entry", ENTRY_POINTS)):
        if top in names:
            return layer, top
    return ("unknown", top) if (ROOT / "portal" / top).exists() or (ROOT / "portal" / f"{top}.py").exists() else None


def refusal(module: str, target: str) -> str | None:
    """Why `module` may not import `target`, or None when it may."""
    source, found = part(module), part(target)
    if found is None or found[1] == source[1]:
        return None
    (layer, name), (target_layer, target_name) = source, found
    if target_layer == "area" and module not in KNOWS_WEB_AREAS:
        return "only portal/app.py and portal/web.py import the web areas"
    if layer == "base" and target_layer != "base":
        return "the base imports only the base"
    if layer == "domain" and target_layer != "base" and target_name not in DOMAIN[name]:
        return f"portal/{name}/ may import the base and {sorted(DOMAIN[name]) or 'no other package'}"
    if layer == "area" and target_layer == "entry" and target_name != "web":
        return "a web area imports the core, never the app, the CLI or the worker"
    return None


def violations() -> list[str]:
    found: dict[tuple[Path, int], str] = {}  # one line per import statement
    for module, path in product_modules():
        for line, target in imported_names(module, path):
            reason = refusal(module, target)
            if reason and (path, line) not in found:
                found[path, line] = f"{path.relative_to(ROOT)}:{line} imports {target}: {reason}"
    return list(found.values())


def test_imports_flow_one_way() -> None:
    found = violations()
    assert not found, "\n".join(found)


def test_every_part_is_declared() -> None:
    unknown = sorted({part(module)[1] for module, _ in product_modules() if part(module)[0] == "unknown"})
    assert unknown == [], "declare these in tests/unit/test_architecture.py and docs/architecture.md"
    packages = {p.parent.name for p in (ROOT / "portal").glob("*/__init__.py")} - {"piccolo_migrations"}
    assert packages == set(DOMAIN)


def test_few_plain_modules_at_the_top_of_portal() -> None:
    modules = {p.stem for p in (ROOT / "portal").glob("*.py")} - {"__init__"}
    assert modules == BASE | ENTRY_POINTS
    assert len(modules) <= MAX_TOP_LEVEL_MODULES


def test_domain_packages_depend_without_cycles() -> None:
    done: set[str] = set()
    while len(done) < len(DOMAIN):
        ready = {name for name, allowed in DOMAIN.items() if name not in done and allowed <= done}
        assert ready, f"a cycle among {sorted(set(DOMAIN) - done)}"
        done |= ready


def test_the_rules_see_a_bad_import() -> None:
    assert refusal("portal.form_fields", "portal.identity.codes")
    assert refusal("portal.booking.rules", "portal.catalogue.browse")
    assert refusal("portal.booking.service", "portal.public.booking")
    assert refusal("portal.public.routes", "portal.staff.common")
    assert refusal("portal.calendars.routes", "portal.app")
    assert refusal("portal.cli", "portal.staff.auth")
    assert refusal("portal.app", "portal.staff.auth") is None
    assert refusal("portal.solidarity.needs", "portal.operations.requests") is None
