"""Role templates: TOML files -> validated `RoleTemplate` models, plus the SMART check."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .models import Kind, RoleTemplate, StructureError, show_number
from .scoring import target_warning


class TemplateError(ValueError):
    """A template that cannot be used; `problems` holds one line per fault.

    A ValueError, so callers that turn user-fixable errors into a message
    (the CLI's `run`) show it instead of a traceback.
    """

    def __init__(self, source: str, problems: list[str]):
        self.source = source
        self.problems = problems
        super().__init__("\n".join(f"{source}: {p}" for p in problems))


@dataclass
class CheckResult:
    source: str
    template: RoleTemplate | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def describe_validation_error(exc: ValidationError, data: Any) -> list[str]:
    """Turn pydantic errors into lines that name the KRA/KPI id, not list indexes."""
    lines = []
    for err in exc.errors():
        where = locate(err["loc"], data)
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, StructureError):
            messages = list(cause.problems)
        else:
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = "unknown key"
            elif err["type"] == "missing":
                msg = "required key is missing"
            elif err["type"] in ("model_type", "model_attributes_type", "dict_type"):
                msg = f"should be a table of keys, not {toml_type(err.get('input'))}"
            elif err["type"] == "too_short":
                msg = "needs at least one entry"
            elif err["type"] == "string_too_short":
                msg = "must not be empty"
            elif err["type"] == "list_type":
                msg = f"should be a list (e.g. [[...]] tables), not {toml_type(err.get('input'))}"
            messages = [msg]
        lines += [f"{where}: {m}" if where else m for m in messages]
    return lines


def toml_type(value: Any) -> str:
    """What a value is, in TOML's words."""
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float, Decimal)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date or time"


def locate(loc: tuple[Any, ...], data: Any) -> str:
    """A pydantic error location as a person reads it.

    ("kras", 2, "kpis", 0, "weight") -> "KRA 'revenue' · KPI 'rev-growth' · weight";
    a KRA or KPI without a usable id is "KRA #3"; other list items are counted
    from 1 ("band 2", "labels #1"). Never raises, whatever the data looks like.
    """
    parts: list[str] = []
    node = data
    i = 0
    while i < len(loc):
        key = loc[i]
        nxt = loc[i + 1] if i + 1 < len(loc) else None
        if isinstance(key, str) and isinstance(nxt, int) and not isinstance(nxt, bool):
            items = node.get(key) if isinstance(node, dict) else None
            item = items[nxt] if isinstance(items, list) and 0 <= nxt < len(items) else None
            if key in ("kras", "kpis"):
                ident = item.get("id") if isinstance(item, dict) else None
                label = "KRA" if key == "kras" else "KPI"
                named = isinstance(ident, str) and ident
                parts.append(f"{label} {ident!r}" if named else f"{label} #{nxt + 1}")
            elif key == "bands":
                parts.append(f"band {nxt + 1}")
            else:
                parts.append(f"{key} #{nxt + 1}")
            node = item
            i += 2
            continue
        parts.append(str(key))
        node = node.get(key) if isinstance(node, dict) else None
        i += 1
    return " · ".join(parts)


def parse_text(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        raise TemplateError(source, [f"not valid TOML: {exc}"]) from None


NUMBER_KEYS = {"weight", "target", "below", "achievement_cap", "min", "max", "rating", "version",
               "schema_version"}


def quoted_numbers(node: Any, path: tuple[Any, ...] = (), data: Any = None) -> list[str]:
    """Numbers written as strings ("100"): TOML has numbers, so this is a mistake."""
    if data is None:
        data = node
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, key)
            if key in NUMBER_KEYS and isinstance(value, str):
                found.append(
                    f"{locate(here, data)}: {value!r} is a string; write the number without quotes"
                )
            else:
                found += quoted_numbers(value, here, data)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found += quoted_numbers(item, (*path, i), data)
    return found


def template_from_data(data: dict[str, Any], source: str) -> RoleTemplate:
    quoted = quoted_numbers(data)
    if quoted:
        raise TemplateError(source, quoted)
    try:
        return RoleTemplate.model_validate(data)
    except ValidationError as exc:
        problems = describe_validation_error(exc, data)
        for extra in raw_problems(data):
            if not any(extra in line for line in problems):
                problems.append(extra)
        raise TemplateError(source, problems) from None


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        return None
    number = Decimal(value)
    return number if number.is_finite() and abs(number) < 10**15 else None


def raw_problems(data: Any) -> list[str]:
    """Template-level faults (ids, weight sums, scale and bands) read from the raw data.

    Pydantic skips the template-level checks while any field is wrong, which
    made `templates check` reveal the faults of a file one batch per run; these
    are found on the raw data so every fault is reported at once.
    """
    from types import SimpleNamespace

    from .models import Band, RatingScale, check_bands, default_bands, structure_problems

    if not isinstance(data, dict):
        return []
    problems: list[str] = []
    kras_raw = data.get("kras")
    if isinstance(kras_raw, list) and all(
        isinstance(k, dict) and isinstance(k.get("kpis"), list)
        and all(isinstance(p, dict) for p in k["kpis"]) for k in kras_raw
    ):
        kras = [
            SimpleNamespace(
                id=str(k.get("id", f"#{i + 1}")), weight=_number(k.get("weight")),
                kpis=[SimpleNamespace(id=str(p.get("id", f"#{j + 1}")),
                                      weight=_number(p.get("weight")))
                      for j, p in enumerate(k["kpis"])],
            )
            for i, k in enumerate(kras_raw)
        ]
        if all(x.weight is not None for kra in kras for x in (kra, *kra.kpis)):
            problems += structure_problems(kras)  # type: ignore[arg-type]
    try:
        scale = RatingScale.model_validate(data.get("scale", {}))
        bands_raw = data.get("bands")
        bands = default_bands() if bands_raw is None else [Band.model_validate(b) for b in bands_raw]
        check_bands(bands, scale)
    except (ValidationError, TypeError):
        pass  # reported by the model validation itself
    except ValueError as exc:
        # Worded as the model's own check words it ("band 2: ..."), so that the
        # same fault found both ways is reported once.
        problems.append(str(exc))
    return problems


