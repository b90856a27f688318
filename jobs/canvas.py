"""Keeping each region's coverage canvas in its team channel current (models.canvas says what it shows).

Every few seconds the clock asks which team channels' canvases are behind the database and were last edited a
minute ago or more (`behind`) and queues `refresh_canvas` for each under the channel's one job id, unless it is
waiting already: a change shows within seconds, a burst of changes makes an edit or two, and the canvas is
never edited more than once a minute (models.canvas.EDIT_SPACING). A run makes the canvas when there is none (the channel's own canvas;
where the plan refuses one, a standalone canvas the channel may read, linked there), records its id at once,
and otherwise replaces its content in place, one change per call as Slack takes them; when Slack says someone
deleted it, it makes another. The Redis lock and the recorded id keep two runs from making two canvases.
Slack's 429 runs the job again later (jobs.slack_job); the canvas's mark is recorded only once the canvas
shows it, so no change is lost.
"""
import hashlib
from datetime import datetime, timezone

from slack_sdk.errors import SlackApiError

from bot.services import Services
from bot.views.canvas import TITLE, canvas_markdown, shared_message
from jobs import (
    job_id,
    lock,
    post_message,
    refused_there,
    slack_job,
    tell,
    worker_services,
)
from models import clock
from models.canvas import (
    canvas_content,
    canvas_of,
    change_marks,
    forget_canvas,
    is_behind,
    record_created,
    record_problem,
    record_shared,
    record_shown,
)
from models.regions import Team
from models.reminders import region_targets

# The plan or the channel refuses the channel's own canvas: a standalone one, shared in the channel, instead.
CHANNEL_CANVAS_REFUSED = {"team_tier_cannot_create_channel_canvases", "channel_canvas_already_exists",
                          "free_team_canvas_tab_already_exists"}
GONE = {"canvas_not_found", "canvas_deleted"}
# Slack refusing any canvas here: no retry helps until someone acts, so the managers are told, once.
_CANNOT = {
    "free_teams_cannot_create_non_tabbed_canvases": "this workspace's plan allows a channel one canvas, and the "
                                                    "team channel has one already",
    "free_teams_cannot_edit_standalone_canvases": "this workspace's plan no longer lets me edit the canvas",
    "canvas_disabled_user_team": "canvases are turned off in this workspace",
    "restricted_action": "I'm not allowed to make canvases here (a workspace admin can change that)",
}


def canvas_job_id(channel: str) -> str:
    return job_id(f"canvas-{channel}")


def behind(services: Services) -> list[str]:
    """The team channels whose canvas is behind the database and may be edited now (the clock's question)."""
    now = datetime.now(timezone.utc)
    teams = services.teams()
    with services.session() as session:
        marks = change_marks(session, clock.today(), region_targets(session, teams))
        return [team.channel for team in teams.teams
                if team.channel and is_behind(session, team.channel, marks[team.region], now)]


def enqueue_rebuild(services: Services, user: str, request_key: str, team: Team | None = None) -> None:
    """`/sc canvas`: the canvas of `team` (else of the person's own) made afresh now, whatever the record says;
    `user` hears if Slack refuses."""
    channel = (team or services.team_of(user)).channel
    services.enqueue(refresh_canvas, channel, user, job_id=job_id(f"canvas-{channel}-{request_key}"))


def _mark(services: Services, session, team: Team) -> str:
    target = services.reminder_settings(session, team).target_date
    return change_marks(session, clock.today(), {team.region: target})[team.region]


@slack_job
def refresh_canvas(channel: str, asked_by: str = "") -> dict:
    """Bring the channel's canvas level with the database; `asked_by` (someone's /sc canvas) sends it even
    when it would not change, and tells them of a refusal."""
    services = worker_services()
    team = services.teams().of_channel(channel)
    if team is None:  # queued before `scbot region set` gave the region another channel
        return {"skipped": f"{channel} is no region's team channel now"}
    with lock(services, f"canvas:{channel}"):
        try:
            return _refresh(services, team, asked_by)
        except SlackApiError as error:
            why = _CANNOT.get(error.response.get("error")) or refused_there(error)
            if why is None:
                raise  # a fault that passes: 429s and 5xx are tried again
            return _tell_refused(services, team, asked_by, why)


