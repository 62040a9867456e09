#!/usr/bin/env python3
"""A child started with subprocess inherits a socket: pass_fds.

The parent makes a socketpair and starts child.py with subprocess.Popen(..., pass_fds=[fd]).
CPython starts the child with vfork and exec (no fork the recorder can see); pass_fds keeps
that one descriptor open, under the same number, in the new program, and closes the others.
The new program finds its end under the number it was given, and the two exchange a message.
    sockscope record --out run --role parent -- python3 parent.py
"""
import os
import socket
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
fd = child_end.fileno()
child = subprocess.Popen([sys.executable, os.path.join(here, "child.py"), str(fd)], pass_fds=[fd])
child_end.close()                              # the child holds it now
parent_end.sendall(b"hello from the parent")
print("parent got:", parent_end.recv(100).decode(), flush=True)
child.wait()
parent_end.close()
