"""Extracts in Slack: the request form, the status message the worker keeps current, and `/sc extracts`."""
from bot.views import blocks
from bot.views.forms import area_options
from bot.views.ids import ActionId, FormId
from models.extracts import DEFAULT_FORMATS, FORMATS, STATES, describe
from models.statistics import TOPICS
from models.tables import ExtractRequest

ICONS = {"waiting": ":hourglass:", "queued": ":hourglass_flowing_sand:", "building": ":gear:",
         "retrying": ":repeat:", "done": ":white_check_mark:", "failed": ":x:"}


def _state(request: ExtractRequest) -> str:
    return f"{ICONS[request.state]} {STATES[request.state]}"


def status_message(request: ExtractRequest) -> dict:
    what = blocks.escape(describe(request))
    line = f"{_state(request)}: extract {what}, asked for by <@{request.requested_by}>."
    extra = []
    if request.state == "waiting":
        line += " The job queue (Redis) is not answering; it will be built as soon as the queue is back."
    elif request.state == "building" and request.attempt > 1:
        line += f" (attempt {request.attempt})"
    elif request.state == "retrying":
        line += f" The last try stopped ({blocks.escape(request.reason)}); it will be tried again shortly."
    elif request.state == "done":
        names = request.file_names.split(",") if request.file_names else []
        where = "in this thread" if request.thread_ts else "here"
        line += f" The files are {where}: " + ", ".join(f"`{blocks.escape(n)}`" for n in names) + "."
    elif request.state == "failed":
        line += f"\nReason: {blocks.escape(request.reason)}"
        extra.append({"type": "actions", "elements": [
            blocks.button("Retry", ActionId.EXTRACT_RETRY, str(request.id), "primary")]})
    return blocks.message(f"Extract #{request.id} for {blocks.escape(request.subject)}: {request.state}",
                          [blocks.section(line), *extra])


def files_comment(request: ExtractRequest) -> str:
    """The comment the files arrive with."""
    return (f"Extract #{request.id} for {blocks.escape(request.subject)}, {request.first_year} to "
            f"{request.last_year}. Figures from the statistics store; sources inside.")


def extract_modal(directory, years, chosen_years: tuple[int, int]) -> dict:
    """The extract form: `years` are those the store holds, `chosen_years` those chosen at first."""
    groups = area_options(directory) or []
    wider = [{"text": blocks.plain(name), "value": f"{kind}:{name}"} for kind, name in
             [("region", r) for r in sorted({a.region for a in directory.areas if a.region})] +
             [("county", c) for c in sorted({a.county for a in directory.areas if a.county})]]
    options = [{"label": blocks.plain("Region and counties"), "options": wider}, *groups]

    def checkbox(values: dict, chosen) -> dict:
        items = [{"text": blocks.plain(label), "value": key} for key, label in values.items()]
        return {"type": "checkboxes", "options": items,
                "initial_options": [item for item in items if item["value"] in chosen]}

    def year_select(initial: int) -> dict:
        items = [{"text": blocks.plain(str(y)), "value": str(y)} for y in years][-100:]
        chosen = next((i for i in items if i["value"] == str(initial)), items[0])
        return {"type": "static_select", "options": items, "initial_option": chosen}

    first, last = chosen_years
    return {
        "type": "modal", "callback_id": FormId.EXTRACT, "title": blocks.plain("Data extract"),
        "submit": blocks.plain("Request"), "close": blocks.plain("Cancel"),
        "blocks": [
            _input("areas", "Area, HMA, county or region",
                   {"type": "multi_static_select", "option_groups": options,
                    "placeholder": blocks.plain("One HMA, county or region, or one or more areas")}),
            _input("topics", "Topics", checkbox({k: f"{k}: {v}" for k, v in TOPICS.items()}, TOPICS)),
            _input("formats", "Formats", checkbox({k: f"{k.upper()}: {v}" for k, v in FORMATS.items()},
                                                  DEFAULT_FORMATS)),
            _input("first_year", "From", year_select(first)),
            _input("last_year", "To", year_select(last)),
        ],
    }


def _input(block_id: str, label: str, element: dict) -> dict:
    return {"type": "input", "block_id": block_id, "label": blocks.plain(label),
            "element": {"action_id": block_id, **element}}


def extracts_message(requests: list[ExtractRequest]) -> dict:
    """`/sc extracts`: the person's recent requests and their state."""
    if not requests:
        return blocks.message("You have asked for no extracts yet. Try `/sc extract Leicester`.")
    lines = []
    for request in requests:
        line = f"• {_state(request)}: {blocks.escape(describe(request))}"
        if request.state == "failed":
            line += f"\n    _{blocks.escape(request.reason)}_"
        elif request.state == "done" and request.file_names:
            line += " · " + ", ".join(f"`{blocks.escape(n)}`" for n in request.file_names.split(","))
        lines.append(line)
    return blocks.message(f"Your {len(requests)} most recent extracts",
                          [blocks.section("*Your most recent extracts*\n" + "\n".join(lines))])
