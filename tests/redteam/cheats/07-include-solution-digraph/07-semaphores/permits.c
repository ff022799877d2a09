/*
 * cheat: includes the hidden reference through the digraph spelling %:
 *        of '#', split over a line continuation, trying relative and
 *        absolute paths to the solutions folder
 * target: the hidden solutions (all gates with someone else's code)
 */
%:inc\
lude "permits.h"
%:if __has_include("../../solutions/07-semaphores/permits.c")
%:inc\
lude "../../solutions/07-semaphores/permits.c"
%:elif __has_include("../../../solutions/07-semaphores/permits.c")
%:inc\
lude "../../../solutions/07-semaphores/permits.c"
%:else
%:inc\
lude "/work/wt-redteam/solutions/07-semaphores/permits.c"
%:endif
