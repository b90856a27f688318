"""Each region's own rhythm over HTTP: its digest, countdown and nudges to its channel and leads, its settings
(its managers'), its progress, App Home figures and coverage canvas.

Every English area is loaded (`scbot regions import`) and every region has a team (`scbot region set`, the
channel C0<abbreviation>, as `scbot demo-data --national` names them); the East Midlands keeps the
environment's team (SC_TEAM_CHANNEL). The server's clock says Wednesday 5 January 2011, 10:00.
"""
import json
import os
import subprocess
import sys
from datetime import datetime

import pytest
import redis
from sqlmodel import Session

from bot.clock import queue_canvas, tick
from bot.offline import payloads as slack_payloads
from jobs import worker_services
from models import clock
from models.db import get_engine
from models.regions import REGIONS
from models.reminders import ReminderSettings
from models.tables import Delivery
from tests.conftest import CLEARED_TABLES, clean_slate, running_bot
from tests.workspace import (
    MANAGER,
    MEMBER,
    OUTSIDER,
    TEAM_CHANNEL,
    Reply,
    Workspace,
    everything_said,
)

NOW = "2011-01-05T10:00"  # a Wednesday
MONDAY = "2011-01-10T09:00:00+00:00"
HOME = "East Midlands"  # the environment's region (SC_REGION's default)
ABBREVIATIONS = dict(zip(REGIONS, ("NE", "NW", "YH", "EM", "WM", "EE", "LDN", "SE", "SW"), strict=True))
CHANNELS = {region: TEAM_CHANNEL if region == HOME else f"C0{abbreviation}"
            for region, abbreviation in ABBREVIATIONS.items()}
WM, WM_STAFF, WM_MANAGER = CHANNELS["West Midlands"], "U0WMSTAFF", "U0WMMGR"
WM_TARGET = "2011-06-01"
KEPT = [table for table in CLEARED_TABLES if table not in ("regionteam", "regionperson")]  # set up once


def scbot(env: dict, *words: str) -> str:
    return subprocess.run([sys.executable, "-m", "bot.cli", *words], env={**os.environ, **env}, check=True,
                          capture_output=True, text=True, timeout=120).stdout


def every_region(env: dict) -> None:
    """What an administrator does: load every English area, and give each region but the environment's a team."""
    scbot(env, "regions", "import")
    for region, abbreviation in ABBREVIATIONS.items():
        if region != HOME:
            scbot(env, "region", "set", region, "--channel", CHANNELS[region],
                  "--staff", f"U0{abbreviation}STAFF", "--managers", f"U0{abbreviation}MGR",
                  *(["--target", WM_TARGET] if region == "West Midlands" else []))


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def nation(request, tmp_path_factory, redis_server_url, slack):
    folder = tmp_path_factory.mktemp(f"regions-{request.param}")
    with running_bot(request.param, folder, redis_server_url, slack, prepare=every_region, SC_NOW=NOW) as bot:
        yield Workspace(bot.base_url, slack, get_engine(bot.database_url), redis.Redis.from_url(redis_server_url),
                        bot.pid), bot.env
    for channel in CHANNELS.values():
        if channel != TEAM_CHANNEL:
            slack.channel_members.pop(channel, None)


@pytest.fixture
def regions(nation, slack, monkeypatch):
    """A clean slate on the server, the bot in every region's channel; MEMBER in the East Midlands team channel."""
    workspace, env = nation
    with clean_slate(workspace, env, slack, monkeypatch, NOW, KEPT):
        slack.joined |= set(CHANNELS.values())
        for channel in CHANNELS.values():
            slack.channel_members.setdefault(channel, set())
        workspace.join(MEMBER)
        yield workspace


def command_in(workspace: Workspace, channel: str, typed: str, user: str) -> Reply:
    body, content_type = slack_payloads.slash_command(typed, user, user.lower(), channel,
                                                      workspace.slack.response_url(user))
    return workspace.post(body, content_type)


def at(when: str) -> datetime:
    return clock.parse_instant(when)


def run_at(workspace: Workspace, when: str) -> list[str]:
    """The clock looks at `when`, and a worker sends what it queued."""
    clock.pin(at(when))
    queued = tick(worker_services(), at(when))
    workspace.run_jobs()
    return queued