def _refresh(services: Services, team: Team, asked_by: str) -> dict:
    channel = team.channel
    with services.session() as session:
        mark = _mark(services, session, team)  # read first: a change saved while this runs makes the next run
        content = canvas_content(session, services.directory(), team.region, clock.today(),
                                 services.reminder_settings(session, team).target_date)
        canvas = canvas_of(session, channel)
    markdown = canvas_markdown(content)
    digest = hashlib.sha256(markdown.encode()).hexdigest()
    document = {"type": "markdown", "markdown": markdown}
    canvas_id, done = canvas.canvas_id, "unchanged"
    if canvas_id and not canvas.shared and not _share(services, channel, canvas_id):  # its sharing was cut short
        canvas_id = ""
    if not canvas_id:
        done = _create(services, channel, document)
    elif canvas.content_hash != digest or asked_by:
        done = _replace(services, channel, canvas_id, document) or _create(services, channel, document)
    with services.session() as session:
        # Real time, not the bot's clock (pinned in a demo): it spaces the edits.
        record_shown(session, channel, mark, digest, None if done == "unchanged" else datetime.now(timezone.utc))
    return {"canvas": done, "mark": mark}


def _replace(services: Services, channel: str, canvas_id: str, document: dict) -> str:
    """The canvas's whole content replaced; "" when Slack says it is gone (forgotten, to be made afresh)."""
    try:
        services.client.canvases_edit(canvas_id=canvas_id,
                                      changes=[{"operation": "replace", "document_content": document}])
        return "edited"
    except SlackApiError as error:
        if error.response.get("error") not in GONE:
            raise
    with services.session() as session:
        forget_canvas(session, channel)
    return ""


def _create(services: Services, channel: str, document: dict) -> str:
    client = services.client
    try:
        made = client.conversations_canvases_create(channel_id=channel, title=TITLE, document_content=document)
        kind = "channel"
    except SlackApiError as error:
        if error.response.get("error") not in CHANNEL_CANVAS_REFUSED:
            raise
        made = client.canvases_create(title=TITLE, document_content=document)
        kind = "standalone"
    with services.session() as session:
        record_created(session, channel, made["canvas_id"], kind)
    if kind == "standalone":
        _share(services, channel, made["canvas_id"])
    return f"created ({kind})"


def _share(services: Services, channel: str, canvas_id: str) -> bool:
    """A standalone canvas: readable by the channel's members, and its link posted there; False when Slack
    says it is gone (forgotten, to be made afresh)."""
    client = services.client
    try:
        client.canvases_access_set(canvas_id=canvas_id, access_level="read", channel_ids=[channel])
    except SlackApiError as error:
        if error.response.get("error") not in GONE:
            raise
        with services.session() as session:
            forget_canvas(session, channel)
        return False
    workspace = client.auth_test()
    post_message(services, channel, **shared_message(f"{workspace['url']}docs/{workspace['team_id']}/{canvas_id}"))
    with services.session() as session:
        record_shared(session, channel)
    return True


def _tell_refused(services: Services, team: Team, asked_by: str, why: str) -> dict:
    """Nothing is tried again until something changes; the managers hear of a new refusal, whoever asked
    hears of it whatever."""
    channel = team.channel
    with services.session() as session:
        new = record_problem(session, channel, _mark(services, session, team), why)
    told = set(team.managers | services.teams().national_managers) if new else set()
    told |= {asked_by} if asked_by else set()
    said = f":warning: I couldn't keep the coverage canvas in <#{channel}>: {why}. `/sc canvas` tries again."
    for user in sorted(told):
        tell(services, user, said)
    return {"refused": why, "told": sorted(told)}
