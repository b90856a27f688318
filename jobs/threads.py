"""Keeping each conversation's card and thread in its region's team channel up to date.

One job, `sync_thread`, brings a thread level with the database: it posts the
card if it is missing, then every log entry not yet posted, oldest first, then
refreshes the card. Each post is recorded as soon as it is made, and a Redis
lock keeps two workers off the same thread, so a job run twice, or retried
after a crash, posts nothing twice. Posts keep to Slack's pace for the channel;
a long catch-up makes way for other jobs now and then and carries on in a
fresh run (jobs.slack_job). A change is queued as it is saved; whatever is still
not in Slack (saved while Redis was away, a job lost) is queued again by each
worker as it starts and by the clock every minute (`enqueue_pending`).
"""
import time
import uuid

from redis.exceptions import RedisError
from rq import get_current_job

from bot.services import Services
from bot.views import conversation as conversation_views
from bot.views.blocks import escape
from jobs import (
    Later,
    lock,
    lock_key,
    post_message,
    refused_there,
    runs_again,
    slack_job,
    still_to_run,
    tell,
    worker_services,
)
from models.conversations import (
    get_conversation,
    record_card,
    record_card_link,
    record_entry_posted,
    unposted_conversations,
    unposted_entries,
    view_conversation,
)
from models.errors import ServiceDown

# How long a queued sync keeps later changes from queueing another (it is cleared when the sync starts); the
# clock's minute catch-up keeps it for as long as its job is still queued, and replaces a job lost.
WAITING_SECONDS = 600
# A run posting for longer than this makes way (well within bot.services.JOB_TIMEOUTS["slack"]).
RUN_SECONDS = 15
# A thread whose sync is to run again (Slack's pace, a 429) or whose channel refused the bot is left out of
# the clock's minute catch-up for this long; one whose sync failed, until RQ's retry (and a minute); one whose
# sync failed every retry, for FAILED_HOLD_SECONDS, so a thread that cannot be posted is not tried every minute.
HOLD_SECONDS = 600
FAILED_HOLD_SECONDS = 6 * 3600
# Who was told of which unposted entry is kept this long (past it, someone still waiting hears again).
TOLD_SECONDS = 7 * 24 * 3600


def region_channel(services: Services, region: str) -> str:
    """The team channel of a region ("": a conversation older than regions, the environment's), where its
    conversations' cards go; "" when that region's team has none."""
    teams = services.teams()
    team = teams.named(region or teams.default_region)
    return team.channel if team else ""


def _waiting(conversation_id: int) -> str:
    return f"scbot:thread-waiting:{conversation_id}"


def _held(conversation_id: int) -> str:
    return f"scbot:thread-held:{conversation_id}"


def _hold(services: Services, conversation_id: int, error: Exception) -> None:
    """Keep the clock's catch-up off a thread whose sync just raised `error`, until its next run is due."""
    job = get_current_job()
    seconds = HOLD_SECONDS
    if not (runs_again(error) or refused_there(error) or job is None):
        seconds = job.get_retry_interval() + 60 if job.retries_left else FAILED_HOLD_SECONDS
    try:
        services.redis.set(_held(conversation_id), 1, ex=seconds)
    except (RedisError, OSError):
        pass  # Redis's own fault is the one to report; the worst without the hold is an extra sync


def _lock_name(conversation_id: int) -> str:
    return f"thread:{conversation_id}"


def _told(conversation_id: int) -> str:
    return f"scbot:thread-told:{conversation_id}"


def enqueue_sync(services: Services, conversation_id: int) -> bool:
    """Queue a sync of a conversation's thread, unless one is waiting to start (False): that one reads the
    database once started, so it posts this change too. A busy hour's writes to one conversation make one
    job, not one each."""
    sync_id = f"thread-{conversation_id}-{uuid.uuid4().hex[:12]}"
    try:
        # Names its job, and lapses in case that is lost; the worst then is a second job, which posts nothing twice.
        if not services.redis.set(_waiting(conversation_id), sync_id, nx=True, ex=WAITING_SECONDS):
            return False
    except (RedisError, OSError) as error:
        raise ServiceDown("job queue (Redis)") from error
    try:
        services.enqueue(sync_thread, conversation_id, job_id=sync_id)
    except ServiceDown:
        services.redis.delete(_waiting(conversation_id))
        raise
    return True


def enqueue_pending(services: Services, leave_held: bool = False) -> int:
    """Queue a sync for every conversation with something not yet in Slack (saved while Redis was away, or its
    job lost), unless one is waiting; returns how many were queued. Passed over: a conversation with nowhere
    to go yet (its region's team has no channel), and with `leave_held` (the clock's minute), one being synced
    now, or held since its last sync (HOLD_SECONDS): to run again, retried by RQ, or refused by its channel and
    its authors told."""
    with services.session() as session:
        pending = [c.id for c in unposted_conversations(session) if c.channel_id or region_channel(services, c.region)]
    try:
        if leave_held and pending:
            with services.redis.pipeline(transaction=False) as pipe:
                for conversation_id in pending:
                    # Held, or a sync of it running now (its lock: jobs.lock), which posts what is there.
                    pipe.exists(_held(conversation_id), lock_key(_lock_name(conversation_id)))
                held = pipe.execute()
            pending = [conversation_id for conversation_id, is_held in zip(pending, held) if not is_held]
        return sum(_sync_unless_waiting(services, conversation_id) for conversation_id in pending)
    except (RedisError, OSError) as error:
        raise ServiceDown("job queue (Redis)") from error


