"""What reminders look like in Slack: the digest, countdowns, nudges and personal reminders."""
import json
from datetime import datetime

from bot.views.blocks import button, day, escape, message, section, when
from bot.views.ids import ActionId
from bot.views.progress import disagreement_section, forecast_line, headline
from models import clock
from models.confidence import rating_of
from models.progress import Progress
from models.reminders import Digest, Nudge, Reminder
from models.tables import Absence


def _stamp(instant: datetime) -> str:
    return f"{instant:%A %-d %B %Y, %H:%M}"


def digest_message(d: Digest, names: dict[str, str]) -> dict:
    """`names`: the people the digest names (Digest.people), as Slack shows them: named, never pinged."""
    p = d.progress
    lines = [headline(p)]
    if d.days_to_target > 0:  # once it has passed, the headline says so
        lines.append(f"*{d.days_to_target} days* to the target.")
    lines.append(forecast_line(p))
    blocks = [{"type": "header", "text": {"type": "plain_text",
                                          "text": f"Weekly Single Conversation digest: {p.scope.name}"}},
              {"type": "context", "elements": [{"type": "mrkdwn", "text": f"As of {_stamp(d.as_of)}"}]},
              section("\n".join(lines))]
    moved = "\n".join(f"• *{escape(m.title)}*: {escape(m.text)} — {escape(names[m.by])}"
                      for m in d.moved) or "Nothing moved."
    blocks.append(section(f"*This week*\n{moved}"))
    if d.disagreeing:
        blocks.append(disagreement_section(d.disagreeing))
    if d.away:
        away = "\n".join(f"• {escape(names[a.user_id])}, back {day(a.back_on)}: "
                         + (f"{escape(names[a.deputy_user_id])} covers" if a.deputy_user_id
                            else "nobody named, so their nudges come to this channel") for a in d.away)
        blocks.append(section(f"*Away*\n{away}"))
    if d.not_begun:
        waiting = "\n".join(f"• {escape(group)}: {escape(', '.join(areas))}" for group, areas in d.not_begun.items())
        blocks.append(section(f"*Not yet begun*\n{waiting}"))
    else:
        blocks.append(section("*Every area has begun.* :tada:"))
    to_target = (f"{d.days_to_target} days to the target" if d.days_to_target > 0
                 else "the target date has passed")
    return message(f"Digest: {p.begun} of {p.total} areas begun, {to_target}", blocks)


def countdown_message(days: int, target: str, p: Progress) -> dict:
    text = (f":hourglass_flowing_sand: *{days} days* to the target ({target}): in {escape(p.scope.name)}, "
            f"{p.begun} of {p.total} areas have begun, {p.remaining} to go.")
    return message(f"{days} days to the target: {p.begun} of {p.total} areas begun in {p.scope.name}",
                   [section(text)])


def nudge_message(nudge: Nudge, stale_days: int, log_names: dict[int, str], fallback_for: str = "",
                  away: Absence | None = None) -> dict:
    """`log_names`: the name `/sc log` reads as each quiet or unassessed conversation (models.reminders.log_names).
    `away`: the absence of the person whose nudge it is: sent to their deputy, or (`fallback_for`) the channel."""
    lines = []
    if away and fallback_for:
        lines.append(f"_For <@{fallback_for}>, who is away until {day(away.back_on)} with nobody "
                     "here to cover: whoever covers, please look._")
    elif away:
        lines.append(f"_<@{away.user_id}> is away until {day(away.back_on)} and you cover for them, "
                     "so their nudge comes to you._")
    elif fallback_for:
        lines.append(f"_For <@{fallback_for}>, whom I could not reach directly._")
    if nudge.actions:
        lines.append("*Actions due*")
        lines += [f"• *{escape(title)}*: {escape(a.text)} (due {day(a.due_on)})" for a, title in nudge.actions]
    if nudge.quiet:
        lines.append(f"*Quiet for over {stale_days} days*")
        lines += [f"• *{escape(c.title)}*: last entry {when(c.last_activity_at)}. "
                  f"`/sc log {escape(log_names[c.id])} ...`" for c in nudge.quiet]
    if nudge.unassessed:
        lines.append("*Delivery confidence due again*")
        lines += [f"• *{escape(c.title)}*: " + (f"last assessed {day(clock.local(last.assessed_at).date())}, "
                                                  f"{rating_of(last).label}" if last else "never assessed")
                  + f". `/sc confidence {escape(log_names[c.id])} &lt;rating&gt; &lt;why&gt;`"
                  for c, last in nudge.unassessed]
    count = len(nudge.actions) + len(nudge.quiet) + len(nudge.unassessed)
    return message(f"Good morning: {count} thing{'s' if count != 1 else ''} to look at in your Single Conversations",
                   [section("\n".join(lines))])


def reminder_message(reminder: Reminder, title: str, link: str, fallback_for: str = "") -> dict:
    where = f"<{link}|{escape(title)}>" if link else f"*{escape(title)}*"
    head = f"_For <@{fallback_for}>, whom I could not reach directly._\n" if fallback_for else ""
    every = " (every week)" if reminder.repeat else ""
    text = f"{head}:alarm_clock: Reminder{every} about {where}: {escape(reminder.text)}"
    value = str(reminder.id)
    return message(f"Reminder: {escape(reminder.text)}", [
        section(text),
        {"type": "actions", "elements": [button("Snooze 1 hour", ActionId.REMINDER_SNOOZE, value),
                                         button("Done", ActionId.REMINDER_DONE, value, "primary")]},
    ])


def reminders_list(reminders: list[Reminder], titles: dict[int, str]) -> dict:
    if not reminders:
        return message("You have no reminders. `/sc remind Leicester tomorrow 9am Call the housing officer` sets one.")
    blocks = [section("*Your reminders*")]
    for reminder in reminders[:48]:
        every = ", every week" if reminder.repeat else ""
        blocks.append(section(
            f"{when(reminder.due_at)}{every} · *{escape(titles.get(reminder.conversation_id, ''))}*: "
            f"{escape(reminder.text)}",
            accessory=button("Cancel", ActionId.REMINDER_CANCEL, str(reminder.id)),
        ))
    return message(f"{len(reminders)} reminders", blocks)


def settings_metadata(settings) -> str:
    """What the settings form carries back: whose settings they are, and the version it showed."""
    return json.dumps({"region": settings.region, "version": settings.version})


def read_settings_metadata(metadata: str, default_region: str) -> tuple[str, str]:
    """(region, version) from a settings form; a form opened before there were several regions carries only the
    version, of `default_region`'s settings. Anything else reads as a region no team has."""
    try:
        said = json.loads(metadata) if metadata.startswith("{") else {"region": default_region, "version": metadata}
        return str(said["region"]), str(said["version"])
    except (ValueError, KeyError, TypeError):
        return "", ""
