"""What the programme and exchange forms accept: validated at the edge, errors keyed by field."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Annotated, TypeVar
from urllib.parse import urlsplit

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from exchange.cleantext import cleaned, cleaned_line
from exchange.i18n import _
from exchange.names import PARTICIPANT_NAME_MAX
from exchange.timeutil import utcnow, zone

M = TypeVar("M", bound=BaseModel)
MAX_AHEAD = timedelta(days=3653)  # how far ahead an exchange may be scheduled: ten years

#: Every text a form takes is cleaned (exchange.cleantext) before its bounds are checked: no control
#: characters, terminal escapes or direction overrides; one-line fields turn newlines into spaces.
OneLine = BeforeValidator(cleaned_line)
MultiLine = BeforeValidator(cleaned)

Title = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=120), OneLine]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000), MultiLine]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=PARTICIPANT_NAME_MAX), OneLine]


class FormErrors(ValueError):
    """Field name -> a sentence to show next to that field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


_FRIENDLY = {
    "string_too_short": lambda e: _("This can't be empty."),
    "missing": lambda e: _("This is required."),
    "string_too_long": lambda e: _("This is too long (at most {n} characters).").format(
        n=e.get("ctx", {}).get("max_length", "")
    ),
    "greater_than_equal": lambda e: _("This must be at least {n}.").format(n=e.get("ctx", {}).get("ge", "")),
    "less_than_equal": lambda e: _("This must be at most {n}.").format(n=e.get("ctx", {}).get("le", "")),
    "int_parsing": lambda e: _("Enter a whole number."),
    "date_from_datetime_parsing": lambda e: _("Enter a date."),
    "date_parsing": lambda e: _("Enter a date."),
    "time_parsing": lambda e: _("Enter a time."),
    "value_error": lambda e: _("Enter a valid email address.") if "email" in str(e.get("msg", "")) else None,
    "string_pattern_mismatch": lambda e: (
        _("Enter a language code such as en, fr or pt-BR.") if tuple(e.get("loc", ())) == ("language",) else None
    ),
}


def parse_form(model: type[M], data: dict[str, object], context: dict[str, object] | None = None) -> M:
    """Validate form data into the model or raise FormErrors with one readable line per field."""
    try:
        return model.model_validate(data, context=context)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "start_date"
            friendly = _FRIENDLY.get(error["type"])
            message = (friendly(error) if friendly else None) or str(error["msg"]).removeprefix("Value error, ")
            errors.setdefault(field, message)
        raise FormErrors(errors) from None


class ProgrammeForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Title
    description: LongText = ""


class MemberForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    email: EmailStr


class ExchangeForm(BaseModel):
    """The facts of an exchange. The start is a wall-clock date and time in the named zone."""

    model_config = ConfigDict(extra="ignore")

    title: Title
    purpose: LongText = ""
    start_date: date
    start_time: time
    timezone: str = Field(max_length=64)
    duration_minutes: int = Field(ge=15, le=480)
    language: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[a-zA-Z]{2,3}(-[a-zA-Z0-9]{2,8})?$")] = (
        "en"
    )
    call_url: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500), OneLine] = ""
    template_key: str = Field(default="story-exchange", max_length=40)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if zone(value) is None:
            raise ValueError(_("Choose a time zone from the list."))
        return value

    @field_validator("call_url")
    @classmethod
    def _web_address(cls, value: str) -> str:
        if value and (urlsplit(value).scheme not in {"http", "https"} or not urlsplit(value).netloc):
            raise ValueError(_("Enter a web address starting with https://"))
        return value

    @model_validator(mode="after")
    def _starts_in_future(self, info: ValidationInfo) -> ExchangeForm:
        # An edit that keeps the start it had may keep a start that has since passed.
        kept = (info.context or {}).get("current_start")
        if self.starts_at() != kept and self.starts_at() <= utcnow():
            raise ValueError(_("The start must be in the future."))
        # Far beyond any real plan, and near year 9999 the UTC time and the end overflow.
        if self.starts_at() > utcnow() + MAX_AHEAD:
            raise ValueError(_("The start must be within the next ten years."))
        return self

    def starts_at(self) -> datetime:
        """The start as an aware datetime in the exchange's zone."""
        tz = zone(self.timezone)
        assert tz is not None  # checked by the validator
        return datetime.combine(self.start_date, self.start_time, tzinfo=tz)


class ParticipantForm(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Name
    context: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200), OneLine] = ""
    country: Annotated[str, StringConstraints(strip_whitespace=True, max_length=80), OneLine] = ""
    email: EmailStr | None = None
    #: The language their emails are written in (a BCP 47 code we write in); "" leaves it to the exchange's.
    language: str = ""

    @field_validator("email", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("language")
    @classmethod
    def _a_language_we_write(cls, value: str) -> str:
        from exchange.programmes.invite_mail import LANGUAGES

        value = value.strip()
        if value and value not in LANGUAGES:
            raise ValueError(_("Choose a language from the list."))
        return value


MAX_RETENTION_DAYS = 3650


class RetentionForm(BaseModel):
    """How many days an ended exchange keeps its stories; blank keeps them without limit."""

    model_config = ConfigDict(extra="ignore")

    retention_days: int | None  # the form always sends it, empty to keep stories without limit

    @field_validator("retention_days", mode="before")
    @classmethod
    def _whole_days(cls, value: object) -> int | None:
        text = value.strip() if isinstance(value, str) else ""
        if isinstance(value, str) and not text:
            return None
        if len(text) <= 4 and text.isascii() and text.isdigit() and 1 <= int(text) <= MAX_RETENTION_DAYS:
            return int(text)
        message = _("Enter a whole number of days from 1 to {max}, or leave it empty to keep stories without limit.")
        raise ValueError(message.format(max=MAX_RETENTION_DAYS))
