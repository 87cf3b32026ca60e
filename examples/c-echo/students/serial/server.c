/* A serial student: no threads, so one client is served at a time; a second client waits
 * until the first has left. */
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(9999);
    bind(server, (struct sockaddr *)&addr, sizeof(addr));
    listen(server, 5);
    while (1) {
        int sock = accept(server, NULL, NULL);
        char buffer[2048], answer[2100];
        send(sock, "Welcome!", 8, 0);
        while (1) {
            int got = recv(sock, buffer, sizeof(buffer) - 1, 0);
            if (got <= 0)
                break;
            buffer[got] = '\0';
            if (strcmp(buffer, "exit") == 0)
                break;
            sprintf(answer, "Received %s;", buffer);
            send(sock, answer, strlen(answer), 0);
        }
        close(sock);
    }
}
