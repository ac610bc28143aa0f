"""Themes across a programme's exchanges and search, over a real server (SQLite and PostgreSQL):
consent, off the record, withdrawal and anonymity honoured; accepted themes kept; roles checked."""

from __future__ import annotations

import re
import uuid

from tests.support.servers import ServerProcess
from tests.support.synthesis import SE_LEVERS, SE_PROBLEMS, Person, new_programme, play
from tests.support.web import WebClient, seed_staff


def unmarked(html: str) -> str:
    """The page without the search's highlighting, so a phrase reads whole."""
    return html.replace("<mark>", "").replace("</mark>", "")


def labelled_ids(html: str) -> dict[str, str]:
    """Each theme's name (as its heading shows it) -> its id."""
    found = re.findall(r'id="(t-[0-9a-f]+)">\s*<div class="theme__head">\s*<h2 class="theme__label"><bdi>(.*?)</bdi>', html)
    return {label: theme for theme, label in found}


def theme_ids(html: str) -> list[str]:
    return re.findall(r'<li class="theme theme--\w+" id="(t-[0-9a-f]+)"', html)


async def _two_exchanges(server: ServerProcess):  # noqa: ANN202
    programme = new_programme(server)
    tag = programme.tag
    first = await play(server, programme, title=f"Nairobi {tag}", people=[
        Person("Amina Odhiambo", "Kenya", story=("The imam and the well", "The imam spoke in the mosque about girls at school.")),
        Person("Rosa Quispe", "Peru", story=("Savings circle", "Women's savings group gave them money of their own.")),
        Person("Tomás Vega", "Peru", consent="anonymous", story=(f"Withdrawn wedding {tag}", "A story its teller took back.")),
    ], cards={
        SE_LEVERS: [(0, {"who": "Religious leaders", "influence": "The imam and the pastor", "how-engaged": "Sermons in the mosque and the church"}, False),
                    (1, {"who": "Savings group treasurers", "influence": "Money and loans", "how-engaged": "Weekly savings meetings"}, False)],
        SE_PROBLEMS: [(2, {"challenge": f"Secret anonymous challenge {tag}", "idea": "Savings and loans for widows"}, True),
                      (0, {"challenge": f"Off record card {tag}", "idea": "Keep it quiet"}, False)],
    })  # fmt: skip
    second = await play(server, programme, title=f"Lima {tag}", people=[
        Person("Kofi Mensah", "Ghana", story=("The pastor's sermon", "The pastor preached in church against violence at home.")),
        Person("Lena Diaz", "Peru", consent="initials", story=("Market stall money", "Her market income and savings paid school fees.")),
    ], cards={
        SE_LEVERS: [(0, {"who": "Church elders", "influence": "Faith and the church", "how-engaged": "Religious leaders met at the mosque and church"}, False)],
    })  # fmt: skip
    # Tomás withdraws his story; Amina keeps her second card off the record.
    tomas, amina = first.pages[2], first.pages[0]
    response = tomas.post(f"/e/{first.exchange_id}/record/items", {"action": "withdraw", "item_id": "story-3", "confirm": "yes"})
    assert response.status_code == 303, response.text
    assert amina.post(f"/e/{first.exchange_id}/record/items", {"action": "off", "item_id": "card-4"}).status_code == 303
    return programme, first, second


