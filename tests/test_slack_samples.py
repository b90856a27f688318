"""Request bodies copied from Slack's own SDK test suites, re-signed and sent to `scbot serve`.

Each body is Slack's, as data, with a comment naming the repository and path it came from. The fixtures
are for their own workspace, app, people and buttons (T111, A111, W111, action "a", form "view-id"); the
bot serves only its own, so `rehome` swaps those exact values for the bot's (and Slack's response URLs for
the stand-in's). Every other member, shape and quirk (enterprise ids, `state: {}`, a Slack Connect team,
`team: null`) is sent as Slack sent it. Each is answered sensibly, or ignored with a 200; never a 500.
"""
import copy
import json
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.offline import payloads as slack_payloads
from bot.views.ids import ActionId, FormId
from tests.workspace import MEMBER, TEAM_CHANNEL

# --- the bodies -----------------------------------------------------------------------------------

# slackapi/bolt-python, tests/scenario_tests/test_slash_command.py (slash_command_body); a Grid workspace.
SLASH_COMMAND = (
    "token=verification_token"
    "&team_id=T111"
    "&team_domain=test-domain"
    "&channel_id=C111"
    "&channel_name=random"
    "&user_id=W111"
    "&user_name=primary-owner"
    "&command=%2Fhello-world"
    "&text=Hi"
    "&enterprise_id=E111"
    "&enterprise_name=Org+Name"
    "&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT111%2F111%2Fxxxxx"
    "&trigger_id=111.111.xxx"
)

# slackapi/bolt-python, tests/scenario_tests/test_block_actions.py (body): a button in an ephemeral message.
BLOCK_ACTION_EPHEMERAL = {
    "type": "block_actions",
    "user": {"id": "W111", "username": "primary-owner", "name": "primary-owner", "team_id": "T111"},
    "api_app_id": "A111",
    "token": "verification_token",
    "container": {"type": "message", "message_ts": "111.222", "channel_id": "C111", "is_ephemeral": True},
    "trigger_id": "111.222.valid",
    "team": {"id": "T111", "domain": "workspace-domain", "enterprise_id": "E111", "enterprise_name": "Sandbox Org"},
    "channel": {"id": "C111", "name": "test-channel"},
    "response_url": "https://hooks.slack.com/actions/T111/111/random-value",
    "actions": [{"action_id": "a", "block_id": "b", "text": {"type": "plain_text", "text": "Button", "emoji": True},
                 "value": "click_me_123", "type": "button", "action_ts": "1596530385.194939"}],
}

