#!/usr/bin/env python3
"""Sends two datagrams to the abstract name @sockscope-gallery."""
import socket

client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
client.connect("\0sockscope-gallery")
client.send(b"hello")
client.send(b"DONE")
client.close()
