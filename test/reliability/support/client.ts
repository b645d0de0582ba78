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
export async function within(
  withinMs: number,
  check: () => Promise<boolean>,
  everyMs = 20,
): Promise<number | undefined> {
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

/**
 * A POST whose JSON body trickles in over `durationMs`: a request the server is still reading
 * when something happens (the listener closes). Resolves with its status, or the error's code.
 */
export async function slowPost(
  url: string,
  body: unknown,
  durationMs: number,
  userAgent: string,
): Promise<{ status?: number; error?: string }> {
  const text = JSON.stringify(body);
  const parts = [text.slice(0, 1), text.slice(1, text.length - 1), text.slice(-1)];
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (index > 0) await Bun.sleep(durationMs / (parts.length - 1));
      const part = parts[index++];
      if (part === undefined) return controller.close();
      controller.enqueue(new TextEncoder().encode(part));
    },
  });
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": userAgent },
      body: stream,
    });
    await response.arrayBuffer();
    return { status: response.status };
  } catch (error) {
    return { error: (error as { code?: string }).code ?? String(error) };
  }
}
