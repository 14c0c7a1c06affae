#!/usr/bin/env python3
"""Run a command on a new pseudo-terminal (its stdin, stdout, stderr and
controlling terminal), as a user at a terminal would.
usage: pty_run.py [--answer TEXT] [--timeout S] OUTFILE CMD...
Writes TEXT and a newline when the terminal shows a line ending in ': '
(a prompt); everything the terminal shows goes to OUTFILE. Exits with the
command's status (124 on timeout)."""
import os
import pty
import select
import sys
import time


def main():
    args = sys.argv[1:]
    answer, timeout = None, 60.0
    while args and args[0].startswith('--'):
        if args[0] == '--answer':
            answer = args[1]
            args = args[2:]
        elif args[0] == '--timeout':
            timeout = float(args[1])
            args = args[2:]
        else:
            break
    out, cmd = args[0], args[1:]
    pid, fd = pty.fork()
    if pid == 0:
        os.execvp(cmd[0], cmd)
    seen = b''
    deadline = time.time() + timeout
    while True:
        if time.time() > deadline:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            open(out, 'wb').write(seen)
            sys.exit(124)
        r, _, _ = select.select([fd], [], [], 0.2)
        if fd in r:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b''
            if not data:
                break
            seen += data
            if answer is not None and seen.rstrip(b' ').endswith(b':') and seen.endswith(b': '):
                os.write(fd, answer.encode() + b'\n')
                answer = None
    _, status = os.waitpid(pid, 0)
    open(out, 'wb').write(seen)
    sys.exit(os.waitstatus_to_exitcode(status))


main()
