"""Run a command and write its peak RSS in kB to a file: `python -I -S peak_rss.py OUT CMD...`.

Linux charges a child started from a large process with that process's memory (a
vfork-started child execs from its parent's address space), so the harness, which holds the
sandbox, starts commands through this small launcher instead, like `/usr/bin/time -v` does.
"""

import os
import sys

out, argv = sys.argv[1], sys.argv[2:]
pid = os.fork()
if pid == 0:
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_pid, status, usage = os.wait4(pid, 0)
with open(out, "w") as file:
    file.write(f"{usage.ru_maxrss}\n")
sys.exit(os.waitstatus_to_exitcode(status))
