export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The expiry of a short-lived key, for tests that watch it pass. What holds only before the
 * expiry is checked through `before`: an answer that came back after it (a loaded CI machine can
 * take seconds) proves nothing either way, so it is not judged, rather than failing the run. The
 * checks after `passed()` are the ones that matter, and they always run.
 */
export function shortExpiry(ms = 3_000) {
  const at = Date.now() + ms;
  return {
    at,
    iso: new Date(at).toISOString(),
    async before<T>(request: () => Promise<T>, check: (answer: T) => void): Promise<void> {
      const answer = await request();
      if (Date.now() < at) check(answer);
    },
    passed: () => sleep(Math.max(0, at - Date.now() + 250)),
  };
}
