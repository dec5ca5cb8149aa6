#include "CSystemShims.h"

#include <sys/prctl.h>

// prctl is variadic, which Swift cannot call.
int CSystemShims_set_thread_name(const char *name) { return prctl(PR_SET_NAME, name, 0, 0, 0); }
