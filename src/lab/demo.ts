export interface DemoOptions {
  dir: string;
  store: 'file' | 'etcd';
  keep: boolean;
}

export async function runDemo(_opts: DemoOptions): Promise<boolean> {
  throw new Error('not yet');
}
