# client.py — the lecture page's echo client, ported to Python 3 so that it runs today.
# Every change from the page's Python 2 code is marked "Python 3:" below; the messages, the calls
# and their order are the page's.
import os
import os.path
import socket
import sys

SOCKET_FILE = './echo.socket'

print("Подключение...")
if os.path.exists(SOCKET_FILE):
    client = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    client.connect(SOCKET_FILE)
    print("Выполнено.")
    print("Ctrl-C что бы выйти.")
    print("Отправьте 'DONE' что бы выключить сервер.")
    while True:
        try:
            # Python 3: raw_input is called input.
            x = input("> ")
            # Not on the page: when the input is not a terminal nothing echoes what was typed, so
            # echo it, as a terminal would (sockscope demo drives this client through a pipe).
            if not sys.stdin.isatty():
                print(x)
            if "" != x:
                print("ОТПРАВЛЕНО: %s" % x)
                # Python 3: sockets send bytes, so encode the text.
                client.send(x.encode("utf-8"))
                if "DONE" == x:
                    print("Выключение.")
                    break
        # Python 3: `except KeyboardInterrupt, k:` is a syntax error; the form is `except ... as`.
        # End of input (EOFError) stops the client too, instead of ending it with a traceback.
        except (KeyboardInterrupt, EOFError):
            print("Выключение.")
            break
    client.close()
else:
    print("Не могу соединиться!")
print("Выполнено")
