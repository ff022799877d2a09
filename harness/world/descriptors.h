/*
 * descriptors.h - counts the open file descriptors of this process, the
 * census of sockets, pipes and files nobody closed
 *
 * Safety: thread-safe; takes no locks; reads /proc.
 */
#ifndef WORLD_DESCRIPTORS_H
#define WORLD_DESCRIPTORS_H

/*
 * Number of descriptors open in this process now (the one used to count
 * them excluded), or -1 if /proc is unreadable.
 */
int descriptors_open(void);

#endif
