/* A correct student's client: the welcome, message1..message5, exit. */
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
    int sock = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof(addr));
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(9999);
    if (connect(sock, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        perror("connect");
        return 1;
    }
    char buffer[1024];
    int got = recv(sock, buffer, sizeof(buffer) - 1, 0);
    buffer[got > 0 ? got : 0] = '\0';
    printf("%s\n", buffer);
    for (int i = 1; i <= 5; i++) {
        char message[32];
        sprintf(message, "message%d", i);
        send(sock, message, strlen(message), 0);
        got = recv(sock, buffer, sizeof(buffer) - 1, 0);
        buffer[got > 0 ? got : 0] = '\0';
        printf("%s\n", buffer);
    }
    send(sock, "exit", 4, 0);
    close(sock);
    return 0;
}
