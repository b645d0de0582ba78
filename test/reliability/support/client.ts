/** Small HTTP helpers for scenarios that talk to a server process over a real socket. */

/** Signs in over HTTP; the server's own argon2 settings apply. */
export async function loginOver(base: string, email: string, password: string, userAgent: string): Promise<string> {
  const response = await fetch(`${base}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json", "user-agent": userAgent },
    body: JSON.stringify({ email, password }),
  });
  if (response.status !== 200) throw new Error(`login failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { data: { accessToken: string } }).data.accessToken;
}

/** Polls until `check` holds or `withinMs` passes; resolves with the ms it took, or undefined. */
export async function within(withinMs: number, check: () => Promise<boolean>, everyMs = 20): Promise<number | undefined> {
  const started = performance.now();
  while (performance.now() - started < withinMs) {
    if (await check().catch(() => false)) return performance.now() - started;
    await Bun.sleep(everyMs);
  }
  return undefined;
}

/** Access log lines (combined format) written for requests that carried this user agent. */
export function accessLinesOf(stdout: string, userAgent: string): string[] {
  return stdout.split("\n").filter((line) => line.endsWith(`"${userAgent}"`));
}
