"""The baseline: a bare Bolt app whose only `/sc` listener calls ack().

Same signing secret, token and Web API client settings as the bot (token
verification off, client at SLACK_API_URL), and GET /healthz so the benchmark
can wait for it the same way. Served by bench/serving.py with exactly the
gunicorn settings `scbot serve` uses:

    python bench/bare_app.py --host 127.0.0.1 --port 3001 [--workers N --threads N]
"""
import json
import os
import sys
from pathlib import Path

TARGET = "bench.bare_app:create_wsgi_app()"


def create_app(listener=None, **options):
    """The bare app, or with `listener` as its `/sc` listener instead; `options` go to Bolt's App as they are."""
    from slack_bolt import App
    from slack_sdk import WebClient

    api_url = os.environ.get("SLACK_API_URL", "https://slack.com/api/")
    client = WebClient(token=os.environ.get("SLACK_BOT_TOKEN") or None,
                       base_url=api_url if api_url.endswith("/") else api_url + "/", timeout=10)
    app = App(client=client, signing_secret=os.environ.get("SLACK_SIGNING_SECRET", ""),
              token_verification_enabled=False, **options)

    def only_ack(ack):
        ack()

    app.command("/sc")(listener or only_ack)
    return app


def create_wsgi_app(app=None):
    """The bare app (or `app`) over WSGI, with GET /healthz."""
    from slack_bolt.adapter.wsgi import SlackRequestHandler

    slack = SlackRequestHandler(app or create_app())
    healthy = json.dumps({"status": "ok", "down": [], "checks": {}}).encode()

    def application(environ, start_response):
        if environ.get("PATH_INFO") == "/healthz" and environ.get("REQUEST_METHOD") in ("GET", "HEAD"):
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(healthy)))])
            return [healthy]
        return slack(environ, start_response)

    return application


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from bench.serving import serve_like_scbot

    serve_like_scbot(TARGET, sys.argv[1:])
