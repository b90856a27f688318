"""Forms (modals) and the card's buttons, over HTTP."""
import json
from datetime import date

from bot.offline.local_services import free_port
from models.tables import Conversation, LogEntry
from tests.workspace import MEMBER, OUTSIDER


def opened_view(workspace, count=1) -> dict:
    view = workspace.slack.wait_for("views.open", count)[-1].args["view"]
    return json.loads(view) if isinstance(view, str) else view


def chosen(*values: str) -> dict:
    return {"type": "multi_static_select",
            "selected_options": [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]}


def details(lead=MEMBER, contacts="", meeting=None, notes="") -> dict:
    return {
        "lead": {"lead": {"type": "users_select", "selected_user": lead}},
        "contacts": {"contacts": {"type": "plain_text_input", "value": contacts or None}},
        "first_meeting": {"first_meeting": {"type": "datepicker", "selected_date": meeting}},
        "notes": {"notes": {"type": "plain_text_input", "value": notes or None}},
    }


def test_start_form_checks_the_areas_then_starts(workspace):
    assert workspace.command("start").text == ""
    view = opened_view(workspace)
    assert view["callback_id"] == "start_conversation"
    groups = view["blocks"][0]["element"]["option_groups"]
    assert groups[0]["label"]["text"].startswith("Housing Market Areas")
    assert sum(len(g["options"]) for g in groups[1:]) == 40

    mixed = {"areas": {"areas": chosen("hma:Nottingham Core HMA", "area:E07000170")}, **details()}
    reply = workspace.submit(view, mixed)
    assert reply.json == {"response_action": "errors",
                          "errors": {"areas": "Choose one HMA, or one or more areas, not both."}}
    assert not workspace.rows(Conversation)

    good = {"areas": {"areas": chosen("area:E07000170", "area:E07000174")},
            **details(lead="U0LEAD", contacts="Jo Bloggs, housing strategy", meeting="2010-11-15")}
    assert workspace.submit(view, good).text == ""
    [conversation] = workspace.rows(Conversation)
    assert conversation.title == "Ashfield, Mansfield"
    assert conversation.lead_user_id == "U0LEAD"
    assert conversation.contacts == "Jo Bloggs, housing strategy"
    assert conversation.first_meeting_on == date(2010, 11, 15)
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    assert "Jo Bloggs, housing strategy" in str(card["blocks"]) and "15 Nov 2010" in str(card["blocks"])
    # What to type to log to it names one of its areas, as `/sc log` reads it.
    shown = workspace.command("show Mansfield").message_text
    assert "`/sc log Ashfield &lt;what happened&gt;`" in shown


def test_forged_choices_and_ids_in_forms_are_refused_beside_the_field(workspace):
    workspace.command("start")
    view = opened_view(workspace)
    for forged in ("hma:Nowhere HMA", "area:E99999999"):
        reply = workspace.submit(view, {"areas": {"areas": chosen(forged)}, **details()})
        assert reply.json == {"response_action": "errors",
                              "errors": {"areas": "That list of areas is out of date: open the form again."}}
    log_form = {**view, "callback_id": "log_entry", "private_metadata": "1; DROP",
                "blocks": [{"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": "x"},
                            "element": {"type": "plain_text_input", "action_id": "text"}}]}
    reply = workspace.submit(log_form, {"text": {"text": {"type": "plain_text_input", "value": "Met them"}}})
    assert "out of date or not one of mine" in reply.json["errors"]["text"]
    workspace.press({"action_id": "action_done", "value": "1:cabc", "block_id": "action-1"})
    [refusal] = workspace.responses()
    assert "out of date or not one of mine" in refusal["text"] and refusal["replace_original"] is False
    assert not workspace.rows(Conversation) and not workspace.rows(LogEntry)


