/**
 * In-process serialisation per key: calls for the same key run one after another, calls for
 * different keys run concurrently. The store's compare-and-set handles other processes; this
 * keeps one process from racing itself (e.g. two Mounts of one dataset both starting a move).
 */
export class KeyMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(fn, fn);
    const tail = result.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
