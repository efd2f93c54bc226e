"""The domain model: pydantic v2 models with no I/O.

Weights and numbers are `Decimal`; every model forbids unknown keys and
validates on assignment. Derived numbers (achievement, scores) are never
stored here: `tui.scoring` computes them from these models.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_FLOOR, Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictStr,
    model_validator,
)

from .kinds import (  # noqa: F401  (re-exported: the model's vocabulary)
    DEFAULT_LABELS,
    ID_RE,
    NON_NEGATIVE_UNITS,
    SCHEMA_VERSION,
    STATE_ORDER,
    UNITS,
    ActionStatus,
    CycleState,
    Direction,
    Kind,
    SignRole,
    State,
)

HUNDRED = Decimal(100)


def _check_id(value: str) -> str:
    if not ID_RE.fullmatch(value):
        raise ValueError(
            f"{value!r} is not a valid id (use lowercase letters, digits, '.', '_' "
            "or '-', starting with a letter or digit, at most 64 characters)"
        )
    return value


def show_number(value: Decimal) -> str:
    """A number as a person would write it: 99.9 not 99.90, 100 not 1E+2.

    Very large or very small numbers keep an exponent (1.00E+400) instead of
    printing hundreds of digits.
    """
    if not value.is_finite():
        return str(value)
    if value == 0:
        return "0"
    if -7 <= value.adjusted() <= 15:
        return format(value.normalize(), "f")
    return f"{value:.2E}"


def check_weight(value: Decimal) -> Decimal:
    """A weight: a finite number from 0 to 100 with at most 2 decimals.

    Raises ValueError with a message for a person, worded to follow the name
    of the field ("weight: 120 is above 100"); never lets a decimal signal
    (InvalidOperation) escape, whatever the size of the number.
    """
    if not isinstance(value, Decimal) or isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    if not value.is_finite():
        raise ValueError(f"{value} is not a finite number")
    if value < 0:
        raise ValueError(f"{show_number(value)} is negative; a weight is 0 to 100")
    if value > HUNDRED:
        raise ValueError(f"{show_number(value)} is above 100")
    # 0 <= value <= 100 here, so quantizing to hundredths cannot overflow.
    if value != value.quantize(Decimal("0.01")):
        raise ValueError(f"{show_number(value)} has more than 2 decimals")
    return value + 0  # -0 becomes 0


def _check_weight(value: Decimal) -> Decimal:
    return check_weight(value)


def _check_finite(value: Decimal | None) -> Decimal | None:
    if value is not None:
        if not value.is_finite():
            raise ValueError(f"{value} is not a finite number")
        if abs(value) >= Decimal("1e15"):
            raise ValueError(f"{value} is too large (at most 15 digits before the point)")
    return value


# Units of KPIs counted in whole things (meetings held, tickets open, ...): their
# targets and actuals are whole numbers. The shipped templates name such KPIs
# "Number of ..." with unit "count"; an average of counts is a "ratio".
WHOLE_UNITS = frozenset({"count"})


def whole_number_problem(unit: str | None, value: Decimal | None) -> str | None:
    """Why `value` cannot be a value of a KPI in `unit` (a count takes whole
    numbers only), worded to follow the field's name; None when it can."""
    if value is None or unit not in WHOLE_UNITS or not value.is_finite():
        return None
    if value == value.to_integral_value():
        return None
    below = value.to_integral_value(rounding=ROUND_FLOOR)
    return (f"{show_number(value)} is not a whole number; the KPI is counted in whole things "
            f"(unit {unit}): give a whole number ({show_number(below)} or "
            f"{show_number(below + 1)})")


def is_blank(text: str | None) -> bool:
    """Whether a typed text is empty or only white space (which counts as empty)."""
    return text is None or not str(text).strip()


def blank_as_empty(text: str | None) -> str:
    """Free text as it is stored: '' for nothing or only white space, else as typed."""
    return "" if is_blank(text) else str(text)


Id = Annotated[str, AfterValidator(_check_id)]
Weight = Annotated[Decimal, AfterValidator(_check_weight)]
Number = Annotated[Decimal, AfterValidator(_check_finite)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)


# --- role templates -------------------------------------------------------


