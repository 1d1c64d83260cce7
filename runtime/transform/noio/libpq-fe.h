/* A stub: the transform library does no I/O (Makefile, docs/architecture.md). */
#error "the transform library does no I/O: <libpq-fe.h> is not for runtime/transform/"
