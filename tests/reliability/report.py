"""What the reliability run observed, and the figures and goals it prints."""

import figures as fg
import scenarios as sc


def waiting_summary(items):
    """ "package: 3, sftp: 1" of [(gate, what)]."""
    counts = {}
    for gate, _what in items:
        counts[gate] = counts.get(gate, 0) + 1
    return ", ".join(f"{gate}: {n}" for gate, n in sorted(counts.items())) or "nothing"


class Run:
    """The run's observations (filled in by run.py) and its goals."""

    def __init__(self, args):
        self.args = args
        self.goals = {}
        self.servers = []
        self.task_ids = []
        self.tasks = []
        self.file_id = None
        self.pdf = None
        self.work_start = self.kill_time = self.end_time = None
        self.claimed_at_kill = {}
        self.done_at_kill = self.booked_at_kill = 0
        self.sftp_at_kill = {}
        self.sftp_ready_at_kill = []
        self.victim_sftp = 0
        self.booked_before_read = set()
        self.mt940 = None
        self.sftp = self.ccv = None
        self.bookings = []
        self.bills = []
        self.ended = ""
        self.stalled = False

    # ------------------------------------------------------------ progress
    def progress_marks(self):
        """What changes while work moves on (a stall: none of it changes)."""
        return (
            sum(1 for t in self.tasks if t["state"] == sc.CONNECTOR_DONE),
            tuple(sorted((t["id"], t["attempt_count"]) for t in self.tasks))
            if len(self.tasks) < 10000
            else None,
            self.mt940 and (self.mt940[0], self.mt940[4]["done_count"]),
            self.sftp and tuple(sorted(self.sftp["states"].items())),
            self.ccv and tuple(sorted(self.ccv["states"].items())),
        )

    def complete(self):
        tasks_done = all(t["state"] == sc.CONNECTOR_DONE for t in self.tasks)
        mt940_done = self.mt940[0] in ("processed", "error")
        sftp_done = self.sftp is None or self.sftp["done"]
        ccv_done = self.ccv is None or (
            self.ccv["fetched"] == self.args.payments
            and self.ccv["done"] == self.args.payments
        )
        return tasks_done and mt940_done and sftp_done and ccv_done

    # ------------------------------------------------------------- figures
    def print_figures(self):
        args = self.args
        print()
        print("=== Reliability run (issue 15) ===")
        print(f"websocket up: {'yes' if self.goals['websocket up'] else 'NO'}")
        print(
            f"observed until: {self.ended}, {self.end_time - self.kill_time:.0f} s "
            f"after the kill (budget {args.budget:.0f} s, stall limit "
            f"{args.stall:.0f} s)"
        )
        self._connector()
        self._mt940()
        print(
            f"bills per duplicated PDF: {len(self.bills)} (mails: {args.mails}) "
            f"{self.bills}"
        )
        self.goals["1 bill per duplicated PDF"] = len(self.bills) == 1
        if self.sftp is not None:
            self._sftp()
        if self.ccv is not None:
            self._ccv()
        limits, errors, bad_queries = fg.log_figures(self.servers)
        print(f"Odoo limits hit (watchdog/time limit lines in the logs): {limits}")
        print(
            f"ERROR lines in the logs: {errors} (of which 'bad query': {bad_queries})"
        )
        print(f"server logs: {self.servers[0].log_path}, {self.servers[1].log_path}")

    def _connector(self):
        args = self.args
        c = fg.connector_figures(
            self.tasks, self.bookings, self.booked_before_read, self.stalled
        )
        observed = self.end_time - self.kill_time
        print(
            f"connector tasks: {c['done']} / {c['total']} done ({c['states']}); "
            f"lost: {c['lost']} (done but not booked: {c['done_not_booked']}, "
            f"stuck when nothing moved: {c['stuck']}); not reached: "
            f"{c['not_reached']} (of which taken up and still open: "
            f"{c['taken_up_open']}); booked twice: {c['twice']}; FIFO violations: "
            f"{c['violations']}; bookings: {c['bookings']}"
        )
        print(f"booked in the package, not (yet) done in Odoo: {c['unrecorded']}")
        # until the last task was done (the run may watch other work longer)
        done_times = [fg.odoo_time(t["done_at"]) for t in self.tasks if t["done_at"]]
        last_done = max(done_times, default=self.work_start)
        worked = max(last_done - self.work_start, 1)
        since_kill = c["done"] - self.done_at_kill
        after_kill = max(last_done - self.kill_time, 1)
        print(
            f"connector throughput: {fg.rate(c['done'], worked)} ({c['done']} tasks "
            f"in {worked:.0f} s from the start of the work to the last one done); "
            f"after the kill {fg.rate(since_kill, after_kill)} ({since_kill} tasks "
            f"in {after_kill:.0f} s)"
        )
        waits, not_back, taken_over = fg.takeover_waits(
            self.tasks, self.claimed_at_kill, self.kill_time
        )
        worst = max((w for w in waits if w is not None), default=0.0)
        if not waits:
            wait_text = "not measured: the killed server held no task at the kill"
        elif not_back:
            wait_text = (
                f"more than {observed:.0f} s: {not_back} of the {len(waits)} "
                "task(s) the killed server held were not done at the end"
            )
        else:
            wait_text = (
                f"{worst:.0f} s over {len(waits)} task(s) the killed server held "
                f"({taken_over} taken over by a new claim)"
            )
        print(f"worst wait for a dead worker's task: {wait_text}")
        self.goals["0 lost"] = c["lost"] == 0
        self.goals["0 booked twice"] = c["twice"] == 0
        self.goals["0 FIFO violations"] = c["violations"] == 0
        self.goals[f"worst wait <= {args.wait_goal:.0f} s"] = bool(
            waits and not not_back and worst <= args.wait_goal
        )

    def _mt940(self):
        args = self.args
        state, lines, import_ids, processed_date, file = self.mt940
        seconds = (
            fg.odoo_time(processed_date) - self.work_start if processed_date else None
        )
        print(
            f"MT940 file: {state}, {lines} statement lines ({import_ids} distinct "
            f"import ids) of {args.credits} credits; transactions done "
            f"{file['done_count']} of {file['transaction_count']}; "
            + (
                f"processed {seconds:.0f} s after the cron was due"
                if seconds is not None
                else f"not processed {self.end_time - self.work_start:.0f} s after "
                "the cron was due"
            )
        )
        if state != "processed" and file["message"]:
            print(f"MT940 file message: {file['message']}")
        self.goals[f"MT940 processed within {args.mt940_goal:.0f} s"] = (
            state == "processed"
            and lines == args.credits == import_ids
            and seconds is not None
            and seconds <= args.mt940_goal
        )

    def _sftp(self):
        s = self.sftp
        print(
            f"SFTP exports: {s['runs']} history lines ({s['states']}); files "
            f"delivered: {s['files']}; delivered twice under the final name: "
            f"{s['twice']}; runs stranded: {s['stranded']}; delivered in Odoo but "
            f"not on the server: {s['missing']}; on the server but not delivered in "
            f"Odoo: {s['unrecorded']}; history at the kill: {self.sftp_at_kill}"
        )
        ready = [s["by_id"].get(run_id) for run_id in self.sftp_ready_at_kill]
        print(
            f"SFTP at the kill: the killed server was delivering "
            f"{self.victim_sftp} file(s) (SFTP sessions open); history lines "
            f"'ready' (committed, not yet delivered) at the kill: {len(ready)}, "
            f"at the end (state, attempts): {ready}"
        )
        if s["errors"]:
            print(f"SFTP errors: {s['errors']}")
        self.goals["SFTP: every file delivered once"] = (
            s["done"]
            and s["twice"] == 0
            and s["stranded"] == 0
            and s["missing"] == 0
            and s["files"] == s["states"].get("delivered", 0) > 0
        )

    def _ccv(self):
        c, payments = self.ccv, self.args.payments
        print(
            f"CCV payments: {c['fetched']} of {payments} fetched ({c['states']}); "
            f"registered in Moneybird: {c['registered']}; registered twice: "
            f"{c['twice']}; left open or in error: {c['fetched'] - c['done']}; "
            f"Moneybird API requests: {c['api_requests']} "
            f"(rate limited: {c['rate_limited']})"
        )
        self.goals["CCV: every payment registered once"] = (
            c["twice"] == 0 and c["registered"] == payments == c["done"]
        )
