"""The figures of the reliability run, computed from what it observed.

Plain functions over plain data (the package's ledger, the tasks read over
XML-RPC, the kill), so that run.py only orchestrates.
"""

import re
from datetime import UTC, datetime

from scenarios import CONNECTOR_DONE

# "2026-11-30 14:35:08,504 19637 ERROR <db> <logger>: ..." (Odoo's log format)
ERROR_LINE = re.compile(r"\d{4}-\d\d-\d\d [\d:,]+ \d+ (ERROR|CRITICAL) ")


def odoo_time(value):
    """An Odoo datetime string (UTC) as a Unix time."""
    when = datetime.strptime(value, "%Y-%m-%d %H:%M:%S")
    return when.replace(tzinfo=UTC).timestamp()


def fifo_violations(bookings):
    """Bookings that arrived after a later proposal of the same dossier."""
    highest, violations, seen = {}, 0, set()
    for move in sorted(bookings, key=lambda move: move["seq"]):
        if move["ref"] in seen:
            continue
        seen.add(move["ref"])
        dossier, number = move["ref"].rsplit("/", 1)
        if int(number) < highest.get(dossier, -1):
            violations += 1
        highest[dossier] = max(highest.get(dossier, -1), int(number))
    return violations


def connector_figures(tasks, bookings, booked_before_read, stalled):
    """Done, lost and not reached; booked twice; FIFO; booked but not recorded.

    Lost: done in Odoo but never booked in the package; or taken up by a worker
    (``attempt_count`` > 0) and not done at the end although nothing moved any
    more (``stalled``); when the run stopped on its budget while work was still
    moving, open tasks count as not reached instead.
    """
    by_key = {}
    for move in bookings:
        by_key.setdefault(move["key"], []).append(move)
    booked_refs = {move["ref"] for move in bookings}
    states = {}
    for task in tasks:
        states[task["state"]] = states.get(task["state"], 0) + 1
    done = [t for t in tasks if t["state"] == CONNECTOR_DONE]
    open_tasks = [t for t in tasks if t["state"] != CONNECTOR_DONE]
    done_not_booked = sum(1 for t in done if t["record_name"] not in booked_refs)
    if stalled:
        stuck = len(open_tasks)
        not_reached = 0
    else:
        stuck = 0
        not_reached = len(open_tasks)
    return {
        "states": states,
        "done": len(done),
        "total": len(tasks),
        "done_not_booked": done_not_booked,
        "stuck": stuck,
        "lost": done_not_booked + stuck,
        "not_reached": not_reached,
        "taken_up_open": sum(1 for t in open_tasks if t["attempt_count"]),
        "twice": sum(1 for moves in by_key.values() if len(moves) > 1),
        "violations": fifo_violations(bookings),
        "bookings": len(bookings),
        # the ledger as it was before the tasks were read: a task booked after
        # the read is no "booked but not recorded" one
        "unrecorded": len({t["record_name"] for t in open_tasks} & booked_before_read),
    }


def takeover_waits(tasks, claimed_at_kill, kill_time):
    """Seconds from the kill until each task the killed server held was done.

    :param claimed_at_kill: {task id: attempt_count} of the tasks running under
        the killed server's lease at the kill
    :return: (waits, not back, taken over): ``None`` for a task not done;
        taken over counts those done by a new claim (a higher attempt count)
    """
    by_id = {task["id"]: task for task in tasks}
    waits, taken_over = [], 0
    for task_id, attempts in claimed_at_kill.items():
        task = by_id[task_id]
        if task["state"] == CONNECTOR_DONE and task["done_at"]:
            waits.append(odoo_time(task["done_at"]) - kill_time)
            taken_over += task["attempt_count"] > attempts
        else:
            waits.append(None)
    return waits, sum(1 for wait in waits if wait is None), taken_over


def log_figures(servers):
    """Odoo limit kills and ERROR lines in the servers' logs."""
    limits = errors = bad_queries = 0
    for server in servers:
        text = server.log_text()
        limits += text.count("timeout after") + text.count("time limit")
        for line in text.splitlines():
            if ERROR_LINE.match(line):
                errors += 1
                bad_queries += "odoo.sql_db: bad query" in line
    return limits, errors, bad_queries


def rate(count, seconds):
    return f"{count / seconds:.1f}/s" if seconds > 0 else "-"
