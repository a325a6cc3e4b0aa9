"""Drives Celery chains for the comparison's orchestrator (bench/compare/celery.mjs runs it).

It plays seed 000's web server: ``start`` (start_operation: mark the operation IN PROGRESS, build
the tappable chain, send it), ``pause`` (mark it REQUESTING PAUSE if it is IN PROGRESS) and
``resume`` (load the stored remaining chain, mark it IN PROGRESS, send the chain with the stored
result as its first argument). One JSON command per line on stdin, one JSON answer per line on
stdout, each answer with ``t``, the wall-clock epoch ms at which the command was taken, and
``doneAt``, when it was done:

    {"cmd": "start", "op": "...", "n": 1000, "log": "/tmp/...", "sleepMs": 0}
    {"cmd": "pause", "op": "..."}
    {"cmd": "resume", "op": "..."}
"""
import json
import sys

from celery_chain import chain_of, client, key, now_ms, resume_chain


def start(op, n, log, sleep_ms):
    r = client()
    r.delete(key(op, "store"), key(op, "result"), key(op, "events"))
    r.set(key(op, "completion"), "IN PROGRESS")
    chain_of(op, n, log, sleep_ms).apply_async()
    return {}


def pause(op):
    r = client()
    # Only an operation in progress may be asked to pause; check and set in one step.
    marked = r.eval(
        "if redis.call('GET', KEYS[1]) == 'IN PROGRESS' then redis.call('SET', KEYS[1], 'REQUESTING PAUSE') return 1 end return 0",
        1,
        key(op, "completion"),
    )
    return {"ack": "flag set" if marked == 1 else "not in progress"}


def resume(op):
    r = client()
    stored = json.loads(r.get(key(op, "store")))
    result = json.loads(r.get(key(op, "result")))
    r.set(key(op, "completion"), "IN PROGRESS")
    resume_chain(stored).apply_async((result,))
    return {}


def main():
    for line in sys.stdin:
        if not line.strip():
            continue
        t = now_ms()
        cmd = json.loads(line)
        try:
            if cmd["cmd"] == "start":
                answer = start(cmd["op"], cmd["n"], cmd["log"], cmd["sleepMs"])
            elif cmd["cmd"] == "pause":
                answer = pause(cmd["op"])
            elif cmd["cmd"] == "resume":
                answer = resume(cmd["op"])
            else:
                answer = {"error": f"unknown command {cmd['cmd']!r}"}
        except Exception as err:  # noqa: BLE001 - every failure goes back to the orchestrator
            answer = {"error": f"{type(err).__name__}: {err}"}
        answer.update({"t": t, "doneAt": now_ms()})
        sys.stdout.write(json.dumps(answer) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
