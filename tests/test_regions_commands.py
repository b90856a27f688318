"""Commands know their region: with the East Midlands team from the environment and the West Midlands team set,
areas are looked up in the region a command is made in, and writing to an area is for its own region's team."""
import json
import uuid
from datetime import datetime, timezone

import pytest
import redis
from sqlalchemy import text
from sqlmodel import Session

from bot.offline import payloads as slack_payloads
from bot.offline.local_services import free_port, wait_until
from bot.settings import get_settings
from jobs import worker_services
from models.db import get_engine, session_scope
from models.migrate import upgrade
from models.national_areas import import_national_areas
from models.regions import set_team
from models.tables import ActionItem, Conversation, ExtractRequest, LogEntry
from models.team import list_read, roster
from tests.conftest import (
    CLEARED_TABLES,
    bot_environment,
    fresh_database,
    serve,
    wait_healthy,
    wait_members_read,
)
from tests.workspace import (
    MEMBER,
    OUTSIDER,
    TEAM_CHANNEL,
    Workspace,
    assert_valid_block_kit,
)

WM_CHANNEL = "C0WM"
WM_MEMBER = "U0WMMEMBER"  # in the West Midlands' team channel only
WM_MANAGER = "U0WMMGR"
DM = "D0DIRECT"
NOT_TEAM = "Only the regional team can change Single Conversations"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def regions_bot(request, tmp_path_factory, redis_server_url, slack):
    """`scbot serve` with every English area loaded and the West Midlands' team set besides the environment's."""
    folder = tmp_path_factory.mktemp(f"regions-{request.param}")
    slack.members.clear()
    slack.members.add(MEMBER)  # the East Midlands' team channel, read at start
    slack.channel_members[WM_CHANNEL] = {WM_MEMBER}
    with fresh_database(request.param, folder) as database_url:
        upgrade(database_url)  # the shipped East Midlands areas, with their HMAs
        with session_scope(get_engine(database_url)) as session:
            import_national_areas(session)  # as `scbot regions import` does
            set_team(session, "West Midlands", WM_CHANNEL, set(), {WM_MANAGER}, None, "U0ADMIN",
                     datetime.now(timezone.utc))
        env = bot_environment(database_url, redis_server_url, slack, folder)
        port = free_port()
        process = serve(env, port, folder / "server.log")
        try:
            wait_healthy(f"http://127.0.0.1:{port}", process)
            wait_members_read(database_url)
            wait_until(lambda: _read(database_url, WM_CHANNEL), timeout=30, what="the West Midlands' members read")
            yield f"http://127.0.0.1:{port}", database_url, env, process.pid
        finally:
            process.terminate()
            process.wait(15)
            slack.channel_members.pop(WM_CHANNEL, None)


def _read(database_url: str, channel: str) -> bool:
    with Session(get_engine(database_url)) as session:
        return list_read(session, channel)


class Regions(Workspace):
    """The workspace, with commands typed in any channel."""

    def command_in(self, channel: str, text_typed: str, user: str) -> dict:
        body, content_type = slack_payloads.slash_command(
            text_typed, user, user.lower(), channel, self.slack.response_url(user))
        reply = self.post(body, content_type)
        assert reply.status == 200
        return reply.json

    def said_in(self, channel: str, text_typed: str, user: str) -> str:
        return self.command_in(channel, text_typed, user).get("text", "")

    def cards_in(self, channel: str) -> list[dict]:
        return [m for (where, _ts), m in self.slack.messages.items() if where == channel and not m.get("thread_ts")]

    def joins(self, user: str, channel: str) -> None:
        self.slack.channel_members[channel].add(user)
        event = {"type": "member_joined_channel", "user": user, "channel": channel, "channel_type": "C",
                 "event_ts": f"{datetime.now().timestamp():.6f}"}
        assert self.event(event, f"Ev{uuid.uuid4().hex[:12].upper()}").status == 200

        def heard() -> bool:
            with Session(self.engine) as session:
                return roster(session, channel).includes(user) is True
        wait_until(heard, timeout=10, what=f"the bot to hear that {user} joined {channel}")


