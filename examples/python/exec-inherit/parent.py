#!/usr/bin/env python3
"""exec: a socket descriptor outlives exec unless it is close-on-exec.

The parent makes a socketpair and forks. The child marks its end inheritable
(os.set_inheritable: ioctl FIONCLEX) and runs another program, child.py, with exec; it leaves
the parent's end as Python made it, close-on-exec, so exec closes that descriptor (the parent
still holds the socket, so it lives on). The new program finds its end under the same number.
    sockscope record --out run --role parent -- python3 parent.py
"""
import os
import socket
import sys

here = os.path.dirname(os.path.abspath(__file__))
parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)  # both close-on-exec
pid = os.fork()
if pid == 0:                                   # the child, before exec
    os.set_inheritable(child_end.fileno(), True)   # this one survives exec
    fd = str(child_end.fileno())
    os.execv(sys.executable, [sys.executable, os.path.join(here, "child.py"), fd])
child_end.close()                              # the child (and then its new program) holds it
print("parent got:", parent_end.recv(100).decode(), flush=True)
parent_end.sendall(b"hello from the parent")
os.waitpid(pid, 0)
parent_end.close()
