/* A student whose server does not compile: a missing semicolon and an undeclared variable. */
#include <stdio.h>
#include <sys/socket.h>

int main(void) {
    int server = socket(AF_INET, SOCK_STREAM, 0)
    printf("listening on %d\n", port);
    return 0;
}
