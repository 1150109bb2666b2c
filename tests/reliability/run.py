"""The reliability run of issue 15 (started by setup/reliability.sh, see README.md).

Two Odoo servers on one database, each ``--workers=2 --max-cron-threads=2`` with
Odoo's default time limits; connector tasks against a local accounting package,
an MT940 file through the cron, concurrent duplicate mails through both servers,
scheduled SFTP exports to a real sshd and CCV payments registered in Moneybird;
one server is killed with SIGKILL while it holds work; the survivor carries on
until everything is done or nothing moves any more. Prints the figures the issue
asks for and exits 1 when a goal is missed.
"""

import argparse
import signal
import sys
import threading
import time
from pathlib import Path

import report
import scenarios as sc
from gate import Gate, hold_all, owners, release_all
from odoo_server import REPO, OdooServer
from package import API_KEY, start_package
from rpc import RPC_ERRORS, Rpc
from scenario_ccv import CcvScenario
from scenario_sftp import SftpScenario

START_TIMEOUT = 300
POLL_SECONDS = 5
SETTLE_SECONDS = 1.5  # a held gate: time for the workers to run into it


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--db-port", required=True)
    parser.add_argument("--login", default="admin")
    parser.add_argument("--password", default="admin")
    parser.add_argument("--tasks", type=int, default=3000)
    parser.add_argument("--dossiers", type=int, default=50)
    parser.add_argument("--connectors", type=int, default=2)
    parser.add_argument("--credits", type=int, default=3000)
    parser.add_argument("--mails", type=int, default=6)
    parser.add_argument("--exports", type=int, default=60, help="SFTP schedules")
    parser.add_argument("--payments", type=int, default=300, help="CCV payments")
    parser.add_argument("--kill-after", type=float, default=30, help="seconds of work")
    parser.add_argument(
        "--budget", type=float, default=900, help="seconds after the kill, at most"
    )
    parser.add_argument(
        "--stall", type=float, default=180, help="stop when nothing moved this long"
    )
    parser.add_argument("--wait-goal", type=float, default=120)
    parser.add_argument("--mt940-goal", type=float, default=300)
    parser.add_argument("--package-latency", type=float, default=0.02)
    parser.add_argument("--vendor-latency", type=float, default=0.15)
    parser.add_argument("--log-dir", default=str(REPO / ".local" / "log"))
    return parser.parse_args()


def say(text):
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


def start_servers(args):
    servers = [
        OdooServer(
            args.db,
            args.db_port,
            Path(args.log_dir) / f"{args.db}-{name}.log",
            extra_args=["--workers=2", "--max-cron-threads=2"],
            # the cron workers wake up when a cron is made due (make_crons_due)
            env={"ODOO_NOTIFY_CRON_CHANGES": "1"},
            name=name,
        )
        for name in ("A", "B")
    ]
    for server in servers:
        server.start()
    for server in servers:
        if not server.wait_ready(START_TIMEOUT):
            raise SystemExit(
                f"server {server.name} did not start; see {server.log_path}"
            )
    return servers


def check_websockets(servers):
    """websocket up: a real handshake on each server, one gevent process each."""
    results = {}
    for server in servers:
        switched, answer = server.websocket_handshake()
        results[server.name] = (switched, answer, server.gevent_pids())
    time.sleep(10)
    up = True
    for server in servers:
        switched, answer, pids = results[server.name]
        stable = len(pids) == 1 and server.gevent_pids() == pids
        starts = server.evented_starts()
        say(
            f"server {server.name}: websocket handshake "
            f"{'101 Switching Protocols' if switched else 'FAILED: ' + answer}; "
            f"gevent process {'stable' if stable else 'restarting'}; "
            f"Evented Service started {starts} time(s)"
        )
        up = up and switched and stable and starts == 1
    return up


