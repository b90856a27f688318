"""Block Kit and Slack's mrkdwn as lines of text, as a person would read them in Slack."""
import re
from collections.abc import Callable

from bot.offline.people import People

CHANNEL_NAME = "#single-conversations"
GUTTER = "  │ "
# Slack's markup: <@U1|name>, <#C1>, <!channel>, <https://...|text>.
MARKUP = re.compile(r"<([@#!]?)([^>|]*)(?:\|([^>]*))?>")
EMPHASIS = re.compile(r"(?<![\w*_])([*_])(?=\S)([^*_\n]+?)(?<=\S)\1(?![\w*_])")  # *bold*, _italic_


class Renderer:
    def __init__(self, team_channel: str, people: People):
        self.team_channel = team_channel
        self.here = team_channel  # the channel the person types in (/region moves them)
        self.people = people
        self.channels: dict[str, str] = {}  # channel id -> name, of channels chosen in forms

    def learn_channel(self, name: str) -> str:
        """A Slack-like id for a channel named in a form (#digest is CDIGEST), as Slack's menu would give."""
        channel = "C" + re.sub(r"[^A-Za-z0-9]", "", name).upper()
        self.channels[channel] = name
        return channel

    def lines(self, message: dict, label: Callable[[dict, str], str]) -> list[str]:
        """Block Kit as lines of text; `label` numbers each button."""
        if not message.get("blocks"):
            return self.clean(message.get("text", "")).splitlines()
        lines = []
        for block in message["blocks"]:
            kind, block_id = block["type"], block.get("block_id", "")
            if kind == "header":
                title = block["text"]["text"]
                lines += [title, "─" * len(title)]
            elif kind == "section":
                text = self.clean(block["text"]["text"]).splitlines() if block.get("text") else []
                for item in block.get("fields", []):
                    text += self.field_lines(item["text"])
                accessory = block.get("accessory", {})
                if accessory.get("type") == "button":
                    text = text or [""]
                    text[-1] += "   " + label(accessory, block_id)
                lines += text
            elif kind == "context":
                lines.append("  ".join(self.clean(e.get("text", "")) for e in block["elements"]))
            elif kind == "divider":
                lines.append("┄" * 40)
            elif kind == "actions":
                lines.append("   ".join(label(e, block_id) for e in block["elements"] if e["type"] == "button"))
        return lines

    def field_lines(self, text: str) -> list[str]:
        """A field, '*Label*\\nvalue', as 'Label: value'."""
        head, _, value = text.partition("\n")
        first, *more = self.clean(value).splitlines() or [""]
        return [f"{self.clean(head)}: {first}", *("    " + line for line in more)]

    def clean(self, text: str) -> str:
        """Slack's mrkdwn as a person would read it in Slack."""
        def markup(match: re.Match) -> str:
            sigil, target, label = match.groups()
            if sigil == "@":
                return "@" + self.people.name_of(target)
            if sigil == "#":
                return self.channel_name(target) if not label else "#" + label
            if sigil == "!":
                return label or "@" + target  # <!channel> pings everyone in Slack
            return f"{label} ({target})" if label else target

        text = EMPHASIS.sub(r"\2", MARKUP.sub(markup, text))
        return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")

    def title(self, message: dict) -> str:
        headers = [b["text"]["text"] for b in message.get("blocks") or [] if b["type"] == "header"]
        return headers[0] if headers else self.clean(message.get("text", "an earlier message"))

    def channel_name(self, channel: str) -> str:
        if channel == self.team_channel:
            return CHANNEL_NAME
        if channel[:1] in ("U", "W", "D"):  # posted to a person: the app's direct messages with them
            return f"direct message to @{self.people.name_of('U' + channel[1:])}"
        return f"#{self.channels.get(channel, channel)}"
