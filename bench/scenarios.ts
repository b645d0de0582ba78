import type { RequestSpec } from "./load-spec";

/** Which process a scenario loads. */
export type ServerKind = "baseline" | "api" | "cluster";

export interface Credentials {
  accessToken: string;
  apiKey: string;
}

export interface Scenario {
  id: string;
  title: string;
  server: ServerKind;
  requests: RequestSpec[];
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const apiKey = (key: string) => ({ authorization: `ApiKey ${key}` });

/** A prospect a user would create; `{n}` makes every email unique (see bench/load.ts). */
const newProspect = JSON.stringify({
  email: "bench-{n}@load.example.com",
  firstName: "Bench",
  lastName: "Prospect",
  company: "Load Test Inc",
  title: "Head of Throughput",
  status: "new",
  score: 50,
  tags: ["bench"],
});

export const baselineScenario: Scenario = {
  id: "baseline",
  title: "baseline: raw Bun.serve JSON",
  server: "baseline",
  requests: [{ method: "GET", path: "/" }],
};

/** The API's scenarios, in the order they run. */
export function apiScenarios(credentials: Credentials): Scenario[] {
  const jwt = bearer(credentials.accessToken);
  return [
    { id: "health", title: "GET /health", server: "api", requests: [{ method: "GET", path: "/health" }] },
    {
      id: "me-jwt",
      title: "GET /api/v1/me (JWT)",
      server: "api",
      requests: [{ method: "GET", path: "/api/v1/me", headers: jwt }],
    },
    {
      id: "me-api-key",
      title: "GET /api/v1/me (API key)",
      server: "api",
      requests: [{ method: "GET", path: "/api/v1/me", headers: apiKey(credentials.apiKey) }],
    },
    {
      id: "prospects-list",
      title: "GET /api/v1/prospects?limit=20",
      server: "api",
      requests: [{ method: "GET", path: "/api/v1/prospects?limit=20", headers: jwt }],
    },
    {
      // The same page read from Postgres every time: a client's Cache-Control: no-cache skips the
      // page cache (src/modules/prospects/page-cache.ts), as a hard reload does.
      id: "prospects-list-fresh",
      title: "GET /api/v1/prospects?limit=20, Cache-Control: no-cache",
      server: "api",
      requests: [
        { method: "GET", path: "/api/v1/prospects?limit=20", headers: { ...jwt, "cache-control": "no-cache" } },
      ],
    },
    {
      id: "me-jwt-br",
      title: "GET /api/v1/me (JWT), Accept-Encoding: br, gzip",
      server: "api",
      requests: [{ method: "GET", path: "/api/v1/me", headers: { ...jwt, "accept-encoding": "br, gzip" } }],
    },
    {
      id: "prospects-list-br",
      title: "GET /api/v1/prospects?limit=20, Accept-Encoding: br, gzip",
      server: "api",
      requests: [
        { method: "GET", path: "/api/v1/prospects?limit=20", headers: { ...jwt, "accept-encoding": "br, gzip" } },
      ],
    },
    {
      id: "search",
      title: "GET /api/v1/search?q=northwind",
      server: "api",
      requests: [{ method: "GET", path: "/api/v1/search?q=northwind", headers: jwt }],
    },
    {
      id: "prospects-create",
      title: "POST /api/v1/prospects",
      server: "api",
      requests: [
        {
          method: "POST",
          path: "/api/v1/prospects",
          headers: { ...jwt, "content-type": "application/json" },
          body: newProspect,
        },
      ],
    },
  ];
}

export function clusterScenario(credentials: Credentials, workers: number): Scenario {
  return {
    id: "cluster-me-jwt",
    title: `GET /api/v1/me (JWT), cluster of ${workers}`,
    server: "cluster",
    requests: [{ method: "GET", path: "/api/v1/me", headers: bearer(credentials.accessToken) }],
  };
}

/** The soak's mix: every available API scenario's requests, each connection cycling through them. */
export function soakRequests(available: Scenario[]): RequestSpec[] {
  return available.filter((s) => s.server === "api").flatMap((s) => s.requests);
}
