#ifndef SOCKSCOPE_CGRAPHVIZ_SHIM_H
#define SOCKSCOPE_CGRAPHVIZ_SHIM_H
#include <graphviz/gvc.h>
#include <graphviz/cgraph.h>
#endif
