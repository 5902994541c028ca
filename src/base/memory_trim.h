// Hands memory that the allocator holds but no longer uses back to the operating system.
#pragma once

namespace fenlei {

// Call after a phase that allocated and freed much (tokenising a corpus, loading a model) and
// before one that allocates large buffers. glibc keeps freed chunks in every thread's arena
// (trimming only the top of each heap), so a parallel phase's garbage otherwise stays resident
// for the whole run. No-op where the allocator offers no such call.
void return_free_memory_to_os();

}  // namespace fenlei
