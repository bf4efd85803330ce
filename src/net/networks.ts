// trustedNetworks matching ("10.0.0.0/8", "::1", "192.168.1.5").
import { BlockList, isIPv6 } from 'node:net';

export class NetworkList {
  private readonly list = new BlockList();
  readonly empty: boolean;

  constructor(cidrs: string[]) {
    this.empty = cidrs.length === 0;
    for (const c of cidrs) {
      const [addr, prefix] = c.split('/');
      const type = isIPv6(addr!) ? 'ipv6' : 'ipv4';
      if (prefix === undefined) this.list.addAddress(addr!, type);
      else this.list.addSubnet(addr!, Number(prefix), type);
    }
  }

  contains(ip: string): boolean {
    if (this.empty || !ip) return false;
    return this.list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
  }
}
