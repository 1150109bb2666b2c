"""SFTP in the reliability run (issue 15 point 6): scheduled exports by the cron.

A real OpenSSH sshd on 127.0.0.1, started by the sftp_export addon's own test
helper (``addons/sftp_export/tests/sshd.py``, plain Python), behind a
``HoldingProxy`` (gate.py) so that the run can kill a server while it is
delivering a file: after the file's history line was committed "ready", before
"delivered". Several automatic exports of vendor bills fall due at the same
minute; the export cron makes and sends them on whichever server runs it.

Each history line's file goes to a temporary name and is renamed to its final
name (sftp_export/services/sftp_client.py). A watcher notes every file that
appears under a final name; a final name that gets a second file (a new inode)
was delivered twice. Figures: files delivered, delivered twice under the final
name, history lines stranded (not delivered, not skipped at the end).
"""

import sys
import threading
from datetime import UTC, datetime, timedelta

from gate import HoldingProxy
from odoo_server import REPO

sys.path.insert(0, str(REPO / "addons" / "sftp_export" / "tests"))
import sshd  # the addon's helper, found above

SFTP_CRON = "sftp_export.ir_cron_run_due_schedules"
BILL_FORMAT = "sftp_export.format_vendor_bills"
WATCH_SECONDS = 0.2
FINAL_STATES = ("delivered", "skipped")


class SftpScenario:
    def __init__(self):
        self.sshd = sshd.SshServer().start()
        self.proxy = HoldingProxy("sftp", self.sshd.port)
        self.schedule_ids = []
        self.due = None
        self._seen = {}  # final name -> {inode}
        self._stop = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def stop(self):
        self._stop.set()
        self.proxy.stop()
        self.sshd.cleanup()

    def _watch(self):
        """Every file under a final name, by inode (a rename makes a new one)."""
        while not self._stop.wait(WATCH_SECONDS):
            try:
                entries = list(self.sshd.upload_dir.iterdir())
            except OSError:
                continue
            for path in entries:
                if path.name.startswith("."):
                    continue  # a temporary ".<uuid>.part"
                try:
                    inode = path.stat().st_ino
                except OSError:
                    continue
                self._seen.setdefault(path.name, set()).add(inode)

    def setup(self, rpc, company_id, schedule_count, lead=5):
        """An SFTP server record (through the proxy) and ``schedule_count``
        automatic exports due at the first whole minute at least ``lead``
        seconds from now (a schedule has a time of day in minutes). Returns
        (cron id, when they are due as a Unix time)."""
        server_id = rpc(
            "sftp.export.server",
            "create",
            {
                "name": "Betrouwbaarheid sshd",
                "company_id": company_id,
                "host": "127.0.0.1",
                "port": self.proxy.port,
                "username": self.sshd.user,
                "directory": str(self.sshd.upload_dir),
                "auth_method": "key",
            },
        )
        rpc("sftp.export.server", "action_generate_key", [server_id])
        public_key = rpc("sftp.export.server", "read", [server_id], ["public_key"])[0]
        self.sshd.authorize(public_key["public_key"])
        # other schedules (demo data) stay out of the figures
        others = rpc("sftp.export.schedule", "search", [("enabled", "=", True)])
        if others:
            rpc("sftp.export.schedule", "write", others, {"enabled": False})
        due = datetime.now(UTC) + timedelta(seconds=lead + 59)
        due = due.replace(second=0, microsecond=0)
        self.due = due.timestamp()
        bill_format = rpc.ref(BILL_FORMAT)
        for index in range(schedule_count):
            # a format per schedule: its own file names, as two companies have
            copied = rpc(
                "sftp.export.format",
                "copy",
                [bill_format],
                {
                    "name": f"Betrouwbaarheid {index:02d}",
                    "file_name_pattern": f"rel{index:02d}_bills_{{date}}_{{time}}.csv",
                },
            )
            format_id = copied[0] if isinstance(copied, list) else copied
            self.schedule_ids.append(
                rpc(
                    "sftp.export.schedule",
                    "create",
                    {
                        "name": f"Betrouwbaarheid {index:02d}",
                        "company_id": company_id,
                        "server_id": server_id,
                        "enabled": True,
                        "saturday": True,
                        "sunday": True,
                        "time": due.hour + due.minute / 60,
                        "tz": "UTC",
                        "line_ids": [
                            (
                                0,
                                0,
                                {
                                    "dataset": "vendor_bills",
                                    "format_id": format_id,
                                    "include_exported": True,
                                    "include_approval_missing": True,
                                    "include_verification_missing": True,
                                    "include_missing_info": True,
                                },
                            )
                        ],
                    },
                )
            )
        return rpc.ref(SFTP_CRON), self.due

    def runs(self, rpc):
        return rpc(
            "sftp.export.run",
            "search_read",
            [("schedule_id", "in", self.schedule_ids)],
            fields=["state", "file_name", "attempts", "error"],
        )

    def status(self, rpc):
        """Figures of the exports at this moment."""
        runs = self.runs(rpc)
        states = {}
        for run in runs:
            states[run["state"]] = states.get(run["state"], 0) + 1
        seen = {name: set(inodes) for name, inodes in list(self._seen.items())}
        delivered_names = {r["file_name"] for r in runs if r["state"] == "delivered"}
        return {
            "states": states,
            "runs": len(runs),
            "files": len(seen),
            "twice": sum(1 for inodes in seen.values() if len(inodes) > 1),
            "stranded": sum(1 for r in runs if r["state"] not in FINAL_STATES),
            "missing": len(delivered_names - set(seen)),
            "unrecorded": len(set(seen) - delivered_names),
            "errors": sorted({r["error"] for r in runs if r["error"]})[:3],
            "done": bool(runs) and all(r["state"] in FINAL_STATES for r in runs),
            "by_id": {r["id"]: (r["state"], r["attempts"]) for r in runs},
        }
