const IPV4_LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV4_MAPPED_LOOPBACK = /^::ffff:127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/i;

/**
 * Whether an IP address is a loopback address: `127.0.0.0/8`, `::1`, or an IPv4-mapped IPv6
 * loopback address (`::ffff:127.x.x.x`, what a dual-stack server reports for an IPv4 client).
 *
 * @param address - a remote address as Node reports it (`socket.remoteAddress`); `undefined`
 *   (a Unix socket, a destroyed socket) is not loopback.
 */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || IPV4_LOOPBACK.test(address) || IPV4_MAPPED_LOOPBACK.test(address);
}

interface SocketHolder {
  readonly socket?: { readonly remoteAddress?: string } | null;
}

/**
 * The address of the peer of the TCP connection that carried `request`: the socket's own
 * remote address, on Express (`req.socket`) and Fastify (`request.raw.socket`) alike. Headers
 * such as `X-Forwarded-For` are never read: a client can write them.
 *
 * @param request - the request as Nest hands it to a controller or a guard.
 * @returns the address, or `undefined` when the request has no socket.
 */
export function remoteAddressOf(request: unknown): string | undefined {
  if (request === null || typeof request !== 'object') return undefined;
  const { socket, raw } = request as SocketHolder & { readonly raw?: SocketHolder };
  return socket?.remoteAddress ?? raw?.socket?.remoteAddress;
}
