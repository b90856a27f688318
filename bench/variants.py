"""Experimental builds of the bot, for measuring a proposed change before making it.

Nothing here is used in production. Each variant builds the real bot (bot.web)
with one thing changed in how its Bolt App is constructed, so a change can be
measured under the production server before anyone edits bot/:

    python -m bench.serving "bench.variants:create_wsgi_app(process_before_response=True)" -- --port 3002
    .venv/bin/python bench/ack_latency.py --bot-target "bench.variants:create_wsgi_app(ack_pool=8, lazy_pool=4)"

process_before_response  run the ack function in the request's own thread (Bolt's
                         option); lazy listeners still go to the listener executor.
listener_pool            size of Bolt's listener executor (default 5), which runs
                         both the ack functions and the lazy listeners.
ack_pool, lazy_pool      separate executors for ack functions and lazy listeners.
write_lock               hold a per-process lock around each database session, so the
                         threads of one worker queue in Python instead of polling
                         SQLite's busy handler (which sleeps 1, 2, 5, 10 ... ms between tries).
"""
from concurrent.futures import ThreadPoolExecutor


def create_wsgi_app(process_before_response: bool = False, listener_pool: int = 0,
                    ack_pool: int = 0, lazy_pool: int = 0, write_lock: bool = False):
    import bot.app
    import bot.services
    import bot.web

    if write_lock:
        import threading
        from contextlib import contextmanager

        lock = threading.Lock()
        real_scope = bot.services.session_scope

        @contextmanager
        def one_at_a_time(engine):
            with lock, real_scope(engine) as session:
                yield session

        bot.services.session_scope = one_at_a_time

    real_app = bot.app.App

    def app_with_changes(*args, **kwargs):
        if process_before_response:
            kwargs["process_before_response"] = True
        if listener_pool:
            kwargs["listener_executor"] = ThreadPoolExecutor(max_workers=listener_pool,
                                                             thread_name_prefix="bolt-listener")
        if ack_pool:
            kwargs["listener_executor"] = ThreadPoolExecutor(max_workers=ack_pool, thread_name_prefix="bolt-ack")
        app = real_app(*args, **kwargs)
        if lazy_pool:
            runner = app.listener_runner
            runner.lazy_listener_runner.executor = ThreadPoolExecutor(max_workers=lazy_pool,
                                                                      thread_name_prefix="bolt-lazy")
        return app

    bot.app.App = app_with_changes
    try:
        return bot.web.create_wsgi_app()
    finally:
        bot.app.App = real_app