def test_card_buttons_open_forms_that_log_set_stage_and_edit(workspace):
    workspace.command("start Leicester")
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    buttons = {e["action_id"]: {**e, "block_id": b.get("block_id", "x")}
               for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]}

    workspace.press(buttons["card_log"], message=card)
    log_view = opened_view(workspace)
    blank = {"text": {"text": {"type": "plain_text_input", "value": "   "}}}
    assert "empty" in workspace.submit(log_view, blank).json["errors"]["text"]
    workspace.submit(log_view, {"text": {"text": {"type": "plain_text_input", "value": "Site visit"}}})

    workspace.press(buttons["card_stage"], message=card)
    stage_view = opened_view(workspace, 2)
    pick = {"stage": {"stage": {"type": "static_select", "selected_option": {"value": "plan-drafted"}}}}
    # Past "Shared evidence base": the form asks first, and nothing changes until the person confirms.
    asked = workspace.submit(stage_view, pick).json
    assert asked["response_action"] == "update" and "Shared evidence base" in str(asked["view"]["blocks"])
    assert workspace.rows(Conversation)[0].stage == "engaged"
    workspace.submit(asked["view"], {})

    workspace.press(buttons["card_edit"], message=card)
    edit_view = opened_view(workspace, 3)
    workspace.submit(edit_view, details(notes="Council elections in May"))

    kinds = [(e.kind, e.text) for e in workspace.rows(LogEntry)]
    assert ("note", "Site visit") in kinds
    assert ("details", "Updated the notes.") in kinds
    assert ("stage", "Stage: Engaged → Local Investment Plan drafted, skipping Shared evidence base.") in kinds
    [conversation] = workspace.rows(Conversation)
    assert (conversation.stage, conversation.notes) == ("plan-drafted", "Council elections in May")
    workspace.run_jobs()
    assert "Local Investment Plan drafted (3 of 6)" in str(workspace.channel_messages()[0]["blocks"])


def test_outsiders_pressing_card_buttons_get_no_form(workspace):
    workspace.command("start Leicester")
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    button = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"])
    workspace.press(button, user=OUTSIDER, message=card)
    [refusal] = workspace.responses(user=OUTSIDER)
    assert "Only the regional team" in refusal["text"] and refusal["replace_original"] is False
    assert not workspace.slack.calls_to("views.open")


def test_log_without_text_opens_the_log_form(workspace):
    workspace.command("start Leicester")
    assert workspace.command("log Leicester").text == ""
    view = opened_view(workspace)
    assert view["callback_id"] == "log_entry"
    assert "Leicester" in view["blocks"][0]["text"]["text"]


def test_a_form_saved_while_redis_is_down_says_the_thread_will_catch_up(server_with):
    bot, _, _ = server_with(REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    bot.command("start")
    view = opened_view(bot)
    reply = bot.submit(view, {"areas": {"areas": chosen("area:E07000170")}, **details()})
    assert reply.json["response_action"] == "update"
    said = reply.json["view"]["blocks"][0]["text"]["text"]
    assert "Saved" in said and "The job queue (Redis) is not answering" in said and "Nothing is lost" in said
    [conversation] = bot.rows(Conversation)
    assert conversation.title == "Ashfield"


def test_a_confirmed_skip_changes_nothing_when_the_stage_moved_meanwhile(workspace):
    workspace.command("start Leicester")
    workspace.run_jobs()
    [card] = workspace.channel_messages()
    button = next(e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]
                  if e["action_id"] == "card_stage")
    workspace.press({**button, "block_id": "x"}, message=card)
    pick = {"stage": {"stage": {"type": "static_select", "selected_option": {"value": "plan-agreed"}}}}
    asked = workspace.submit(opened_view(workspace), pick).json
    workspace.command("stage Leicester evidence")
    refused = workspace.submit(asked["view"], {}).json
    assert refused["response_action"] == "update" and "moved" in str(refused["view"]["blocks"])
    assert workspace.rows(Conversation)[0].stage == "evidence"
