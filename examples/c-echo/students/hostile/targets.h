/* Where the hostile student looks. Guesses of a student who read the grader's source and this
 * example's layout (~root/: the home of root, where the cache of a grader run as root is);
 * tests/test_any_language.py writes the real places of its own course here. */
#define REFERENCE_SOURCE "../../c-echo-reference/server.c"
#define READ_TARGETS {REFERENCE_SOURCE, "../../c-echo.yaml", "../../c-echo-reference", \
                      "~root/.cache/sockgrade/results", "../correct/server.c", NULL}
#define WRITE_TARGETS {"../../hostile-was-here", "../correct/hostile-was-here", \
                       "~root/.cache/sockgrade/results/hostile-was-here", NULL}
