"""`/sc remind`, `/sc reminders`, `/sc settings`, and the buttons on reminders."""
from datetime import time, timedelta

from slack_bolt import Ack, App, Respond

from bot.services import Services
from bot.views import blocks, forms
from bot.views import reminders as reminder_messages
from handlers import commands
from handlers.replies import problem, team_button
from models import clock
from models.areas import AreaGroup
from models.conversations import (
    conversation_of,
    conversation_titles,
)
from models.errors import InputError, Refused, ServiceDown
from models.reminders import (
    WEEKDAYS,
    WHEN_EXAMPLES,
    ReminderSettings,
    When,
    add_reminder,
    close_reminder,
    open_reminders,
    parse_when,
    snooze_reminder,
)

SNOOZE = timedelta(hours=1)
NOT_MANAGER = "Only managers (listed in the bot's settings) can change the reminder settings."


def parse_remind(services: Services, args: str, user: str) -> tuple[AreaGroup, When, str]:
    group, rest = services.directory().split_leading(args)
    if not rest:
        raise InputError(f"When, and what about? For example `/sc remind {group.name} tomorrow 9am Call Jo`. "
                         f"Times that work: {WHEN_EXAMPLES}.")
    when, text = parse_when(rest, clock.now())
    if not text:
        raise InputError("What should I remind you of? Write it after the time, e.g. "
                         f"`/sc remind {group.name} tomorrow 9am Call Jo`.")
    return group, when, text


def remind(services: Services, request, user: str) -> str | dict:
    group, when, text = request
    with services.session() as session:
        conversation = conversation_of(session, group)
        if conversation is None:
            offer = blocks.section(
                f"{blocks.escape(group.name)} has no Single Conversation yet, so there is nothing to remind you "
                "about. Start one?",
                accessory=blocks.button(f"Start {group.name}"[:75], "start_offered", group.name, "primary"))
            return blocks.message(f"{group.name} has no Single Conversation yet.", [offer])
        reminder = add_reminder(session, user, conversation, when, text)
    every = " and every week after" if reminder.repeat else ""
    return (f":alarm_clock: I'll remind you {blocks.when(reminder.due_at)}{every} about "
            f"*{blocks.escape(conversation.title)}*: {blocks.escape(reminder.text)}")


def list_reminders(services: Services, args: str, user: str) -> dict:
    with services.session() as session:
        mine = open_reminders(session, user)
        titles = conversation_titles(session, {r.conversation_id for r in mine})
    return reminder_messages.reminders_list(mine, titles)


def settings_form(services: Services, args: str, user: str) -> dict:
    if user not in services.settings.managers:
        raise Refused(NOT_MANAGER)
    with services.session() as session:
        current = services.reminder_settings(session)
    return forms.settings_modal(current)


def register(app: App, services: Services) -> None:
    commands.WRITES["remind"] = commands.Write(commands.needs_args("remind", parse_remind), remind)
    commands.USAGE["remind"] = ("Which area, when, and what? For example "
                                "`/sc remind Leicester tomorrow 9am Call the housing officer`. "
                                f"Times that work: {WHEN_EXAMPLES}.")
    commands.READS["reminders"] = list_reminders
    commands.WRITES["settings"] = commands.form_only(settings_form)

    def owned(action_id: str):
        """A reminder button: only the reminder's owner may press it; the message is redrawn."""
        def listener(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
            ack()
            user = body["user"]["id"]
            try:
                with services.session() as session:
                    if action_id == "reminder_snooze":
                        reminder = snooze_reminder(session, int(action["value"]), user, clock.now() + SNOOZE)
                        said = f":zzz: Snoozed: I'll remind you again {blocks.when(reminder.due_at)}."
                    else:
                        how = "cancelled" if action_id == "reminder_cancel" else "done"
                        reminder = close_reminder(session, int(action["value"]), user, how)
                        said = f":white_check_mark: Reminder {how}: {blocks.escape(reminder.text)}"
                if action_id == "reminder_cancel":
                    listing = list_reminders(services, "", user)
                    respond({"replace_original": True, "text": said,
                             "blocks": [blocks.section(said), *listing["blocks"]]})
                else:
                    respond({"replace_original": True, **blocks.message(said)})
            except (InputError, ServiceDown) as error:
                respond({**problem(error), "replace_original": False})
        return listener

    for action_id in ("reminder_cancel", "reminder_snooze", "reminder_done"):
        app.action(action_id)(owned(action_id))

    def start_offered(body: dict, action: dict, respond: Respond, client, user: str) -> None:
        group = services.directory().resolve(action["value"])
        respond({"replace_original": True, **blocks.message(commands.write_start(services, group, user))})

    app.action("start_offered")(team_button(services, start_offered))

    @app.view("reminder_settings")
    def save_settings(ack: Ack, body: dict, view: dict) -> None:
        user = body["user"]["id"]
        values = {block: next(iter(state.values())) for block, state in view["state"]["values"].items()}
        try:
            if user not in services.settings.managers:
                raise Refused(NOT_MANAGER)
            stale = values["stale_days"].get("value") or ""
            if not stale.strip().isdigit():
                raise InputError("Give the number of days, e.g. 21.")
            changed = ReminderSettings(
                digest_weekday=WEEKDAYS.index(values["digest_day"]["selected_option"]["value"]),
                digest_time=time.fromisoformat(values["digest_time"]["selected_time"]),
                digest_channel=values["digest_channel"]["selected_channel"],
                stale_days=int(stale),
                target_date=clock.parse_instant(values["target_date"]["selected_date"]).date(),
            )
            with services.session() as session:
                changed.save(session, user)
        except (InputError, ServiceDown) as error:
            ack(response_action="errors", errors={"stale_days": str(error)})
            return
        ack()