def load_template(path: Path) -> RoleTemplate:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(str(path), [f"cannot read: {exc}"]) from None
    return template_from_data(parse_text(text, str(path)), str(path))


VAGUE = re.compile(
    r"^\s*(improve|enhance|ensure|maintain|support|foster|strengthen|build|develop|"
    r"promote|encourage|understand|be|work)\b",
    re.IGNORECASE,
)
MEASURABLE = re.compile(
    r"%|\d|\b(number|count|percentage|percent|rate|ratio|score|time|days|hours|revenue|value|"
    r"nps|frequency|achievement|average|total|compliance|feedback|level|share|index|"
    r"identification|comparison|completed|sessions)\b",
    re.IGNORECASE,
)


def smart_warnings(template: RoleTemplate) -> list[str]:
    """The source sheet's rule that KPIs must be SMART, as warnings."""
    warnings = []
    for kra in template.kras:
        for kpi in kra.kpis:
            where = f"KRA {kra.id!r} · KPI {kpi.id!r}"
            if kpi.kind is Kind.numeric and kpi.target is None:
                warnings.append(f"{where}: no target (not Specific/Time-bound)")
            if not kpi.measurement.strip():
                warnings.append(f"{where}: no note on how it is measured (not Measurable)")
            elif says_nothing(kpi.measurement, kpi.name):
                warnings.append(
                    f"{where}: measurement {kpi.measurement.strip()!r} does not say how it is "
                    "measured (not Measurable); say what is counted or computed and where it "
                    "comes from, e.g. 'Closed-won deals in the CRM'"
                )
            if VAGUE.match(kpi.name) and not MEASURABLE.search(kpi.name):
                warnings.append(
                    f"{where}: name {kpi.name!r} is not measurable; say what is counted or scored"
                )
    return warnings + scoring_warnings(template)


def says_nothing(measurement: str, name: str) -> bool:
    """A measurement note too short to say what is counted and where from (fewer than
    three words: "good", "CRM", "see above"), or one that only repeats the KPI's name."""
    words = re.findall(r"\w+", measurement.lower())
    return len(words) < 3 or words == re.findall(r"\w+", name.lower())


def scoring_warnings(template: RoleTemplate) -> list[str]:
    """Targets and caps under which the scoring rules (tui/scoring.py) cannot suggest a
    meaningful rating. Warnings, not errors: a template's target is only the default a
    manager adjusts in planning, and the template still loads."""
    warnings = []
    for kra in template.kras:
        for kpi in kra.kpis:
            if kpi.kind is not Kind.numeric:
                continue
            problem = target_warning(kpi.direction, kpi.target, template.scale)
            if problem is not None:
                warnings.append(f"KRA {kra.id!r} · KPI {kpi.id!r}: {problem}")
    cap = template.achievement_cap
    for i, band in enumerate(template.bands[1:], 1):
        edge = template.bands[i - 1].below
        if edge is not None and cap < edge:
            warnings.append(
                f"achievement_cap {show_number(cap)} is below {show_number(edge)}, where band "
                f"{i + 1} (rating {band.rating}) starts: ratings {band.rating}..{template.scale.max} "
                f"are never suggested; raise achievement_cap to at least {show_number(edge)} or "
                "lower that band's edge"
            )
            break
    first = template.bands[0]
    if first.below is not None and first.below <= 0 and len(template.bands) > 1:
        warnings.append(
            f"band 1 (rating {first.rating}) is for achievement below {show_number(first.below)} %, "
            f"which no actual reaches: rating {first.rating} is never suggested; give band 1 a "
            "'below' above 0 (the default is 70)")
    banded = {b.rating for b in template.bands}
    gaps = [r for r in range(template.scale.min, template.scale.max + 1) if r not in banded]
    if gaps:
        warnings.append(
            f"no band has rating{'s' if len(gaps) > 1 else ''} {', '.join(map(str, gaps))}, so "
            f"{'they are' if len(gaps) > 1 else 'it is'} never suggested (people can still give "
            f"{'them' if len(gaps) > 1 else 'it'}); add a band for each rating of the scale "
            f"{template.scale.min}..{template.scale.max} if the suggestion should reach "
            f"{'them' if len(gaps) > 1 else 'it'}")
    return warnings


def check_file(path: Path) -> CheckResult:
    result = CheckResult(str(path))
    try:
        template = load_template(path)
    except TemplateError as exc:
        result.errors = exc.problems
        return result
    result.template = template
    result.warnings = smart_warnings(template)
    return result


def shipped_template_files() -> list[Path]:
    root = resources.files("role_templates")
    return sorted(
        Path(str(entry)) for entry in root.iterdir() if entry.name.endswith(".toml")
    )


def template_files(extra_dir: Path | None = None) -> list[Path]:
    files = shipped_template_files()
    if extra_dir is not None and extra_dir.is_dir():
        files += sorted(extra_dir.glob("*.toml"))
    return files


def load_all(extra_dir: Path | None = None) -> dict[str, RoleTemplate]:
    """Every template by id; a data-directory template overrides a shipped one."""
    templates: dict[str, RoleTemplate] = {}
    for path in template_files(extra_dir):
        template = load_template(path)
        templates[template.id] = template
    return templates
