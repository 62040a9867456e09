#!/usr/bin/env python3
"""socketpair + fork: two connected, unnamed sockets shared by a parent and its child.

After fork both processes hold descriptors of BOTH ends. Each closes the end it does not use;
a socket lives while any descriptor refers to it, so the parent's close of the child's end does
not destroy it.
    sockscope record --out run --role parent -- python3 pair.py
"""
import os
import socket

parent_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
pid = os.fork()
if pid == 0:                       # the child
    parent_end.close()             # the child keeps only its own end
    child_end.sendall(b"hello from the child")
    print("child got:", child_end.recv(100).decode(), flush=True)
    child_end.close()
    os._exit(0)
child_end.close()                  # the child still holds this socket: it lives on
print("parent got:", parent_end.recv(100).decode(), flush=True)
parent_end.sendall(b"hello from the parent")
os.waitpid(pid, 0)
parent_end.close()
