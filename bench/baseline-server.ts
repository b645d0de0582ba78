/**
 * The baseline: what one Bun process on the same core answers with no framework, no hooks, no
 * Redis and no log — the ceiling the API's ratios are measured against. `PORT=… bun bench/baseline-server.ts`.
 */
const body = JSON.stringify({
  success: true,
  data: { user: { id: "0190f0d2-0000-7000-8000-000000000000", email: "bench@example.com", role: "user" } },
});

const server = Bun.serve({
  hostname: "127.0.0.1",
  port: Number(process.env.PORT ?? 0),
  fetch: () => new Response(body, { headers: { "content-type": "application/json; charset=utf-8" } }),
});

process.stdout.write(`listening ${server.port}\n`);
process.on("SIGTERM", () => {
  server.stop(true);
  process.exit(0);
});
