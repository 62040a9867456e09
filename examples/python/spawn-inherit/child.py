#!/usr/bin/env python3
"""The program subprocess started: its socket is the descriptor whose number it was given.

    (started by parent.py: python3 child.py FD)
"""
import os
import socket
import sys

fd = int(sys.argv[1])
end = socket.socket(fileno=fd)                 # the same socket, under the same number
print("child holds fd", fd, "socket inode", os.fstat(fd).st_ino, flush=True)
print("child got:", end.recv(100).decode(), flush=True)
end.sendall(b"hello from the spawned program")
end.close()