async def test_themes_show_quotes_and_counts_with_consent_honoured(server: ServerProcess) -> None:
    programme, first, second = await _two_exchanges(server)
    tag = programme.tag
    try:
        page = programme.lead.get(f"/programmes/{programme.id}/themes")
        assert page.status_code == 200, page.text
        html = page.text
        ids = theme_ids(html)
        assert ids, html
        for block in html.split('<li class="theme ')[1:]:
            assert block.count("<blockquote") >= 2  # at least two verbatim quotes per theme
        assert "The imam spoke in the mosque about girls at school." in html
        assert f"Withdrawn wedding {tag}" not in html and f"Off record card {tag}" not in html
        assert "Amina Odhiambo" in html and "L.D." in html and "Lena Diaz" not in html
        assert "Kenya" in html and "By country" in html and f"Nairobi {tag}" in html
        # The anonymous card is there, without its author; an anonymous teller's country is never shown.
        assert f"Secret anonymous challenge {tag}" in html
        card = html.split(f"Secret anonymous challenge {tag}", 1)[1].split("</figure>", 1)[0]
        assert "Tomás" not in card and "Peru" not in card and "Anonymous" in card
        assert "Tomás Vega" not in html
        # The facilitator sees the themes but cannot change them; others get nothing.
        assert programme.facilitator.get(f"/programmes/{programme.id}/themes").status_code == 200
        refused = programme.facilitator.post(f"/programmes/{programme.id}/themes", {"action": "accept", "theme_id": ids[0]})
        assert refused.status_code == 403
        assert 'value="accept"' not in programme.facilitator.get(f"/programmes/{programme.id}/themes").text
        stranger_email = f"other-{uuid.uuid4().hex[:6]}@example.org"
        seed_staff(server.database_url, email=stranger_email, name="Other", role="lead")
        stranger = WebClient(server.url)
        stranger.login(stranger_email)
        for path in ("themes", "search?q=imam", "placements", "selection", "report", "report.pdf"):
            assert stranger.get(f"/programmes/{programme.id}/{path}").status_code == 404, path
        assert stranger.post(f"/programmes/{programme.id}/themes", {"action": "accept", "theme_id": ids[0]}).status_code == 404
        stranger.close()
        anonymous = WebClient(server.url)
        for path in ("themes", "search", "placements", "selection", "report", "report.pdf"):
            response = anonymous.get(f"/programmes/{programme.id}/{path}")
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
        assert programme.lead.post(f"/programmes/{programme.id}/themes", {"action": "accept", "theme_id": ids[0]}, csrf=False).status_code == 403
        anonymous.close()
    finally:
        await first.close()
        await second.close()
        programme.close()


async def test_accepted_renamed_and_split_themes_survive_a_new_grouping(server: ServerProcess) -> None:
    programme, first, second = await _two_exchanges(server)
    tag = programme.tag
    base = f"/programmes/{programme.id}/themes"
    try:
        ids = theme_ids(programme.lead.get(base).text)
        accepted = ids[0]
        response = programme.lead.post(base, {"action": "accept", "theme_id": accepted, "label": f"Faith leaders {tag}"})
        assert response.status_code == 303
        html = programme.lead.get(base).text
        block = html.split(f'id="{accepted}"', 1)[1].split('<li class="theme ', 1)[0]
        assert f"Faith leaders {tag}" in block and "Accepted" in block
        stale = programme.lead.post(base, {"action": "rename", "theme_id": "t-000000000000", "label": "x"})
        assert stale.status_code == 409
        too_long = programme.lead.post(base, {"action": "rename", "theme_id": accepted, "label": "x" * 121})
        assert too_long.status_code == 400
        # A new exchange brings new items: the grouping runs again, the accepted theme stays.
        third = await play(server, programme, title=f"Dakar {tag}", people=[
            Person("Ines Ndiaye", "Senegal", story=("The sheikh", "The sheikh and the imam at the mosque spoke for girls' rights.")),
            Person("Omar Fall", "Senegal", story=("Bakery income", "Her bakery income and savings paid for her shop.")),
        ])  # fmt: skip
        html = programme.lead.get(base).text
        assert accepted in theme_ids(html) and f"Faith leaders {tag}" in html
        block = html.split(f'id="{accepted}"', 1)[1].split('<li class="theme ', 1)[0]
        assert "Accepted" in block
        # Split the accepted theme: both parts are kept, the moved part under its new name.
        keys = re.findall(r'name="move" value="([^"]+)"', block)
        assert len(keys) >= 2
        response = programme.lead.post(base, {"action": "split", "theme_id": accepted, "move": keys[-1], "label": f"Split off {tag}"})
        assert response.status_code == 303
        html = programme.lead.get(base).text
        assert f"Split off {tag}" in html and f"Faith leaders {tag}" in html
        # Merge them back: one kept theme, still accepted, with every item of both.
        ids = theme_ids(html)
        named = labelled_ids(html)
        faith, split_off = named[f"Faith leaders {tag}"], named[f"Split off {tag}"]
        response = programme.lead.post(base, {"action": "merge", "theme_id": faith, "other": split_off, "label": ""})
        assert response.status_code == 303
        html = programme.lead.get(base).text
        assert f"Split off {tag}" not in html and f"Faith leaders {tag}" in html
        block = next(b for b in html.split('<li class="theme ')[1:] if f"Faith leaders {tag}" in b)
        assert "Accepted" in block and len(re.findall(r'name="move" value="([^"]+)"', block)) == len(keys)
        current = theme_ids(html)[0]
        assert programme.lead.post(base, {"action": "merge", "theme_id": current, "other": current}).status_code == 400
        assert programme.lead.post(base, {"action": "merge", "theme_id": current, "other": ids[0]}).status_code in {400, 409}
        await third.close()
    finally:
        await first.close()
        await second.close()
        programme.close()


