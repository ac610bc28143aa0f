"""The plan editor's settings, the method library and plan files, over real HTTP on SQLite and PostgreSQL.

Every setting of every kind saves from the plain form; prompts with unknown placeholders are refused;
templates are versioned and scoped (a programme's own, or the server's, which only leads share);
every shipped plan survives export and import; a plan exported from one server runs the same on
another, with its placeholders filled live and in exports; after the end an exchange page shows the
record, not invite controls, and ended exchanges are listed by the date they ran.
"""

from __future__ import annotations

import html
import json
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from babel.dates import format_date
from sqlmodel import Session, col, select

from exchange.db import make_engine
from exchange.programmes.models import Exchange, PlanTemplate, PlanTemplateVersion
from exchange.prompts.catalog import get_template, list_templates
from exchange.timeutil import utcnow
from tests.integration.test_foundation import form_fields
from tests.support.databases import fresh_database, migrate
from tests.support.live import LiveClient
from tests.support.scenario import Setup, scheduled_exchange
from tests.support.servers import ServerProcess
from tests.support.web import WebClient, created_id, seed_staff

SHIPPED = sorted(plan.key for plan in list_templates())


def text_of(response: httpx.Response) -> str:
    return html.unescape(response.text)


def plain(response: httpx.Response) -> str:
    """The page's words without tags, spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.text)).split())


def field_error(response: httpx.Response, field: str) -> str | None:
    match = re.search(rf'<p class="field__error" id="(?:f-)?{re.escape(field)}-error">([^<]*)</p>', response.text)
    return html.unescape(match.group(1)) if match else None


class Db:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)

    def exchange(self, exchange_id: int) -> Exchange:
        with Session(self.engine) as db:
            found = db.get(Exchange, exchange_id)
            assert found is not None
            return found

    def templates(self) -> list[PlanTemplate]:
        with Session(self.engine) as db:
            return list(db.exec(select(PlanTemplate).order_by(col(PlanTemplate.id))))

    def versions(self, template_id: int) -> list[PlanTemplateVersion]:
        with Session(self.engine) as db:
            query = select(PlanTemplateVersion).where(PlanTemplateVersion.template_id == template_id)
            return list(db.exec(query.order_by(col(PlanTemplateVersion.number))))


@pytest.fixture(scope="module")
def db(server: ServerProcess) -> Iterator[Db]:
    found = Db(server.database_url)
    yield found
    found.engine.dispose()


class Team:
    """A programme with a lead and a facilitator (each logged in), and a draft exchange."""

    def __init__(self, server: ServerProcess, template: str = "story-exchange") -> None:
        tag = uuid.uuid4().hex[:8]
        self.tag = tag
        seed_staff(server.database_url, email=f"lead-{tag}@example.org", name=f"Lead {tag}", role="lead")
        seed_staff(server.database_url, email=f"fac-{tag}@example.org", name=f"Fac {tag}", role="facilitator")
        self.lead = WebClient(server.url)
        self.lead.login(f"lead-{tag}@example.org")
        self.programme_id = created_id(self.lead.post("/programmes", {"name": f"Programme {tag}"}), r"/programmes/(\d+)")
        assert self.lead.post(f"/programmes/{self.programme_id}/members", {"email": f"fac-{tag}@example.org"}).status_code == 303
        self.facilitator = WebClient(server.url)
        self.facilitator.login(f"fac-{tag}@example.org")
        self.exchange_id = self.new_exchange(template)

    def new_exchange(self, template: str, *, client: WebClient | None = None) -> int:
        start = utcnow() + timedelta(days=3)
        response = (client or self.facilitator).post(
            f"/programmes/{self.programme_id}/exchanges",
            {
                "title": f"Exchange {uuid.uuid4().hex[:6]}",
                "start_date": start.date().isoformat(),
                "start_time": "10:00",
                "timezone": "UTC",
                "duration_minutes": "120",
                "language": "en",
                "template_key": template,
            },
        )
        assert response.status_code == 303, text_of(response)
        return created_id(response, r"/exchanges/(\d+)")

    def close(self) -> None:
        self.lead.close()
        self.facilitator.close()


@pytest.fixture
def team(server: ServerProcess) -> Iterator[Team]:
    made = Team(server)
    yield made
    made.close()


def upload(client: WebClient, path: str, content: bytes, fields: dict[str, str] | None = None, name: str = "plan.json") -> httpx.Response:
    data = {"csrf_token": client.csrf, **(fields or {})}
    return client.http.post(path, data=data, files={"plan_file": (name, content, "application/json")})


# --- the editor: every setting from the plain form ----------------------------------------------


def test_every_setting_of_every_kind_saves_from_the_plain_form(server: ServerProcess, team: Team, db: Db) -> None:
    action = f"/exchanges/{team.exchange_id}/plan"
    client = team.facilitator
    kinds = [phase.kind.value for phase in get_template("story-exchange").phases]
    levers, solving, draft = 2, 5, 6

    # A selection phase added from the form starts with real prompts, never a placeholder sentence.
    assert client.post(action, {**form_fields(client.get(action), action), "action": "add", "new_kind": "selection"}).status_code == 303
    added = db.exchange(team.exchange_id).plan["phases"][-1]
    assert added["kind"] == "selection" and added["title"] == "Selection"
    assert "Describe what this phase is for" not in " ".join(added["prompts"])
    sel = len(kinds)

    form = form_fields(client.get(action), action)
    form.update(
        {
            f"p{levers}_f0_label": "Who moves change",  # rename
            f"p{levers}_f0_max": "150",  # resize
            f"p{levers}_f1_remove": "1",  # remove "influence"
            f"p{levers}_fnew_label": "What they risked",  # add
            f"p{levers}_fnew_max": "250",
            f"p{levers}_votes": "2",
            f"p{levers}_card_anonymity": "optional",
            f"p{draft}_sections": "The need\nOur ask",
            f"p{sel}_votes": "2",
            f"p{sel}_domains": "Lives\nDecisions",
            f"p{sel}_prompts": "Choose one story in each domain: {domains}. You have {votes_each}.",
            "p1_turn_minutes": "0.5",
            "p1_speaking_order": "shuffled",
            "p1_listener_prompts": "What I heard...\nWhat surprised me...",
            "p1_prompts": "Tell your story. You have about {turn_length}.",
        }
    )
    response = client.post(action, form)
    assert response.status_code == 303, field_error(response, f"p{levers}_f0_label") or text_of(response)[:3000]
    phases = db.exchange(team.exchange_id).plan["phases"]
    assert phases[levers]["card_fields"] == [
        {"key": "who", "label": "Who moves change", "max_length": 150},
        {"key": "how-engaged", "label": "How they were engaged", "max_length": 500},
        {"key": "what-they-risked", "label": "What they risked", "max_length": 250},
    ]
    assert (phases[levers]["votes_per_person"], phases[levers]["card_anonymity"]) == (2, "optional")
    assert phases[draft]["sections"] == ["The need", "Our ask"]
    assert (phases[sel]["votes_per_person"], phases[sel]["domains"]) == (2, ["Lives", "Decisions"])
    assert (phases[1]["turn_seconds"], phases[1]["speaking_order"]) == (30, "shuffled")
    assert phases[1]["listener_prompts"] == ["What I heard...", "What surprised me..."]
    # The editor says what the placeholder reads as now.
    assert "as saved: 30 seconds" in text_of(client.get(action))

    # An unknown placeholder, or one whose setting is off, is refused with a sentence, and nothing is saved.
    before = db.exchange(team.exchange_id).plan
    form = form_fields(client.get(action), action)
    response = client.post(action, {**form, "p1_prompts": "You have {turn_minuets} minutes."})
    assert response.status_code == 400
    message = field_error(response, "p1_prompts") or ""
    assert "“{turn_minuets}” is not a placeholder this phase knows" in message and "{turn_length}" in message
    response = client.post(action, {**form, "p3_prompts": "You have {votes_each}."})  # commonalities: no votes
    assert "voting is off in this phase" in (field_error(response, "p3_prompts") or "")
    response = client.post(action, {**form, f"p{sel}_domains": ""})
    assert "has none yet" in (field_error(response, f"p{sel}_prompts") or "")
    response = client.post(action, {**form, f"p{levers}_f0_label": "  "})
    assert field_error(response, f"p{levers}_f0_label") == "This can't be empty."
    response = client.post(action, {**form, f"p{levers}_f0_remove": "1", f"p{levers}_f1_remove": "1", f"p{levers}_f2_remove": "1"})
    assert field_error(response, f"p{levers}_card_fields") == "A cards phase needs at least one field."
    response = client.post(action, {**form, f"p{draft}_sections": ""})
    assert field_error(response, f"p{draft}_sections") == "A shared draft needs at least one section."
    # The prompts' promise of anonymous cards still holds.
    response = client.post(action, {**form, f"p{solving}_card_anonymity": "named"})
    assert "promise anonymous cards" in (field_error(response, f"p{solving}_card_anonymity") or "")
    assert db.exchange(team.exchange_id).plan == before

    # The page's order, as its script sends it: moved and removed in one save.
    titles = [phase["title"] for phase in before["phases"]]
    order = [str(i) for i in range(len(titles))]
    order = [order[2], order[0], order[1], *order[4:]]  # phase 3 moved to the top, phase 4 removed
    response = client.post(action, {**form, "ordered": "1", "order": order})  # type: ignore[dict-item]
    assert response.status_code == 303
    assert [phase["title"] for phase in db.exchange(team.exchange_id).plan["phases"]] == [titles[2], titles[0], titles[1], *titles[4:]]
    response = client.post(action, {**form, "ordered": "1", "order": ["0", "0"]})  # type: ignore[dict-item]
    assert response.status_code == 400 and "could not be read" in (field_error(response, "phases") or "")


def test_the_total_is_weighed_against_the_scheduled_length(server: ServerProcess, team: Team) -> None:
    action = f"/exchanges/{team.exchange_id}/plan"
    client = team.facilitator
    assert "120 of 120 scheduled minutes" in plain(client.get(action))
    assert 'data-total-warning role="status" hidden' in client.get(action).text
    assert client.post(action, {**form_fields(client.get(action), action), "p1_minutes": "45"}).status_code == 303
    page = plain(client.get(action))
    assert "130 of 120 scheduled minutes" in page
    warning = "The plan runs 10 minutes longer than the 120 scheduled."
    assert warning in page and 'data-total-warning role="status" hidden' not in client.get(action).text
    assert warning in plain(client.get(f"/exchanges/{team.exchange_id}"))


# --- the method library ----------------------------------------------------------------------


def save_as(client: WebClient, exchange_id: int, **fields: str) -> httpx.Response:
    return client.post(f"/exchanges/{exchange_id}/plan/template", fields)


def test_templates_are_versioned_and_an_exchange_records_its_version(server: ServerProcess, team: Team, db: Db) -> None:
    client, action = team.facilitator, f"/exchanges/{team.exchange_id}/plan"
    response = save_as(client, team.exchange_id, target="new", template_title="Our Kisumu plan", scope="programme", note="First go")
    assert response.status_code == 303
    template = next(t for t in db.templates() if t.title == "Our Kisumu plan")
    assert (template.scope, template.programme_id) == ("programme", team.programme_id)
    assert response.headers["location"].startswith(f"/programmes/{team.programme_id}/library?saved=1")

    # Change the plan and save it again into the same template: version 2, version 1 unchanged.
    assert client.post(action, {**form_fields(client.get(action), action), "p0_title": "Arrival"}).status_code == 303
    assert save_as(client, team.exchange_id, target=str(template.id), note="Shorter welcome").status_code == 303
    v1, v2 = db.versions(template.id or 0)
    assert (v1.number, v2.number) == (1, 2)
    assert v1.plan["phases"][0]["title"] == get_template("story-exchange").phases[0].title
    assert v2.plan["phases"][0]["title"] == "Arrival"
    library = text_of(client.get(f"/programmes/{team.programme_id}/library"))
    assert "Our Kisumu plan" in library and "Version 2" in library and "Earlier versions (1)" in library
    assert "Shorter welcome" in library and "First go" in library

    # A new exchange from the template copies its latest version, and says which.
    exchange_id = team.new_exchange(f"library-{template.id}")
    copied = db.exchange(exchange_id)
    assert copied.template_version_id == v2.id and copied.plan == v2.plan
    assert "From “Our Kisumu plan”, version 2, in the method library." in text_of(client.get(f"/exchanges/{exchange_id}"))
    assert "Copied from “Our Kisumu plan”, version 2" in text_of(client.get(f"/exchanges/{exchange_id}/plan"))
    # A version file downloads as the plan it holds.
    response = client.get(f"/programmes/{team.programme_id}/library/versions/{v1.id}/plan.json")
    assert response.status_code == 200 and "attachment" in response.headers["content-disposition"]
    assert json.loads(response.text)["plan"] == v1.plan


def test_only_leads_share_server_wide_and_programmes_see_only_their_own(server: ServerProcess, db: Db) -> None:
    a, b = Team(server), Team(server)
    try:
        assert save_as(a.facilitator, a.exchange_id, target="new", template_title=f"A only {a.tag}").status_code == 303
        mine = next(t for t in db.templates() if t.title == f"A only {a.tag}")
        # A facilitator can't share with the whole server; nothing is saved.
        count = len(db.templates())
        response = save_as(a.facilitator, a.exchange_id, target="new", template_title="Everyone's", scope="server")
        assert response.status_code == 400
        assert field_error(response, "scope") == "Only programme leads save templates for the whole server."
        assert len(db.templates()) == count
        # A lead can.
        assert save_as(a.lead, a.exchange_id, target="new", template_title=f"Shared {a.tag}", scope="server").status_code == 303
        shared = next(t for t in db.templates() if t.title == f"Shared {a.tag}")
        assert (shared.scope, shared.programme_id) == ("server", None)
        # ...and only a lead adds a version to it.
        response = save_as(a.facilitator, a.exchange_id, target=str(shared.id))
        assert response.status_code == 400 and "Only programme leads" in (field_error(response, "target") or "")
        assert len(db.versions(shared.id or 0)) == 1

        # Programme B sees the server's template, never programme A's.
        page = text_of(b.facilitator.get(f"/programmes/{b.programme_id}/library"))
        assert f"Shared {a.tag}" in page and f"A only {a.tag}" not in page
        assert f"A only {a.tag}" not in text_of(b.facilitator.get(f"/programmes/{b.programme_id}/exchanges/new"))
        [a_version] = db.versions(mine.id or 0)
        for path in (
            f"/programmes/{b.programme_id}/library/versions/{a_version.id}/plan.json",
            f"/programmes/{a.programme_id}/library/versions/{a_version.id}/plan.json",
            f"/programmes/{a.programme_id}/library",
        ):
            assert b.facilitator.get(path).status_code == 404, path
        response = b.facilitator.post(
            f"/programmes/{b.programme_id}/exchanges",
            {"title": "Borrowed", "start_date": (utcnow() + timedelta(days=3)).date().isoformat(), "start_time": "10:00",
             "timezone": "UTC", "duration_minutes": "120", "language": "en", "template_key": f"library-{mine.id}"},
        )  # fmt: skip
        assert response.status_code == 400 and field_error(response, "template_key") is None  # shown under the list
        assert "Choose a plan from the list." in text_of(response)
        response = save_as(b.facilitator, b.exchange_id, target=str(mine.id))
        assert response.status_code == 400 and field_error(response, "target") == "Choose a template from the list."
        assert len(db.versions(mine.id or 0)) == 1
        # B starts an exchange from the shared template.
        exchange_id = b.new_exchange(f"library-{shared.id}")
        assert db.exchange(exchange_id).template_version_id == db.versions(shared.id or 0)[0].id
    finally:
        a.close()
        b.close()


@pytest.mark.parametrize("key", SHIPPED)
def test_every_shipped_plan_round_trips_through_export_and_import(server: ServerProcess, team: Team, db: Db, key: str) -> None:
    client = team.facilitator
    exported = client.get(f"/programmes/{team.programme_id}/library/shipped/{key}/plan.json")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/json")
    assert json.loads(exported.text)["$schema"].endswith("/plan.schema.json")
    title = f"Imported {key} {team.tag}"
    response = upload(client, f"/programmes/{team.programme_id}/library/import", exported.content, {"template_title": title})
    assert response.status_code == 303, text_of(response)
    template = next(t for t in db.templates() if t.title == title)
    [version] = db.versions(template.id or 0)
    assert version.plan == get_template(key).model_dump(mode="json")
    # Into an exchange and out again: the same file.
    exchange_id = team.new_exchange(f"library-{template.id}")
    again = client.get(f"/exchanges/{exchange_id}/plan.json")
    assert json.loads(again.text) == json.loads(exported.text)


BAD_FILES = [
    (b"not json at all", "this is not a JSON file"),
    (b'{"format": "something-else", "plan": {}}', "this is not a plan file"),
    (json.dumps({"format": "story-exchange/plan", "format_version": 1, "plan": {**get_template("story-circles").model_dump(mode="json"), "agreements": []}}).encode(), "plan.agreements"),
]


def _with_prompt(key: str, index: int, prompt: str, **changes: Any) -> bytes:
    plan = get_template(key).model_dump(mode="json")
    plan["phases"][index] = {**plan["phases"][index], "prompts": [prompt], **changes}
    return json.dumps({"format": "story-exchange/plan", "format_version": 1, "plan": plan}).encode()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        *BAD_FILES,
        (_with_prompt("story-exchange", 1, "You have {time_left}."), "plan.phases[1].prompts: “{time_left}” is not a placeholder"),
        (_with_prompt("story-exchange", 2, "Cards are anonymous."), "plan.phases[2].card_anonymity: the prompts promise anonymous cards"),
        (_with_prompt("story-exchange", 1, "Go.", minutes=0), "plan.phases[1].minutes"),
    ],
    ids=["not-json", "not-a-plan", "no-agreements", "unknown-placeholder", "anonymity-promise", "zero-minutes"],
)
def test_a_bad_plan_file_is_refused_with_where_and_why(server: ServerProcess, team: Team, db: Db, content: bytes, message: str) -> None:
    before = len(db.templates())
    response = upload(team.facilitator, f"/programmes/{team.programme_id}/library/import", content)
    assert response.status_code == 400
    error = field_error(response, "plan-file") or ""
    assert error.startswith("This file can't be imported:") and message in error, error
    assert len(db.templates()) == before
    plan_before = db.exchange(team.exchange_id).plan
    response = upload(team.facilitator, f"/exchanges/{team.exchange_id}/plan/import", content)
    assert response.status_code == 400 and message in (field_error(response, "plan-file") or "")
    assert db.exchange(team.exchange_id).plan == plan_before


def test_the_published_schema_is_the_committed_one(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url) as anonymous:
        response = anonymous.get("/plan.schema.json")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/schema+json")
    committed = Path(__file__).resolve().parents[2] / "docs" / "plan.schema.json"
    assert response.json() == json.loads(committed.read_text(encoding="utf-8"))


# --- another server -----------------------------------------------------------------------------


@pytest.fixture
def other_server(database_url: str, tmp_path: Path) -> Iterator[ServerProcess]:
    """A second server with a database of its own, of the same kind as the first."""
    backend = "postgresql" if database_url.startswith("postgresql") else "sqlite"
    with fresh_database(backend, tmp_path / "other") as url:
        migrate(url)
        process = ServerProcess(url, log_path=tmp_path / "other.log")
        process.start()
        try:
            yield process
        finally:
            process.stop()


async def _phase_as_shown(server: ServerProcess, setup: Setup, index: int) -> dict[str, Any]:
    facilitator = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.facilitator)).connect()
    practitioner = await LiveClient(server.ws_url, setup.exchange_id, Setup.cookie(setup.practitioners[0])).connect()
    try:
        await facilitator.ok("start_exchange")
        await facilitator.ok("goto_phase", index=index)
        view = await practitioner.wait_view(lambda v: v.get("phase_index") == index)
        await facilitator.ok("end_exchange")
        return view["phase"]
    finally:
        await facilitator.close()
        await practitioner.close()


async def test_a_plan_exported_from_one_server_runs_the_same_on_another(
    server: ServerProcess, other_server: ServerProcess
) -> None:
    here = scheduled_exchange(server, practitioners=1)
    there = scheduled_exchange(other_server, practitioners=1)
    try:
        # Turns of 30 seconds here: the prompt that said "about {turn_length}" follows.
        action = f"/exchanges/{here.exchange_id}/plan"
        assert here.facilitator.post(f"/exchanges/{here.exchange_id}/status", {"status": "draft"}).status_code == 303
        assert here.facilitator.post(action, {**form_fields(here.facilitator.get(action), action), "p1_turn_minutes": "0.5"}).status_code == 303
        exported = here.facilitator.get(f"/exchanges/{here.exchange_id}/plan.json")
        assert "{turn_length}" in exported.text  # the file keeps the placeholder; each server fills it

        # The other server takes the file into its library and an exchange there copies it.
        their_programme = there.programme_id
        response = upload(there.facilitator, f"/programmes/{their_programme}/library/import", exported.content)
        assert response.status_code == 303, text_of(response)
        assert there.facilitator.post(f"/exchanges/{there.exchange_id}/status", {"status": "draft"}).status_code == 303
        response = upload(there.facilitator, f"/exchanges/{there.exchange_id}/plan/import", exported.content)
        assert response.status_code == 303
        assert there.facilitator.get(f"/exchanges/{there.exchange_id}/plan.json").json()["plan"] == exported.json()["plan"]
        for setup in (here, there):
            assert setup.facilitator.post(f"/exchanges/{setup.exchange_id}/status", {"status": "scheduled"}).status_code == 303

        # Live, both show the same story round, with the placeholders filled in.
        shown_here = await _phase_as_shown(server, here, 1)
        shown_there = await _phase_as_shown(other_server, there, 1)
        assert shown_here == shown_there
        assert shown_here["turn_seconds"] == 30
        assert any("You have about 30 seconds; the timer shows how much is left." in p for p in shown_here["prompts"])
        assert not any("{" in p for p in shown_here["prompts"])

        # And in the exports.
        for setup, srv in ((here, server), (there, other_server)):
            markdown = setup.facilitator.get(f"/exchanges/{setup.exchange_id}/transcript.md").text
            assert "You have about 30 seconds" in markdown and "{turn_length}" not in markdown, srv.url
    finally:
        here.close()
        there.close()


# --- after the end ------------------------------------------------------------------------------


async def test_after_the_end_the_page_shows_the_record_and_lists_by_the_date_it_ran(server: ServerProcess, db: Db) -> None:
    setup = scheduled_exchange(server, practitioners=2)
    try:
        eid, pid = setup.exchange_id, setup.programme_id
        client = setup.facilitator
        page = text_of(client.get(f"/exchanges/{eid}"))
        assert "Revoke link" in page and "Invite a practitioner" in page  # before: the invite controls
        facilitator = await LiveClient(server.ws_url, eid, Setup.cookie(client)).connect()
        await facilitator.ok("start_exchange")
        await facilitator.ok("end_exchange")
        await facilitator.close()
        exchange = db.exchange(eid)
        assert exchange.status == "ended" and exchange.ended_at is not None

        response = client.get(f"/exchanges/{eid}")
        page = plain(response)
        for gone in ("Revoke link", "Issue a new link", "Invite a practitioner", "Add and create link", "/revoke", "/reissue"):
            assert gone not in response.text and gone not in page, gone
        assert "Practitioners in the record" in page and page.count("Named in full") == 2
        assert "The tellers are reviewing the record until" in page  # the review state
        ran = format_date(exchange.ended_at, "full", locale="en")  # dates are written the reader's way (Babel)
        assert f"Ran {ran}" in page

        listing = plain(client.get(f"/programmes/{pid}"))
        ended = listing.split("Ended, most recent first", 1)[1].split("Retention", 1)[0]
        assert exchange.title in ended and f"Ran {ran}" in ended
        planned = format_date(exchange.starts_at, "full", locale="en")
        assert planned not in ended  # the planned date, two days on, is not how it is listed
        # The markdown export fills the placeholders too.
        markdown = client.get(f"/exchanges/{eid}/transcript.md").text
        assert "You have about 7 minutes" in markdown and "{turn_length}" not in markdown
    finally:
        setup.close()
