#!/usr/bin/env python3
"""Passing a descriptor with SCM_RIGHTS: the child gets the SAME socket under a new number.

The parent makes a "work" socket pair, then sends one end of it to its child over a channel
(another socketpair). The child writes on the received descriptor; the parent reads it on the
other end of the work pair.
    sockscope record --out run --role parent -- python3 rights.py
"""
import os
import socket

channel_parent, channel_child = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
pid = os.fork()
if pid == 0:                                   # the child
    channel_parent.close()
    msg, fds, flags, _ = socket.recv_fds(channel_child, 100, 1)
    work = socket.socket(fileno=fds[0])        # a new descriptor number, the same socket
    print("child got descriptor", fds[0], "with", msg.decode(), flush=True)
    work.send(b"written through the passed descriptor")
    work.close()
    os._exit(0)
channel_child.close()
work_here, work_there = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
socket.send_fds(channel_parent, [b"a socket"], [work_there.fileno()])
work_there.close()                             # the child's descriptor keeps the socket alive
print("parent read:", work_here.recv(100).decode(), flush=True)
os.waitpid(pid, 0)
work_here.close()
channel_parent.close()
