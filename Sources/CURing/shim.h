// Include a libc header before liburing.h: liburing defines _XOPEN_SOURCE, which would
// otherwise give fd_set a different shape here than in Swift's Glibc module and break
// every Swift file that imports both.
#include <sys/select.h>
#include <liburing.h>
