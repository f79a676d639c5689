/** What a contract suite gets from a backend's test file: a fresh, empty instance and a way to get rid of it. */
export interface Fresh<T> {
  subject: T;
  /** Closes the instance and deletes everything it stored (a temp directory, a database, a bucket prefix). */
  cleanup(): Promise<void>;
}

/** Runs `body` on a fresh instance, cleaning up whatever happens. */
export async function withFresh<T, R>(make: () => Promise<Fresh<T>>, body: (subject: T) => Promise<R>): Promise<R> {
  const fresh = await make();
  try {
    return await body(fresh.subject);
  } finally {
    await fresh.cleanup();
  }
}
