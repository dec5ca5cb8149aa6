#!/usr/bin/env python3
"""Runs a command with a pseudo-terminal as its controlling terminal and types answers to its prompts.

    terminal_session.py [--no-terminal] [--stdin tty|null] [--prompt TEXT] [--answer TEXT]...
                        [--stop-on-stderr TEXT [--stop-count N]] [--timeout S] -- COMMAND ARGS...

The command runs in a new session. With a terminal (the default) a new pty is its controlling terminal
(`/dev/tty`); stdin is that terminal (`--stdin tty`) or /dev/null (`--stdin null`); stdout and stderr are
pipes, so the terminal shows only what the command writes to `/dev/tty` and what the terminal echoes.
Whenever the terminal shows TEXT (`--prompt`, default "PIN for") after the last answer, up to a closing
":" (and spaces), the next `--answer` is typed, followed by a newline (`^D` and `^C` type the
end-of-file or interrupt character alone); with no answer left, the prompt stays unanswered.
With `--no-terminal` the command has no controlling terminal at all and stdin is /dev/null.

The command is stopped (SIGTERM, with an empty signal mask) once its stderr has shown `--stop-on-stderr`
`--stop-count` times, and killed (SIGKILL, `timedOut`) after `--timeout` seconds (default 20) or 5 s after
an unheeded SIGTERM. One JSON object is printed:
`{"exitCode", "timedOut", "stopped", "seconds", "terminal", "stdout", "stderr", "prompts",
"terminalEchoes", "echoRestored"}`: `terminal` is everything read from the pty (prompts and any echo),
`prompts` the terminal text that preceded each prompt's answer (or the unanswered last one),
`terminalEchoes` whether the fresh pty echoed a probe line before the command started (so an absent PIN is
the command's doing), `echoRestored` whether echo was on again when the command ended.
"""
import argparse
import fcntl
import json
import os
import select
import signal
import subprocess
import sys
import termios
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-terminal", action="store_true")
    parser.add_argument("--stdin", choices=["tty", "null"], default="tty")
    parser.add_argument("--prompt", default="PIN for")
    parser.add_argument("--answer", action="append", default=[])
    parser.add_argument("--stop-on-stderr")
    parser.add_argument("--stop-count", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no command")

    master = slave = None
    echoes = None
    if not args.no_terminal:
        master, slave = os.openpty()
        echoes = probe_echo(master, slave)
    stdin = slave if slave is not None and args.stdin == "tty" else subprocess.DEVNULL

    def preexec():
        # A test runner may block or ignore signals, and both survive exec: the command must see the
        # SIGTERM that stops it and the SIGINT of a ^C.
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        for number in (signal.SIGINT, signal.SIGQUIT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        if slave is not None:
            # After setsid (start_new_session): the pty becomes the controlling terminal of the new session.
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)

    started = time.monotonic()
    child = subprocess.Popen(
        command, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        preexec_fn=preexec)
    out, err = child.stdout.fileno(), child.stderr.fileno()
    buffers = {out: bytearray(), err: bytearray()}
    open_fds = {out, err}
    terminal = bytearray()
    if master is not None:
        buffers[master] = terminal
        open_fds.add(master)
        os.set_blocking(master, False)
    answers = list(args.answer)
    prompt = args.prompt.encode()
    prompts = []
    unanswered_from = 0  # terminal offset after the last answer
    timed_out = False
    stopped_at = None  # when SIGTERM was sent

    def pump(timeout):
        readable, _, _ = select.select(list(open_fds), [], [], timeout)
        for fd in readable:
            try:
                data = os.read(fd, 65536)
            except (BlockingIOError, OSError):
                data = b""
            if data:
                buffers[fd].extend(data)
            elif fd != master:
                open_fds.discard(fd)

    while True:
        pump(0.05)
        if master is not None:
            pending = terminal[unanswered_from:]
            # A prompt is complete once the terminal shows it up to its closing ": ".
            complete = prompt in pending and pending.rstrip(b" ").endswith(b":")
            if complete and (len(prompts) == 0 or prompts[-1][1] != unanswered_from):
                prompts.append((pending.decode(errors="replace"), unanswered_from))
                if answers:
                    answer = answers.pop(0)
                    # "^D" and "^C": the end-of-file or interrupt character alone, as a user giving up types it.
                    control = {"^D": b"\x04", "^C": b"\x03"}.get(answer)
                    os.write(master, control or answer.encode() + b"\n")
                    unanswered_from = len(terminal)
        if args.stop_on_stderr and stopped_at is None and child.poll() is None:
            if buffers[err].count(args.stop_on_stderr.encode()) >= args.stop_count:
                child.send_signal(signal.SIGTERM)
                stopped_at = time.monotonic()
        if child.poll() is not None and out not in open_fds and err not in open_fds:
            break
        now = time.monotonic()
        if not timed_out and (now - started > args.timeout or (stopped_at is not None and now - stopped_at > 5)):
            timed_out = True
            child.kill()
    child.wait()
    if master is not None:
        pump(0)
    result = {
        "exitCode": child.returncode,
        "timedOut": timed_out,
        "stopped": stopped_at is not None,
        "seconds": round(time.monotonic() - started, 3),
        "terminal": terminal.decode(errors="replace"),
        "prompts": [text for text, _ in prompts],
        "terminalEchoes": echoes,
        "echoRestored": None if slave is None else bool(termios.tcgetattr(slave)[3] & termios.ECHO),
    }
    result["stdout"] = buffers[out].decode(errors="replace")
    result["stderr"] = buffers[err].decode(errors="replace")
    print(json.dumps(result))


def probe_echo(master, slave):
    """Whether the fresh pty echoes a typed line (it should: the command has to turn echo off itself)."""
    os.write(master, b"echo-probe\n")
    seen = b""
    deadline = time.monotonic() + 2
    while b"echo-probe" not in seen and time.monotonic() < deadline:
        readable, _, _ = select.select([master], [], [], 0.1)
        if readable:
            seen += os.read(master, 1024)
    termios.tcflush(slave, termios.TCIFLUSH)
    return b"echo-probe" in seen


if __name__ == "__main__":
    sys.exit(main())
