import { type Browser, chromium, type Locator, type Page } from "playwright-core";
import type { App } from "../../src/app";

export interface DocsVisit {
  /** Paths of the operations Swagger UI rendered. */
  operations: string[];
  /** Status of the /health call made through "Try it out" → "Execute". */
  tryItOutStatus: number;
  /** Every request the page made to anything but this server. */
  foreignRequests: string[];
  /** securitypolicyviolation events and the console's CSP messages. */
  cspViolations: string[];
  pageErrors: string[];
}

/** Flags that keep Chromium from calling Google's services, so every request seen is the page's own. */
const quietChromium = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Records what a page does that a user would not see: errors, CSP refusals, requests elsewhere. */
function watch(page: Page, base: string) {
  const seen = { foreignRequests: [] as string[], cspViolations: [] as string[], pageErrors: [] as string[] };
  const consoleErrors: string[] = [];
  page.on("request", (request) => {
    if (new URL(request.url()).host !== new URL(base).host) seen.foreignRequests.push(request.url());
  });
  page.on("console", (message) => {
    if (/content security policy/i.test(message.text())) seen.cspViolations.push(message.text());
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  page.on("pageerror", (error) => seen.pageErrors.push(error.message));
  return {
    seen,
    consoleErrors,
    async start() {
      await page.exposeFunction("reportCspViolation", (text: string) => seen.cspViolations.push(text));
      // Injected by the browser, not the page, so the page's CSP does not apply to this listener.
      await page.addInitScript({
        content: `document.addEventListener("securitypolicyviolation", (event) =>
          window.reportCspViolation(event.violatedDirective + " blocked " + event.blockedURI));`,
      });
    },
  };
}

/** Playwright gives each launch a new, empty profile (user data directory) of its own. */
function launch(executablePath: string): Promise<Browser> {
  return chromium.launch({ executablePath, args: quietChromium });
}

/**
 * Serves the app on a real port, opens /docs in headless Chromium, waits for Swagger UI to render
 * the operations and runs /health through "Try it out".
 */
export async function openDocsInBrowser(app: App, executablePath: string): Promise<DocsVisit> {
  app.listen({ port: 0, hostname: "127.0.0.1" });
  const base = `http://127.0.0.1:${app.server?.port}`;
  const browser = await launch(executablePath);
  try {
    const page = await browser.newPage();
    const watcher = watch(page, base);
    await watcher.start();
    await page.goto(`${base}/docs`);
    await page.locator(".opblock").first().waitFor({ timeout: 30_000 });
    const operations = await page
      .locator(".opblock-summary-path")
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-path") ?? ""));

    const health = operation(page, "get", "/health");
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/health"),
      health.getByRole("button", { name: "Execute" }).click(),
    ]);
    return { operations, tryItOutStatus: response.status(), ...watcher.seen };
  } finally {
    await browser.close();
    await app.stop(true);
  }
}

/** An operation's block on the page. */
function operation(page: Page, method: string, path: string): Locator {
  return page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

/** What Swagger UI shows under "Responses" after Execute: the live response's status and body. */
async function shownResponse(block: Locator): Promise<{ status: string; body: string }> {
  const live = block.locator(".live-responses-table tbody tr.response").first();
  await live.waitFor({ timeout: 10_000 });
  const status = ((await live.locator(".response-col_status").textContent()) ?? "").trim();
  const body = (await live.locator(".response-col_description .highlight-code pre.microlight").textContent()) ?? "";
  return { status, body };
}

export interface SwaggerWalkthrough {
  /** The login editor's text right after "Try it out", before anything is typed. */
  loginEditor: string;
  /** What the page showed after Execute on POST /api/v1/auth/login. */
  loginShown: { status: string; body: string };
  loginWireStatus: number;
  /** The Authorization header the page sent with GET /api/v1/me after Authorize. */
  meAuthorization: string | null;
  meShown: { status: string; body: string };
  meWireStatus: number;
  consoleErrors: string[];
  cspViolations: string[];
  pageErrors: string[];
  foreignRequests: string[];
}

/**
 * A developer's first session in Swagger UI, by clicking: POST /auth/login → Try it out (the
 * editor holds the example) → type the credentials → Execute; copy the access token from the
 * response shown; Authorize (bearer) with it; GET /me → Try it out → Execute.
 */
export async function walkThroughSwagger(
  base: string,
  user: { email: string; password: string },
  executablePath: string,
): Promise<SwaggerWalkthrough> {
  const browser = await launch(executablePath);
  try {
    const page = await browser.newPage();
    const watcher = watch(page, base);
    await watcher.start();
    await page.goto(`${base}/docs`);
    await page.locator(".opblock").first().waitFor({ timeout: 30_000 });

    const login = operation(page, "post", "/api/v1/auth/login");
    await login.locator(".opblock-summary").click();
    await login.getByRole("button", { name: "Try it out" }).click();
    const editor = login.locator("textarea.body-param__text");
    await editor.waitFor({ timeout: 10_000 });
    const loginEditor = await editor.inputValue();
    await editor.fill(JSON.stringify({ email: user.email, password: user.password }, null, 2));
    const [loginResponse] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/auth/login"),
      login.getByRole("button", { name: "Execute" }).click(),
    ]);
    const loginShown = await shownResponse(login);
    const accessToken = (JSON.parse(loginShown.body) as { data?: { accessToken?: string } }).data?.accessToken ?? "";

    await page.locator(".auth-wrapper .btn.authorize").click();
    const dialog = page.locator(".modal-ux");
    const bearer = dialog.locator(".auth-container").filter({ has: page.locator("h4 code", { hasText: /^bearer$/ }) });
    await bearer.locator("#auth-bearer-value").fill(accessToken);
    await bearer.getByRole("button", { name: "Apply credentials" }).click();
    // Once applied, the scheme offers Logout instead of Authorize.
    await bearer.getByRole("button", { name: "Remove authorization" }).waitFor();
    await bearer.getByRole("button", { name: "Close" }).click();
    await dialog.waitFor({ state: "detached" });

    const me = operation(page, "get", "/api/v1/me");
    await me.locator(".opblock-summary").click();
    await me.getByRole("button", { name: "Try it out" }).click();
    const [meResponse] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/me"),
      me.getByRole("button", { name: "Execute" }).click(),
    ]);
    const meShown = await shownResponse(me);
    return {
      loginEditor,
      loginShown,
      loginWireStatus: loginResponse.status(),
      meAuthorization: (await meResponse.request().allHeaders()).authorization ?? null,
      meShown,
      meWireStatus: meResponse.status(),
      consoleErrors: watcher.consoleErrors,
      ...watcher.seen,
    };
  } finally {
    await browser.close();
  }
}
