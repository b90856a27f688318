"""The tests' settle() waits for the bot to finish its work, however long that takes, not a fixed time."""
import time


def test_settle_waits_out_a_slack_retry_the_bot_is_sleeping_through(workspace):
    workspace.command("start Leicester")
    # Slack refuses the form once, asking for 2 s: the lazy listener sleeps, then opens it.
    workspace.slack.fail_next("views.open", status=429, retry_after=2)
    began = time.monotonic()
    assert workspace.command("log Leicester").status == 200
    workspace.settle()
    assert time.monotonic() - began >= 2
    assert [c.args["_status"] for c in workspace.slack.calls_to("views.open")] == [429, 200]


def test_settle_returns_soon_when_the_bot_has_nothing_to_do(workspace):
    assert workspace.command("help").status == 200
    began = time.monotonic()
    workspace.settle()
    assert time.monotonic() - began < 2
