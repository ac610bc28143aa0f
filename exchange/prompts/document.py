"""A plan as one JSON file: what the method library exports and imports, and its published JSON Schema.

The file is a `PlanDocument`: a fixed format name and version around the plan itself, so a plan
exported from one server runs the same on another. `docs/plan.schema.json` is generated from these
models (`python -m exchange.prompts.document > docs/plan.schema.json`); a test keeps it current.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from exchange.i18n import _
from exchange.prompts.catalog import PlanFileError, _describe_validation_error, _without_echoes, plan_problems
from exchange.prompts.models import PhasePlan

FORMAT = "story-exchange/plan"
FORMAT_VERSION = 1
SCHEMA_ID = "urn:story-exchange:plan-file:1"
MAX_FILE_BYTES = 512 * 1024  # a plan of 30 phases with every list full is far smaller


class PlanDocument(BaseModel):
    """A Story Exchange phase plan, as exported by one server and imported by another."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    schema_: str | None = Field(
        default=None, alias="$schema", max_length=2000, description="Where the schema of this file is published, for editors."
    )
    format: Literal["story-exchange/plan"] = Field(description="What the file holds.")
    format_version: Literal[1] = Field(description="The version of this file format.")
    plan: PhasePlan


def export_text(plan: PhasePlan, *, schema_url: str | None = None) -> str:
    """The plan as the text of a .json file (UTF-8, indented, keys in the models' order).

    `schema_url`: where the exporting server publishes the schema, so an editor can check the file.
    """
    document = PlanDocument(schema_=schema_url, format=FORMAT, format_version=FORMAT_VERSION, plan=plan)
    data = document.model_dump(mode="json", by_alias=True)
    if schema_url is None:
        del data["$schema"]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def import_bytes(raw: bytes, source: str) -> PhasePlan:
    """Read a plan file; PlanFileError with one line per problem, naming where it is."""
    if len(raw) > MAX_FILE_BYTES:
        raise PlanFileError(source, [_("the file is larger than {n} KiB; a plan file is far smaller").format(n=MAX_FILE_BYTES // 1024)])
    try:
        data: Any = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise PlanFileError(source, [_("the file is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise PlanFileError(source, [_("line {line}, column {column}: {message} (this is not a JSON file)").format(line=exc.lineno, column=exc.colno, message=exc.msg)]) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise PlanFileError(source, [_("this is not a plan file: its “format” must be “{format}”").format(format=FORMAT)])
    try:
        document = PlanDocument.model_validate(data)
    except ValidationError as exc:
        errors = _without_echoes(exc.errors())
        raise PlanFileError(source, [_describe_validation_error(error) for error in errors]) from None
    problems = plan_problems(document.plan, where="plan.phases")
    if problems:
        raise PlanFileError(source, problems)
    return document.plan


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of a plan file (draft 2020-12)."""
    schema = PlanDocument.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": SCHEMA_ID,
        **schema,
    }


def schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


if __name__ == "__main__":  # pragma: no cover - the generator of docs/plan.schema.json
    sys.stdout.write(schema_text())