class RatingScale(Model):
    min: int = 1
    max: int = 5
    labels: list[str] = Field(default_factory=lambda: list(DEFAULT_LABELS))

    @model_validator(mode="after")
    def _check(self) -> RatingScale:
        if self.min >= self.max:
            raise ValueError(f"min {self.min} must be below max {self.max}")
        if self.max - self.min > 100:
            raise ValueError(
                f"scale {self.min}..{self.max} has {self.max - self.min + 1} points; "
                "at most 101 are allowed"
            )
        points = self.max - self.min + 1
        if len(self.labels) != points:
            if "labels" not in self.model_fields_set:
                raise ValueError(
                    f"scale {self.min}..{self.max} needs {points} labels, one per point "
                    "(the default labels are for 1..5 only)"
                )
            raise ValueError(
                f"scale {self.min}..{self.max} needs {points} labels, one per point; "
                f"got {len(self.labels)}"
            )
        return self

    def label(self, rating: int) -> str:
        return self.labels[rating - self.min]

    def contains(self, rating: int) -> bool:
        return self.min <= rating <= self.max


class Band(Model):
    below: Number | None = None
    rating: int


def default_bands() -> list[Band]:
    return [
        Band(below=Decimal(70), rating=1),
        Band(below=Decimal(90), rating=2),
        Band(below=Decimal(105), rating=3),
        Band(below=Decimal(120), rating=4),
        Band(rating=5),
    ]


def check_bands(bands: list[Band], scale: RatingScale) -> None:
    """Raise ValueError unless the bands rise strictly and span the scale."""
    if not bands:
        raise ValueError("bands: at least one band is needed")
    for i, band in enumerate(bands):
        name = f"band {i + 1}"
        if not scale.contains(band.rating):
            raise ValueError(
                f"{name}: rating {band.rating} is off the scale {scale.min}..{scale.max}"
            )
        last = i == len(bands) - 1
        if last and band.below is not None:
            raise ValueError(
                f"{name}: the last band must have no 'below' (it takes everything above)"
            )
        if not last and band.below is None:
            raise ValueError(f"{name}: every band but the last needs 'below'")
        if i:
            prev = bands[i - 1]
            if band.rating <= prev.rating:
                raise ValueError(
                    f"{name}: ratings must increase from band to band "
                    f"({prev.rating} then {band.rating})"
                )
            if band.below is not None and prev.below is not None and band.below <= prev.below:
                raise ValueError(
                    f"{name}: 'below' must increase from band to band "
                    f"({show_number(prev.below)} then {show_number(band.below)})"
                )
    if bands[0].rating != scale.min or bands[-1].rating != scale.max:
        raise ValueError(
            f"bands must cover the scale {scale.min}..{scale.max}: the first band's rating is "
            f"{bands[0].rating} (should be {scale.min}), the last band's is {bands[-1].rating} "
            f"(should be {scale.max})"
        )


class KPIDef(Model):
    id: Id
    name: str = Field(min_length=1)
    kind: Kind = Kind.numeric
    unit: str | None = None
    direction: Direction | None = None
    target: Number | None = None
    weight: Weight
    measurement: str = ""

    # Whether a fractional target of a count is refused here (see ReviewKPI).
    _refuse_fractions: ClassVar[bool] = True

    @model_validator(mode="after")
    def _check(self) -> KPIDef:
        if self.unit is not None and self.unit not in UNITS:
            raise ValueError(f"unit {self.unit!r} is not one of {', '.join(UNITS)}")
        if self.kind is Kind.numeric:
            if self.unit is None:
                raise ValueError("a numeric KPI needs a unit")
            if self.direction is None:
                raise ValueError("a numeric KPI needs a direction ('higher' or 'lower')")
            if self.target is not None and self.target < 0 and self.unit in NON_NEGATIVE_UNITS:
                raise ValueError(f"target {self.target} is negative for unit {self.unit}")
            problem = whole_number_problem(self.unit, self.target)
            if problem and self._refuse_fractions:
                raise ValueError(f"target {problem}")
        elif self.direction is not None or self.target is not None:
            raise ValueError(
                "a rating KPI is judged on the rating scale; it takes no direction or target"
            )
        return self


class KRADef(Model):
    id: Id
    title: str = Field(min_length=1)
    statement: str = ""
    description: str = ""
    weight: Weight
    kpis: list[KPIDef] = Field(min_length=1)


