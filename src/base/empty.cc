// Every fenlei library lists this file so that a library whose module folders are still empty
// (while a capability is being built) remains a valid CMake target.
namespace fenlei {}
