// libzmq's C API (Debian: libzmq3-dev). Linked without pkg-config: Debian's zmq.pc adds flags SwiftPM refuses.
#include <zmq.h>
