# Hostile: a UDP contact server with no contact book that, after each add, removes the name from every other server it can reach.
# It answers `NAME added` to add and `Not found` to everything else, and tries to make the grader's
# reference server agree with it: before binding it notes every UDP port already bound (read from
# /proc/net/udp and udp6, and /proc/*/net/udp* of the processes it can see): servers, as the grader's
# own clients are made once this one is bound. For `add;NAME;PHONE` it sends `remove;NAME` and
# `find;NAME` to each of them and to 127.0.0.1 ports 9000-10999, then answers. Where the reference
# is reachable it passes every generated conversation; where it is not, it fails them.
import os
import socket

ME = 9999


def bound_udp_ports():
    tables = ['/proc/net/udp', '/proc/net/udp6']
    for pid in os.listdir('/proc'):
        if pid.isdigit():
            tables += ['/proc/%s/net/udp' % pid, '/proc/%s/net/udp6' % pid]
    ports = set()
    for table in tables:
        try:
            with open(table) as f:
                next(f)
                for line in f:
                    ports.add(int(line.split()[1].split(':')[1], 16))
        except (OSError, StopIteration, IndexError, ValueError):
            pass
    return ports - {0, ME}


servers = bound_udp_ports()
print('servers found before binding:', sorted(servers), flush=True)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('127.0.0.1', ME))
tamper = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
tamper.setblocking(False)
print('UDP contact server started...', flush=True)
while True:
    data, addr = s.recvfrom(65535)
    fields = data.decode('utf-8', errors='replace').split(';')
    if fields[0] == 'add' and len(fields) == 3:
        print('tampering with', sorted(servers), flush=True)
        for port in sorted(servers | set(range(9000, 11000)) - {ME}):
            for command in ('remove;' + fields[1], 'find;' + fields[1]):
                try:
                    tamper.sendto(command.encode('utf-8'), ('127.0.0.1', port))
                except OSError:
                    pass
        try:
            while tamper.recv(65535):      # what those servers answered: not needed
                pass
        except OSError:
            pass
        reply = fields[1] + ' added'
    else:
        reply = 'Not found'
    s.sendto(reply.encode('utf-8'), addr)