@pytest.fixture
def regions(regions_bot, slack, redis_server_url, monkeypatch):
    base_url, database_url, env, pid = regions_bot
    engine = get_engine(database_url)
    with engine.begin() as connection:
        for table in CLEARED_TABLES:
            if table not in ("regionteam", "regionperson"):  # the West Midlands' team stays set
                connection.execute(text(f"DELETE FROM {table}"))
    connection = redis.Redis.from_url(redis_server_url)
    connection.flushdb()
    slack.reset()
    slack.joined.add(WM_CHANNEL)  # the bot is in the West Midlands' channel too
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    worker_services.cache_clear()
    ws = Regions(base_url, slack, engine, connection, pid)
    yield ws
    for method, payload in ws.sent_payloads():
        assert_valid_block_kit(method, payload)
    get_settings.cache_clear()
    worker_services.cache_clear()


def test_a_member_of_the_west_midlands_starts_birmingham_and_its_card_goes_to_their_channel(regions):
    said = regions.said_in(WM_CHANNEL, "start Birmingham", WM_MEMBER)
    assert "Started the Single Conversation with *Birmingham*" in said
    assert f"<#{WM_CHANNEL}>" in said  # where its thread will be
    [conversation] = regions.rows(Conversation)
    assert conversation.region == "West Midlands"
    regions.run_jobs()
    [card] = regions.cards_in(WM_CHANNEL)
    assert "Single Conversation: Birmingham" in card["text"]
    assert not regions.cards_in(TEAM_CHANNEL)
    # The thread follows the card there.
    assert "Logged for *Birmingham*" in regions.said_in(DM, "log Birmingham Met the council", WM_MEMBER)
    regions.run_jobs()
    assert "Met the council" in regions.slack.thread(WM_CHANNEL, card["ts"])[-1]["text"]


def test_an_east_midlands_member_is_refused_birmingham_and_told_where_to_ask(regions):
    for channel in (TEAM_CHANNEL, DM, WM_CHANNEL):
        said = regions.said_in(channel, "start Birmingham", MEMBER)
        assert said == (f"Birmingham is in the West Midlands: its team holds its Single Conversation in "
                        f"<#{WM_CHANNEL}>. Ask there.")
    assert not regions.rows(Conversation)
    # Once the West Midlands has begun it, reading it is open; writing to it is not.
    regions.said_in(WM_CHANNEL, "start Birmingham", WM_MEMBER)
    shown = regions.command_in(TEAM_CHANNEL, "show Birmingham", MEMBER)
    assert "Single Conversation: Birmingham" in str(shown["blocks"])
    for typed in ("log Birmingham Heard from them", "stage Birmingham evidence", "action Birmingham Call them",
                  'confidence Birmingham amber "no word yet"'):
        assert f"<#{WM_CHANNEL}>. Ask there." in regions.said_in(DM, typed, MEMBER)
    assert [e.kind for e in regions.rows(LogEntry)] == ["start"]
    # A region whose team is not set up: said so, and who can set it up.
    assert regions.said_in(DM, "start Newcastle upon Tyne", MEMBER) == (
        "Newcastle upon Tyne is in the North East, whose team is not set up in this bot yet: an administrator "
        "sets it with `scbot region set`.")
    # Someone in no team at all is refused at once, as before.
    assert NOT_TEAM in regions.said_in(WM_CHANNEL, "start Coventry", OUTSIDER)


