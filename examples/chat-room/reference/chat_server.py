"""Threaded TCP chat room server: the model answer of the chat-room assignment.

One line per message, each ending with a newline, in UTF-8:
  on connect         -> `Welcome to the chat!`
  NICK name          -> `Hello name` to the client, `* name joined` to the others
  any other line     -> `name: line` to every other joined client (nothing back)
  QUIT               -> `Bye name`, the connection is closed, `* name left` to the others
  a line before NICK -> `ERROR: NICK first`
A client that hangs up, politely or with a reset, is announced as left; the
room goes on. One thread per connection; the list of joined clients is shared
and guarded by a lock.

Run: python3 chat_server.py [--host 127.0.0.1] [--port 9999]
"""
import argparse
import signal
import socket
import threading

clients = []                 # (socket, nick) of every joined client
clients_lock = threading.Lock()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--host', default='127.0.0.1')
    p.add_argument('--port', type=int, default=9999)
    return p.parse_intermixed_args()


def send_line(sock, text):
    """Send one line; a client that has gone away is not an error here (its own thread sees it)."""
    try:
        sock.sendall((text + '\n').encode('utf-8'))
    except OSError:
        pass


def tell_others(sock, text):
    """Send `text` to every joined client but `sock`. Call with clients_lock held."""
    for other, _ in clients:
        if other is not sock:
            send_line(other, text)


# Every line to a joined client is sent with clients_lock held, so that two
# threads never write into the same socket at once and every client sees the
# room's lines in the same order. (A client that stops reading for good would
# hold up the room once its buffer is full: simple beats clever here.)
def join(sock, nick):
    with clients_lock:
        clients.append((sock, nick))
        send_line(sock, 'Hello %s' % nick)
        tell_others(sock, '* %s joined' % nick)


def leave(sock, nick):
    with clients_lock:
        clients.remove((sock, nick))
        tell_others(sock, '* %s left' % nick)


def say(sock, nick, text):
    with clients_lock:
        tell_others(sock, '%s: %s' % (nick, text))


def bye(sock, nick):
    with clients_lock:
        send_line(sock, 'Bye %s' % nick)


def serve(sock, addr):
    print('Accept new connection from %s:%s...' % addr[:2], flush=True)
    nick = None
    try:
        send_line(sock, 'Welcome to the chat!')
        with sock.makefile('rb') as lines:     # closed before sock, or sock.close() would not close it
            for raw in lines:
                text = raw.decode('utf-8', errors='replace').rstrip('\r\n')
                if nick is None:
                    if text.startswith('NICK ') and text[5:].strip():
                        nick = text[5:].strip()
                        join(sock, nick)
                    else:
                        send_line(sock, 'ERROR: NICK first')
                elif text == 'QUIT':
                    bye(sock, nick)
                    break
                else:
                    say(sock, nick, text)
    except OSError:
        pass                 # reset by the client: it has left all the same
    finally:
        if nick is not None:
            leave(sock, nick)
        sock.close()
    print('Connection from %s:%s closed.' % addr[:2], flush=True)


def main():
    args = parse_args()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((args.host, args.port))
    s.listen(16)
    print('Waiting for connection...', flush=True)
    while True:
        sock, addr = s.accept()
        threading.Thread(target=serve, args=(sock, addr), daemon=True).start()


if __name__ == '__main__':
    # SIGTERM and SIGINT (even if the launching shell ignored it) both raise
    # KeyboardInterrupt, which ends the server quietly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        main()
    except KeyboardInterrupt:
        pass
