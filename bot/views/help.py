"""`/sc help`, and the answer to a subcommand the bot does not know."""
from bot.views.blocks import escape, message, render_text, section, sections
from models.stages import STAGES


def help_message() -> dict:
    # The help shows placeholders such as <area>, which mrkdwn would take for links.
    return message("How to use /sc", sections(escape(render_text("help.md.j2", stages=STAGES))))


def unknown_command(name: str) -> dict:
    help_body = help_message()
    note = section(f":thinking_face: I don't know `/sc {escape(name)}`. Here is what I can do:")
    return {"text": help_body["text"], "blocks": [note, *help_body["blocks"]]}
