#include "base/memory_trim.h"

#include <cstdlib>  // defines __GLIBC__ (via <features.h>) for the test below

#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace fenlei {

void return_free_memory_to_os() {
#ifdef __GLIBC__
  ::malloc_trim(0);
#endif
}

}  // namespace fenlei
