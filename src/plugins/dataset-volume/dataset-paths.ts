import { join, resolve } from 'node:path';

/** A dataset or host name that is safe as one path component. */
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/;

export function checkName(kind: 'dataset' | 'host', name: string): string {
  if (!SAFE_NAME.test(name) || name.includes('..')) {
    throw new Error(`invalid ${kind} name ${JSON.stringify(name)}: use letters, digits, '_', '.', '-'`);
  }
  return name;
}

/**
 * Where datasets live on disk: `<dataDir>/<host>/<dataset>`. Every lab host shares one dataDir
 * root and owns its own subdirectory; a move copies between two hosts' subdirectories. Copies
 * in flight use `<dataDir>/<host>/.incoming-<dataset>` and are renamed into place when complete.
 */
export class DatasetPaths {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = resolve(dataDir);
  }

  hostDir(host: string): string {
    return join(this.root, checkName('host', host));
  }

  dataset(host: string, name: string): string {
    return join(this.hostDir(host), checkName('dataset', name));
  }

  incoming(host: string, name: string): string {
    return join(this.hostDir(host), `.incoming-${checkName('dataset', name)}`);
  }
}
