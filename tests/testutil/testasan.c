/*
 * testasan.c - AddressSanitizer options for the suites that link it
 * (check_dkim_sign and the session suites): slow unwinding and 40 frames of
 * allocation context, so a report reaches from inside libopendkim or
 * OpenSSL back to the test. The ASan runtime reads them at start; without
 * -fsanitize=address nothing calls the function.
 */
#include "autoconf.h"

const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "fast_unwind_on_malloc=0:malloc_context_size=40";
}
