/**
 * RFC 9112 §3.2: a request carries exactly one Host, and it is a valid `host[:port]`. Bun joins
 * repeated Host lines into one value ("a, b") and, for a Host it cannot use (empty, missing under
 * HTTP/1.0, a space, a slash), hands over a request.url that is only the path: both are refused
 * before routing, so Elysia only ever sees `http://<host>/<path>`.
 */
const validHost = /^(?:[A-Za-z0-9_](?:[A-Za-z0-9_.-]*)|\[[0-9A-Fa-f:.]+\])(?::[0-9]{0,5})?$/;

/** A check that is one string comparison for the Host seen last (deployments see one or two). */
export function createHostCheck(): (request: Request) => boolean {
  let lastValid = "";
  return (request) => {
    // An absolute URL built in code (app.handle) may carry no Host header at all.
    if (request.url.charCodeAt(0) === 47) return false;
    const host = request.headers.get("host");
    if (host === null || host === lastValid) return true;
    if (!validHost.test(host)) return false;
    lastValid = host;
    return true;
  };
}

/** The path of a request.url, absolute or (as Bun gives it for an unusable Host) path only. */
export function pathOf(url: string): string {
  const start = url.charCodeAt(0) === 47 ? 0 : url.indexOf("/", url.indexOf("//") + 2);
  if (start === -1) return "/";
  const query = url.indexOf("?", start);
  return query === -1 ? url.slice(start) : url.slice(start, query);
}