def _sync_unless_waiting(services: Services, conversation_id: int) -> bool:
    """`enqueue_sync`, but a sync still queued keeps its mark however long the queue takes (not a second job
    every WAITING_SECONDS while no worker runs), and one whose job is lost is replaced."""
    waiting = services.redis.get(_waiting(conversation_id))
    if waiting and still_to_run(services, waiting.decode()):
        services.redis.expire(_waiting(conversation_id), WAITING_SECONDS)
        return False
    if waiting:
        services.redis.delete(_waiting(conversation_id))  # its job is lost
    return enqueue_sync(services, conversation_id)


@slack_job
def sync_thread(conversation_id: int) -> dict:
    services = worker_services()
    services.redis.delete(_waiting(conversation_id))  # before reading: a change saved from now on queues anew
    with lock(services, _lock_name(conversation_id)):
        try:
            return _sync(services, conversation_id)
        except Exception as error:
            # Run again by RQ (a retry, or slack_job's wait), or refused until someone acts: either way the
            # clock's minute catch-up leaves this thread be for a while.
            _hold(services, conversation_id, error)
            why = refused_there(error)
            if why is None:
                raise
            return _tell_unposted(services, conversation_id, why)


def _tell_unposted(services: Services, conversation_id: int, why: str) -> dict:
    """Slack refused the thread's channel: each person whose change is saved but not posted hears why, once
    per change (no retry would post it). The clock tries the thread again every HOLD_SECONDS, and the next
    change at once, so it catches up soon after the bot may post there."""
    told = _told(conversation_id)
    with services.session() as session:
        conversation = get_conversation(session, conversation_id)
        entries = unposted_entries(session, conversation_id)
    with services.redis.pipeline(transaction=False) as pipe:
        for entry in entries:
            pipe.sismember(told, entry.id)  # one by one: SMISMEMBER needs Redis 6.2
        known = pipe.execute()
    new = [entry for entry, was_told in zip(entries, known) if not was_told]
    channel = conversation.channel_id or region_channel(services, conversation.region)
    said = (f":warning: Your change to *{escape(conversation.title)}* is saved, but I couldn't post it in its "
            f"thread in <#{channel}>: {why}. I'll try again every {HOLD_SECONDS // 60} minutes and post it "
            "once I can.")
    authors = sorted({entry.author_user_id for entry in new})
    for author in authors:
        tell(services, author, said)
        # Recorded once told: a run repeated after a 429 tells only whoever it had not reached.
        services.redis.sadd(told, *[entry.id for entry in new if entry.author_user_id == author])
        services.redis.expire(told, TOLD_SECONDS)
    return {"refused": why, "told": authors}


def _sync(services: Services, conversation_id: int) -> dict:
    client = services.client
    with services.session() as session:
        conversation = get_conversation(session, conversation_id)
        card = conversation_views.card_message(view_conversation(session, services.directory(), conversation))
        card_missing = not conversation.card_ts
    # Once posted, the card stays where it is; a new one goes to its region's team channel.
    channel = conversation.channel_id or region_channel(services, conversation.region)
    if not channel:
        return {"skipped": f"the team of {conversation.region or 'its region'} has no team channel"}
    posted = 0
    began = time.monotonic()
    if card_missing:
        reply = post_message(services, channel, **card)
        with services.session() as session:
            record_card(session, conversation_id, reply["channel"], reply["ts"])
        link = client.chat_getPermalink(channel=reply["channel"], message_ts=reply["ts"])
        with services.session() as session:
            record_card_link(session, conversation_id, link["permalink"])
    with services.session() as session:
        conversation = get_conversation(session, conversation_id)
        entries = unposted_entries(session, conversation_id)
    for entry in entries:
        if time.monotonic() - began > RUN_SECONDS:
            raise Later(1, f"conversation {conversation_id} has more to post")
        reply = post_message(services, conversation.channel_id, thread_ts=conversation.card_ts,
                             **conversation_views.log_entry_message(entry))
        with services.session() as session:
            record_entry_posted(session, entry.id, reply["ts"])
        posted += 1
    if posted and not card_missing:
        # Stage, last activity and open actions on the card have moved on.
        with services.session() as session:
            conversation = get_conversation(session, conversation_id)
            card = conversation_views.card_message(view_conversation(session, services.directory(), conversation))
        client.chat_update(channel=conversation.channel_id, ts=conversation.card_ts, **card)
    return {"card_posted": card_missing, "entries_posted": posted}


@slack_job
def redraw_card(conversation_id: int) -> dict:
    """Draw a conversation's card again where something it shows changed without a log entry (its lead went
    away or came back: models.absence)."""
    services = worker_services()
    with lock(services, _lock_name(conversation_id)):
        with services.session() as session:
            conversation = get_conversation(session, conversation_id)
            if not conversation.card_ts:
                return {"skipped": "its card is not posted yet; it is drawn as it is when it is"}
            card = conversation_views.card_message(view_conversation(session, services.directory(), conversation))
        services.client.chat_update(channel=conversation.channel_id, ts=conversation.card_ts, **card)
    return {"card_redrawn": conversation_id}


def enqueue_redraws(services: Services, conversation_ids: list[int], why: str) -> None:
    """Queue `redraw_card` for each conversation; `why` (letters, digits, - and _) names the jobs."""
    for conversation_id in conversation_ids:
        services.enqueue(redraw_card, conversation_id, job_id=f"card-{conversation_id}-{why}")