def posts_to(workspace: Workspace, channel: str, holding: str = "") -> list[str]:
    return [str(c.args["blocks"]) for c in workspace.slack.calls_to("chat.postMessage")
            if c.args["channel"] == channel and holding in str(c.args["blocks"])]


def two_regions_at_work(workspace: Workspace) -> None:
    """Birmingham started by the West Midlands' staff from its channel, Leicester by MEMBER from the East
    Midlands', each with an action due Friday 7 January owned by whoever set it."""
    for channel, user, area in ((WM, WM_STAFF, "Birmingham"), (TEAM_CHANNEL, MEMBER, "Leicester")):
        assert "Started" in command_in(workspace, channel, f"start {area}", user).message_text
        assert "Send the SHMA" in command_in(workspace, channel, f"action {area} Send the SHMA due 2011-01-07",
                                             user).message_text
    workspace.run_jobs()


# --- the clock ----------------------------------------------------------------------------

def test_the_monday_digest_goes_to_every_regions_channel_once_with_its_own_figures(regions):
    two_regions_at_work(regions)
    queued = run_at(regions, "2011-01-10T09:00")
    # The environment's region keeps the key it always had; every other region's names the region.
    assert sorted(key for key in queued if key.startswith("digest:")) == sorted(
        [f"digest:{MONDAY}"] + [f"digest:{region}:{MONDAY}" for region in REGIONS if region != HOME])
    digests = {channel: posts_to(regions, channel, "Weekly Single Conversation digest")
               for channel in CHANNELS.values()}
    assert all(len(posts) == 1 for posts in digests.values()), digests
    [west] = digests[WM]
    assert "*West Midlands*: *1 of 30 areas have begun* (3%)" in west
    assert "Started the Single Conversation with Birmingham" in west
    assert "Leicester" not in west and "Derby" not in west
    # No HMAs: by county, and the areas outside one by their kind of authority.
    assert "• Staffordshire: Cannock Chase" in west and "• Metropolitan districts: Coventry, Dudley" in west
    assert "• Unitary authorities: Herefordshire, Shropshire" in west
    assert "142 days* to the target" in west  # its own target: 1 June 2011
    [east] = digests[TEAM_CHANNEL]
    assert "*East Midlands*: *1 of 40 areas have begun*" in east and "Birmingham" not in east
    assert "81 days* to the target" in east and "• Derby HMA: " in east
    [north_east] = digests[CHANNELS["North East"]]
    assert "*North East*: *0 of 12 areas have begun*" in north_east and "Nothing moved." in north_east

    # Each lead is nudged by their own region, about its conversations alone.
    assert f"nudge:{MEMBER}:2011-01-10" in queued and f"nudge:West Midlands:{WM_STAFF}:2011-01-10" in queued
    [wm_nudge] = posts_to(regions, WM_STAFF)
    assert "• *Birmingham*: Send the SHMA (due 7 Jan 2011)" in wm_nudge and "Leicester" not in wm_nudge
    [em_nudge] = posts_to(regions, MEMBER)
    assert "• *Leicester*: Send the SHMA (due 7 Jan 2011)" in em_nudge and "Birmingham" not in em_nudge

    sent = len(regions.slack.calls_to("chat.postMessage"))
    assert run_at(regions, "2011-01-10T09:00") == [] and run_at(regions, "2011-01-10T09:05") == []
    assert len(regions.slack.calls_to("chat.postMessage")) == sent


def test_the_digest_says_who_is_away_in_its_own_region_alone(regions):
    regions.slack.users[WM_STAFF] = "Wendy"
    try:
        said = command_in(regions, WM, "away until 2011-01-20", WM_STAFF).message_text
        assert "You're away until 20 Jan 2011" in said
        run_at(regions, "2011-01-10T09:00")
    finally:
        del regions.slack.users[WM_STAFF]
    [west] = posts_to(regions, WM, "Weekly Single Conversation digest")
    assert "*Away*\\n• Wendy, back 20 Jan 2011: nobody named, so their nudges come to this channel" in west
    [east] = posts_to(regions, TEAM_CHANNEL, "Weekly Single Conversation digest")
    assert "*Away*" not in east and "Wendy" not in east