async def test_search_finds_consented_stories_cards_and_messages_with_filters(server: ServerProcess) -> None:
    programme, first, second = await _two_exchanges(server)
    tag = programme.tag
    base = f"/programmes/{programme.id}/search"

    class Lead:
        @staticmethod
        def get(path: str, params: dict[str, str]):  # noqa: ANN205
            response = programme.lead.get(path, params=params)

            class Page:
                status_code = response.status_code
                text = unmarked(response.text)

            return Page

    try:
        html = programme.facilitator.get(base, params={"q": "pastor"}).text
        assert "preached in church" in html and f"Lima {tag}" in html and "<mark>pastor</mark>" in html.lower()
        assert Lead.get(base, params={"q": tag}).text.count('class="hit"') == 1  # only the anonymous card
        anonymous_hit = Lead.get(base, params={"q": f"Secret anonymous challenge {tag}"}).text
        assert "Anonymous" in anonymous_hit.split('class="hit"', 1)[1] and "Tomás" not in anonymous_hit
        assert 'class="hit"' not in Lead.get(base, params={"q": f"Withdrawn wedding {tag}"}).text
        assert 'class="hit"' not in Lead.get(base, params={"q": f"Off record card {tag}"}).text
        # Prefix search and filters: exchange, country, phase, dates.
        assert "Savings circle" in Lead.get(base, params={"q": "savin"}).text
        only_lima = Lead.get(base, params={"q": "savings", "exchange": str(second.exchange_id)}).text
        assert "Market stall" in only_lima
        assert "Savings circle" not in only_lima
        peru = Lead.get(base, params={"q": "savings", "country": "Peru"}).text
        assert "Savings circle" in peru and "Secret anonymous" not in peru
        story_phase = Lead.get(base, params={"q": "savings", "phase": "Story sharing"}).text
        assert "Savings circle" in story_phase and "Weekly savings meetings" not in story_phase
        assert 'class="hit"' not in Lead.get(base, params={"q": "savings", "to": "2000-01-01"}).text
        assert "Savings circle" in Lead.get(base, params={"q": "savings", "from": "2000-01-01"}).text
        # Nonsense is harmless.
        for query in ('"', "AND OR NOT", "*", "x' OR 1=1 --", "<script>"):
            assert Lead.get(base, params={"q": query}).status_code == 200
        assert "&lt;script&gt;" in Lead.get(base, params={"q": "<script>"}).text
        # A change of naming reaches the index: Amina goes anonymous, her name leaves every hit.
        assert first.pages[0].post(f"/e/{first.exchange_id}/record/naming", {"consent": "anonymous"}).status_code == 303
        html = Lead.get(base, params={"q": "imam"}).text
        assert "Amina Odhiambo" not in html and "The imam spoke" in html and "Kenya" not in html
    finally:
        await first.close()
        await second.close()
        programme.close()
