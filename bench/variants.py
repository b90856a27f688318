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
queued_writes            a prototype of moving `/sc` writes from Bolt's in-process lazy listener
                         to the RQ worker: the ack checks the request, puts a job on Redis, then
                         acks; the job (run_lazy_job, run by `scbot worker`) calls the same lazy
                         listener, which writes and answers via response_url. Measure it with
                         --rq-workers N so the writes land.
"""
import re
import uuid
from concurrent.futures import ThreadPoolExecutor


def create_wsgi_app(process_before_response: bool = False, listener_pool: int = 0,
                    ack_pool: int = 0, lazy_pool: int = 0, write_lock: bool = False,
                    queued_writes: bool = False):
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
    make_app = _queued_app_factory(real_app) if queued_writes else real_app

    def app_with_changes(*args, **kwargs):
        if process_before_response:
            kwargs["process_before_response"] = True
        if listener_pool:
            kwargs["listener_executor"] = ThreadPoolExecutor(max_workers=listener_pool,
                                                             thread_name_prefix="bolt-listener")
        if ack_pool:
            kwargs["listener_executor"] = ThreadPoolExecutor(max_workers=ack_pool, thread_name_prefix="bolt-ack")
        app = make_app(*args, **kwargs)
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


# --- the queued-writes prototype ----------------------------------------------------------
# Generic, so it follows handlers/ as they change: every listener registered with lazy
# listeners (ack=..., lazy=[...]) gets an ack function that, when the original acks without
# a message (the go-ahead), first puts one RQ job on Redis and only then acks. The job,
# run by `scbot worker`, calls the same lazy listeners with the request body and a Respond
# for its response_url. Bolt's in-process lazy pool is not used.

def _capture_lazy(app, enqueue):
    """Make `app.command(...)(ack=..., lazy=[...])` register a queue-first ack instead."""
    import inspect

    real_command = app.command
    registered = []

    def command(constraints, *args, **kwargs):
        register = real_command(constraints, *args, **kwargs)

        def registrar(*functions, **listeners):
            if not listeners or not listeners.get("lazy"):
                return register(*functions, **listeners)
            original = listeners["ack"]
            wanted = list(inspect.signature(original).parameters)
            # Keyed by order of registration: the worker builds the same app, so the keys agree.
            key = f"{constraints}#{len(registered)}"
            registered.append(key)
            LAZY[key] = listeners["lazy"]

            def queue_then_ack(args):
                real_ack = args.ack

                def ack(*a, **k):
                    if a or k:  # an answer, a refusal or a read: nothing to carry out
                        return real_ack(*a, **k)
                    try:
                        enqueue(key, {k: v for k, v in args.body.items() if isinstance(v, str)})
                    except Exception as error:  # Redis away: say so now rather than lose the write
                        import logging

                        logging.getLogger("scbot").exception("could not queue the lazy listeners")
                        from handlers.errors import problem
                        from models.errors import ServiceDown

                        down = error if isinstance(error, ServiceDown) else ServiceDown("job queue (Redis)")
                        return real_ack(problem(down))
                    return real_ack()

                values = {name: getattr(args, name, None) for name in wanted}
                values["ack"] = ack
                return original(**values)

            return register(ack=queue_then_ack, lazy=[])

        return registrar

    app.command = command


LAZY: dict[str, list] = {}


def _queued_app_factory(real_app):
    def build(*args, **kwargs):
        from bot.services import Services
        from bot.settings import get_settings

        app = real_app(*args, **kwargs)
        services = Services(get_settings())

        def enqueue(key: str, body: dict) -> None:
            services.enqueue(run_lazy_job, key, body, job_id="lazy-" + re.sub(r"[^A-Za-z0-9_-]", "-", body.get("trigger_id") or uuid.uuid4().hex),
                             retry=None)

        _capture_lazy(app, enqueue)
        return app

    return build


def run_lazy_job(key: str, body: dict) -> None:
    """An RQ job: the listener's lazy functions, as Bolt would run them, for one request."""
    import inspect
    import logging

    from slack_bolt.context.respond import Respond

    if key not in LAZY:
        import bot.app
        from bot.settings import get_settings

        real_app = bot.app.App
        bot.app.App = _queued_app_factory(real_app)
        try:
            bot.app.create_app(get_settings())  # registers, capturing the lazy listeners in LAZY
        finally:
            bot.app.App = real_app
    from jobs import worker_services

    available = {"body": body, "command": body, "payload": body, "respond": Respond(response_url=body["response_url"]),
                 "logger": logging.getLogger("scbot"), "client": worker_services().client}
    for function in LAZY[key]:
        function(**{name: available.get(name) for name in inspect.signature(function).parameters})


def simple_worker() -> None:
    """`scbot worker` without a fork per job (RQ's SimpleWorker), for measuring the job path."""
    import logging

    from rq import SimpleWorker

    from bot.services import QUEUES
    from jobs import worker_services

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    SimpleWorker(QUEUES, connection=worker_services().redis).work(with_scheduler=True, logging_level="WARNING")


if __name__ == "__main__":
    simple_worker()