def deliver_concurrently(rpcs, mails):
    """All mails at the same moment, alternately through each server."""
    barrier = threading.Barrier(len(mails))
    outcomes = [None] * len(mails)

    def deliver(index):
        rpc = rpcs[index % len(rpcs)]
        barrier.wait()
        try:
            outcomes[index] = ("ok", sc.deliver_mail(rpc, mails[index]))
        except RPC_ERRORS as error:
            outcomes[index] = ("error", str(error)[:300])

    threads = [threading.Thread(target=deliver, args=(i,)) for i in range(len(mails))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    return outcomes


def choose_moment(servers, gates, want_sftp, give_up, claimed):
    """Hold the gates until a server is carrying connector tasks.

    A server whose requests wait at the package with a task's idempotency key
    is carrying that task; ``claimed(keys)`` confirms from the database that
    those tasks are "running" under a lease ({task id: attempt count}). A
    server delivering an SFTP file at that moment is preferred while
    ``want_sftp()`` (files are still being delivered), until ``give_up``.
    Returns (victim, {server: [(gate, what)]}, its claimed tasks) with the
    gates still held.
    """
    while True:
        hold_all(gates, SETTLE_SECONDS)
        found = owners(servers, gates)
        keys = {s.name: _task_keys(found[s.name]) for s in servers}
        sessions = {s.name: _sftp_sessions(found[s.name]) for s in servers}
        sftp_wanted = time.time() < give_up and want_sftp()
        candidates = sorted(
            (
                s
                for s in servers
                if keys[s.name] and (sessions[s.name] or not sftp_wanted)
            ),
            key=lambda s: (sessions[s.name], len(keys[s.name])),
            reverse=True,
        )
        for server in candidates:
            tasks = claimed(keys[server.name])
            if tasks:
                return server, found, tasks
        if time.time() > give_up + 60:
            victim = max(servers, key=lambda s: len(found[s.name]))
            return (
                victim,
                found,
                claimed(keys[victim.name]) if keys[victim.name] else {},
            )
        release_all(gates)
        time.sleep(1)


def _task_keys(items):
    """Idempotency keys of the requests waiting at the package."""
    return {what for gate, what in items if gate == "package" and what}


def _sftp_sessions(items):
    return sum(1 for gate, _what in items if gate == "sftp")


def _stop_on_sigterm(signum, frame):
    raise SystemExit(f"stopped by signal {signum}")  # servers stopped in finally


def main():  # noqa: C901 (the run's steps, in order)
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    args = parse_args()
    started = time.monotonic()
    Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    package_gate = Gate("package")
    package, ledger, package_url = start_package(
        {}, package_gate, latency=args.package_latency
    )
    sftp = SftpScenario() if args.exports else None
    ccv_gate, moneybird_gate = Gate("ccv"), Gate("moneybird")
    ccv = (
        CcvScenario(ccv_gate, moneybird_gate, args.vendor_latency)
        if args.payments
        else None
    )
    gates = [package_gate, ccv_gate, moneybird_gate] + ([sftp.proxy] if sftp else [])
    servers, run = [], report.Run(args)
    try:
        say(
            f"starting two Odoo servers on {args.db} (--workers=2 --max-cron-threads=2)"
        )
        servers = start_servers(args)
        run.servers = servers
        run.goals["websocket up"] = check_websockets(servers)
        rpcs = [Rpc(s.url, args.db, args.login, args.password) for s in servers]
        admin = rpcs[0]
        company_id = admin("res.users", "read", [admin.uid], ["company_id"])[0][
            "company_id"
        ][0]

        say(f"setting up {args.dossiers} dossiers on {args.connectors} connectors")
        dossiers, crons, companies = sc.connector_setup(
            admin, package_url, API_KEY, args.dossiers, args.connectors
        )
        ledger.companies.update(companies)
        for other in rpcs:
            other.context = admin.context
        journal_id, iban = sc.mt940_setup(admin, company_id)
        address = sc.mail_setup(admin, company_id)
        crons.append(admin.ref(sc.MT940_CRON))
        if ccv:
            say(f"setting up {args.payments} CCV payments for open Moneybird invoices")
            crons.append(ccv.setup(admin, args.payments))
        if sftp:
            # due when the kill comes (queueing, the upload and the mails
            # take about 10 s): the kill finds exports under way
            cron_id, due = sftp.setup(
                admin, company_id, args.exports, lead=args.kill_after + 10
            )
            crons.append(cron_id)
            say(
                f"{args.exports} automatic SFTP exports due at "
                f"{time.strftime('%H:%M:%S', time.localtime(due))}"
            )

        say(f"queueing {args.tasks} connector tasks")
        run.task_ids = sc.connector_queue(admin, dossiers, args.tasks)
        say(f"uploading an MT940 file of {args.credits} credits")
        run.file_id = sc.mt940_upload(admin, journal_id, iban, args.credits)
        run.work_start = time.time()
        sc.make_crons_due(admin, crons)

        # A receiver in use: its alias was used before. (Odoo writes the alias's
        # status on its first mail; six first mails at once would be serialised
        # by that write alone.)
        sc.deliver_mail(
            admin, sc.duplicate_mails(address, sc.make_pdf("Eerste factuur"), 1)[0]
        )
        run.pdf = sc.make_pdf(f"Factuur REL-1 {run.work_start}")
        say(f"delivering {args.mails} mails with one PDF through both servers at once")
        outcomes = deliver_concurrently(
            rpcs, sc.duplicate_mails(address, run.pdf, args.mails)
        )
        for index, outcome in enumerate(outcomes):
            if not outcome or outcome[0] != "ok":
                say(f"  mail {index + 1}: {outcome}")

        # -------------------------------------------------------- the kill
        earliest = run.work_start + args.kill_after
        if sftp:
            earliest = max(earliest, sftp.due + 3)
        while time.time() < earliest:
            sc.make_crons_due(admin, crons)
            time.sleep(POLL_SECONDS)
        sc.make_crons_due(admin, crons)
        time.sleep(2)

        def sftp_busy():
            return bool(sftp) and not sftp.status(admin)["done"]

        def claimed(keys):
            # the tasks of these keys that are "running" (leased) right now
            return {
                t["id"]: t["attempt_count"]
                for t in sc.tasks_by_keys(admin, keys)
                if t["state"] == "running"
            }

        victim, found, run.claimed_at_kill = choose_moment(
            servers, gates, sftp_busy, earliest + 45, claimed
        )
        survivor = next(s for s in servers if s is not victim)
        rpc = rpcs[servers.index(survivor)]
        tasks = sc.connector_tasks(rpc, run.task_ids)
        run.done_at_kill = sum(1 for t in tasks if t["state"] == sc.CONNECTOR_DONE)
        if sftp:
            at_kill = sftp.status(rpc)
            run.sftp_at_kill = at_kill["states"]
            run.sftp_ready_at_kill = [
                run_id
                for run_id, (state, _attempts) in at_kill["by_id"].items()
                if state == "ready"
            ]
            run.victim_sftp = _sftp_sessions(found[victim.name])
        run.kill_time = time.time()
        victim.kill()
        release_all(gates)
        run.booked_at_kill = len(ledger.bookings())
        say(
            f"killed server {victim.name} with SIGKILL after "
            f"{run.kill_time - run.work_start:.0f} s of work, while it waited at: "
            f"{report.waiting_summary(found[victim.name])} (the other server: "
            f"{report.waiting_summary(found[survivor.name])}); tasks running under "
            f"its lease in the database: {len(run.claimed_at_kill)}; "
            f"SFTP history at the kill: {run.sftp_at_kill}"
        )

        # -------------------------------------------------- until done or stuck
        deadline = run.kill_time + args.budget
        say(
            f"observing until everything is done, nothing moves for {args.stall:.0f} "
            f"s, or the budget of {args.budget:.0f} s after the kill is spent"
        )
        last_progress, last_marks = time.time(), None
        while True:
            sc.make_crons_due(rpc, crons)  # the crons' intervals, compressed
            time.sleep(POLL_SECONDS)
            run.booked_before_read = {move["ref"] for move in ledger.bookings()}
            run.tasks = sc.connector_tasks(rpc, run.task_ids)
            run.mt940 = sc.mt940_status(rpc, run.file_id)
            run.sftp = sftp.status(rpc) if sftp else None
            run.ccv = ccv.status(rpc) if ccv else None
            marks = run.progress_marks()
            now = time.time()
            if marks != last_marks:
                last_progress, last_marks = now, marks
            if run.complete():
                run.ended = "everything done"
                break
            if now - last_progress > args.stall:
                run.ended = f"nothing moved for {args.stall:.0f} s"
                run.stalled = True
                break
            if now > deadline:
                run.ended = f"budget of {args.budget:.0f} s after the kill spent"
                break
        run.end_time = time.time()
        run.bookings = ledger.bookings()
        run.bills = sc.bills_with_pdf(rpc, run.pdf)
    finally:
        for server in servers:
            server.stop()
        package.shutdown()
        if sftp:
            sftp.stop()
        if ccv:
            ccv.stop()
    if run.end_time:
        run.print_figures()
    for goal, met in run.goals.items():
        print(f"  {'met   ' if met else 'MISSED'}  {goal}")
    print(f"total time: {time.monotonic() - started:.0f} s")
    return 0 if run.goals and all(run.goals.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
