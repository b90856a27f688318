"""`/sc remind`, `/sc reminders`, `/sc settings`: their subcommands, the buttons on reminders, and the settings form."""
from datetime import time, timedelta

from slack_bolt import Ack, App, Respond

from bot.services import Services
from bot.views import blocks, forms
from bot.views import reminders as reminder_views
from bot.views.ids import ActionId, FormId
from handlers.conversations import start_for
from handlers.forms import form_values
from handlers.permissions import Who, only
from jobs import job_id
from jobs.reminders import tell_deputy
from jobs.threads import enqueue_redraws
from models import clock
from models.absence import AwayRequest, check_deputy, come_back, led_by, set_away
from models.absence import parse_away as parse_away_words
from models.areas import AreaGroup
from models.commands import Command
from models.confidence import DEFAULT_DAYS
from models.conversations import conversation_of, conversation_titles
from models.errors import InputError, Refused, ServiceDown
from models.regions import Team
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
from models.values import one_of, whole_number

SNOOZE = timedelta(hours=1)
FORM_OUT_OF_DATE = "This settings form is not one I recognise. Open `/sc settings` again in the team's channel."
USAGE = ("Which area, when, and what? For example `/sc remind Leicester tomorrow 9am Call the housing officer`. "
         f"Times that work: {WHEN_EXAMPLES}.")


def parse_remind(services: Services, command: Command) -> tuple[AreaGroup, When, str]:
    group, rest = services.directory().split_leading(command.args)
    if not rest:
        raise InputError(f"When, and what about? For example `/sc remind {group.name} tomorrow 9am Call Jo`. "
                         f"Times that work: {WHEN_EXAMPLES}.")
    when, text = parse_when(rest, clock.now())
    if not text:
        raise InputError("What should I remind you of? Write it after the time, e.g. "
                         f"`/sc remind {group.name} tomorrow 9am Call Jo`.")
    return group, when, text


def remind(services: Services, request: tuple[AreaGroup, When, str], command: Command) -> str | dict:
    group, when, text = request
    with services.session() as session:
        conversation = conversation_of(session, group)
        if conversation is None:
            offer = blocks.section(
                f"{blocks.escape(group.name)} has no Single Conversation yet, so there is nothing to remind you "
                "about. Start one?",
                accessory=blocks.button(f"Start {group.name}"[:75], ActionId.START_OFFERED, group.name, "primary"))
            return blocks.message(f"{blocks.escape(group.name)} has no Single Conversation yet.", [offer])
        reminder = add_reminder(session, command.user, conversation, when, text)
    every = " and every week after" if reminder.repeat else ""
    return (f":alarm_clock: I'll remind you {blocks.when(reminder.due_at)}{every} about "
            f"*{blocks.escape(conversation.title)}*: {blocks.escape(reminder.text)}")


def list_reminders(services: Services, command: Command, _: Command) -> dict:
    return reminders_of(services, command.user)


def reminders_of(services: Services, user: str) -> dict:
    with services.session() as session:
        mine = open_reminders(session, user)
        titles = conversation_titles(session, {r.conversation_id for r in mine})
    return reminder_views.reminders_list(mine, titles)


def parse_away(services: Services, command: Command) -> AwayRequest:
    request = parse_away_words(command.args, command.user, clock.now())
    team = services.team_of(command.user, command.channel)
    check_deputy(request, services.is_team_member(request.deputy, team) if request.deputy else None)
    return request


def away(services: Services, request: AwayRequest, command: Command) -> str:
    """Saved at once; the cards of the conversations they lead are drawn again to name who covers."""
    with services.session() as session:
        replaced = set_away(session, command.user, request, clock.now())
        led = led_by(session, command.user)
        team = services.team_of(command.user, command.channel)
        channel = services.reminder_settings(session, team).digest_channel
    covers = (f"<@{request.deputy}> gets your nudges" if request.deputy
              else f"your nudges go to <#{channel}>, as you named nobody to cover")
    said = (f":palm_tree: You're away until {blocks.day(request.back_on)} (back that morning): {covers}, "
            "and your reminders wait for you until then. `/sc back` if you return sooner.")
    if replaced:
        was = f", <@{replaced.deputy_user_id}> covering" if replaced.deputy_user_id else ""
        said += f"\nThis replaces your absence until {blocks.day(replaced.back_on)}{was}."
    return said + _slack_side(services, command.user, led, request)


def back(services: Services, request: Command, command: Command) -> str:
    with services.session() as session:
        waited = come_back(session, command.user, clock.now())
        led = led_by(session, command.user)
    held = (f" The {waited} reminder{'s' if waited != 1 else ''} that waited for you arrive{'s' if waited == 1 else ''} "
            "within a minute." if waited else "")
    return f":wave: Welcome back. Your nudges come to you again.{held}" + _slack_side(services, command.user, led)


