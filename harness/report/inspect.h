/*
 * harness/report/inspect.h — `ptc inspect [--isa NAME] CHECKPOINT` (harness/report/inspect.c):
 * the config, every tensor with dtype and shape, the parameter count, and what a load
 * lacks (initialised) or ignores. Returns 0, 1 on an unreadable file (one line on
 * stderr), 2 on bad usage. argv[0] is "inspect".
 */
#ifndef PTC_HARNESS_INSPECT_H
#define PTC_HARNESS_INSPECT_H

int ptc_inspect_main(int argc, char **argv);

#endif /* PTC_HARNESS_INSPECT_H */
