"""The Celery side of the comparison: the Celery app, its tasks, and seed 000's `tappable` chain.

The worker runs it as ``celery -A celery_chain worker`` (bench/compare/celery.mjs starts it, with
this folder and .tools/python-compare/ on PYTHONPATH); celery_driver.py imports it to start,
pause and resume chains. Broker and result backend are the Redis at COMPARE_REDIS_URL.

The workload is the comparison's chain (see bench/compare/steplog.mjs): ``step`` i adds i to the
total it got from step i-1 and appends its start and end to the chain's step log. Between every
two steps, ``tappable`` puts seed 000's pause point: a ``pause_or_continue`` task that calls the
``clause`` (``should_pause``: has the operation been asked to pause?) and, when it says yes, calls
the ``callback`` (``save_state``: store the remaining chain and the result so far, mark the
operation PAUSED) and empties ``self.request.chain`` so that Celery runs nothing more. The
operation's record is kept in Redis under the keys of bench/compare/operation.mjs
(``cmp:<op>:<field>``) rather than in seed 000's SQL table.

COMPARE_CELERY_HARDENED=1 turns on the settings a team adds once it has lost a task to a dead
worker: ``task_acks_late`` and ``task_reject_on_worker_lost``, and, so that a message whose
worker vanished is delivered again in seconds rather than after the Redis transport's default
visibility timeout of one hour, ``visibility_timeout`` 10 s with the unacked-message sweep every
second. Without it, everything is Celery's default (early acknowledgement, prefork pool with one
process per core, prefetch multiplier 4).
"""
import json
import os
import time

import redis
from celery import Celery, chain, signature
from celery.signals import worker_ready

REDIS_URL = os.environ["COMPARE_REDIS_URL"]
HARDENED = os.environ.get("COMPARE_CELERY_HARDENED") == "1"

app = Celery("celery_chain", broker=REDIS_URL, backend=REDIS_URL)
app.conf.broker_connection_retry_on_startup = True
if HARDENED:
    app.conf.task_acks_late = True
    app.conf.task_reject_on_worker_lost = True
    app.conf.broker_transport_options = {
        "visibility_timeout": 10,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }

_client = None


def client():
    """This process's Redis client (made on first use, so each pool process has its own)."""
    global _client
    if _client is None:
        _client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    return _client


def key(op, field):
    """The Redis key of `field` of operation `op` (as operation.mjs names it)."""
    return f"cmp:{op}:{field}"


def now_ms():
    """Wall-clock epoch milliseconds, as the step log writes them."""
    return time.time() * 1000.0


def log_line(path, text):
    """Appends one line to the step log in one write (O_APPEND), so lines never interleave."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


@app.task
def step(total, i, n, op, log, sleep_ms):
    """Step i of the chain: adds i to the running total; the last step reports the operation done."""
    log_line(log, f"S {i} {now_ms():.3f} {os.getpid()}\n")
    if sleep_ms > 0:
        time.sleep(sleep_ms / 1000.0)
    total = total + i
    log_line(log, f"E {i} {now_ms():.3f} {total} {os.getpid()}\n")
    if i + 1 == n:
        r = client()
        r.set(key(op, "completion"), "COMPLETED")
        r.rpush(key(op, "events"), json.dumps({"type": "done", "t": now_ms(), "total": total}))
    return total


@app.task
def should_pause(_, op):
    """Seed 000's clause: has the operation been asked to pause?"""
    return client().get(key(op, "completion")) == "REQUESTING PAUSE"


@app.task
def save_state(retval, chains, op):
    """Seed 000's callback: stores the remaining chain and the result so far; marks it PAUSED."""
    r = client()
    r.set(key(op, "store"), json.dumps(chains))
    r.set(key(op, "result"), json.dumps(retval))
    r.set(key(op, "completion"), "PAUSED")
    r.rpush(key(op, "events"), json.dumps({"type": "paused", "t": now_ms(), "total": retval}))


@app.task(bind=True)
def pause_or_continue(self, retval=None, clause=None, callback=None):
    """Seed 000's pause point: pause (store the rest, run nothing more) or pass `retval` on."""
    if signature(clause)(retval):
        # request.chain holds the remaining signatures last-first; the callback wants them in order.
        signature(callback)(retval, list(reversed(self.request.chain or [])))
        self.request.chain = None
        return None
    return retval


def tappable(ch, clause, callback, nth=1):
    """Seed 000's `tappable`: a pause point after every `nth` task of chain `ch` but the last."""
    tasks = list(ch.tasks)
    out = []
    for k, task in enumerate(tasks):
        out.append(task)
        if (k + 1) % nth == 0 and k < len(tasks) - 1:
            out.append(pause_or_continue.s(clause=clause, callback=callback))
    ch.tasks = tuple(out)
    return ch


def chain_of(op, n, log, sleep_ms):
    """The n-step chain of operation `op`, with a pause point between every two steps."""
    steps = [step.s(0, 0, n, op, log, sleep_ms)] + [step.s(i, n, op, log, sleep_ms) for i in range(1, n)]
    return tappable(chain(*steps), should_pause.s(op), save_state.s(op))


def resume_chain(stored):
    """The stored remaining chain (a list of signature dicts, in order), ready to apply again."""
    return chain(*[signature(x) for x in stored])


@worker_ready.connect
def _announce_ready(**_):
    token = os.environ.get("COMPARE_READY_TOKEN")
    if token:
        client().rpush(f"cmp:ready:{token}", json.dumps({"t": now_ms()}))