def _slack_side(services: Services, user: str, led: list[int], request: AwayRequest | None = None) -> str:
    """Queue the cards of the conversations `user` leads to be drawn again, and a word to the deputy named."""
    why = job_id(f"{user}-{clock.now().timestamp()}")
    try:
        enqueue_redraws(services, led, why)
        if request and request.deputy:
            services.enqueue(tell_deputy, user, request.deputy, request.back_on.isoformat(), job_id=f"deputy-{why}")
    except ServiceDown:
        return ("\n:hourglass: Saved, but the job queue (Redis) is not answering, so the cards of the conversations "
                "you lead show it only at their next change.")
    return ""


def _days(values: dict, field: str, example: str) -> int:
    """A number of days typed in the settings form."""
    said = (values[field].get("value") or "").strip()
    if not (said.isascii() and said.isdigit()) or len(said) > 3:
        raise InputError(f"Give the number of days, e.g. {example}.", field=field)
    return int(said)


def settings_form(services: Services, command: Command) -> dict:
    """The settings of the region whose channel it is asked in, or of the manager's own team."""
    with services.session() as session:
        current = services.reminder_settings(session, services.team_of(command.user, command.channel))
    return forms.settings_modal(current)


def settings_team(services: Services, user: str, metadata: str) -> Team:
    """The team whose settings a form was opened for, if `user` may change them: that team's managers and the
    national managers may; a region no team has (a forged form) is refused."""
    teams = services.teams()
    region, _ = reminder_views.read_settings_metadata(metadata, teams.default_region)
    team = teams.named(region)
    if team is None:
        raise Refused(FORM_OUT_OF_DATE)
    if user not in team.managers | teams.national_managers:
        raise Refused(f"Only the managers of {team.region} (and the national managers) can change its settings.")
    return team


def register(app: App, services: Services) -> None:
    def pressed(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        """A reminder's button: only its owner may press it (the rules check); the message is redrawn."""
        user, pressed_id, reminder_id = body["user"]["id"], action["action_id"], whole_number(action.get("value"))
        # Pressed twice, or on two screens at once, the first press changes it; the others say how it stands.
        with services.session() as session:
            if pressed_id == ActionId.REMINDER_SNOOZE:
                reminder, changed = snooze_reminder(session, reminder_id, user, clock.now() + SNOOZE)
                said = (f":zzz: {'Snoozed' if changed else 'Already snoozed'}: I'll remind you again "
                        f"{blocks.when(reminder.due_at)}.")
            else:
                how = "cancelled" if pressed_id == ActionId.REMINDER_CANCEL else "done"
                reminder, changed = close_reminder(session, reminder_id, user, how)
                said = (f":white_check_mark: Reminder {how}: {blocks.escape(reminder.text)}" if changed else
                        f":white_check_mark: Reminder already {reminder.closed_how}: {blocks.escape(reminder.text)}")
        ack()  # after the checks: see handlers/actions.py
        if pressed_id == ActionId.REMINDER_CANCEL:
            listing = reminders_of(services, user)
            respond({"replace_original": True, "text": said, "blocks": [blocks.section(said), *listing["blocks"]]})
        else:
            respond({"replace_original": True, **blocks.message(said)})

    for action_id in (ActionId.REMINDER_CANCEL, ActionId.REMINDER_SNOOZE, ActionId.REMINDER_DONE):
        app.action(action_id)(pressed)

    def start_offered(ack: Ack, body: dict, action: dict, respond: Respond) -> None:
        directory = services.directory()
        group = directory.resolve(one_of(action.get("value"), {a.name for a in directory.areas} | set(directory.hmas)))
        said = start_for(services, group, body["user"]["id"])
        ack()  # after the checks: see handlers/actions.py
        respond({"replace_original": True, **blocks.message(said)})

    app.action(ActionId.START_OFFERED, middleware=[only(services, Who.TEAM)])(start_offered)

    @app.view(FormId.SETTINGS)
    def save_settings(ack: Ack, body: dict, view: dict) -> None:
        """Who may save is decided by the region the form is for (its private_metadata), not by who they are."""
        metadata = view.get("private_metadata") or ""
        team = settings_team(services, body["user"]["id"], metadata)
        values = form_values(view)
        # Every value is read as it may come, forged: a wrong shape is a polite refusal, not a fault.
        try:
            stale = _days(values, "stale_days", "21")
            # A form from before the setting existed keeps its default.
            assess_days = _days(values, "confidence_days", "28") if "confidence_days" in values else DEFAULT_DAYS
            changed = ReminderSettings(
                digest_weekday=WEEKDAYS.index(values["digest_day"]["selected_option"]["value"]),
                digest_time=time.fromisoformat(values["digest_time"]["selected_time"]),
                digest_channel=values["digest_channel"]["selected_channel"],
                stale_days=stale,
                confidence_days=assess_days,
                target_date=clock.parse_instant(values["target_date"]["selected_date"]).date(),
                region=team.region,
            )
        except (KeyError, TypeError, ValueError, AttributeError):
            raise InputError("Fill in every field from its menu or calendar.", field="digest_day") from None
        _, seen = reminder_views.read_settings_metadata(metadata, team.region)
        with services.session() as session:
            changed.save(session, body["user"]["id"], seen)
        ack(response_action="update", view=forms.settings_saved_modal(changed))
