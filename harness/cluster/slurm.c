#include "cluster/cluster.h"
#include <stdio.h>
int ptc_slurm_main(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "ptc slurm: not yet\n"); return 2; }
