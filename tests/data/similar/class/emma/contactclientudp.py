# Emma L. - UDP contacts client, from the lecture's client
import socket
import sys

HOST = '127.0.0.1'
PORT = 9999
BUFSIZE = 1024
TIMEOUT = 2


def main():
    if len(sys.argv) < 2:
        print('usage: python3 %s WORD...' % sys.argv[0])
        sys.exit(2)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(TIMEOUT)
    words = sys.argv[1:]
    with sock:
        for n in range(1, 4):
            sock.sendto(';'.join(words).encode('utf-8'), (HOST, PORT))
            try:
                text, _ = sock.recvfrom(65535)
            except TimeoutError:
                print(f'attempt {n}: no reply', file=sys.stderr)
            else:
                print(text.decode('utf-8'))
                return
    sys.exit(1)


if __name__ == '__main__':
    main()
