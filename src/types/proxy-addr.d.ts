declare module 'proxy-addr' {
  /** Compile a trust list (addresses, CIDRs, `loopback` / `linklocal` / `uniquelocal`); throws on a bad entry. */
  function compile(val: string | string[]): (addr: string, i: number) => boolean;
  const proxyaddr: { compile: typeof compile };
  export default proxyaddr;
}
