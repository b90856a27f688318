"""Modals filled in at the terminal: each input asked in turn, its answer read as Slack would send it."""
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from slack_bolt import BoltResponse

from bot.offline.people import People, user_id
from bot.offline.render import CHANNEL_NAME, GUTTER, Renderer

WIDTH = 88
FORM_HELP = "(blank takes the [default], - empties a field, cancel closes the form unsent)"


@dataclass
class Field:
    """How to ask for one form field: what to show first, the default, and how to read an answer."""

    read: Callable[[str], dict]  # an answer to the element's state; ValueError says what was wrong
    empty: dict  # the state of a field left empty
    default: dict | None = None
    default_label: str = ""
    hint: str = ""  # what to type, in the prompt
    choices: list[str] = field(default_factory=list)  # lines shown before the first prompt


class FormClosed(Exception):
    pass


class FormFiller:
    def __init__(self, read: Callable[[str], str], say: Callable[..., None], renderer: Renderer, people: People):
        self.read, self.say = read, say
        self.renderer = renderer
        self.people = people

    def fill(self, view: dict, submit: Callable[[dict], BoltResponse]) -> bool | dict:
        """A modal, asked field by field (one with no field: whether to send it), then submitted; fields the bot
        finds wrong are asked again.

        `submit` sends the input blocks' states as a view submission. True when the bot took the form; the
        form it shows next, when that one asks something more (to confirm a skip of stages); False if not sent.
        """
        title = view["title"]["text"]
        inputs = {b["block_id"]: b for b in view["blocks"] if b["type"] == "input"}
        self.say()
        self.say(f"  Form: {title}")
        self.say(f"  {FORM_HELP}")
        values = {}
        try:
            for block in view["blocks"]:
                if block["type"] == "input":
                    values[block["block_id"]] = self.ask(block)
                else:
                    for line in self.renderer.lines({"blocks": [block]}, lambda element, block_id: ""):
                        self.say(GUTTER + line)
            if not inputs and view.get("submit"):
                self.confirm(view["submit"]["text"])
            while True:
                response = submit(values)
                errors = json.loads(response.body).get("errors", {}) if response.body else {}
                if response.status != 200 or not errors:
                    break
                for block_id, error in errors.items():
                    name = inputs[block_id]["label"]["text"] if block_id in inputs else block_id
                    self.say(f"  :warning: {name}: {self.renderer.clean(error)}")
                if not set(errors) & set(inputs):
                    raise FormClosed
                for block_id in errors:
                    if block_id in inputs:
                        values[block_id] = self.ask(inputs[block_id], again=True)
        except FormClosed:
            self.say(f"  The form “{title}” was closed; nothing was sent.")
            return False
        if response.status != 200:
            self.say(f"  (the bot answered HTTP {response.status}: {response.body})")
            return False
        self.say(f"  Sent the form “{title}”.")
        answer = json.loads(response.body) if response.body else {}
        if answer.get("response_action") in ("update", "push"):  # the form now shows something else
            if answer["view"].get("submit"):
                return answer["view"]  # and asks something more
            self.say()
            self.say(f"  Form: {answer['view']['title']['text']}")
            for line in self.renderer.lines(answer["view"], lambda element, block_id: ""):
                self.say((GUTTER + line).rstrip())
        return True

    def close_on(self, answer: str) -> None:
        """`cancel` closes the form unsent; so does a console line (/...), typed where the form asks."""
        if answer.lower() == "cancel":
            raise FormClosed
        if answer.startswith("/"):
            self.say(f"    {answer} is a console line, not an answer: the form is closed; type it again.")
            raise FormClosed

    def confirm(self, action: str) -> None:
        """A form with nothing to fill in: sent on "yes", closed on "cancel"."""
        while (answer := self.read(f"  {action}? (yes, or cancel): ").strip().lower()) != "yes":
            self.close_on(answer)
            self.say("    Type yes to send it, or cancel.")

    def ask(self, block: dict, again: bool = False) -> dict:
        """One input block's state, {action_id: state}, as Slack would send it."""
        element = block["element"]
        form_field = self.field_for(element)
        optional = block.get("optional", False)
        if not again:
            for line in ([block["hint"]["text"]] if block.get("hint") else []) + form_field.choices:
                self.say(f"    {line}")
        about = ", ".join(filter(None, [form_field.hint, "optional" if optional else ""]))
        prompt = (f"  {block['label']['text']}" + (f" ({about})" if about else "")
                  + (f" [{form_field.default_label}]" if form_field.default is not None else "") + ": ")
        while True:
            answer = self.read(prompt).strip()
            self.close_on(answer)
            if answer == "" and form_field.default is not None:
                return {element["action_id"]: form_field.default}
            if answer == "" and not optional:
                self.say("    This one is needed.")
                continue
            if answer == "" or (answer == "-" and optional):
                return {element["action_id"]: form_field.empty}
            try:
                return {element["action_id"]: form_field.read(answer)}
            except ValueError as error:
                self.say(f"    {error}")

    def field_for(self, element: dict) -> Field:
        kind = element["type"]
        if kind == "plain_text_input":
            return self.text_field(element)
        if kind in ("static_select", "multi_static_select", "checkboxes", "radio_buttons"):
            return self.select_field(element)
        if kind == "users_select":
            return self.user_field(element)
        if kind == "datepicker":
            return self.date_field(element)
        if kind == "timepicker":
            return self.time_field(element)
        if kind == "channels_select":
            return self.channel_field(element)
        self.say(f"  The console can't fill in a {kind} field.")
        raise FormClosed

    def text_field(self, element: dict) -> Field:
        multiline, limit = element.get("multiline", False), element.get("max_length", 3000)

        def read(answer: str) -> dict:
            value = answer.replace("\\n", "\n") if multiline else answer
            if len(value) > limit:
                raise ValueError(f"That is {len(value):,} characters; at most {limit:,} fit.")
            return {"type": "plain_text_input", "value": value}

        initial = element.get("initial_value")
        return Field(read, {"type": "plain_text_input", "value": None},
                     {"type": "plain_text_input", "value": initial} if initial else None,
                     shorten(initial or ""), "\\n for a new line" if multiline else "")

    def select_field(self, element: dict) -> Field:
        """A menu, or checkboxes and radio buttons: its options numbered, chosen by number."""
        multiple = element["type"] in ("multi_static_select", "checkboxes")
        groups = element.get("option_groups") or [{"options": element.get("options", [])}]
        options, choices = [], []
        for group in groups:
            if "label" in group:
                choices.append(group["label"]["text"])
            start = len(options)
            options += group["options"]
            choices += pack([f"[{start + n}] {o['text']['text']}" for n, o in enumerate(group["options"], 1)])

        # An option's own words, or its value, pick it too (a year rather than its number in the list).
        names = {str(name).lower(): n for n, o in enumerate(options, 1) for name in (o["value"], o["text"]["text"])}

        def read(answer: str) -> dict:
            numbers = []
            for part in filter(None, (p.strip().lower() for p in answer.split(","))):
                numbers += [names[part]] if part in names else [int(n) if n.isdigit() else 0 for n in part.split()]
            if not numbers or any(not 1 <= n <= len(options) for n in numbers) or len(numbers) > 1 and not multiple:
                raise ValueError(f"Type {'numbers' if multiple else 'a number'} from 1 to {len(options)}, "
                                 "or the words of a choice.")
            chosen = [options[n - 1] for n in dict.fromkeys(numbers)]
            return ({"type": element["type"], "selected_options": chosen} if multiple
                    else {"type": element["type"], "selected_option": chosen[0]})

        if multiple:
            empty = {"type": element["type"], "selected_options": []}
            initial = element.get("initial_options")
        else:
            empty = {"type": element["type"], "selected_option": None}
            initial = [element["initial_option"]] if element.get("initial_option") else None
        default = read(", ".join(str(options.index(o) + 1) for o in initial)) if initial else None
        return Field(read, empty, default, ", ".join(o["text"]["text"] for o in initial or []),
                     "numbers, with commas" if multiple else "a number", choices)

    def user_field(self, element: dict) -> Field:
        def read(answer: str) -> dict:
            name = answer.removeprefix("@")
            if not user_id(name):
                raise ValueError("Type a user's name, e.g. alice.")
            return {"type": "users_select", "selected_user": self.people.learn(name)}

        initial = element.get("initial_user")
        return Field(read, {"type": "users_select", "selected_user": None},
                     {"type": "users_select", "selected_user": initial} if initial else None,
                     "@" + self.people.name_of(initial or ""), "a user's name")

    def date_field(self, element: dict) -> Field:
        def read(answer: str) -> dict:
            try:
                return {"type": "datepicker", "selected_date": date.fromisoformat(answer).isoformat()}
            except ValueError:
                raise ValueError("Type a date as YYYY-MM-DD, e.g. 2011-01-31.") from None

        initial = element.get("initial_date")
        return Field(read, {"type": "datepicker", "selected_date": None},
                     read(initial) if initial else None, initial or "", "YYYY-MM-DD")

    def time_field(self, element: dict) -> Field:
        def read(answer: str) -> dict:
            try:
                time.strptime(answer, "%H:%M")
            except ValueError:
                raise ValueError("Type a time as HH:MM, e.g. 09:00.") from None
            return {"type": "timepicker", "selected_time": answer.zfill(5)}

        initial = element.get("initial_time")
        return Field(read, {"type": "timepicker", "selected_time": None},
                     read(initial) if initial else None, initial or "", "HH:MM")

    def channel_field(self, element: dict) -> Field:
        def read(answer: str) -> dict:
            name = answer.removeprefix("#")
            if not re.fullmatch(r"[A-Za-z0-9_-]+", name):
                raise ValueError("Type a channel, e.g. #single-conversations.")
            team = name == CHANNEL_NAME.removeprefix("#") or name == self.renderer.team_channel
            return {"type": "channels_select",
                    "selected_channel": self.renderer.team_channel if team else self.renderer.learn_channel(name)}

        initial = element.get("initial_channel")
        return Field(read, {"type": "channels_select", "selected_channel": None},
                     {"type": "channels_select", "selected_channel": initial} if initial else None,
                     self.renderer.channel_name(initial) if initial else "", "a channel")


def pack(items: list[str], indent: str = "  ", width: int = WIDTH) -> list[str]:
    """Items on as few lines as fit, never split."""
    lines: list[str] = []
    for item in items:
        if lines and len(lines[-1]) + 3 + len(item) <= width:
            lines[-1] += "   " + item
        else:
            lines.append(indent + item)
    return lines


def shorten(text: str, width: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