# slackapi/bolt-python, tests/scenario_tests/test_view_submission.py (body).
VIEW_SUBMISSION = {
    "type": "view_submission",
    "team": {"id": "T111", "domain": "workspace-domain", "enterprise_id": "E111", "enterprise_name": "Sandbox Org"},
    "user": {"id": "W111", "username": "primary-owner", "name": "primary-owner", "team_id": "T111"},
    "api_app_id": "A111",
    "token": "verification_token",
    "trigger_id": "111.222.valid",
    "view": {
        "id": "V111", "team_id": "T111", "type": "modal",
        "blocks": [{"type": "input", "block_id": "hspI", "label": {"type": "plain_text", "text": "Label"},
                    "optional": False, "element": {"type": "plain_text_input", "action_id": "maBWU"}}],
        "private_metadata": "This is for you!",
        "callback_id": "view-id",
        "state": {"values": {"hspI": {"maBWU": {"type": "plain_text_input", "value": "test"}}}},
        "hash": "1596530361.3wRYuk3R",
        "title": {"type": "plain_text", "text": "My App"},
        "clear_on_close": False, "notify_on_close": False,
        "close": {"type": "plain_text", "text": "Cancel"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "previous_view_id": None, "root_view_id": "V111", "app_id": "A111", "external_id": "",
        "app_installed_team_id": "T111", "bot_id": "B111",
    },
    "response_urls": [],
}

# slackapi/bolt-python, tests/scenario_tests/test_view_submission.py (response_url_payload_body): `state: {}`.
VIEW_SUBMISSION_EMPTY_STATE = {
    "type": "view_submission",
    "team": {"id": "T111", "domain": "test-test-test"},
    "user": {"id": "U111", "username": "test-test-test", "name": "test-test-test", "team_id": "T111"},
    "api_app_id": "A111",
    "token": "verification-token",
    "trigger_id": "111.222.xxx",
    "view": {
        "id": "V111", "team_id": "T111", "type": "modal", "blocks": [], "callback_id": "view-id", "state": {},
        "title": {"type": "plain_text", "text": "My App"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "previous_view_id": None, "root_view_id": "V111", "app_id": "A111", "external_id": "",
        "app_installed_team_id": "T111", "bot_id": "B111",
    },
    "response_urls": [{"block_id": "b", "action_id": "a", "channel_id": "C111",
                       "response_url": "http://localhost:8888/webhook"}],
    "is_enterprise_install": False,
}

# slackapi/bolt-python, tests/scenario_tests/test_view_submission.py (connect_channel_payload): a modal opened
# in a Slack Connect channel by someone of the other organisation.
VIEW_SUBMISSION_SLACK_CONNECT = {
    "type": "view_submission",
    "team": {"id": "T-other-side", "domain": "other-side", "enterprise_id": "E-other-side",
             "enterprise_name": "Kaz Sandbox Org"},
    "user": {"id": "W111", "username": "kaz", "name": "kaz", "team_id": "T-other-side"},
    "api_app_id": "A1111",
    "token": "legacy-fixed-token",
    "trigger_id": "111.222.xxx",
    "view": {
        "id": "V11111", "team_id": "T-other-side", "type": "modal",
        "blocks": [{"type": "input", "block_id": "zniAM", "label": {"type": "plain_text", "text": "Label"},
                    "element": {"type": "plain_text_input",
                                "dispatch_action_config": {"trigger_actions_on": ["on_enter_pressed"]},
                                "action_id": "qEJr"}}],
        "private_metadata": "",
        "callback_id": "view-id",
        "state": {"values": {"zniAM": {"qEJr": {"type": "plain_text_input", "value": "Hi there!"}}}},
        "hash": "1664950703.CmTS8F7U",
        "title": {"type": "plain_text", "text": "My App"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "submit": {"type": "plain_text", "text": "Submit"},
        "root_view_id": "V00000", "app_id": "A1111", "external_id": "",
        "app_installed_team_id": "T-installed-workspace", "bot_id": "B1111",
    },
    "enterprise": {"id": "E-other-side", "name": "Kaz Sandbox Org"},
}

# slackapi/bolt-python, tests/scenario_tests/test_events.py (valid_event_body): app_mention in a Grid workspace.
APP_MENTION = {
    "token": "verification_token", "team_id": "T111", "enterprise_id": "E111", "api_app_id": "A111",
    "event": {"client_msg_id": "9cbd4c5b-7ddf-4ede-b479-ad21fca66d63", "type": "app_mention",
              "text": "<@W111> Hi there!", "user": "W222", "ts": "1595926230.009600", "team": "T111",
              "channel": "C111", "event_ts": "1595926230.009600"},
    "type": "event_callback", "event_id": "Ev111", "event_time": 1595926230, "authed_users": ["W111"],
}

# slackapi/bolt-python, tests/scenario_tests/test_events_shared_channels.py (valid_event_body): app_mention
# with `authorizations`, as in shared channels.
APP_MENTION_SHARED_CHANNEL = {
    "token": "verification_token", "team_id": "T_INSTALLED", "enterprise_id": "E_INSTALLED", "api_app_id": "A111",
    "event": {"client_msg_id": "9cbd4c5b-7ddf-4ede-b479-ad21fca66d63", "type": "app_mention",
              "text": "<@W111> Hi there!", "user": "W222", "ts": "1595926230.009600", "team": "T_INSTALLED",
              "channel": "C111", "event_ts": "1595926230.009600"},
    "type": "event_callback", "event_id": "Ev111", "event_time": 1595926230,
    "authorizations": [{"enterprise_id": "E_INSTALLED", "team_id": "T_INSTALLED", "user_id": "W111",
                        "is_bot": True, "is_enterprise_install": False}],
}

# slackapi/bolt-python, tests/scenario_tests/test_events.py (join_event_body in test_member_join_left_events).
MEMBER_JOINED_CHANNEL = {
    "token": "verification_token", "team_id": "T111", "enterprise_id": "E111", "api_app_id": "A111",
    "event": {"type": "member_joined_channel", "user": "W23456789", "channel": "C111", "channel_type": "C",
              "team": "T111", "inviter": "U222"},
    "type": "event_callback", "event_id": "Ev111", "event_time": 1599616881, "authed_users": ["W111"],
}

# slackapi/bolt-python, tests/scenario_tests/test_events_org_apps.py (test_app_home_opened): an org-wide
# install's delivery, its authorization naming no workspace (`team_id: None`).
APP_HOME_OPENED_ORG_WIDE = {
    "token": "verification-token", "team_id": "T111", "enterprise_id": "E111", "api_app_id": "A111",
    "event": {"type": "app_home_opened", "user": "W111", "channel": "D111", "tab": "messages",
              "event_ts": "1606810927.510671"},
    "type": "event_callback", "event_id": "Ev111", "event_time": 1606810927,
    "authorizations": [{"enterprise_id": "E111", "team_id": None, "user_id": "W111", "is_bot": True,
                        "is_enterprise_install": True}],
    "is_ext_shared_channel": False,
}

# --- sending them as the bot's own ------------------------------------------------------------------

BOT_IDS = {
    "T111": "T0REGION", "T_INSTALLED": "T0REGION", "T-installed-workspace": "T0REGION",
    "A111": slack_payloads.APP_ID, "A1111": slack_payloads.APP_ID,
    "W111": MEMBER, "W222": MEMBER, "U111": MEMBER, "W23456789": MEMBER,
    "C111": TEAM_CHANNEL, "D111": "D" + MEMBER[1:],
    "/hello-world": "/sc",
}


def rehome(value, ids: dict):
    """`value` with each string that is exactly a fixture's id swapped for the bot's; Slack's response URLs
    for the stand-in's."""
    if isinstance(value, dict):
        return {key: rehome(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [rehome(item, ids) for item in value]
    if isinstance(value, str):
        if value.startswith(("https://hooks.slack.com/", "http://localhost:8888/")):
            return ids["response_url"]
        if value.startswith("<@W111>"):  # the app's own bot user, mentioned
            return "<@U0SCBOT>" + value.removeprefix("<@W111>")
        return ids.get(value, value)
    return value


def ids_for(workspace, **more) -> dict:
    return {**BOT_IDS, "response_url": workspace.slack.response_url("sample"), **more}


def send_json(workspace, body: dict):
    return workspace.post(json.dumps(body), "application/json")


def send_payload(workspace, payload: dict):
    return workspace.post(urlencode({"payload": json.dumps(payload)}), "application/x-www-form-urlencoded")


def fresh_event(body: dict) -> dict:
    """Slack's event ids are unique; the fixtures all say Ev111, which the bot would take as a retry."""
    import uuid
    return {**body, "event_id": f"Ev{uuid.uuid4().hex[:10].upper()}"}


# --- the tests ----------------------------------------------------------------------------------------

def test_a_slash_command_from_a_grid_workspace_is_answered(workspace):
    # Slack adds api_app_id to every slash command now (the fixture predates it); the bot serves its own app.
    form = {**rehome(dict(parse_qsl(SLASH_COMMAND)), ids_for(workspace)), "api_app_id": slack_payloads.APP_ID}
    reply = workspace.post(urlencode(form), "application/x-www-form-urlencoded")
    assert reply.status == 200
    assert "I don't know `/sc hi`" in reply.message_text  # "Hi" is no subcommand: the help follows


def pressed_done(workspace, ephemeral: bool) -> dict:
    payload = rehome(copy.deepcopy(BLOCK_ACTION_EPHEMERAL), ids_for(workspace, a=ActionId.ACTION_DONE))
    if not ephemeral:  # the same press on an ordinary message: Slack adds the message
        payload["container"]["is_ephemeral"] = False
        payload["message"] = {"type": "message", "ts": "111.222", "text": "", "blocks": []}
    return payload


@pytest.mark.parametrize("ephemeral", [True, False])
def test_a_button_from_a_message_with_a_value_not_the_bots_is_refused_politely(workspace, ephemeral):
    assert send_payload(workspace, pressed_done(workspace, ephemeral)).status != 500
    [answer] = workspace.responses(user="sample")
    assert "out of date or not one of mine" in answer["text"]


def test_a_button_refused_politely_is_also_acknowledged_with_200(workspace):
    assert send_payload(workspace, pressed_done(workspace, True)).status == 200


def test_a_form_submission_is_answered_beside_its_field(workspace):
    payload = rehome(copy.deepcopy(VIEW_SUBMISSION), ids_for(workspace, **{"view-id": FormId.LOG}))
    reply = send_payload(workspace, payload)
    assert reply.status == 200 and reply.json["response_action"] == "errors"
    assert "empty" in reply.json["errors"]["hspI"]  # none of its fields is the log form's


def test_a_form_submission_with_empty_state_is_answered_not_a_fault(workspace):
    payload = rehome(copy.deepcopy(VIEW_SUBMISSION_EMPTY_STATE), ids_for(workspace, **{"view-id": FormId.LOG}))
    reply = send_payload(workspace, payload)
    # The sample view has no input block to show the answer beside: the form turns into the answer.
    assert reply.status == 200 and reply.json["response_action"] == "update" and "empty" in reply.text


def test_a_log_form_from_a_slack_connect_channel_is_saved_for_the_installed_workspace(workspace):
    from models.tables import LogEntry

    workspace.command("start Leicester")
    [conversation_id] = {e.conversation_id for e in workspace.rows(LogEntry)}
    payload = rehome(copy.deepcopy(VIEW_SUBMISSION_SLACK_CONNECT), ids_for(workspace, **{"view-id": FormId.LOG}))
    payload["view"]["private_metadata"] = str(conversation_id)
    payload["view"]["blocks"][0]["block_id"] = "text"
    payload["view"]["state"]["values"] = {"text": payload["view"]["state"]["values"]["zniAM"]}
    # Bolt takes the workspace from view.app_installed_team_id: the bot's own, though the person is not.
    reply = send_payload(workspace, payload)
    assert reply.status == 200 and reply.text == ""
    assert "Hi there!" in [e.text for e in workspace.rows(LogEntry)]


def test_an_org_wide_form_naming_no_team_is_served_for_the_persons_workspace(workspace):
    """bolt-js (src/types/shortcuts/global-shortcut.ts, src/types/actions/block-action.ts) documents what an
    org-wide install changes in an interactive body: `team` is null, `is_enterprise_install` true, and
    `enterprise` named. Bolt then takes the workspace from the person's `team_id`."""
    payload = rehome(copy.deepcopy(VIEW_SUBMISSION_EMPTY_STATE), ids_for(workspace, **{"view-id": FormId.LOG}))
    payload.update(team=None, is_enterprise_install=True, enterprise={"id": "E111", "name": "Sandbox Org"})
    reply = send_payload(workspace, payload)
    assert reply.status == 200 and reply.json["response_action"] == "update"  # answered, as any workspace's form


@pytest.mark.parametrize("body", [APP_MENTION, APP_MENTION_SHARED_CHANNEL], ids=["grid", "shared-channel"])
def test_a_mention_is_answered_in_its_thread(workspace, body):
    reply = send_json(workspace, fresh_event(rehome(body, ids_for(workspace))))
    assert reply.status == 200
    [answer] = workspace.slack.wait_for("chat.postMessage")
    assert answer.args["channel"] == TEAM_CHANNEL and answer.args["thread_ts"] == "1595926230.009600"


def test_member_joined_channel_is_heard(workspace):
    workspace.leave(MEMBER)
    reply = send_json(workspace, fresh_event(rehome(MEMBER_JOINED_CHANNEL, ids_for(workspace))))
    assert reply.status == 200
    from bot.offline.local_services import wait_until
    wait_until(lambda: workspace.in_team(MEMBER) is True, timeout=10, what="the join to be stored")


@pytest.mark.parametrize("tab", ["messages", "home"])
def test_app_home_opened_from_a_grid_workspace_install_publishes_the_home_tab_only(workspace, tab):
    body = rehome(APP_HOME_OPENED_ORG_WIDE, ids_for(workspace))
    body["authorizations"] = [{**body["authorizations"][0], "team_id": "T0REGION", "is_enterprise_install": False}]
    body["event"]["tab"] = tab  # the fixture's is the Messages tab, which the bot leaves be
    assert send_json(workspace, fresh_event(body)).status == 200
    workspace.settle()
    assert len(workspace.slack.calls_to("views.publish")) == (tab == "home")


def test_an_org_wide_install_delivery_is_refused_not_a_fault(workspace):
    """The manifest says `org_deploy_enabled: false`: Slack never installs this app across an organisation,
    so a delivery whose authorization names no workspace is not the bot's and is refused (401), as for
    another workspace's; it is never a fault."""
    reply = send_json(workspace, fresh_event(rehome(APP_HOME_OPENED_ORG_WIDE, ids_for(workspace))))
    assert reply.status == 401
    workspace.settle()
    assert not workspace.slack.calls_to("views.publish")


@pytest.mark.parametrize("body", [BLOCK_ACTION_EPHEMERAL, VIEW_SUBMISSION, VIEW_SUBMISSION_EMPTY_STATE])
def test_a_fixture_for_another_app_as_sent_is_never_a_fault(workspace, body):
    """Unchanged (another workspace and app): refused, never a 500."""
    reply = send_payload(workspace, body)
    assert reply.status == 401
