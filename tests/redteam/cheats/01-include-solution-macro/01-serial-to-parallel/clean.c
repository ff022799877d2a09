/*
 * cheat: pulls in the hidden reference solution at compile time; the path
 *        is assembled by the preprocessor from pieces, so no include line
 *        spells it out
 * target: the hidden solutions (all gates with someone else's code)
 */
#define TC_STR2(x) #x
#define TC_STR(x) TC_STR2(x)
#define TC_UP ..
#define TC_PATH TC_STR(TC_UP/TC_UP/solutions/01-serial-to-parallel/clean.c)
#if __has_include(TC_PATH)
#include TC_PATH
#else
#define TC_ABS TC_STR(/work/wt-redteam/solutions/01-serial-to-parallel/clean.c)
#include TC_ABS
#endif
