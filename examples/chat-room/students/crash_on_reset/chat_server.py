#!/usr/bin/env python3
# -*- coding: utf-8 -*-

# Chat room server, multi-thread
# (structure from the teacher's server: clients list + lock)

import os
import socket
import threading

clients = []
lock = threading.Lock()

def stop_server():
    # Ctrl+C does not stop the threads, so stop the whole program here
    print('Stopping the server')
    os._exit(0)

def send_to(sock, text):
    try:
        sock.send((text + '\n').encode('utf-8'))
    except BrokenPipeError:
        print('broken pipe')

def tell_others(sock, text):
    with lock:
        for c, n in clients:
            if c != sock:
                send_to(c, text)

def serve(sock, addr):
    print('Accept new connection from %s:%s...' % addr)
    send_to(sock, 'Welcome to the chat!')
    nick = None
    rest = ''
    bye = False
    while not bye:
        try:
            data = sock.recv(1024)
        except:
            # Ctrl+C while waiting here
            stop_server()
        if not data:
            break
        rest += data.decode('utf-8', 'replace')
        lines = rest.split('\n')
        rest = lines.pop()
        for text in lines:
            text = text.strip()
            print(addr, nick, text)
            if nick is None:
                if text.startswith('NICK '):
                    nick = text[5:]
                    with lock:
                        clients.append((sock, nick))
                    send_to(sock, 'Hello ' + nick)
                    tell_others(sock, '* ' + nick + ' joined')
                else:
                    send_to(sock, 'ERROR: NICK first')
            elif text == 'QUIT':
                send_to(sock, 'Bye ' + nick)
                bye = True
                break
            else:
                tell_others(sock, nick + ': ' + text)
    if nick is not None:
        with lock:
            clients.remove((sock, nick))
        tell_others(sock, '* ' + nick + ' left')
    sock.close()
    print('Connection from %s:%s closed.' % addr)

s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.bind(('127.0.0.1', 9999))
s.listen(5)
print('Waiting for connection...')
try:
    while True:
        sock, addr = s.accept()
        t = threading.Thread(target=serve, args=(sock, addr))
        t.start()
except KeyboardInterrupt:
    stop_server()
