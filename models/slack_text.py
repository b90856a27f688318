"""Text as Slack sends it in a slash command's words, read once into what the person meant.

Slack escapes `&`, `<` and `>` typed in a command as `&amp;`, `&lt;` and `&gt;`, and writes what was picked
from its menus as markup: `<@U123|jo>` a person, `<#C123|general>` a channel, `<!here>` a special mention,
`<https://…|label>` a link (api.slack.com/reference/surfaces/formatting#escaping). Form inputs and option
values arrive as typed, and are not read here.
"""
import re

# Slack's markup, or one of its three entities.
_SENT = re.compile(r"<([^<>]*)>|&(amp|lt|gt);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}
# A person or a channel, kept as Slack wrote them: the views show them as the people and channels they are.
_PERSON_OR_CHANNEL = re.compile(r"(?:@[UW]|#[CG])[A-Z0-9]+(?:\|[^<>]*)?")


def _entities(text: str) -> str:
    return re.sub(r"&(amp|lt|gt);", lambda m: _ENTITIES[m.group(1)], text)


def _markup(inner: str) -> str:
    if _PERSON_OR_CHANNEL.fullmatch(inner):
        return f"<{inner}>"
    target, _, label = inner.partition("|")
    if target.startswith("!"):
        # <!here>, <!channel>, <!subteam^S123|@team>, <!date^…|fallback>: the words typed, never a ping.
        return _entities(label) if label else "@" + target[1:].split("^")[0]
    # A link: what the person typed (its label), else its address.
    return _entities(label or target)


def read_sent_text(text: str) -> str:
    """`text` as the person meant it: entities back to `&`, `<` and `>`; people and channels kept as
    Slack's markup; special mentions and links as the words typed."""
    return _SENT.sub(lambda m: _ENTITIES[m.group(2)] if m.group(2) else _markup(m.group(1)), text)
