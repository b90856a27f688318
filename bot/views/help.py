"""`/sc help`, and the answer to a subcommand the bot does not know."""
from bot.views.blocks import escape, message, render_text, section, sections
from models.confidence import DEFAULT_DAYS, RATINGS_SAID, disagreement_rule
from models.stages import STAGES


def help_text() -> str:
    """The help as plain text, its rules read from where they are kept."""
    return render_text("help.md.j2", stages=STAGES, ratings=RATINGS_SAID, confidence_rule=disagreement_rule(),
                       confidence_days=DEFAULT_DAYS)


def help_message() -> dict:
    # The help shows placeholders such as <area>, which mrkdwn would take for links.
    return message("How to use /sc", sections(escape(help_text())))


def unknown_command(name: str) -> dict:
    help_body = help_message()
    note = section(f":thinking_face: I don't know `/sc {escape(name)}`. Here is what I can do:")
    return {"text": help_body["text"], "blocks": [note, *help_body["blocks"]]}
