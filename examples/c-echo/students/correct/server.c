/* A correct student: a thread per connection. */
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define PORT 9999

void *handle_client(void *arg) {
    int sock = *(int *)arg;
    free(arg);
    char buffer[2048];
    char answer[2100];
    send(sock, "Welcome!", strlen("Welcome!"), 0);
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
    printf("Connection closed.\n");
    return NULL;
}

int main(void) {
    signal(SIGPIPE, SIG_IGN);
    int server = socket(AF_INET, SOCK_STREAM, 0);
    int yes = 1;
    setsockopt(server, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(PORT);
    if (bind(server, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        perror("bind");
        exit(1);
    }
    listen(server, 5);
    printf("Waiting for connection...\n");
    fflush(stdout);
    while (1) {
        int *client = malloc(sizeof(int));
        *client = accept(server, NULL, NULL);
        printf("Accept new connection\n");
        fflush(stdout);
        pthread_t tid;
        pthread_create(&tid, NULL, handle_client, client);
        pthread_detach(tid);
    }
    return 0;
}
