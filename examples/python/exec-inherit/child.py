#!/usr/bin/env python3
"""The program the child runs with exec: its socket is the descriptor whose number it was given.

    (started by parent.py: python3 child.py FD)
"""
import socket
import sys

fd = int(sys.argv[1])
end = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, fileno=fd)  # the same socket, same number
end.sendall(b"hello from the new program")
print("child got:", end.recv(100).decode(), flush=True)
end.close()
