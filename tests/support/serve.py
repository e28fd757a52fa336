"""Run `replyall serve|smtp|worker|web` as a real subprocess: a config file, the bound ports, SIGTERM/SIGKILL."""

from __future__ import annotations

import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

REPLYALL = Path(sys.executable).with_name("replyall")
START_DEADLINE = 90.0


def serve_config(
    tmp_path: Path, url: str, *, name: str = "serve.toml", smtp: str = "", tables: str = "", extra: str = ""
) -> Path:
    """A config with one public archive (comms-network) on ports 0.

    `smtp` adds lines to the [smtp] table, `tables` adds whole tables before the
    archives, `extra` is appended at the end (more [[archives]]).
    """
    path = tmp_path / name
    path.write_text(
        f'environment = "production"\n[database]\nurl = "{url}"\n'
        '[smtp]\nhost = "127.0.0.1"\nport = 0\nhostname = "archive.test"\n' + smtp +
        '[web]\nhost = "127.0.0.1"\nport = 0\nsecret_key = "a-test-secret-that-is-long"\n'
        '[worker]\npoll_interval = 0.2\n[digest]\nenabled = false\n[logging]\nlevel = "INFO"\n' + tables +
        '[[archives]]\nslug = "comms-network"\nname = "Comms"\naddress = "comms-network@archive.example.org"\n'
        'visibility = "public"\n' + extra
    )
    return path


def read_lines(stream, out: queue.Queue) -> None:
    """Copy a child's output into a queue, line by line; None marks the end."""
    for line in stream:
        out.put(line)
    out.put(None)


class ServeProcess:
    """One `replyall <command>` child; start() waits for the "listening" lines it needs."""

    def __init__(self, config: Path, command: str = "serve") -> None:
        self.config, self.command = config, command
        self.proc: subprocess.Popen | None = None
        self.lines: queue.Queue = queue.Queue()
        self.log: list[str] = []
        self.smtp_port: int | None = None
        self.web_url: str | None = None

    def start(self, *, want_smtp: bool | None = None, want_web: bool | None = None) -> "ServeProcess":
        want_smtp = self.command in ("serve", "smtp") if want_smtp is None else want_smtp
        want_web = self.command in ("serve", "web") if want_web is None else want_web
        self.lines = queue.Queue()
        self.smtp_port = self.web_url = None
        self.proc = subprocess.Popen(
            [str(REPLYALL), "--config", str(self.config), self.command],
            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, errors="replace",
        )
        threading.Thread(target=read_lines, args=(self.proc.stderr, self.lines), daemon=True).start()
        deadline = time.monotonic() + START_DEADLINE
        while (want_smtp and self.smtp_port is None) or (want_web and self.web_url is None) or (
            self.command == "worker" and not any("worker started" in line for line in self.log)
        ):
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            assert line is not None, f"{self.command} exited during start-up:\n" + "".join(self.log[-50:])
            self.log.append(line)
            if "smtp listening" in line:
                self.smtp_port = int(re.search(r"\bport=(\d+)", line).group(1))
            if "web listening" in line:
                self.web_url = re.search(r"\burl=(\S+)", line).group(1).rstrip("/")
        return self

    def collect(self) -> str:
        """Everything the child logged so far (drains the queue without waiting)."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.log.append(line)
        return "".join(self.log)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as when the machine loses power or the OOM killer strikes."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)

    def terminate(self, timeout: float = 30) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                return self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode
