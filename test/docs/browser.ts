import { chromium } from "playwright-core";
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

/**
 * Serves the app on a real port, opens /docs in headless Chromium, waits for Swagger UI to render
 * the operations and runs /health through "Try it out".
 */
export async function openDocsInBrowser(app: App, executablePath: string): Promise<DocsVisit> {
  app.listen({ port: 0, hostname: "127.0.0.1" });
  const base = `http://127.0.0.1:${app.server?.port}`;
  const browser = await chromium.launch({ executablePath, args: quietChromium });
  const visit: DocsVisit = {
    operations: [],
    tryItOutStatus: 0,
    foreignRequests: [],
    cspViolations: [],
    pageErrors: [],
  };
  try {
    const page = await browser.newPage();
    page.on("request", (request) => {
      if (new URL(request.url()).host !== new URL(base).host) visit.foreignRequests.push(request.url());
    });
    page.on("console", (message) => {
      if (/content security policy/i.test(message.text())) visit.cspViolations.push(message.text());
    });
    page.on("pageerror", (error) => visit.pageErrors.push(error.message));
    await page.exposeFunction("reportCspViolation", (text: string) => visit.cspViolations.push(text));
    // Injected by the browser, not the page, so the page's CSP does not apply to this listener.
    await page.addInitScript({
      content: `document.addEventListener("securitypolicyviolation", (event) =>
        window.reportCspViolation(event.violatedDirective + " blocked " + event.blockedURI));`,
    });

    await page.goto(`${base}/docs`);
    await page.locator(".opblock").first().waitFor({ timeout: 30_000 });
    visit.operations = await page
      .locator(".opblock-summary-path")
      .evaluateAll((nodes) => nodes.map((node) => node.getAttribute("data-path") ?? ""));

    const health = page.locator(".opblock-get").filter({ has: page.locator('[data-path="/health"]') });
    await health.locator(".opblock-summary").click();
    await health.getByRole("button", { name: "Try it out" }).click();
    const [response] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/health"),
      health.getByRole("button", { name: "Execute" }).click(),
    ]);
    visit.tryItOutStatus = response.status();
    return visit;
  } finally {
    await browser.close();
    await app.stop(true);
  }
}