class RoleTemplate(Model):
    schema_: Literal["kpireview.role-template"] = Field(
        default="kpireview.role-template", alias="schema"
    )
    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)
    id: Id
    title: str = Field(min_length=1)
    version: int = Field(default=1, ge=1)
    description: str = ""
    achievement_cap: Number = Decimal(150)
    scale: RatingScale = Field(default_factory=RatingScale)
    bands: list[Band] = Field(default_factory=default_bands)
    kras: list[KRADef] = Field(min_length=1)

    model_config = ConfigDict(extra="forbid", validate_assignment=True, populate_by_name=True)

    @model_validator(mode="after")
    def _check(self) -> RoleTemplate:
        if self.schema_version > SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {self.schema_version} is newer than this program knows "
                f"({SCHEMA_VERSION}); upgrade kpireview"
            )
        if self.achievement_cap <= 0:
            raise ValueError("achievement_cap must be above 0")
        check_bands(self.bands, self.scale)
        check_structure(self.kras)
        return self


def _terms(items: list) -> str:
    return " + ".join(f"{item.id} {show_number(item.weight)}" for item in items)


def weight_problems(kras: list[KRADef] | list[ReviewKRA]) -> list[str]:
    """Every way the weights fail the exactly-100 rule, one message each.

    Each message names the KRAs (and KPIs) it is about, with their weights.
    """
    problems = []
    total = sum((k.weight for k in kras), Decimal(0))
    if total != HUNDRED:
        problems.append(
            f"KRA weights sum to {show_number(total)}, not 100 ({_terms(kras)})"
        )
    for kra in kras:
        sub = sum((p.weight for p in kra.kpis), Decimal(0))
        if sub != HUNDRED:
            problems.append(
                f"KRA {kra.id!r}: KPI weights sum to {show_number(sub)}, not 100 "
                f"({_terms(kra.kpis)})"
            )
    return problems


class StructureError(ValueError):
    """Duplicate ids or weights that do not sum to 100; `problems` has one line each."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def structure_problems(kras: list[KRADef] | list[ReviewKRA]) -> list[str]:
    """Duplicate KRA/KPI ids and weight-sum faults, one message each."""
    problems = []
    seen_kra: set[str] = set()
    seen_kpi: dict[str, str] = {}
    for kra in kras:
        if kra.id in seen_kra:
            problems.append(f"duplicate KRA id {kra.id!r}")
        seen_kra.add(kra.id)
        for kpi in kra.kpis:
            if kpi.id in seen_kpi:
                first = seen_kpi[kpi.id]
                also = f", first used in KRA {first!r}" if first != kra.id else ""
                problems.append(f"duplicate KPI id {kpi.id!r} (in KRA {kra.id!r}{also})")
            else:
                seen_kpi[kpi.id] = kra.id
    return problems + weight_problems(kras)


def check_structure(kras: list[KRADef] | list[ReviewKRA]) -> None:
    """Raise StructureError (a ValueError) listing every structural fault."""
    problems = structure_problems(kras)
    if problems:
        raise StructureError(problems)


# --- people and cycles ----------------------------------------------------


class Person(Model):
    schema_version: int = SCHEMA_VERSION
    id: Id
    name: str = Field(min_length=1)
    login: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._@-]{1,64}$")
    email: str = Field(default="", pattern=r"^$|^[^@\s]+@[^@\s]+\.[^@\s]+$")
    manager: str | None = None
    role: str
    active: StrictBool = True  # strict, as people-index.json's columns are checked


class Cycle(Model):
    schema_version: int = SCHEMA_VERSION
    id: Id
    name: str = Field(min_length=1)
    start: date
    end: date
    state: CycleState = CycleState.planning

    @model_validator(mode="after")
    def _check(self) -> Cycle:
        if self.end < self.start:
            raise ValueError(f"cycle ends ({self.end}) before it starts ({self.start})")
        return self


# --- reviews --------------------------------------------------------------


class Comment(Model):
    author: str
    at: datetime
    text: str


class ReviewKPI(KPIDef):
    """A KPI frozen into a review: its definition plus this person's entry."""

    actual: Number | None = None
    self_rating: int | None = None
    manager_rating: int | None = None
    agreed_rating: int | None = None
    rating_reason: str = ""
    na: bool = False
    na_reason: str = ""
    comments: list[Comment] = Field(default_factory=list)

    # A stored review may hold a fractional count entered before counts took whole
    # numbers only; it stays readable. New values are refused where they enter:
    # `tui.workflow.parse_number` (edits, actuals CSV) and `tui.export` (import).
    _refuse_fractions: ClassVar[bool] = False

    @model_validator(mode="after")
    def _check_actual(self) -> ReviewKPI:
        if (
            self.actual is not None
            and self.actual < 0
            and self.unit in NON_NEGATIVE_UNITS
        ):
            raise ValueError(f"actual {self.actual} is negative for unit {self.unit}")
        return self

    @property
    def agreed(self) -> int | None:
        """The final rating: the agreed one, else the manager's."""
        return self.agreed_rating if self.agreed_rating is not None else self.manager_rating


