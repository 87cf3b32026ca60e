# Hostile: raises at import (a module the student did not hand in).
import socket
import udphelpers

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udphelpers.serve(s, ('127.0.0.1', 9999))