def test_a_member_writes_to_their_own_region_wherever_they_type(regions):
    # An East Midlands member, in the West Midlands' channel: Leicester is theirs, and its card goes home.
    assert "Started the Single Conversation with *Leicester*" in regions.said_in(WM_CHANNEL, "start Leicester", MEMBER)
    assert "Logged for *Leicester*" in regions.said_in(DM, "log Leicester Met the housing team", MEMBER)
    regions.run_jobs()
    [card] = regions.cards_in(TEAM_CHANNEL)
    assert "Single Conversation: Leicester" in card["text"] and not regions.cards_in(WM_CHANNEL)
    # And the West Midlands' member is refused it, told of the East Midlands' channel.
    said = regions.said_in(WM_CHANNEL, "log Leicester Hello", WM_MEMBER)
    assert said == f"Leicester is in the East Midlands: its team holds its Single Conversation in <#{TEAM_CHANNEL}>. Ask there."


def test_areas_and_did_you_mean_stay_within_the_region_typed_in(regions):
    listed = json.dumps(regions.command_in(WM_CHANNEL, "areas", WM_MEMBER))
    assert "0 of 30 areas have begun" in listed
    assert "Birmingham" in listed and "Staffordshire" in listed  # grouped by county: the region has no HMAs
    assert "Leicester" not in listed and "Newcastle upon Tyne" not in listed
    assert "0 of 40 areas have begun" in json.dumps(regions.command_in(TEAM_CHANNEL, "areas", MEMBER))
    # A near miss is suggested from the region's own areas.
    said = regions.said_in(WM_CHANNEL, "show Newcastle", WM_MEMBER)
    assert "Did you mean" in said and "Newcastle-under-Lyme" in said and "Newcastle upon Tyne" not in said
    said = regions.said_in(WM_CHANNEL, "start Birmingam", WM_MEMBER)
    assert "Did you mean Birmingham" in said
    # Another region's area named in full is found.
    assert "Leicester has no Single Conversation yet" in regions.said_in(WM_CHANNEL, "show Leicester", WM_MEMBER)


def test_the_start_form_offers_the_regions_areas_and_refuses_areas_of_two_regions(regions):
    assert regions.command_in(WM_CHANNEL, "start", WM_MEMBER) == {}
    view = regions.slack.wait_for("views.open")[-1].args["view"]
    view = json.loads(view) if isinstance(view, str) else view
    groups = view["blocks"][0]["element"]["option_groups"]
    offered = {o["text"]["text"]: o["value"] for g in groups for o in g["options"]}
    assert len(offered) == 30 and "Birmingham" in offered and "Leicester" not in offered
    assert "Staffordshire" in [g["label"]["text"] for g in groups]

    details = {"lead": {"lead": {"type": "users_select", "selected_user": WM_MEMBER}}}

    def chosen(*values: str) -> dict:
        return {"areas": {"areas": {"type": "multi_static_select", "selected_options": [
            {"text": {"type": "plain_text", "text": v}, "value": v} for v in values]}}, **details}

    two_regions = regions.submit(view, chosen(offered["Birmingham"], "area:E06000016"), user=WM_MEMBER).json
    assert two_regions["response_action"] == "errors"
    assert two_regions["errors"]["areas"].startswith("Birmingham is in the West Midlands, Leicester in the East Midlands")
    refused = regions.submit(view, chosen(offered["Coventry"]), user=MEMBER).json
    assert refused["errors"]["areas"].startswith("Coventry is in the West Midlands: its team holds")
    assert not regions.rows(Conversation)
    assert regions.submit(view, chosen(offered["Coventry"], offered["Solihull"]), user=WM_MEMBER).text == ""
    regions.run_jobs()
    [card] = regions.cards_in(WM_CHANNEL)
    assert "Coventry, Solihull" in card["text"]


def test_the_cards_buttons_are_for_the_conversations_region(regions):
    regions.said_in(WM_CHANNEL, "start Walsall", WM_MEMBER)
    regions.run_jobs()
    [card] = regions.cards_in(WM_CHANNEL)
    [log_button, *_] = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    regions.press(log_button, user=MEMBER, message=card)
    [answer] = regions.responses(user=MEMBER)
    assert f"<#{WM_CHANNEL}>. Ask there." in answer["text"]
    assert not regions.slack.calls_to("views.open")
    regions.press(log_button, user=WM_MEMBER, message=card)
    regions.slack.wait_for("views.open")