def test_a_database_upgraded_mid_week_does_not_send_the_east_midlands_digest_again(regions):
    """Monday's digest went before the upgrade, under the key the East Midlands has always had."""
    with Session(regions.engine) as session:
        session.add(Delivery(key=f"digest:{MONDAY}", sent_at=at("2011-01-10T09:00"), channel=TEAM_CHANNEL, ts="1.1"))
        session.commit()
    queued = run_at(regions, "2011-01-10T11:00")
    assert f"digest:{MONDAY}" not in queued and f"digest:West Midlands:{MONDAY}" in queued
    assert not posts_to(regions, TEAM_CHANNEL, "digest") and len(posts_to(regions, WM, "digest")) == 1


def test_each_regions_countdown_counts_down_to_its_own_target(regions):
    two_regions_at_work(regions)
    queued = run_at(regions, "2011-03-02T09:00")  # 30 days before 1 April, 91 before 1 June
    assert "countdown:2011-04-01:30" in queued and not [key for key in queued if "West Midlands" in key
                                                         and key.startswith("countdown")]
    [countdown] = posts_to(regions, TEAM_CHANNEL, ":hourglass_flowing_sand:")
    assert "*30 days* to the target (1 April 2011): in East Midlands, 1 of 40 areas have begun, 39 to go." in countdown
    queued = run_at(regions, "2011-05-02T09:00")  # 30 days before 1 June
    assert f"countdown:West Midlands:{WM_TARGET}:30" in queued
    [countdown] = posts_to(regions, WM, ":hourglass_flowing_sand:")
    assert "in West Midlands, 1 of 30 areas have begun, 29 to go" in countdown


# --- /sc settings ---------------------------------------------------------------------------

SETTINGS = {
    "digest_day": {"digest_day": {"type": "static_select", "selected_option": {"value": "wednesday"}}},
    "digest_time": {"digest_time": {"type": "timepicker", "selected_time": "10:30"}},
    "digest_channel": {"digest_channel": {"type": "channels_select", "selected_channel": WM}},
    "stale_days": {"stale_days": {"type": "plain_text_input", "value": "14"}},
    "target_date": {"target_date": {"type": "datepicker", "selected_date": WM_TARGET}},
}


def settings_form(workspace: Workspace, channel: str, user: str) -> dict:
    before = len(workspace.slack.calls_to("views.open"))
    command_in(workspace, channel, "settings", user)
    return workspace.slack.wait_for("views.open", before + 1)[-1].args["view"]


def forged(view: dict, region: str) -> dict:
    metadata = json.loads(view["private_metadata"])
    return {**view, "private_metadata": json.dumps({**metadata, "region": region})}


def test_a_regions_managers_change_its_settings_and_no_other_regions(regions):
    view = settings_form(regions, WM, WM_MANAGER)
    assert "The West Midlands team's digest" in everything_said(view)
    saved = regions.submit(view, SETTINGS, user=WM_MANAGER).json
    assert saved["response_action"] == "update"
    assert "*Saved* for West Midlands" in everything_said(saved["view"]) and "Wednesdays at 10:30" in str(saved)

    # A West Midlands manager's form made to say the East Midlands, or a region nobody has, is refused.
    refused = regions.submit(forged(view, HOME), SETTINGS, user=WM_MANAGER).json
    assert "Only the managers of East Midlands" in str(refused["errors"])
    assert "not one I recognise" in str(regions.submit(forged(view, "Narnia"), SETTINGS, user=WM_MANAGER).json)
    # A manager of no region, from the West Midlands channel: refused before the form opens.
    assert "Only managers" in command_in(regions, WM, "settings", OUTSIDER).message_text
    # A West Midlands manager in the East Midlands' channel: told whose channel it is and where to ask.
    said = command_in(regions, TEAM_CHANNEL, "settings", WM_MANAGER).message_text
    assert "This is the East Midlands team's channel, and you manage the West Midlands: ask from the West " \
           "Midlands team's channel or in a direct message with me." in said
    with Session(regions.engine) as session:
        east = ReminderSettings.load(session, HOME, TEAM_CHANNEL, at("2011-04-01T00:00").date())
    assert (east.digest_weekday, east.stale_days, east.version) == (0, 21, "")

    # The clock follows at once: the West Midlands digest moves to Wednesday 10:30, the others stay on Monday.
    queued = run_at(regions, "2011-01-10T09:00")
    assert f"digest:{MONDAY}" in queued and f"digest:West Midlands:{MONDAY}" not in queued
    assert run_at(regions, "2011-01-12T10:30") == ["digest:West Midlands:2011-01-12T10:30:00+00:00"]


