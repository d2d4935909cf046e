/* drop.c: names for the drop codes of drop.h. */
#include "dsrlab/drop.h"

const char *dl_drop_name(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
#define DL_DROP_CASE(name, num) case num: return #name;
	DL_DROP_REASONS(DL_DROP_CASE)
#undef DL_DROP_CASE
	case DL_DROP_DSRLAB_BASE + 1: return "DSRLAB_UNPARSEABLE";
	case DL_DROP_DSRLAB_BASE + 2: return "DSRLAB_NO_ROUTE";
	case DL_DROP_DSRLAB_BASE + 3: return "DSRLAB_HOP_LIMIT";
	case DL_DROP_DSRLAB_BASE + 4: return "DSRLAB_NO_RESPONDER";
	case DL_DROP_DSRLAB_BASE + 5: return "DSRLAB_WITHHELD";
	default: return NULL;
	}
}
