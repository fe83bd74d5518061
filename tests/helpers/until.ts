/**
 * Polls until `check` holds, failing after `ms` with what was awaited: for tests that wait on sockets,
 * processes or the file system, where there is no event to await.
 */
export async function until(check: () => boolean, ms: number, what = 'condition', everyMs = 5): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