def test_joining_a_regions_channel_lets_a_person_write_there(regions):
    newcomer = f"U0NEW{uuid.uuid4().hex[:6].upper()}"
    assert NOT_TEAM in regions.said_in(DM, "start Dudley", newcomer)
    regions.joins(newcomer, WM_CHANNEL)
    assert "Started the Single Conversation with *Dudley*" in regions.said_in(DM, "start Dudley", newcomer)
    from jobs.membership import refresh_members

    # The clock's read takes in every region's channel.
    assert refresh_members() == len(regions.slack.members) + len(regions.slack.channel_members[WM_CHANNEL])
    regions.slack.channel_members[WM_CHANNEL].discard(newcomer)


def test_a_message_is_logged_only_to_an_area_of_the_persons_own_region(regions):
    from tests.test_message_shortcut import (
        chosen,
        opened_form,
        slack_message,
        use_shortcut,
    )

    regions.said_in(WM_CHANNEL, "start Wolverhampton", WM_MEMBER)
    message = slack_message("The council agreed to share its SHMA", ts="1294056000.000200")
    use_shortcut(regions, message, channel=WM_CHANNEL, user=WM_MEMBER)
    view = opened_form(regions)
    offered = [o["value"] for g in view["blocks"][1]["element"]["option_groups"] for o in g["options"]]
    assert len(offered) == 30  # the West Midlands' areas, where the message is
    wolverhampton = next(v for v in offered if v.startswith("area:") and "E08000031" in v)
    refused = regions.submit(view, chosen(wolverhampton, "The council agreed"), user=MEMBER).json
    assert refused["errors"]["areas"].startswith("Wolverhampton is in the West Midlands: its team holds")
    assert regions.submit(view, chosen(wolverhampton, "The council agreed"), user=WM_MEMBER).text == ""
    assert [e.kind for e in regions.rows(LogEntry)] == ["start", "note"]


def test_a_mention_in_a_regions_channel_reads_that_region(regions):
    regions.said_in(WM_CHANNEL, "start Sandwell", WM_MEMBER)
    event = {"type": "app_mention", "user": WM_MEMBER, "channel": WM_CHANNEL, "ts": "1294056000.000300",
             "event_ts": "1294056000.000300", "text": "<@U0SCBOT> which areas have not started?"}
    assert regions.event(event, f"Ev{uuid.uuid4().hex[:12].upper()}").status == 200
    [answer] = regions.slack.wait_for("chat.postMessage", where=lambda args: args.get("channel") == WM_CHANNEL)
    said = answer.args["text"]
    assert "29 areas in the West Midlands have not begun" in said
    assert "Walsall" in said and "Sandwell" not in said and "Leicester" not in said