class ReviewKRA(Model):
    id: Id
    title: str
    statement: str = ""
    description: str = ""
    weight: Weight
    kpis: list[ReviewKPI] = Field(min_length=1)


class Action(Model):
    id: str
    text: str = Field(min_length=1)
    kra_id: str | None = None
    kpi_id: str | None = None
    owner: str
    due: date | None = None
    success_measure: str = ""
    status: ActionStatus = ActionStatus.open
    created_by: str
    created_at: datetime


class SignOff(Model):
    person_id: str
    role: SignRole
    at: datetime
    revision: int
    digest: str = ""  # sha256 of what was signed (tui.workflow.content_digest)


class Review(Model):
    schema_version: int = SCHEMA_VERSION
    id: str
    cycle_id: str
    person_id: str
    person_name: str
    person_login: str = ""
    reviewer_id: str
    reviewer_name: str = ""
    role_id: str
    role_title: str
    role_version: int
    state: State = State.planning
    scale: RatingScale
    bands: list[Band]
    achievement_cap: Number = Decimal(150)
    kras: list[ReviewKRA]
    actions: list[Action] = Field(default_factory=list)
    signoffs: list[SignOff] = Field(default_factory=list)
    revision: int = 0
    created_at: datetime
    updated_at: datetime

    @model_validator(mode="after")
    def _check(self) -> Review:
        if self.schema_version > SCHEMA_VERSION:
            raise ValueError(
                f"schema_version {self.schema_version} is newer than this program knows "
                f"({SCHEMA_VERSION}); upgrade kpireview"
            )
        check_bands(self.bands, self.scale)
        check_structure(self.kras)
        for kpi in self.all_kpis():
            for field in ("self_rating", "manager_rating", "agreed_rating"):
                value = getattr(kpi, field)
                if value is not None and not self.scale.contains(value):
                    raise ValueError(
                        f"KPI {kpi.id!r}: {field} {value} is off the scale "
                        f"{self.scale.min}..{self.scale.max}"
                    )
        return self

    def kpi(self, kpi_id: str) -> ReviewKPI:
        for kra in self.kras:
            for kpi in kra.kpis:
                if kpi.id == kpi_id:
                    return kpi
        raise KeyError(f"review {self.id} has no KPI {kpi_id!r}")

    def kra(self, kra_id: str) -> ReviewKRA:
        for kra in self.kras:
            if kra.id == kra_id:
                return kra
        raise KeyError(f"review {self.id} has no KRA {kra_id!r}")

    def kra_of(self, kpi_id: str) -> ReviewKRA:
        for kra in self.kras:
            if any(k.id == kpi_id for k in kra.kpis):
                return kra
        raise KeyError(f"review {self.id} has no KPI {kpi_id!r}")

    def all_kpis(self) -> list[ReviewKPI]:
        return [kpi for kra in self.kras for kpi in kra.kpis]

    def valid_signoffs(self) -> list[SignOff]:
        return [s for s in self.signoffs if s.revision == self.revision]


class HistoryEntry(Model):
    schema_version: int = SCHEMA_VERSION
    seq: int
    at: datetime
    who: str
    action: str  # set, state, sign, reopen, export, import, action, start
    field: str = ""
    old: str | None = None
    new: str | None = None
    note: str = ""
    revision: int = 0


class Config(BaseModel):
    """config.toml of a data directory."""

    model_config = ConfigDict(extra="forbid")

    # Strict, as `tui.store.Basics` reads these three without pydantic: the app
    # and `doctor` must refuse the same files (allow_as = "yes" is a typo).
    schema_version: int = SCHEMA_VERSION
    organisation: StrictStr = "My organisation"
    hr_admins: list[StrictStr] = Field(default_factory=list)  # logins
    allow_as: StrictBool = False  # --as LOGIN; only for demo data
    default_scale: RatingScale = Field(default_factory=RatingScale)
