/**
 * Node's own test/parallel net tests, ported with a backend pair standing in for Node's net
 * (`support.ts` says how) and Node's assertions unchanged. {@link describeNetPorts} registers them
 * in the calling test file (vitest, or node:test through a vitest shim); which of them fail and
 * why is in `KNOWN-FAILURES.md` beside them, marked `it.fails` in the port itself.
 * @module
 */
import { describePorts, type Port } from '../ports.js';
import { type NetPortBackends, NodeNetTest } from './support.js';
import netAfterClose from './test-net-after-close.js';
import netAllowHalfOpen from './test-net-allow-half-open.js';
import netBetterErrorMessagesListen from './test-net-better-error-messages-listen.js';
import netBinary from './test-net-binary.js';
import netBindTwice from './test-net-bind-twice.js';
import netBuffersize from './test-net-buffersize.js';
import netBytesStats from './test-net-bytes-stats.js';
import netBytesWrittenLarge from './test-net-bytes-written-large.js';
import netCanResetTimeout from './test-net-can-reset-timeout.js';
import netClientBindTwice from './test-net-client-bind-twice.js';
import netConnectAbortController from './test-net-connect-abort-controller.js';
import netConnectAfterDestroy from './test-net-connect-after-destroy.js';
import netConnectBuffer from './test-net-connect-buffer.js';
import netConnectHandleEconnrefused from './test-net-connect-handle-econnrefused.js';
import netConnectImmediateDestroy from './test-net-connect-immediate-destroy.js';
import netConnectNoArg from './test-net-connect-no-arg.js';
import netConnectOptionsAllowhalfopen from './test-net-connect-options-allowhalfopen.js';
import netConnectOptionsInvalid from './test-net-connect-options-invalid.js';
import netConnectOptionsPort from './test-net-connect-options-port.js';
import netConnectResetAfterDestroy from './test-net-connect-reset-after-destroy.js';
import netConnectResetBeforeConnected from './test-net-connect-reset-before-connected.js';
import netConnectResetUntilConnected from './test-net-connect-reset-until-connected.js';
import netDnsCustomLookup from './test-net-dns-custom-lookup.js';
import netDnsLookup from './test-net-dns-lookup.js';
import netDnsLookupSkip from './test-net-dns-lookup-skip.js';
import netDuringClose from './test-net-during-close.js';
import netEaddrinuse from './test-net-eaddrinuse.js';
import netEndDestroyed from './test-net-end-destroyed.js';
import netEndWithoutConnect from './test-net-end-without-connect.js';
import netErrorTwice from './test-net-error-twice.js';
import netKeepalive from './test-net-keepalive.js';
import netLargeString from './test-net-large-string.js';
import netListenCloseServer from './test-net-listen-close-server.js';
import netListenCloseServerCallbackIsNotFunction from './test-net-listen-close-server-callback-is-not-function.js';
import netListenError from './test-net-listen-error.js';
import netListenInvalidPort from './test-net-listen-invalid-port.js';
import netListening from './test-net-listening.js';
import netLocalAddressPort from './test-net-local-address-port.js';
import netLocalerror from './test-net-localerror.js';
import netLocalport from './test-net-localport.js';
import netOnreadStaticBuffer from './test-net-onread-static-buffer.js';
import netPauseResumeConnecting from './test-net-pause-resume-connecting.js';
import netPersistentKeepalive from './test-net-persistent-keepalive.js';
import netPingpong from './test-net-pingpong.js';
import netReconnect from './test-net-reconnect.js';
import netRemoteAddress from './test-net-remote-address.js';
import netRemoteAddressPort from './test-net-remote-address-port.js';
import netServerCallListenMultipleTimes from './test-net-server-call-listen-multiple-times.js';
import netServerClose from './test-net-server-close.js';
import netServerCloseBeforeCallingLookupCallback from './test-net-server-close-before-calling-lookup-callback.js';
import netServerConnections from './test-net-server-connections.js';
import netServerDropConnections from './test-net-server-drop-connections.js';
import netServerListenOptions from './test-net-server-listen-options.js';
import netServerListenOptionsSignal from './test-net-server-listen-options-signal.js';
import netServerListenRemoveCallback from './test-net-server-listen-remove-callback.js';
import netServerMaxConnections from './test-net-server-max-connections.js';
import netServerMaxConnectionsCloseMakesMoreAvailable from './test-net-server-max-connections-close-makes-more-available.js';
import netServerOptions from './test-net-server-options.js';
import netServerPauseOnConnect from './test-net-server-pause-on-connect.js';
import netServerReset from './test-net-server-reset.js';
import netServerTryPorts from './test-net-server-try-ports.js';
import netSettimeout from './test-net-settimeout.js';
import netSocketByteswritten from './test-net-socket-byteswritten.js';
import netSocketCloseAfterEnd from './test-net-socket-close-after-end.js';
import netSocketConnectWithoutCb from './test-net-socket-connect-without-cb.js';
import netSocketConnecting from './test-net-socket-connecting.js';
import netSocketDestroySend from './test-net-socket-destroy-send.js';
import netSocketDestroyTwice from './test-net-socket-destroy-twice.js';
import netSocketEndBeforeConnect from './test-net-socket-end-before-connect.js';
import netSocketEndCallback from './test-net-socket-end-callback.js';
import netSocketLocalAddress from './test-net-socket-local-address.js';
import netSocketNoHalfopenEnforcer from './test-net-socket-no-halfopen-enforcer.js';
import netSocketReadyWithoutCb from './test-net-socket-ready-without-cb.js';
import netSocketResetSend from './test-net-socket-reset-send.js';
import netSocketTimeout from './test-net-socket-timeout.js';
import netSocketWriteError from './test-net-socket-write-error.js';
import netStream from './test-net-stream.js';
import netSyncCork from './test-net-sync-cork.js';
import netThrottle from './test-net-throttle.js';
import netTimeoutNoHandle from './test-net-timeout-no-handle.js';
import netWritable from './test-net-writable.js';
import netWriteAfterClose from './test-net-write-after-close.js';
import netWriteAfterEndNt from './test-net-write-after-end-nt.js';
import netWriteArguments from './test-net-write-arguments.js';
import netWriteCbOnDestroyBeforeConnect from './test-net-write-cb-on-destroy-before-connect.js';
import netWriteConnectWrite from './test-net-write-connect-write.js';
import netWriteSlow from './test-net-write-slow.js';

