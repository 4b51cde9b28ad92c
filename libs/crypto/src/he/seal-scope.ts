import type { SealObject, SealRuntime } from './seal-runtime.js';

/**
 * A `using`-style scope for SEAL temporaries: everything `track`ed is deleted, newest first, when the scope
 * ends (`withSealScope` ends it in a finally block), unless `keep` hands it over to the caller.
 */
export class SealScope {
  private readonly objects: SealObject[] = [];

  constructor(private readonly runtime: SealRuntime) {}

  track<T extends SealObject>(object: T): T {
    this.objects.push(this.runtime.own(object));
    return object;
  }

  /** Removes `object` from the scope: the caller now owns it (and must free it through the runtime). */
  keep<T extends SealObject>(object: T): T {
    const index = this.objects.lastIndexOf(object);
    if (index >= 0) this.objects.splice(index, 1);
    return object;
  }

  dispose(): void {
    while (this.objects.length > 0) this.runtime.free(this.objects.pop());
  }
}

export function withSealScope<T>(runtime: SealRuntime, fn: (scope: SealScope) => T): T {
  const scope = new SealScope(runtime);
  try {
    return fn(scope);
  } finally {
    scope.dispose();
  }
}
