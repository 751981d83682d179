/**
 * Addresses in dockerd's own notation: `unix:///path`, `tcp://host:port`, `fd://` is not supported.
 * A bare absolute path or `*.sock` file is read as a unix socket, as dockerd's plugin discovery does.
 */
export type Address =
  | { kind: 'unix'; path: string; url: string }
  | { kind: 'tcp'; host: string; port: number; url: string };

export class AddressError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AddressError';
  }
}

export function parseAddress(input: string, defaultPort = 2375): Address {
  const raw = input.trim();
  if (raw === '') throw new AddressError('empty address');
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(raw);
  // A bare path (absolute, relative, or a `.sock` file name) is a unix socket.
  if (!match && (raw.includes('/') || raw.endsWith('.sock'))) return unix(raw);
  if (!match) throw new AddressError(`address "${raw}" has no scheme (use unix:///path or tcp://host:port)`);
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  switch (scheme) {
    case 'unix':
      if (rest === '') throw new AddressError(`address "${raw}" names no socket path`);
      return unix(rest);
    case 'tcp':
    case 'http':
    case 'https': {
      const url = new URL(`http://${rest}`);
      const port = url.port === '' ? defaultPort : Number(url.port);
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (host === '') throw new AddressError(`address "${raw}" names no host`);
      return { kind: 'tcp', host, port, url: `tcp://${url.host}${url.port === '' ? `:${port}` : ''}` };
    }
    default:
      throw new AddressError(`unknown address scheme "${scheme}" in "${raw}" (use unix:// or tcp://)`);
  }
}

function unix(path: string): Address {
  return { kind: 'unix', path, url: `unix://${path}` };
}
