/**
 * The flood of test/reliability/support/login-flood.ts, in a process of its own so that handling
 * its answers does not delay the probe that times /api/v1/me. Open loop: logins start at a steady
 * rate whatever the server answers, the addresses taking turns, as an attack would send them.
 * bun login-flood-client.ts <base> <addresses> <loginsPerAddress> <loginsPerSecond>; prints one JSON line.
 */
const [base, addressArg, loginArg, rateArg] = process.argv.slice(2);
const addresses = Number(addressArg);
const total = addresses * Number(loginArg);
const rate = Number(rateArg);

const statuses: Record<number, number> = {};
const retryAfters = new Set<string | null>();
let errors = 0;
let maxMs = 0;
let busyBody: unknown;

const login = async (index: number) => {
  const address = `198.51.${Math.floor((index % addresses) / 250)}.${((index % addresses) % 250) + 1}`;
  const sent = performance.now();
  try {
    const response = await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-for": address },
      body: JSON.stringify({ email: `nobody-${index}@example.com`, password: "not a password" }),
    });
    const body = await response.json();
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    if (response.status === 503) {
      retryAfters.add(response.headers.get("retry-after"));
      busyBody ??= body;
    }
  } catch {
    errors++;
  }
  maxMs = Math.max(maxMs, performance.now() - sent);
};

const started = performance.now();
const logins: Promise<void>[] = [];
for (let i = 0; i < total; i++) {
  const due = started + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 1) await Bun.sleep(wait);
  logins.push(login(i));
}
await Promise.all(logins);
const floodMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ statuses, retryAfters: [...retryAfters], errors, maxMs, busyBody, floodMs })}\n`,
);

export {};
