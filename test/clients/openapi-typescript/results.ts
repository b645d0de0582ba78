/** What the seed's flows saw (flows.ts), for the test to compare with the server's behaviour. No imports: the test reads it. */

export interface Credentials {
  email: string;
  password: string;
}

export interface FlowResults {
  login: { status: number; accessToken: string; refreshToken: string };
  refresh: { status: number; accessToken: string; refreshToken: string };
  me: { status: number; email: string | undefined; role: string | undefined };
  list: { status: number; count: number; limit: number; hasMore: boolean };
  create: { status: number; id: string; email: string };
  replay: { status: number; id: string; replayed: string | null };
  get: { status: number; id: string; company: string | null | undefined };
  update: { status: number; status_: string; score: number };
  notFound: { status: number; error: string; statusCode: number; path: string; requestId: string };
  invalid: { status: number; error: string; fields: string[] };
  search: { status: number; ids: string[] };
}