def _start_form(regions, channel: str, user: str) -> dict:
    assert regions.command_in(channel, "start", user) == {}
    view = regions.slack.wait_for("views.open")[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def _areas(*values: str, lead: str) -> dict:
    return {"areas": {"areas": {"type": "multi_static_select", "selected_options": [
        {"text": {"type": "plain_text", "text": v}, "value": v} for v in values]}},
        "lead": {"lead": {"type": "users_select", "selected_user": lead}}}


def test_a_forged_start_form_cannot_start_another_regions_hma_or_area(regions):
    view = _start_form(regions, WM_CHANNEL, WM_MEMBER)
    for forged in ("hma:Nottingham Core HMA", "area:E06000016"):  # an East Midlands HMA; Leicester
        refused = regions.submit(view, _areas(forged, lead=WM_MEMBER), user=WM_MEMBER).json
        assert refused["response_action"] == "errors"
        assert f"in the East Midlands: its team holds its Single Conversation in <#{TEAM_CHANNEL}>" \
            in refused["errors"]["areas"]
    assert regions.submit(view, _areas("area:E99999999", lead=WM_MEMBER), user=WM_MEMBER).json["errors"] == {
        "areas": "That list of areas is out of date: open the form again."}
    assert not regions.rows(Conversation)


def test_done_on_another_regions_action_is_refused(regions):
    assert "Started" in regions.said_in(TEAM_CHANNEL, "start Leicester", MEMBER)
    regions.said_in(TEAM_CHANNEL, "action Leicester Send the SHMA", MEMBER)
    listed = regions.command_in(TEAM_CHANNEL, "actions all", MEMBER)
    [done] = [b["accessory"] for b in listed["blocks"] if b.get("accessory", {}).get("action_id") == "action_done"]
    regions.press(done, user=WM_MEMBER)
    [answer] = regions.responses(user=WM_MEMBER)
    assert answer["text"] == (f"Leicester is in the East Midlands: its team holds its Single Conversation in "
                              f"<#{TEAM_CHANNEL}>. Ask there.")
    [action] = regions.rows(ActionItem)
    assert action.done_at is None


def test_joining_a_channel_that_is_no_regions_lets_nobody_write(regions):
    regions.slack.channel_members["C0RANDOM"] = {OUTSIDER}
    event = {"type": "member_joined_channel", "user": OUTSIDER, "channel": "C0RANDOM", "channel_type": "C",
             "event_ts": f"{datetime.now().timestamp():.6f}"}
    assert regions.event(event, f"Ev{uuid.uuid4().hex[:12].upper()}").status == 200
    regions.settle()
    assert NOT_TEAM in regions.said_in("C0RANDOM", "start Dudley", OUTSIDER)
    with Session(regions.engine) as session:
        assert roster(session, "C0RANDOM").includes(OUTSIDER) is None


def test_a_form_asked_for_in_another_regions_channel_offers_the_persons_own_areas(regions):
    from tests.test_message_shortcut import opened_form, slack_message, use_shortcut

    # An East Midlands member in the West Midlands' channel may write to none of its areas: the form offers theirs.
    view = _start_form(regions, WM_CHANNEL, MEMBER)
    offered = [o["value"] for g in view["blocks"][0]["element"]["option_groups"] for o in g["options"]]
    assert len(offered) == 40 + 11 and "area:E06000016" in offered  # the areas and HMAs; Leicester among them
    assert regions.submit(view, _areas("area:E06000016", lead=MEMBER), user=MEMBER).text == ""
    message = slack_message("Leicester's SHMA is out", ts="1294056000.000400")
    use_shortcut(regions, message, channel=WM_CHANNEL, user=MEMBER)
    view = opened_form(regions, count=2)
    offered = [o["value"] for g in view["blocks"][1]["element"]["option_groups"] for o in g["options"]]
    assert "area:E06000016" in offered and not any("E08000031" in value for value in offered)


def test_everyones_actions_are_the_regions_team_s(regions):
    regions.said_in(TEAM_CHANNEL, "start Leicester", MEMBER)
    regions.said_in(TEAM_CHANNEL, "action Leicester Send the SHMA", MEMBER)
    regions.said_in(WM_CHANNEL, "start Walsall", WM_MEMBER)
    regions.said_in(WM_CHANNEL, "action Walsall Book the workshop", WM_MEMBER)
    east = json.dumps(regions.command_in(TEAM_CHANNEL, "actions all", MEMBER))
    assert "Send the SHMA" in east and "Book the workshop" not in east
    west = regions.command_in(WM_CHANNEL, "actions all", WM_MEMBER)
    assert "Book the workshop" in json.dumps(west) and "Send the SHMA" not in json.dumps(west)
    # Done draws the same list again: the region's.
    [done] = [b["accessory"] for b in west["blocks"] if b.get("accessory", {}).get("action_id") == "action_done"]
    body, content_type = slack_payloads.block_action(done, WM_MEMBER, "wm", WM_CHANNEL, "1.1",
                                                     regions.slack.response_url(WM_MEMBER))
    assert regions.post(body, content_type).status == 200
    [redrawn] = regions.responses(user=WM_MEMBER)
    assert "Done: Book the workshop" in redrawn["text"] and "Send the SHMA" not in json.dumps(redrawn)
    assert "The team has no open actions" in json.dumps(regions.command_in(WM_CHANNEL, "actions all", WM_MEMBER))
    # Your own actions are yours wherever they are.
    assert "Send the SHMA" in json.dumps(regions.command_in(WM_CHANNEL, "actions", MEMBER))


def test_a_mention_asking_whats_overdue_answers_for_the_region_of_its_channel(regions):
    regions.said_in(TEAM_CHANNEL, "start Leicester", MEMBER)
    regions.said_in(TEAM_CHANNEL, "action Leicester Send the SHMA", MEMBER)
    regions.said_in(WM_CHANNEL, "start Walsall", WM_MEMBER)
    regions.said_in(WM_CHANNEL, "action Walsall Book the workshop", WM_MEMBER)
    with regions.engine.begin() as connection:
        connection.execute(text("UPDATE actionitem SET due_on = '2010-01-04'"))  # both overdue now
    event = {"type": "app_mention", "user": WM_MEMBER, "channel": WM_CHANNEL, "ts": "1294056000.000500",
             "event_ts": "1294056000.000500", "text": "<@U0SCBOT> what's overdue?"}
    assert regions.event(event, f"Ev{uuid.uuid4().hex[:12].upper()}").status == 200
    [answer] = regions.slack.wait_for("chat.postMessage", where=lambda args: args.get("channel") == WM_CHANNEL)
    assert "Book the workshop" in answer.args["text"] and "Send the SHMA" not in answer.args["text"]


def test_an_extract_of_another_regions_conversation_comes_to_the_person_not_its_thread(regions):
    """An East Midlands member may ask for Birmingham's figures, but Birmingham's thread is in the West Midlands'
    channel, where they may not be: the files come to them in a direct message. Its own team gets them in the
    thread."""
    assert "Started" in regions.said_in(WM_CHANNEL, "start Birmingham", WM_MEMBER)
    regions.run_jobs()
    [card] = regions.cards_in(WM_CHANNEL)
    regions.command_in(TEAM_CHANNEL, "extract Birmingham prices 2010 as csv", MEMBER)
    [answer] = regions.responses(user=MEMBER)
    assert "The files will arrive in a direct message from me" in answer["text"]
    regions.command_in(WM_CHANNEL, "extract Birmingham prices 2010 as csv", WM_MEMBER)
    [answer] = regions.responses(user=WM_MEMBER)
    assert f"The files will arrive in the conversation's thread in <#{WM_CHANNEL}>" in answer["text"]
    requests = {request.requested_by: request for request in regions.rows(ExtractRequest)}
    assert (requests[MEMBER].channel_id, requests[MEMBER].thread_ts) == ("", "")
    assert (requests[WM_MEMBER].channel_id, requests[WM_MEMBER].thread_ts) == (WM_CHANNEL, card["ts"])


def test_a_reply_names_the_channel_the_card_is_in(regions):
    """A card stays where it was posted: once a region's team channel is changed (`scbot region set`), replies
    about an older conversation name the channel its card and thread are in, not the region's new one."""
    assert "Started" in regions.said_in(WM_CHANNEL, "start Birmingham", WM_MEMBER)
    regions.run_jobs()
    with regions.engine.begin() as connection:  # its card posted in the region's channel of that time
        connection.execute(text("UPDATE conversation SET channel_id = 'C0WMBEFORE'"))
    said = regions.said_in(WM_CHANNEL, "log Birmingham Met the council", WM_MEMBER)
    assert "It will show in the conversation's thread in <#C0WMBEFORE>." in said
    said = regions.said_in(WM_CHANNEL, "stage Birmingham evidence", WM_MEMBER)
    assert "It will show in the conversation's thread in <#C0WMBEFORE>." in said
