/* Threaded TCP echo server in C: the reference of examples/c-echo/c-echo.yaml.
 *
 * Sends "Welcome!" to each new connection, then answers every message with
 * "Received <data>;" until the client sends "exit" or closes. Each connection
 * is served by a thread of its own, so clients do not wait for each other.
 *
 * Run: ./server [--port 9999]
 */
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void *serve(void *arg) {
    int conn = (int)(long)arg;
    char data[1024], reply[1100];
    send(conn, "Welcome!", 8, MSG_NOSIGNAL);
    for (;;) {
        ssize_t n = recv(conn, data, sizeof data, 0);
        if (n <= 0 || (n == 4 && memcmp(data, "exit", 4) == 0))
            break;
        int length = snprintf(reply, sizeof reply, "Received %.*s;", (int)n, data);
        send(conn, reply, length, MSG_NOSIGNAL);
    }
    close(conn);
    return NULL;
}

int main(int argc, char **argv) {
    int port = 9999;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
    int s = socket(AF_INET, SOCK_STREAM, 0), on = 1;
    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (bind(s, (struct sockaddr *)&address, sizeof address) < 0 || listen(s, 16) < 0) {
        perror("bind");
        return 1;
    }
    printf("Waiting for connection...\n");
    fflush(stdout);
    for (;;) {
        int conn = accept(s, NULL, NULL);
        if (conn < 0)
            continue;
        pthread_t thread;
        if (pthread_create(&thread, NULL, serve, (void *)(long)conn) == 0)
            pthread_detach(thread);
        else
            close(conn);
    }
}
