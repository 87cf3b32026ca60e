# chat server - homework
# copied the structure from the teacher, one thread for every client

import socket
import threading

clients = []    # [sock, nick]
lock = threading.Lock()

def send_line(sock, text):
    try:
        sock.sendall((text + '\n').encode('utf-8'))
    except OSError:
        pass

def tell_others(sock, text):
    for c in clients:
        if c[0] != sock:
            send_line(c[0], text)

def serve(sock, addr):
    print('Accept new connection from %s:%s...' % addr)
    nick = None
    send_line(sock, 'Welcome to the chat!')
    f = sock.makefile('rb')
    try:
        for raw in f:
            text = raw.decode('utf-8').strip()
            print('got', text, 'from', nick)
            if nick is None:
                if text.startswith('NICK '):
                    nick = text[5:]
                    with lock:
                        clients.append([sock, nick])
                        send_line(sock, 'Hello ' + nick)
                        tell_others(sock, '* ' + nick + ' joined')
                else:
                    send_line(sock, 'ERROR: NICK first')
            elif text == 'QUIT':
                send_line(sock, 'Bye ' + nick)
                break
            else:
                # send the message
                with lock:
                    send_line(sock, nick + ': ' + text)
                print('sent', nick + ': ' + text)
    except OSError as e:
        print('error', e)
    f.close()
    if nick is not None:
        with lock:
            clients.remove([sock, nick])
            tell_others(sock, '* ' + nick + ' left')
    sock.close()
    print('Connection from %s:%s closed.' % addr)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 9999))
s.listen(5)
print('Waiting for connection...')
while True:
    sock, addr = s.accept()
    t = threading.Thread(target=serve, args=(sock, addr))
    t.start()