def test_a_national_manager_edits_a_regions_settings_from_its_channel(regions):
    view = settings_form(regions, WM, MANAGER)  # SC_MANAGERS: the national managers
    assert "The West Midlands team's digest" in everything_said(view)
    regions.submit(view, {**SETTINGS, "stale_days": {"stale_days": {"type": "plain_text_input", "value": "7"}}},
                   user=MANAGER)
    with Session(regions.engine) as session:
        assert ReminderSettings.load(session, "West Midlands", WM, at("2011-04-01T00:00").date()).stale_days == 7
    assert "The East Midlands team's digest" in everything_said(settings_form(regions, TEAM_CHANNEL, MANAGER))


# --- progress, Home and the canvas ---------------------------------------------------------------

def test_progress_is_the_regions_where_it_is_asked(regions):
    two_regions_at_work(regions)
    said = command_in(regions, WM, "progress", OUTSIDER).message_text  # reading is open to anyone
    assert "Progress: West Midlands" in said and "*1 of 30 areas have begun* (3%)" in said
    assert "*Target*\n1 Jun 2011" in said
    # A region without HMAs is counted by county, its metropolitan districts and its unitaries each together.
    assert "*By county*\n• Metropolitan districts: 1 of 7\n• Staffordshire: 0 of 8" in said and "By HMA" not in said
    assert "• Unitary authorities: 0 of 4" in said
    # A direct message from the region's staff is the region's; an area of another region is found, against
    # its own region's target.
    assert "Progress: West Midlands" in command_in(regions, "D0WMSTAFF", "progress", WM_STAFF).message_text
    said = command_in(regions, TEAM_CHANNEL, "progress Birmingham", MEMBER).message_text
    assert "*Birmingham*: *1 of 1 areas have begun*" in said and "*Target*\n1 Jun 2011" in said
    said = command_in(regions, TEAM_CHANNEL, "progress", MEMBER).message_text
    assert "Progress: East Midlands" in said and "*1 of 40 areas have begun*" in said and "*By HMA*" in said
    assert "*Target*\n1 Apr 2011" in said
    said = command_in(regions, TEAM_CHANNEL, "progress west midlands", MEMBER).message_text
    assert "Progress: West Midlands" in said


def test_home_shows_the_persons_regions_figures(regions):
    two_regions_at_work(regions)
    for user, says in ((WM_STAFF, "*West Midlands: 1 of 30 areas have begun*"),
                       (MEMBER, "*East Midlands: 1 of 40 areas have begun*")):
        before = len(regions.slack.calls_to("views.publish"))
        regions.event({"type": "app_home_opened", "user": user, "tab": "home", "channel": f"D{user[1:]}"},
                      f"EvHOME{user}")
        [home] = [c.args for c in regions.slack.wait_for("views.publish", before + 1)[before:]]
        assert home["user_id"] == user and says in str(home["view"])


def test_each_region_has_its_own_coverage_canvas(regions):
    two_regions_at_work(regions)
    assert queue_canvas(worker_services()) == len(CHANNELS)
    regions.run_jobs()
    [west] = regions.slack.canvases_in(WM)
    markdown = west["markdown"]
    assert markdown.startswith("# Coverage: West Midlands\n**1 of 30 areas have begun (3%).**")
    assert "## Staffordshire (0 of 8 begun)" in markdown and "## Metropolitan districts (1 of 7 begun)" in markdown
    assert "| Birmingham | Engaged (1 of 6) |" in markdown and "Leicester" not in markdown
    [east] = regions.slack.canvases_in(TEAM_CHANNEL)
    assert east["markdown"].startswith("# Coverage: East Midlands") and "Birmingham" not in east["markdown"]
    assert not queue_canvas(worker_services())  # every one level with the database
    # A region's manager rebuilds its own canvas from its channel.
    said = command_in(regions, WM, "canvas", WM_MANAGER).message_text
    assert f"Rebuilding the coverage canvas in <#{WM}> now" in said
    regions.run_jobs()
    assert [c.args["canvas_id"] for c in regions.slack.calls_to("canvases.edit")] == [west["id"]]
