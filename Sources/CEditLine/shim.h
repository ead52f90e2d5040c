// libedit's readline-compatible API (line editing and history) for `vireo sql`.
#include <stdio.h>
#include <editline/readline.h>

/// Tab inserts itself: SQL has no file names to complete.
static inline void vireo_editline_configure(const char *name) {
    rl_readline_name = name;
    rl_inhibit_completion = 1;
}