const PORTS: readonly (readonly [string, Port<NodeNetTest>])[] = [
  ['test-net-after-close', netAfterClose],
  ['test-net-allow-half-open', netAllowHalfOpen],
  ['test-net-better-error-messages-listen', netBetterErrorMessagesListen],
  ['test-net-binary', netBinary],
  ['test-net-bind-twice', netBindTwice],
  ['test-net-buffersize', netBuffersize],
  ['test-net-bytes-stats', netBytesStats],
  ['test-net-bytes-written-large', netBytesWrittenLarge],
  ['test-net-can-reset-timeout', netCanResetTimeout],
  ['test-net-client-bind-twice', netClientBindTwice],
  ['test-net-connect-abort-controller', netConnectAbortController],
  ['test-net-connect-after-destroy', netConnectAfterDestroy],
  ['test-net-connect-buffer', netConnectBuffer],
  // Node's test-net-connect-buffer2.js is the same test as test-net-connect-buffer.js.
  ['test-net-connect-buffer2', netConnectBuffer],
  ['test-net-connect-handle-econnrefused', netConnectHandleEconnrefused],
  ['test-net-connect-immediate-destroy', netConnectImmediateDestroy],
  ['test-net-connect-no-arg', netConnectNoArg],
  ['test-net-connect-options-allowhalfopen', netConnectOptionsAllowhalfopen],
  ['test-net-connect-options-invalid', netConnectOptionsInvalid],
  ['test-net-connect-options-port', netConnectOptionsPort],
  ['test-net-connect-reset-after-destroy', netConnectResetAfterDestroy],
  ['test-net-connect-reset-before-connected', netConnectResetBeforeConnected],
  ['test-net-connect-reset-until-connected', netConnectResetUntilConnected],
  ['test-net-dns-custom-lookup', netDnsCustomLookup],
  ['test-net-dns-lookup', netDnsLookup],
  ['test-net-dns-lookup-skip', netDnsLookupSkip],
  ['test-net-during-close', netDuringClose],
  ['test-net-eaddrinuse', netEaddrinuse],
  ['test-net-end-destroyed', netEndDestroyed],
  ['test-net-end-without-connect', netEndWithoutConnect],
  ['test-net-error-twice', netErrorTwice],
  ['test-net-keepalive', netKeepalive],
  ['test-net-large-string', netLargeString],
  ['test-net-listen-close-server', netListenCloseServer],
  ['test-net-listen-close-server-callback-is-not-function', netListenCloseServerCallbackIsNotFunction],
  ['test-net-listen-error', netListenError],
  ['test-net-listen-invalid-port', netListenInvalidPort],
  ['test-net-listening', netListening],
  ['test-net-local-address-port', netLocalAddressPort],
  ['test-net-localerror', netLocalerror],
  ['test-net-localport', netLocalport],
  ['test-net-onread-static-buffer', netOnreadStaticBuffer],
  ['test-net-pause-resume-connecting', netPauseResumeConnecting],
  ['test-net-persistent-keepalive', netPersistentKeepalive],
  ['test-net-pingpong', netPingpong],
  ['test-net-reconnect', netReconnect],
  ['test-net-remote-address', netRemoteAddress],
  ['test-net-remote-address-port', netRemoteAddressPort],
  ['test-net-server-call-listen-multiple-times', netServerCallListenMultipleTimes],
  ['test-net-server-close', netServerClose],
  ['test-net-server-close-before-calling-lookup-callback', netServerCloseBeforeCallingLookupCallback],
  ['test-net-server-connections', netServerConnections],
  ['test-net-server-drop-connections', netServerDropConnections],
  ['test-net-server-listen-options', netServerListenOptions],
  ['test-net-server-listen-options-signal', netServerListenOptionsSignal],
  ['test-net-server-listen-remove-callback', netServerListenRemoveCallback],
  ['test-net-server-max-connections', netServerMaxConnections],
  [
    'test-net-server-max-connections-close-makes-more-available',
    netServerMaxConnectionsCloseMakesMoreAvailable,
  ],
  ['test-net-server-options', netServerOptions],
  ['test-net-server-pause-on-connect', netServerPauseOnConnect],
  ['test-net-server-reset', netServerReset],
  ['test-net-server-try-ports', netServerTryPorts],
  ['test-net-settimeout', netSettimeout],
  ['test-net-socket-byteswritten', netSocketByteswritten],
  ['test-net-socket-close-after-end', netSocketCloseAfterEnd],
  ['test-net-socket-connect-without-cb', netSocketConnectWithoutCb],
  ['test-net-socket-connecting', netSocketConnecting],
  ['test-net-socket-destroy-send', netSocketDestroySend],
  ['test-net-socket-destroy-twice', netSocketDestroyTwice],
  ['test-net-socket-end-before-connect', netSocketEndBeforeConnect],
  ['test-net-socket-end-callback', netSocketEndCallback],
  ['test-net-socket-local-address', netSocketLocalAddress],
  ['test-net-socket-no-halfopen-enforcer', netSocketNoHalfopenEnforcer],
  ['test-net-socket-ready-without-cb', netSocketReadyWithoutCb],
  ['test-net-socket-reset-send', netSocketResetSend],
  ['test-net-socket-timeout', netSocketTimeout],
  ['test-net-socket-write-error', netSocketWriteError],
  ['test-net-stream', netStream],
  ['test-net-sync-cork', netSyncCork],
  ['test-net-throttle', netThrottle],
  ['test-net-timeout-no-handle', netTimeoutNoHandle],
  ['test-net-writable', netWritable],
  ['test-net-write-after-close', netWriteAfterClose],
  ['test-net-write-after-end-nt', netWriteAfterEndNt],
  ['test-net-write-arguments', netWriteArguments],
  ['test-net-write-cb-on-destroy-before-connect', netWriteCbOnDestroyBeforeConnect],
  ['test-net-write-connect-write', netWriteConnectWrite],
  ['test-net-write-slow', netWriteSlow],
];

/** The names of the ported Node tests (`test-net-…`, as in Node's test/parallel). */
export const NET_PORTS: readonly string[] = PORTS.map(([name]) => name);

/** Options of {@link describeNetPorts}. */
export interface DescribeNetPortsOptions {
  /** Ports that cannot run on this backend, by name, each with the reason (listed as skipped). */
  skip?: Readonly<Record<string, string>>;
  /** Known failures (`it.fails`) that pass on this backend, by name, each with the reason: run as tests. */
  passes?: Readonly<Record<string, string>>;
}

/**
 * Registers every net port in a `describe` block named `name`, each test with a fresh pair of
 * `backends`. Call it at the top level of a test file.
 */
export function describeNetPorts(
  name: string,
  backends: NetPortBackends,
  options: DescribeNetPortsOptions = {},
): void {
  describePorts('describeNetPorts', name, PORTS, () => new NodeNetTest(backends), options);
}

export type { NetPortBackends } from './support.js';
export { NodeNetTest } from './support.js';
