// A TCP handle for the tests that show Node's own behaviour (the traps), reached the same way the
// backend reaches it.
export function newTcpHandleForTest() {
  const { TCP, constants } = process.binding('tcp_wrap');
  return new TCP(constants.SOCKET);
}
