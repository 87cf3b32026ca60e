/* TCP echo client in C: the reference of examples/c-echo/c-echo.yaml.
 *
 * Prints the server's welcome, sends message1 .. message5 printing each
 * reply, then sends "exit" and closes. Exits 1 if the server cannot be
 * reached, closes early, or does not answer within 10 s.
 *
 * Run: ./client [--port 9999]
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void receive(int s) {
    char data[1024];
    ssize_t n = recv(s, data, sizeof data, 0);
    if (n <= 0) {
        fprintf(stderr, "error: no reply from the server\n");
        exit(1);
    }
    printf("%.*s\n", (int)n, data);
    fflush(stdout);
}

int main(int argc, char **argv) {
    int port = 9999;
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct timeval timeout = {.tv_sec = 10};
    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(port)};
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (connect(s, (struct sockaddr *)&address, sizeof address) < 0) {
        perror("error: connect");
        return 1;
    }
    receive(s);
    char message[16];
    for (int i = 1; i <= 5; i++) {
        int length = snprintf(message, sizeof message, "message%d", i);
        send(s, message, length, MSG_NOSIGNAL);
        receive(s);
    }
    send(s, "exit", 4, MSG_NOSIGNAL);
    close(s);
    return 0;
}
