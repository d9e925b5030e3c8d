export {
  httpIndicator,
  type HttpIndicatorOptions,
  type HttpStatusExpectation,
} from './http.health';
export { tcpIndicator, type TcpIndicatorOptions } from './tcp.health';
export { dnsIndicator, type DnsIndicatorOptions } from './dns.health';
