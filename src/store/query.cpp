#include "store/query.h"

// The query model is plain data; this unit exists so the store library always has a home for
// helpers shared by back ends.
