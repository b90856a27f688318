"""A floor for `/sc log`: the bare Bolt app (bench/bare_app.py) plus the one thing an acknowledged write cannot
do without, saving the text. Not the bot: it has no replay check, no permission check, no area lookup and
no thread to queue; it shows what Bolt and a durable write cost together under the same server.

Its `/sc` listener inserts the command's text into a table of its own in SQLite (`SC_DATA_DIR/floor.sqlite3`,
WAL and synchronous=NORMAL as the bot's database, a connection per thread) and acks "Logged". With
`in_request_thread=True` (Bolt's process_before_response) the listener runs in the request's thread, as the
bot's `/sc` does, instead of Bolt's pool and its 10 ms poll:

    .venv/bin/python bench/ack_latency.py --bot-target "bench.floor_app:create_wsgi_app(in_request_thread=True)"
"""
import os
import sqlite3
import threading
from pathlib import Path


def create_wsgi_app(in_request_thread: bool = False):
    import bench.bare_app

    path = Path(os.environ.get("SC_DATA_DIR", ".")) / "floor.sqlite3"
    local = threading.local()

    def connection() -> sqlite3.Connection:
        if not hasattr(local, "db"):
            local.db = sqlite3.connect(path, timeout=5, isolation_level=None)
            local.db.execute("PRAGMA journal_mode=WAL")
            local.db.execute("PRAGMA synchronous=NORMAL")
            local.db.execute("CREATE TABLE IF NOT EXISTS note (id INTEGER PRIMARY KEY, author TEXT, text TEXT)")
        return local.db

    def save(ack, command):
        connection().execute("INSERT INTO note (author, text) VALUES (?, ?)", (command["user_id"], command["text"]))
        ack(":memo: Logged.")

    return bench.bare_app.create_wsgi_app(bench.bare_app.create_app(save, process_before_response=in_request_thread))
